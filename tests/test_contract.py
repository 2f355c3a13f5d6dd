"""The data contract adapter (Great Expectations 1.x) and the trauma suite."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from augmentation.contract.suite import ContractResult, load_suite, validate_frame
from augmentation.data.simulate import simulate_trauma
from augmentation.errors import ConfigError, DataError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def suite() -> dict:
    return load_suite(ROOT / "expectations" / "trauma.json")


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return simulate_trauma()


def test_simulated_cohort_passes(suite, cohort):
    result = validate_frame(cohort, suite, name="simulated cohort")
    assert isinstance(result, ContractResult)
    assert result.passed, result.message()
    assert result.failures == []
    assert result.n_expectations > 20
    assert "meets the data contract" in result.message()


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("drift", [0.0, 2.0])
def test_other_seeds_and_drift_pass(suite, seed, drift):
    result = validate_frame(simulate_trauma(5_000, seed=seed, drift=drift), suite, name="sim")
    assert result.passed, result.message()


def test_rounded_synthetic_rows_with_cast_dtypes_pass(suite, cohort):
    # what the pipeline does to oversampled rows: floats everywhere, then round and cast back
    synthetic = cohort.copy()
    for column in ("age", "iss", "resp_rate", "gcs", "mortality"):
        synthetic[column] = (synthetic[column].astype(float) + 0.3).round().astype("int64")
    synthetic["bmi"] = synthetic["bmi"].astype("float32")
    assert validate_frame(synthetic, suite, name="synthetic rows").passed


def test_out_of_range_gcs_names_column_expectation_and_value(suite, cohort):
    bad = cohort.copy()
    bad.loc[[5, 9], "gcs"] = [17, 2]
    result = validate_frame(bad, suite, name="synthetic rows")
    assert not result.passed
    failure = next(f for f in result.failures if f.column == "gcs")
    assert failure.expectation == "expect_column_values_to_be_between"
    assert set(failure.offending) == {17, 2}
    message = result.message()
    assert message.startswith("synthetic rows breaks the data contract")
    assert "column 'gcs' expect_column_values_to_be_between: 17, 2" in message
    assert "fix:" in message


def test_null_is_caught(suite, cohort):
    bad = cohort.copy()
    bad.loc[3, "spo2"] = np.nan
    result = validate_frame(bad, suite, name="rows")
    assert not result.passed
    failure = next(f for f in result.failures if f.column == "spo2")
    assert failure.expectation == "expect_column_values_to_not_be_null"
    assert failure.unexpected_count == 1
    assert "column 'spo2' expect_column_values_to_not_be_null" in result.message()


def test_missing_column_is_named(suite, cohort):
    result = validate_frame(cohort.drop(columns="gcs"), suite, name="rows")
    assert not result.passed
    message = result.message()
    assert "column 'gcs' expect_column_to_exist" in message
    assert "missing" in message
    table = next(f for f in result.failures if f.expectation == "expect_table_columns_to_match_set")
    assert table.offending == ["missing gcs"]


def test_extra_column_fails(suite, cohort):
    result = validate_frame(cohort.assign(leak=1), suite, name="rows")
    assert not result.passed
    assert "unexpected leak" in result.message()


def test_unknown_sex_code(suite, cohort):
    bad = cohort.copy()
    bad.loc[7, "sex"] = "X"
    result = validate_frame(bad, suite, name="rows")
    assert not result.passed
    assert "column 'sex' expect_column_values_to_be_in_set: 'X'" in result.message()


def test_float_typed_integer_column_fails(suite, cohort):
    result = validate_frame(cohort.astype({"gcs": "float64"}), suite, name="rows")
    failure = next(f for f in result.failures if f.column == "gcs")
    assert failure.expectation == "expect_column_values_to_be_in_type_list"
    assert failure.offending == ["float64"]


def test_to_dict_is_json_safe(suite, cohort):
    bad = cohort.copy()
    bad.loc[[1, 2], "gcs"] = [17, 17]
    bad.loc[4, "bmi"] = np.nan
    payload = validate_frame(bad, suite, name="rows").to_dict()
    text = json.dumps(payload, allow_nan=False)
    assert json.loads(text)["passed"] is False
    gcs = next(f for f in payload["failures"] if f["column"] == "gcs")
    assert gcs["offending"] == [17]  # distinct values only
    assert type(gcs["offending"][0]) is int


def test_suite_file_round_trips(suite):
    import great_expectations as gx

    rebuilt = gx.ExpectationSuite(**json.loads(json.dumps(suite))).to_json_dict()
    assert rebuilt["name"] == "trauma"
    assert len(rebuilt["expectations"]) == len(suite["expectations"])


def test_load_suite_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_suite(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ConfigError, match="not readable JSON"):
        load_suite(broken)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"name": "x", "expectations": [{"type": "expect_nonsense"}]}))
    with pytest.raises(ConfigError, match="fix:"):
        load_suite(wrong)


def test_non_frame_is_a_data_error(suite):
    with pytest.raises(DataError, match="DataFrame"):
        validate_frame([[1, 2]], suite, name="rows")


def test_an_unknown_expectation_type_is_an_error_not_a_silently_dropped_check(tmp_path):
    import json

    from augmentation.contract.suite import load_suite
    from augmentation.errors import ConfigError

    suite = json.loads((ROOT / "expectations" / "trauma.json").read_text())
    suite["expectations"].append({"type": "expect_column_values_to_be_purple", "kwargs": {"column": "age"}})
    path = tmp_path / "suite.json"
    path.write_text(json.dumps(suite))
    with pytest.raises(ConfigError, match=r"does not know: \['expect_column_values_to_be_purple'\]") as err:
        load_suite(path)
    assert "fix:" in str(err.value)
