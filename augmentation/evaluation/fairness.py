"""Group fairness of a model's hold-out predictions (fairlearn metrics, thresholds from the caller).

Undefined rates: fairlearn reports TPR = 0 for a group with no actual positives (and
FPR = 0 for one with no negatives), which would look like the worst possible
treatment. Here such a rate is recorded as None with a note, and the equalized-odds
difference is taken only over the groups where each rate is defined. When every
rate is defined this is exactly fairlearn's ``equalized_odds_difference``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from augmentation.errors import ConfigError, DataError


@dataclass
class FairnessResult:
    method: str
    sensitive: str
    by_group: dict  # {group: {"selection_rate", "tpr", "fpr", "count"}}; undefined rates are None
    demographic_parity_difference: float
    equalized_odds_difference: float
    passed: bool
    max_dp: float
    max_eo: float
    notes: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        parts = []
        if self.demographic_parity_difference > self.max_dp:
            parts.append(f"demographic parity difference {self.demographic_parity_difference:.3f} > {self.max_dp}")
        if self.equalized_odds_difference > self.max_eo:
            parts.append(f"equalized odds difference {self.equalized_odds_difference:.3f} > {self.max_eo}")
        return "; ".join(parts) or "within limits"

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "sensitive": self.sensitive,
            "passed": bool(self.passed),
            "reason": self.reason,
            "demographic_parity_difference": float(self.demographic_parity_difference),
            "equalized_odds_difference": float(self.equalized_odds_difference),
            "max_dp": float(self.max_dp),
            "max_eo": float(self.max_eo),
            "by_group": {g: dict(v) for g, v in self.by_group.items()},
            "notes": list(self.notes),
        }


def _as_binary(values, name: str) -> np.ndarray:
    arr = np.asarray(values).ravel()
    if not np.isin(arr, [0, 1]).all():
        raise DataError(f"{name} must hold only 0/1 labels, found {sorted(set(arr.tolist()) - {0, 1})[:5]}",
                        f"threshold {name} into 0/1 first")
    return arr.astype(int)


def _spread(values: list[float]) -> float:
    return max(values) - min(values) if values else 0.0


def check_fairness(
    y_true,
    y_pred,
    sensitive: pd.Series,
    *,
    method: str,
    max_dp_difference: float,
    max_eo_difference: float,
) -> FairnessResult:
    """Selection rate / TPR / FPR per group and the DP and EO differences between groups."""
    from fairlearn.metrics import (  # slow import
        MetricFrame,
        count,
        demographic_parity_difference,
        equalized_odds_difference,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )

    for name, limit in (("max_dp_difference", max_dp_difference), ("max_eo_difference", max_eo_difference)):
        if not 0 <= limit <= 1:
            raise ConfigError(f"{name} must be in [0, 1], got {limit}", "use a difference such as 0.1")
    yt, yp = _as_binary(y_true, "y_true"), _as_binary(y_pred, "y_pred")
    groups = pd.Series(sensitive).reset_index(drop=True)
    if not len(yt) == len(yp) == len(groups):
        raise DataError(f"lengths differ: y_true {len(yt)}, y_pred {len(yp)}, sensitive {len(groups)}",
                        "pass aligned arrays for the same rows")
    if groups.isna().any():
        raise DataError(f"sensitive column {groups.name!r} has {int(groups.isna().sum())} missing value(s)",
                        "fill them with an explicit group such as 'unknown'")
    groups = groups.astype(str)  # group keys must be JSON object keys

    frame = MetricFrame(
        metrics={"selection_rate": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate,
                 "count": count},
        y_true=yt,
        y_pred=yp,
        sensitive_features=groups,
    ).by_group

    by_group: dict[str, dict] = {}
    notes: list[str] = []
    for group, row in frame.iterrows():
        mask = (groups == group).to_numpy()
        n_pos, n_neg = int(yt[mask].sum()), int((1 - yt[mask]).sum())
        entry = {"selection_rate": float(row["selection_rate"]), "tpr": float(row["tpr"]),
                 "fpr": float(row["fpr"]), "count": int(row["count"])}
        if n_pos == 0:
            entry["tpr"] = None
            notes.append(f"group {group!r} has no actual positives: "
                         "TPR undefined, left out of the equalized-odds difference")
        if n_neg == 0:
            entry["fpr"] = None
            notes.append(f"group {group!r} has no actual negatives: "
                         "FPR undefined, left out of the equalized-odds difference")
        by_group[str(group)] = entry

    dp = float(demographic_parity_difference(yt, yp, sensitive_features=groups))
    if notes:
        eo = max(
            _spread([v["tpr"] for v in by_group.values() if v["tpr"] is not None]),
            _spread([v["fpr"] for v in by_group.values() if v["fpr"] is not None]),
        )
    else:
        eo = float(equalized_odds_difference(yt, yp, sensitive_features=groups))
    return FairnessResult(
        method=method,
        sensitive=str(groups.name),
        by_group=by_group,
        demographic_parity_difference=dp,
        equalized_odds_difference=float(eo),
        passed=dp <= max_dp_difference and eo <= max_eo_difference,
        max_dp=float(max_dp_difference),
        max_eo=float(max_eo_difference),
        notes=notes,
    )
