"""Built-in default data: a simulated emergency-department trauma cohort.

The cohort comes from a structural causal model (SCM) whose graph is
:data:`TRAUMA_EDGES`. The mechanisms are deliberately nonlinear (sigmoids,
saturations, U-shapes) because linear interpolation between minority rows --
what SMOTE-like oversamplers do -- is exactly what breaks such mechanisms, and
the pipeline's causal check has to have something real to catch.

The sensitive attribute ``sex`` reaches ``mortality`` only through mediators
(``bmi`` and ``iss``): there is no direct edge, so any direct dependence that
appears in synthetic rows is an artefact of the generator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from augmentation.errors import ConfigError

TRAUMA_NODES: tuple[str, ...] = (
    "age",
    "sex",
    "bmi",
    "iss",
    "sbp",
    "pulse",
    "resp_rate",
    "spo2",
    "gcs",
    "mortality",
)

# parent -> child; every pair is a term in the generator below, and the
# generator has no term that is not listed here.
TRAUMA_EDGES: tuple[tuple[str, str], ...] = (
    ("age", "bmi"),
    ("sex", "bmi"),
    ("age", "iss"),
    ("sex", "iss"),
    ("age", "sbp"),
    ("iss", "sbp"),
    ("age", "pulse"),
    ("iss", "pulse"),
    ("iss", "resp_rate"),
    ("age", "spo2"),
    ("iss", "spo2"),
    ("iss", "gcs"),
    ("age", "mortality"),
    ("bmi", "mortality"),
    ("iss", "mortality"),
    ("sbp", "mortality"),
    ("pulse", "mortality"),
    ("resp_rate", "mortality"),
    ("spo2", "mortality"),
    ("gcs", "mortality"),
)

# Calibrated once (500k rows, drift 0) so that about 6% of patients die.
_MORTALITY_INTERCEPT = -5.55


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def simulate_trauma(rows: int = 20_000, seed: int = 0, drift: float = 0.0) -> pd.DataFrame:
    """Simulate an emergency-department trauma cohort.

    Parameters
    ----------
    rows : int
        Number of patients, at least 100.
    seed : int
        Seed of the single random generator; the same seed gives the same
        frame, byte for byte.
    drift : float
        Distribution shift, 0 for the reference cohort. Larger values mean
        more severe (penetrating) injuries and a younger patient mix, which
        moves the mortality == 1 rows in several columns.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TRAUMA_NODES` in that order; ``mortality`` is the
        0/1 label (about 6% positive at ``drift=0``).

    Raises
    ------
    ConfigError
        If ``rows`` < 100 or ``drift`` < 0 (or either is not a number).
    """
    if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)) or rows < 100:
        raise ConfigError(
            f"simulate_trauma: rows={rows!r} is not an integer of at least 100",
            "pass rows >= 100 (the default is 20000)",
        )
    if isinstance(drift, bool) or not isinstance(drift, (int, float, np.number)) or not (
        np.isfinite(drift) and drift >= 0
    ):
        raise ConfigError(
            f"simulate_trauma: drift={drift!r} is not a finite number >= 0",
            "pass drift=0 for the reference cohort or a positive value such as 1.0",
        )
    n = int(rows)
    d = float(drift)
    rng = np.random.default_rng(seed)

    # age: two populations -- young adults (road traffic, assault) and elderly
    # falls; drift shrinks the elderly share and the young tail (younger mix).
    p_old = 0.30 * np.exp(-d)
    old = rng.random(n) < p_old
    young_age = 16.0 + rng.gamma(2.0, 11.0 / (1.0 + 0.5 * d), n)
    old_age = rng.normal(76.0, 9.0, n)
    age = np.clip(np.round(np.where(old, old_age, young_age)), 16, 95).astype(np.int64)

    male = rng.random(n) < 0.68
    sex = np.where(male, "M", "F").astype(object)

    # bmi: middle-age hump, men slightly heavier; multiplicative noise keeps
    # the right skew of real BMI.
    bmi_base = 23.5 + 4.0 * np.exp(-(((age - 52.0) / 22.0) ** 2)) + 1.2 * male
    bmi = np.clip(bmi_base * np.exp(rng.normal(0.0, 0.16, n)), 15.0, 60.0)

    # iss: latent severity mapped through exp -> most injuries minor, long
    # tail. Young adults and men get high-energy mechanisms; drift moves
    # everyone toward penetrating, more severe injuries.
    severity = (
        rng.normal(0.0, 1.0, n)
        + 0.35 * male
        + 0.5 * _sigmoid((40.0 - age) / 8.0)
        + 0.25 * _sigmoid((age - 80.0) / 5.0)
        + 0.8 * d
    )
    iss = np.clip(np.floor(np.exp(1.5 + 0.8 * severity)), 1, 75).astype(np.int64)

    # sbp: haemorrhage -- a sigmoid collapse once ISS is high; older patients
    # start hypertensive.
    sbp = (
        118.0
        + 22.0 * _sigmoid((age - 60.0) / 10.0)
        - 65.0 * _sigmoid((iss - 30.0) / 5.0)
        + rng.normal(0.0, 14.0, n)
    )
    sbp = np.clip(sbp, 40.0, 250.0)

    # pulse: compensatory tachycardia rises sigmoidally with ISS; the elderly
    # (beta blockers, stiff hearts) mount less of it.
    pulse = (
        78.0
        + 55.0 * _sigmoid((iss - 25.0) / 5.0) * (1.0 - 0.4 * _sigmoid((age - 65.0) / 8.0))
        + rng.normal(0.0, 11.0, n)
    )
    pulse = np.clip(pulse, 30.0, 220.0)

    resp = 16.0 + 14.0 * _sigmoid((iss - 28.0) / 6.0) + rng.normal(0.0, 2.5, n)
    resp_rate = np.clip(np.round(resp), 6, 50).astype(np.int64)

    # spo2: a deficit below 100 that grows with injury and age; exp keeps it
    # positive so saturation never exceeds 100.
    deficit = np.exp(
        0.4 + 0.012 * (age - 40.0) + 2.0 * _sigmoid((iss - 30.0) / 6.0) + rng.normal(0.0, 0.45, n)
    )
    spo2 = np.clip(100.0 - deficit, 50.0, 100.0)

    gcs_raw = 15.0 - 11.0 * _sigmoid((iss - 32.0) / 5.0) + rng.normal(0.0, 1.0, n)
    gcs = np.clip(np.round(gcs_raw), 3, 15).astype(np.int64)

    # mortality: shock index (pulse / SBP) through a sigmoid, coma, hypoxia,
    # age, and U-shapes in BMI and respiratory rate.
    shock_index = pulse / sbp
    logit = (
        _MORTALITY_INTERCEPT
        + 3.0 * _sigmoid((shock_index - 1.0) / 0.12)
        + 0.22 * (15 - gcs)
        + 0.035 * iss
        + 0.07 * np.maximum(age - 50.0, 0.0)
        + 0.004 * (bmi - 25.0) ** 2
        + 0.012 * (resp_rate - 16.0) ** 2
        + 0.08 * np.maximum(94.0 - spo2, 0.0)
    )
    mortality = (rng.random(n) < _sigmoid(logit)).astype(np.int64)

    return pd.DataFrame(
        {
            "age": age,
            "sex": sex,
            "bmi": bmi.astype(np.float64),
            "iss": iss,
            "sbp": sbp.astype(np.float64),
            "pulse": pulse.astype(np.float64),
            "resp_rate": resp_rate,
            "spo2": spo2.astype(np.float64),
            "gcs": gcs,
            "mortality": mortality,
        },
        columns=list(TRAUMA_NODES),
    )
