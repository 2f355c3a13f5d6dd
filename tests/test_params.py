"""params.yaml as typed models: the defaults are the shipped file, and a bad file says where and how to fix it."""

from __future__ import annotations

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from augmentation.errors import ConfigError
from augmentation.learners import LEARNERS
from tasks.params import Evaluate, Params, load_params
from tests.conftest import ROOT


def write(tmp_path, raw) -> str:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return str(path)


def problem(tmp_path, raw) -> str:
    path = write(tmp_path, raw)
    with pytest.raises(ConfigError) as caught:
        load_params(path)
    message = str(caught.value)
    assert "fix:" in message and "Traceback" not in message
    return message.replace(path, "params.yaml")


def test_defaults_are_the_shipped_params_file():
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    assert Params.model_validate(raw) == Params()
    assert load_params(ROOT / "params.yaml") == Params()


def test_every_key_of_the_shipped_file_is_a_field():
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    fields = Params.model_fields
    assert set(raw) == set(fields) - {"workspace"}  # only another params file names a workspace (test_workspaces)
    for section, values in raw.items():
        if isinstance(values, dict):
            assert set(values) == set(fields[section].annotation.model_fields), section


def test_a_file_with_only_some_keys_gets_the_rest_from_the_defaults(tmp_path):
    p = load_params(write(tmp_path, {"split": {"test_size": 0.3}, "monitor": None}))
    assert p.split.test_size == 0.3
    assert p.model_copy(update={"split": Params().split}) == Params()


def test_cart_defaults_match_the_shipped_learners():
    assert Evaluate().learners["cart"] == {"max_depth": 6, "min_samples_leaf": 20}
    assert set(Evaluate().learners) <= set(LEARNERS)


def test_a_number_in_a_list_of_column_names_is_named_by_its_place(tmp_path):
    message = problem(tmp_path, {"data": {"categorical": [1, 2]}})
    assert "data.categorical.0: Input should be a valid string (got 1)" in message
    assert "data.categorical.1: Input should be a valid string (got 2)" in message
    assert "data.categorical" in message.split("fix:")[1]


def test_an_unknown_key_is_named_with_the_keys_allowed(tmp_path):
    message = problem(tmp_path, {"split": {"test_fraction": 0.2}})
    assert message.startswith("params.yaml: split.test_fraction: unknown key 'test_fraction'")
    assert "use only these keys in split: ['test_size']" in message


def test_an_unknown_section_is_named(tmp_path):
    message = problem(tmp_path, {"evalute": {"repeats": 2}})
    assert "unknown key 'evalute'" in message and "'evaluate'" in message


@pytest.mark.parametrize("section, key, value, words", [
    ("split", "test_size", 1.0, "less than 1"),
    ("split", "test_size", 0, "greater than 0"),
    ("generators", "sampling_strategy", 1.5, "less than or equal to 1"),
    ("evaluate", "repeats", 0, "greater than or equal to 1"),
    ("recalibrate", "window_rows", 50, "greater than or equal to 100"),
    ("monitor", "max_drift_share", 0, "greater than 0"),
    ("simulate", "rows", "many", "valid integer"),
])
def test_out_of_range_or_mistyped_numbers(tmp_path, section, key, value, words):
    message = problem(tmp_path, {section: {key: value}})
    assert f"{section}.{key}: " in message and words in message and repr(value) in message


@pytest.mark.parametrize("section, key, value, allowed", [
    ("data", "source", "excel", "'simulator', 'file', 'sql' or 'german_credit'"),
    ("constraints", "mode", "fix", "'repair', 'reject' or 'off'"),
    ("fairness", "learner", "svm", "'cart', 'logreg' or 'hgb'"),
])
def test_a_choice_outside_its_list_names_the_choices(tmp_path, section, key, value, allowed):
    message = problem(tmp_path, {section: {key: value}})
    assert f"{section}.{key}: " in message and allowed in message and repr(value) in message


def test_an_unknown_learner_is_rejected_when_the_file_is_read(tmp_path):
    message = problem(tmp_path, {"evaluate": {"learners": {"svm": {}}}})
    assert "evaluate.learners.svm" in message and "'cart', 'logreg' or 'hgb'" in message


def test_cross_field_checks_keep_their_own_fix(tmp_path):
    message = problem(tmp_path, {"generators": {"methods": ["smote", "smoot"]}})
    assert "unknown generator 'smoot'" in message and "use names from" in message
    message = problem(tmp_path, {"generators": {"methods": ["smote"], "params": {"adasyn": {}}}})
    assert "'adasyn'" in message and "add it to generators.methods" in message
    message = problem(tmp_path, {"data": {"source": "file"}})
    assert "data.path is empty" in message


def test_every_problem_is_reported_at_once(tmp_path):
    message = problem(tmp_path, {"seed": -1, "split": {"test_size": 2}, "constraints": {"mode": "fix"},
                                 "splt": {}})
    assert message.startswith("params.yaml has 4 problems:")
    for where in ("seed: ", "split.test_size: ", "constraints.mode: ", "splt: unknown key"):
        assert where in message, where
    assert message.count("fix:") == 5  # one per problem and the closing one


def test_a_file_that_is_not_a_mapping(tmp_path):
    assert "must be a mapping" in problem(tmp_path, [1, 2])
    assert "data: Input should be a valid dictionary" in problem(tmp_path, {"data": [1]})


def test_params_are_frozen():
    p = Params()
    for model, name in ((p, "seed"), (p.split, "test_size"), (p.data, "source")):
        with pytest.raises(ValidationError, match="frozen"):
            setattr(model, name, getattr(model, name))
    staged = p.model_copy(update={"data": p.data.model_copy(update={"contract": "/abs/trauma.json"})})
    assert staged.data.contract == "/abs/trauma.json" and p.data.contract == "expectations/trauma.json"
    assert isinstance(staged.data, BaseModel)
