"""The `scm` generator: both modes keep a known linear model's mechanisms; the map's constraints hold."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from augmentation.causal.map import CausalMap
from augmentation.data.simulate import simulate_trauma
from augmentation.data.table import TableSpec, check_table
from augmentation.errors import ConfigError, DataError
from augmentation.generators import make_generator
from augmentation.synthesis.classification import synthesize
from tasks.maps import load_map

# age (immutable root) -> dose -> marker, dose -> y, y -> followup (a descendant of the label).
MAP = CausalMap.from_dict({
    "label": "y", "nodes": ["age", "dose", "marker", "y", "followup"],
    "edges": [["age", "dose"], ["dose", "marker"], ["dose", "y"], ["age", "y"], ["y", "followup"],
              ["marker", "followup"]],
    "variables": {"age": {"immutable": True}},
})
SPEC = TableSpec(target="y")


def linear_rows(n=6000, seed=0):
    rng = np.random.default_rng(seed)
    age = rng.uniform(20, 80, n)
    dose = 0.05 * age + rng.normal(0, 1, n)
    marker = 2.0 * dose + rng.normal(0, 1, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.5 * dose + 0.03 * age - 7)))).astype(int)
    followup = 3.0 * y + 0.5 * marker + rng.normal(0, 1, n)
    return pd.DataFrame({"age": age, "dose": dose, "marker": marker, "followup": followup, "y": y})


def slope(frame, x, y, *controls):
    X = np.column_stack([np.ones(len(frame)), frame[[x, *controls]].to_numpy()])
    coef, *_ = np.linalg.lstsq(X, frame[y].to_numpy(), rcond=None)
    return coef[1], np.std(frame[y].to_numpy() - X @ coef)


def generate(train, mode, seed=0):
    return synthesize(train, SPEC, method="scm", causal_map=MAP, random_state=seed,
                      params={"mode": mode, "learner": "linear"})


@pytest.fixture(scope="module")
def train():
    return linear_rows()


def test_ancestral_rows_keep_the_mechanisms_and_the_minority_distribution(train):
    rows = generate(train, "ancestral")
    real_minority = train[train.y == 1]
    assert len(rows) == (train.y == 0).sum() - (train.y == 1).sum() and (rows.y == 1).all()
    # marker = 2 dose + N(0, 1), within the synthetic minority
    b, sd = slope(rows, "dose", "marker")
    assert b == pytest.approx(2.0, abs=0.1) and sd == pytest.approx(1.0, abs=0.1)
    # followup = 3 y + 0.5 marker + noise, with y = 1 throughout
    b, sd = slope(rows, "marker", "followup")
    assert b == pytest.approx(0.5, abs=0.06) and sd == pytest.approx(1.0, abs=0.1)
    # Conditioning on the label through its mechanism: the label's parents shift as in the real minority.
    for col in ("dose", "age"):
        assert rows[col].mean() == pytest.approx(real_minority[col].mean(), abs=0.1 * real_minority[col].std())


def test_counterfactual_rows_keep_every_mechanism_exact(train):
    rows = generate(train, "counterfactual", seed=1)
    real_minority = train[train.y == 1]
    sampler = make_generator("scm", random_state=1, sampling_strategy=1.0, causal_map=MAP, mode="counterfactual",
                             learner="linear")
    sampler.fit_resample(train[["age", "dose", "marker", "followup"]], train.y)  # column names from the frame
    mech = sampler.mechanisms_
    # Immutable age is never changed: every synthetic age is a real minority row's age.
    assert set(rows.age) <= set(real_minority.age)
    # Each row's marker noise is a real row's noise: x - f(pa) takes the abducted values exactly.
    noise = rows.marker - mech["marker"].predict(rows)
    real_noise = real_minority.marker - mech["marker"].predict(real_minority)
    assert np.isin(np.round(noise, 9), np.round(real_noise, 9)).all()
    # Only the mutable root cause moved; most rows were perturbed, and the moves are small.
    moved = ~np.isin(rows.dose, real_minority.dose)
    assert 0.3 < moved.mean() <= 1.0
    b, _ = slope(rows, "dose", "marker")
    assert b == pytest.approx(2.0, abs=0.1)
    assert rows.dose.mean() == pytest.approx(real_minority.dose.mean(), abs=0.15 * real_minority.dose.std())


def test_same_seed_same_rows(train):
    pd.testing.assert_frame_equal(generate(train, "ancestral", seed=3), generate(train, "ancestral", seed=3))


def test_a_random_state_object_seeds_the_rows(train):
    X, y = train[["age", "dose", "marker", "followup"]], train.y

    def rows(random_state):
        sampler = make_generator("scm", random_state=random_state, causal_map=MAP, learner="linear")
        return sampler.fit_resample(X, y)[0].iloc[len(X):]

    first = rows(np.random.RandomState(3))
    pd.testing.assert_frame_equal(first, rows(np.random.RandomState(3)))
    assert not first.equals(rows(np.random.RandomState(4)))


def test_column_names_come_from_the_data():
    sampler = make_generator("scm", random_state=0, causal_map=MAP, learner="linear")
    train = linear_rows(1000)
    X_res, _ = sampler.fit_resample(train[["age", "dose", "marker", "followup"]], train.y)
    assert list(X_res.columns) == ["age", "dose", "marker", "followup"]
    with pytest.raises(DataError, match=r"\['age', 'dose', 'marker', 'followup'\] are not columns") as info:
        sampler.fit_resample(train[["age", "dose", "marker", "followup"]].to_numpy(), train.y)  # x0..x3
    assert "fit on a DataFrame" in str(info.value)


def test_without_a_map_each_column_comes_from_the_class_values():
    train = linear_rows(1000)
    X, y = train[["age", "dose", "marker", "followup"]].to_numpy(), train.y.to_numpy()
    X_res, y_res = make_generator("scm", random_state=0).fit_resample(X, y)
    new = X_res[len(X):]
    assert len(new) == (y == 0).sum() - (y == 1).sum() and (y_res[len(X):] == 1).all()
    for j in range(X.shape[1]):
        assert np.isin(new[:, j], X[y == 1, j]).all()
    assert not (new[:, None, :] == X[y == 1][None, :, :]).all(axis=2).any(axis=1).all()  # not only copies


def test_scm_on_the_simulator_respects_the_map():
    spec = TableSpec(target="mortality", categorical=("sex",), integer=("age", "iss", "resp_rate", "gcs"))
    train = check_table(simulate_trauma(3000, seed=5), spec)
    the_map = load_map(Path(__file__).resolve().parents[1] / "configs" / "trauma_graph.yaml").complete(train, spec)
    for mode in ("ancestral", "counterfactual"):
        rows = synthesize(train, spec, method="scm", causal_map=the_map, params={"mode": mode, "max_iter": 20},
                          random_state=0)
        assert list(rows.columns) == list(train.columns) and (rows.dtypes == train.dtypes).all()
        assert set(rows.sex) <= {"F", "M"} and rows.gcs.between(3, 15).all() and rows.spo2.le(100).all()
        assert rows.iss.between(1, 75).all() and (rows.age % 1 == 0).all()


def test_scm_needs_a_map_and_valid_params(train):
    with pytest.raises(DataError, match="needs a causal map"):
        synthesize(train, SPEC, method="scm", random_state=0)
    with pytest.raises(ConfigError, match="mode='sideways'"):
        synthesize(train, SPEC, method="scm", causal_map=MAP, params={"mode": "sideways"})
    frozen = CausalMap.from_dict({"label": "y", "nodes": ["age", "y"], "edges": [["age", "y"]],
                                  "variables": {"age": {"immutable": True}}})
    with pytest.raises(DataError, match="no mutable root cause"):
        synthesize(train, SPEC, method="scm", causal_map=frozen, params={"mode": "counterfactual"})


def test_repeats_that_differ_by_generation_seed_reuse_one_fit(train):
    """Fit once, reuse: fit_random_state fixes the mechanisms' fit apart from the generation's seed; the same fit in a
    process is not refitted, and fit_random_state=s with random_state=s is exactly random_state=s."""
    from augmentation.generators import scm

    X, y = train.drop(columns="y"), train["y"].to_numpy()

    def fitted(**seeds):
        sampler = make_generator("scm", causal_map=MAP, learner="linear", **seeds)
        return sampler, sampler.fit_resample(X, y)[0]

    first, rows = fitted(random_state=3)
    again, same = fitted(random_state=3, fit_random_state=3)
    assert again.mechanisms_ is first.mechanisms_  # reused, not refitted
    pd.testing.assert_frame_equal(pd.DataFrame(same), pd.DataFrame(rows))
    other, other_rows = fitted(random_state=4, fit_random_state=3)
    assert other.mechanisms_ is first.mechanisms_ and not np.allclose(np.asarray(other_rows), np.asarray(rows))
    scm._FITS.clear()  # a fresh process: the same fit, fitted again, gives the same mechanisms and rows
    refitted, rows_again = fitted(random_state=3)
    assert refitted.mechanisms_ is not first.mechanisms_
    pd.testing.assert_frame_equal(pd.DataFrame(rows_again), pd.DataFrame(rows))
    assert fitted(random_state=4)[0].mechanisms_ is not refitted.mechanisms_  # another seed: another fit


def trauma_map_and_rows(n=3000, seed=5):
    spec = TableSpec(target="mortality", categorical=("sex",), integer=("age", "iss", "resp_rate", "gcs"))
    train = check_table(simulate_trauma(n, seed=seed), spec)
    return spec, train, load_map(Path(__file__).resolve().parents[1] / "configs" / "trauma_graph.yaml").complete(
        train, spec)


@pytest.mark.parametrize("learner", ["hgb", "linear"])
def test_saved_mechanisms_predict_to_the_last_bit_as_the_fitted_ones(tmp_path, learner):
    """The fit stage's file gives back every mechanism: boosted trees (with a categorical parent, sex) and
    linear models predict exactly what the fitted models predict, on rows they never saw; the same fit writes
    the same bytes."""
    from augmentation.causal import mechanism_store
    from augmentation.causal.mechanisms import fit_mechanisms
    from augmentation.synthesis.classification import _coded_map

    _, train, the_map = trauma_map_and_rows()
    coded = _coded_map(the_map, train)

    def numeric(rows):
        return rows.assign(sex=(rows.sex == "M").astype(float)).astype(float)

    fitted = fit_mechanisms(numeric(train), coded, learner=learner, max_iter=20, random_state=1)
    mechanism_store.save(fitted, tmp_path / "a", key="k")
    mechanism_store.save(fit_mechanisms(numeric(train), coded, learner=learner, max_iter=20, random_state=1),
                         tmp_path / "b", key="k")
    for name in (mechanism_store.META, mechanism_store.ARRAYS):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    back = mechanism_store.load(tmp_path / "a", key="k")
    unseen = numeric(check_table(simulate_trauma(2000, seed=9), TableSpec(target="mortality", categorical=("sex",))))
    assert list(back) == list(fitted) and any(m.parents == ["age", "sex"] for m in back.values())
    for node, mechanism in fitted.items():
        assert back[node].kind == mechanism.kind and back[node].parents == mechanism.parents
        if mechanism.model is not None:
            np.testing.assert_array_equal(back[node].predict(unseen), mechanism.predict(unseen))
    with pytest.raises(DataError, match="fitted on other rows, another map or other settings"):
        mechanism_store.load(tmp_path / "a", key="another fit")
    with pytest.raises(DataError, match="run the fit stage first"):
        mechanism_store.load(tmp_path / "nothing here", key="k")


def test_fit_writes_the_mechanisms_once_and_every_draw_reads_them(tmp_path):
    """``fit`` with save_to fits and writes without drawing; a sampler given ``pretrained`` draws, from the file,
    the rows a sampler that fits for itself draws; a file fitted with other settings is refused with the fix."""
    from augmentation.causal.mechanism_store import SavedTrees
    from augmentation.generators import scm
    from augmentation.synthesis.classification import fit_generator

    spec, train, the_map = trauma_map_and_rows()
    settings = {"max_iter": 20, "fit_random_state": 7}
    fit_generator(train, spec, method="scm", causal_map=the_map, random_state=7,
                  params={**settings, "save_to": str(tmp_path)})
    assert {p.name for p in tmp_path.iterdir()} == {"mechanisms.json", "mechanisms.npz"}
    scm._FITS.clear()  # another process: nothing fitted in memory
    drawn = [synthesize(train, spec, method="scm", causal_map=the_map, random_state=seed,
                        params={**settings, "pretrained": str(tmp_path)}) for seed in (7, 8)]
    (read,) = scm._FITS.values()  # one fit in memory, and it is the file's: trees read back, not boosted here
    assert all(isinstance(m.model, SavedTrees) for m in read.values() if m.model is not None)
    scm._FITS.clear()
    own = [synthesize(train, spec, method="scm", causal_map=the_map, random_state=seed, params=settings)
           for seed in (7, 8)]
    for read_back, fitted_here in zip(drawn, own, strict=True):
        pd.testing.assert_frame_equal(read_back, fitted_here)
    assert not drawn[0].equals(drawn[1])  # the repeats differ by the generation seed, not by the fit
    scm._FITS.clear()
    with pytest.raises(DataError, match="re-fit the generator"):
        synthesize(train, spec, method="scm", causal_map=the_map, random_state=7,
                   params={"max_iter": 30, "fit_random_state": 7, "pretrained": str(tmp_path)})


# a and b are roots of the map, so the map makes them independent; the rows give them a shared cause h.
CONFOUNDED_MAP = CausalMap.from_dict({"label": "y", "nodes": ["a", "b", "c", "y"],
                                      "edges": [["a", "c"], ["b", "y"], ["c", "y"]]})


def confounded_rows(n=6000, seed=0, shared=1.0):
    rng = np.random.default_rng(seed)
    h = rng.normal(0, 1, n)
    a, b = shared * h + rng.normal(0, 1, n), shared * h + rng.normal(0, 1, n)
    c = a + rng.normal(0, 1, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(b + c - 3.5)))).astype(int)
    return pd.DataFrame({"a": a, "b": b, "c": c, "y": y})


def test_the_map_check_finds_a_shared_cause_the_map_leaves_out_and_nothing_where_the_map_is_true():
    from augmentation.causal.map_check import contradicted_independences, independent_pairs
    from augmentation.causal.scorecard import numeric_frame

    assert independent_pairs(CONFOUNDED_MAP) == [("a", "b"), ("b", "c")]
    found = contradicted_independences(numeric_frame(confounded_rows(), CONFOUNDED_MAP), CONFOUNDED_MAP)
    assert [c["pair"] for c in found] == [["a", "b"], ["b", "c"]] and min(c["rho"] for c in found) > 0.3
    true_rows = numeric_frame(confounded_rows(shared=0.0), CONFOUNDED_MAP)
    assert contradicted_independences(true_rows, CONFOUNDED_MAP) == []
    assert independent_pairs(MAP) == []  # every node of MAP descends from age: nothing to contradict


def test_auto_mode_draws_counterfactually_where_the_rows_contradict_the_map_and_ancestrally_elsewhere(train):
    from augmentation.synthesis.classification import synthesize_with_diagnostics

    rows = check_table(confounded_rows(), SPEC)
    minority = rows[rows.y == 1]
    made = {mode: synthesize_with_diagnostics(rows, SPEC, method="scm", causal_map=CONFOUNDED_MAP, random_state=0,
                                              params={"mode": mode, "learner": "linear"})
            for mode in ("auto", "ancestral")}
    synthetic, diagnostics = made["auto"]
    assert diagnostics["mode"] == "counterfactual" and "a and b" in diagnostics["map_contradicted"]
    real_r = np.corrcoef(minority.a, minority.b)[0, 1]
    # the counterfactual rows keep the dependence the map misses; ancestral draws, trusting the map, lose it
    assert abs(np.corrcoef(synthetic.a, synthetic.b)[0, 1] - real_r) < 0.1
    ancestral = made["ancestral"][0]
    assert abs(np.corrcoef(ancestral.a, ancestral.b)[0, 1] - real_r) > 0.2
    # where nothing contradicts the map, auto is the ancestral mode, row for row
    auto, auto_diagnostics = synthesize_with_diagnostics(train, SPEC, method="scm", causal_map=MAP, random_state=0,
                                                         params={"learner": "linear"})
    assert auto_diagnostics == {"mode": "ancestral", "map_contradicted": "no"}
    pd.testing.assert_frame_equal(auto, generate(train, "ancestral"))
