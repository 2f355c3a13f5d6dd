"""The generator registry and synthesis on mixed-type frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from imblearn.pipeline import Pipeline
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from augmentation import generators
from augmentation.causal.map import CausalMap
from augmentation.data import io
from augmentation.data.simulate import simulate_trauma
from augmentation.data.table import TableSpec
from augmentation.errors import ConfigError, DataError
from augmentation.generators import store
from augmentation.synthesis.classification import augment, synthesize

SPEC = TableSpec(target="mortality", categorical=("sex",), integer=("age", "iss", "resp_rate", "gcs"))


@pytest.fixture(scope="module")
def cohort():
    return simulate_trauma(rows=2000, seed=3)


@pytest.mark.parametrize("method", generators.available())
def test_every_generator_keeps_the_data_domain(cohort, method):
    from tasks.maps import load_map  # the causal map: only generators that need it (scm) read it

    synthetic = synthesize(cohort, SPEC, method=method, random_state=0,
                           causal_map=load_map(Path(__file__).resolve().parents[1] / "configs" / "trauma_graph.yaml"))
    assert list(synthetic.columns) == list(cohort.columns)
    assert synthetic.dtypes.equals(cohort.dtypes)
    assert (synthetic["mortality"] == 1).all()
    assert set(synthetic["sex"]) <= {"F", "M"}
    for column in ("age", "bmi", "iss", "sbp", "pulse", "resp_rate", "spo2", "gcs"):
        assert synthetic[column].between(cohort[column].min(), cohort[column].max()).all(), column
    balanced = augment(cohort, synthetic, method)["mortality"].value_counts()
    assert abs(balanced[1] - balanced[0]) <= balanced[0] * 0.1  # ADASYN balances only approximately


@pytest.mark.parametrize("method", ["smote", "smotenc", "adasyn"])
def test_same_seed_same_bytes_other_seed_other_rows(cohort, method):
    a = synthesize(cohort, SPEC, method=method, random_state=7)
    b = synthesize(cohort, SPEC, method=method, random_state=7)
    c = synthesize(cohort, SPEC, method=method, random_state=8)
    assert io.frame_hash(a) == io.frame_hash(b)
    assert io.frame_hash(a) != io.frame_hash(c)


def test_sampling_strategy_sets_the_ratio(cohort):
    synthetic = synthesize(cohort, SPEC, method="smote", sampling_strategy=0.5, random_state=0)
    counts = augment(cohort, synthetic, "smote")["mortality"].value_counts()
    assert counts[1] == pytest.approx(0.5 * counts[0], abs=1)


class CountingClassifier(ClassifierMixin, BaseEstimator):
    """A logistic regression that records the rows it was fitted on (what the sampler handed it)."""

    def fit(self, X, y):
        self.n_rows_ = len(X)
        self.class_counts_ = dict(zip(*np.unique(y, return_counts=True), strict=True))
        self.model_ = LogisticRegression(max_iter=2000).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


# A small map over the pipeline's columns, for the generator that needs one (it reads the names from the frame).
PIPELINE_MAP = CausalMap.from_dict({"label": "mortality", "nodes": ["age", "iss", "gcs", "mortality"],
                                    "edges": [["age", "mortality"], ["iss", "gcs"], ["iss", "mortality"]]})
PIPELINE_PARAMS = {"david": {"epochs": 3, "patience": 1}, "scm": {"causal_map": PIPELINE_MAP, "learner": "linear"}}


@pytest.mark.parametrize("method", generators.available())
def test_registry_samplers_work_in_an_imblearn_pipeline(cohort, method):
    X = cohort.drop(columns="mortality").assign(sex=(cohort["sex"] == "M").astype(float)).iloc[:800]
    y = cohort["mortality"].iloc[:800]
    params = dict(PIPELINE_PARAMS.get(method, {}))
    if generators.needs_categorical(method):
        params["categorical_features"] = [X.columns.get_loc("sex")]
    model = Pipeline([("oversample", generators.make_generator(method, random_state=0, **params)),
                      ("model", CountingClassifier())]).fit(X, y)
    seen = model.named_steps["model"]
    majority, minority = (y == 0).sum(), (y == 1).sum()
    assert minority < majority / 3  # the data are imbalanced, so a balanced fit means the sampler ran
    assert seen.class_counts_[0] == majority  # oversamplers add rows, they keep every real one
    assert seen.class_counts_[1] == pytest.approx(majority, rel=0.1)  # ADASYN balances only approximately
    assert seen.n_rows_ == seen.class_counts_[0] + seen.class_counts_[1]
    predicted = model.predict(X)  # prediction skips the sampler: one label per real row
    assert predicted.shape == (len(X),) and set(predicted) <= {0, 1}


def test_unknown_generator_and_parameter():
    with pytest.raises(ConfigError, match="unknown generator 'smoot'"):
        generators.make_generator("smoot", random_state=0)
    with pytest.raises(ConfigError, match="generators.params.smote"):
        generators.make_generator("smote", random_state=0, k_neighbours=3)
    with pytest.raises(ConfigError, match="fixes \\['kind'\\] itself"):  # borderline2 stays borderline-2
        generators.make_generator("borderline2", random_state=0, kind="borderline-1")


def test_smotenc_needs_categorical_columns(cohort):
    numeric = cohort.drop(columns="sex")
    with pytest.raises(DataError, match="needs categorical columns"):
        synthesize(numeric, TableSpec(target="mortality"), method="smotenc", random_state=0)


def test_saved_generator_checks_its_training_data(tmp_path, cohort):
    store.save(tmp_path, method="smote", params={"k_neighbors": 3}, sampling_strategy=1.0, seed=5, train=cohort)
    record = store.load(tmp_path, cohort)
    assert record["params"] == {"k_neighbors": 3} and record["seed"] == 5
    assert set(record["versions"]) == {"imbalanced-learn", "scikit-learn", "numpy", "pandas"}
    with pytest.raises(DataError, match="fitted on other training data"):
        store.load(tmp_path, cohort.iloc[:-1])
