"""Bad input: one message naming the problem and the fix, a non-zero exit, and earlier outputs intact."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from augmentation.data.simulate import simulate_trauma
from augmentation.errors import ConfigError, DataError
from flows.cli import app
from tasks import fit, ingest, paths, split, validate
from tasks.params import load_params
from tests.conftest import write_params


@pytest.fixture
def good_run(project):
    """Outputs of a good run, to check a failed run leaves them as they were."""
    p = load_params()
    for stage in (ingest, validate, split):
        stage.run(p)
    return {path: path.read_bytes() for path in (paths.RAW, paths.RAW_META, paths.TRAIN, paths.TEST)}


def use_file(project, frame_or_bytes, name="cohort.csv"):
    target = project / name
    if isinstance(frame_or_bytes, bytes):
        target.write_bytes(frame_or_bytes)
    elif name.endswith(".csv"):
        frame_or_bytes.to_csv(target, index=False)
    else:
        frame_or_bytes.to_parquet(target)
    write_params(project, data={"source": "file", "path": name})


def cohort(rows=600, seed=1):
    return simulate_trauma(rows=max(rows, 100), seed=seed)


def assert_fails(stage, error, *phrases, outputs):
    with pytest.raises(error) as caught:
        stage.run(load_params())
    message = str(caught.value)
    for phrase in phrases:
        assert phrase in message, message
    assert "fix:" in message
    for path, content in outputs.items():
        assert path.read_bytes() == content, f"{path} changed"


def test_missing_target_column(project, good_run):
    use_file(project, cohort().drop(columns="mortality"))
    assert_fails(ingest, DataError, "target column 'mortality' is missing", "data.target", outputs=good_run)


def test_target_with_one_class(project, good_run):
    use_file(project, cohort().assign(mortality=0))
    assert_fails(ingest, DataError, "has 1 class(es)", outputs=good_run)


def test_text_in_numeric_column(project, good_run):
    frame = cohort().astype({"sbp": object})
    frame.loc[3, "sbp"] = "high"
    use_file(project, frame)
    assert_fails(ingest, DataError, "column 'sbp'", "'high'", outputs=good_run)


def test_a_user_column_named_like_the_products_provenance_column(project, good_run):
    use_file(project, cohort().assign(provenance="ward 3"))
    assert_fails(ingest, DataError, "column named 'provenance'", "rename your 'provenance' column", outputs=good_run)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf(project, good_run, bad):
    frame = cohort()
    frame.loc[5, "pulse"] = bad
    use_file(project, frame, "cohort.parquet")
    assert_fails(ingest, DataError, "column 'pulse'", "impute or drop", outputs=good_run)


def test_empty_file(project, good_run):
    use_file(project, b"")
    assert_fails(ingest, DataError, "is empty", outputs=good_run)


def test_unreadable_parquet(project, good_run):
    use_file(project, b"PAR1 this is not parquet", "cohort.parquet")
    assert_fails(ingest, DataError, "not a readable Parquet file", outputs=good_run)


def test_values_outside_the_contract(project, good_run):
    frame = cohort()
    frame.loc[:2, "gcs"] = 17
    use_file(project, frame)
    ingest.run(load_params())
    with pytest.raises(DataError) as caught:
        validate.run(load_params())
    assert "column 'gcs'" in str(caught.value) and "17" in str(caught.value)


def test_fewer_minority_rows_than_the_generator_needs(project, good_run):
    frame = cohort(2000)
    keep = frame.index[frame.mortality == 1][:4]
    use_file(project, pd.concat([frame[frame.mortality == 0], frame.loc[keep]]))
    write_params(project, split={"test_size": 0.25})
    p = load_params()
    for stage in (ingest, validate, split):
        stage.run(p)
    with pytest.raises(DataError, match="needs at least 6 minority training rows, there are 3"):
        fit.run(p)


def test_unknown_key_in_params(project):
    write_params(project, split={"test_fraction": 0.2})
    with pytest.raises(ConfigError, match="unknown key 'test_fraction'"):
        load_params()


def test_unknown_generator_name(project):
    write_params(project, generators={"methods": ["smote", "smoot"]})
    with pytest.raises(ConfigError, match="unknown generator 'smoot'"):
        load_params()


def test_cli_run_exits_non_zero_with_one_message(project):
    write_params(project, generators={"methods": ["smoot"]})
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 2
    assert "unknown generator 'smoot'" in result.output and "fix:" in result.output
    assert "Traceback" not in result.output


def test_cli_resample_bad_file_keeps_earlier_output(project):
    out = project / "out.csv"
    out.write_text("earlier result\n")
    (project / "bad.parquet").write_bytes(b"not parquet at all")
    result = CliRunner().invoke(app, ["resample", "--data", "bad.parquet", "--target", "mortality", "--out", "out.csv"])
    assert result.exit_code == 2 and "not a readable Parquet file" in result.output
    assert out.read_text() == "earlier result\n"
