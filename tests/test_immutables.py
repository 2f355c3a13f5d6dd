"""Immutables held fixed by every generator: each new row carries one real minority row's age and sex.

The SMOTE family, O² and random oversampling name the real row each new row was built from
(``source_indices_``); LoRAS and DAVID take the nearest real minority row; scm's causal model holds
or draws them itself. The constraint layer then has nothing to repair.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from augmentation import generators
from augmentation.causal.constraints import apply_constraints
from augmentation.data import io
from augmentation.data.simulate import simulate_trauma
from augmentation.data.table import TableSpec, check_table
from augmentation.synthesis.classification import synthesize_rows
from tasks.maps import load_map

SPEC = TableSpec(target="mortality", categorical=("sex",), integer=("age", "iss", "resp_rate", "gcs"))
MAP = Path(__file__).resolve().parents[1] / "configs" / "trauma_graph.yaml"
IMMUTABLE = ["age", "sex"]  # immutable in configs/trauma_graph.yaml
FAST = {"david": {"epochs": 3, "patience": 1}, "scm": {"max_iter": 20}}
SMOTE_FAMILY = ("smote", "borderline1", "borderline2", "adasyn", "smotenc")


@pytest.fixture(scope="module")
def cohort():
    train = check_table(simulate_trauma(2000, seed=3), SPEC)
    return train, load_map(MAP).complete(train, SPEC)


def test_the_map_marks_age_and_sex_immutable(cohort):
    _, the_map = cohort
    assert [v for v in the_map.nodes if the_map.variable(v).immutable] == IMMUTABLE


@pytest.mark.parametrize("method", generators.available())
def test_every_generator_keeps_a_real_minority_rows_immutables(cohort, method):
    train, the_map = cohort
    made = synthesize_rows(train, SPEC, method=method, params=FAST.get(method), causal_map=the_map, random_state=0)
    minority = train[train["mortality"] == 1]
    rule = generators.immutable_rule(method)
    if rule == "model":  # scm draws roots from their observed values and lets its model accept them
        assert made.sources is None
        for column in IMMUTABLE:
            assert made.rows[column].isin(train[column]).all(), column
    else:
        assert len(made.sources) == len(made.rows) and (train["mortality"].to_numpy()[made.sources] == 1).all()
        source_rows = train[IMMUTABLE].iloc[made.sources].reset_index(drop=True)
        assert made.rows[IMMUTABLE].reset_index(drop=True).equals(source_rows)  # values and dtypes
        for column in IMMUTABLE:
            assert made.rows[column].isin(minority[column]).all(), column
    _, report = apply_constraints(made.rows, the_map, real=train, mode="repair", method=method)
    assert "immutable" not in report.repaired and "immutable" not in report.rejected, report
    assert "category" not in report.rejected


def test_a_continuous_immutable_is_copied_not_snapped(cohort):
    """Age to the day (continuous): interpolation invents ages no patient has; copying invents none."""
    train, the_map = cohort
    rng = np.random.default_rng(0)
    exact = train.assign(age=np.minimum(train["age"] + rng.uniform(0, 1, len(train)).round(3), 95))  # map: ≤ 95
    spec = replace(SPEC, integer=("iss", "resp_rate", "gcs"))
    age_map = replace(the_map, variables={**the_map.variables,
                                          "age": replace(the_map.variable("age"), type="continuous")})
    made = synthesize_rows(exact, spec, method="smote", causal_map=age_map, random_state=0)
    assert made.rows["age"].isin(exact.loc[exact["mortality"] == 1, "age"]).all()
    _, report = apply_constraints(made.rows, age_map, real=exact, mode="repair", method="smote")
    assert report.repaired.get("immutable", 0) == 0
    # without the map (no immutables known) SMOTE's interpolated ages are new values nearly every time
    blended = synthesize_rows(exact, spec, method="smote", random_state=0)
    _, before = apply_constraints(blended.rows, age_map, real=exact, mode="repair", method="smote")
    assert before.repaired["immutable"] > 0.9 * len(blended.rows)


def _numeric(cohort, rows=800):
    train, _ = cohort
    X = train.drop(columns="mortality").assign(sex=(train["sex"] == "M").astype(float)).iloc[:rows]
    return X.to_numpy(dtype=float), train["mortality"].to_numpy()[:rows]


@pytest.mark.parametrize("method", [m for m in generators.available() if generators.immutable_rule(m) == "source"])
def test_named_sources_are_the_rows_the_new_rows_were_built_from(cohort, method):
    X, y = _numeric(cohort)
    params = {"categorical_features": [list(cohort[0].columns).index("sex")]} if method == "smotenc" else {}
    sampler = generators.make_generator(method, random_state=0, **params)
    X_res, _ = sampler.fit_resample(X, y)
    new, sources = X_res[len(X):], sampler.source_indices_
    assert len(sources) == len(new) and (y[sources] == 1).all()
    if method == "random":
        assert np.array_equal(new, X[sources])
    elif method in SMOTE_FAMILY:  # each new row lies on a segment from its source towards another real row
        numeric = [j for j in range(X.shape[1]) if j not in params.get("categorical_features", [])]
        assert _segment_residual(X[:, numeric], new[:, numeric], sources).max() < 1e-6
        wrong = np.random.default_rng(0).permutation(sources)  # the check tells a wrong source apart
        assert np.median(_segment_residual(X[:, numeric], new[:, numeric], wrong)) > 1e-3
    else:  # O²: within the trust region of a SMOTE start between the source and one of its 5 neighbours
        lo, hi = X.min(axis=0), X.max(axis=0)
        scaled, minority = (X - lo) / (hi - lo), np.flatnonzero(y == 1)
        dk = NearestNeighbors(n_neighbors=6).fit(scaled[minority]).kneighbors(scaled)[0][:, -1]

        def inside(rows):  # start within dk of the source, then at most dk/2 (trust_radius 1) away from it
            return np.linalg.norm((new - lo) / (hi - lo) - scaled[rows], axis=1) <= dk[rows] * 1.5 + 1e-9

        # cart may leave the trust region for the whole box of a minority leaf when the two do not meet
        assert inside(sources).mean() >= (0.9 if method == "o2_cart" else 1.0)
        assert inside(np.random.default_rng(0).permutation(sources)).mean() < 0.5  # a wrong source fails


def _segment_residual(X, new, sources):
    """Per new row: its distance to the nearest segment from X[source] to any row of X."""
    out = np.empty(len(new))
    for i, (row, s) in enumerate(zip(new, sources, strict=True)):
        direction, step = X - X[s], row - X[s]
        norm = np.einsum("ij,ij->i", direction, direction)
        t = np.clip(np.divide(direction @ step, norm, out=np.zeros(len(X)), where=norm > 0), 0, 1)
        out[i] = np.linalg.norm(step - t[:, None] * direction, axis=1).min() / (np.abs(X).max() + 1)
    return out


@pytest.mark.parametrize("method", ["loras", "o2"])
def test_same_seed_same_bytes(cohort, method):
    train, the_map = cohort
    a, b = (synthesize_rows(train, SPEC, method=method, causal_map=the_map, random_state=5) for _ in range(2))
    assert io.frame_hash(a.rows) == io.frame_hash(b.rows) and np.array_equal(a.sources, b.sources)
