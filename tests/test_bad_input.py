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


# --------------------------------------------------------------------------------------------------------------
# The battery: hostile inputs to `run`, `resample`, `evaluate` and `monitor`. Each gets one message with the
# problem and "fix:", exit code 2, no traceback, and not one file of the project created, changed or removed.
# `run` and `monitor` cases fail in the commands' pre-flight, before a Prefect server starts.

def frame_bytes(frame: pd.DataFrame, **kwargs) -> bytes:
    return frame.to_csv(index=False, **kwargs).encode()


def with_text(column: str, value: str, rows: int = 400) -> pd.DataFrame:
    frame = cohort(rows).astype({column: object})
    frame.loc[3, column] = value
    return frame


def minority_rows(n: int) -> pd.DataFrame:
    frame = cohort(600)
    return pd.concat([frame[frame.mortality == 0], frame[frame.mortality == 1].head(n)])


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    import io as _io
    buffer = _io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


CYCLE = "label: mortality\nnodes: [age, iss, mortality]\nedges: [[age, iss], [iss, age], [iss, mortality]]\n"
UNKNOWN_NODE = "label: mortality\nnodes: [age, lactate, mortality]\nedges: [[age, lactate], [lactate, mortality]]\n"

# name: (files to write, command line, phrases of the message). A file is bytes, or a DataFrame written as CSV.
COHORT = "data.csv"
RESAMPLE = ["resample", "--data", COHORT, "--target", "mortality", "--out", "out.csv"]
EVALUATE = ["evaluate", "--data", COHORT, "--target", "mortality", "--repeats", "1", "--out", "out.json"]
CLI_CASES = {
    "empty file": ({COHORT: b""}, RESAMPLE, ["is empty"]),
    "header only": ({COHORT: b"age,sex,bmi,mortality\n"}, RESAMPLE, ["has no rows"]),
    "a folder": ({"data.csv/inner.csv": b"a,b\n1,2\n"}, RESAMPLE, ["is a folder, not a file"]),
    "a missing path": ({}, RESAMPLE, ["data.csv does not exist"]),
    "a spreadsheet": ({"data.xlsx": b"PK\x03\x04"}, [*RESAMPLE[:2], "data.xlsx", *RESAMPLE[3:]],
                      ["unsupported suffix '.xlsx'"]),
    "a corrupt parquet": ({"data.parquet": b"PAR1 not really"}, [*RESAMPLE[:2], "data.parquet", *RESAMPLE[3:]],
                          ["not a readable Parquet file"]),
    "duplicate column names": ({COHORT: frame_bytes(cohort(400)).replace(b"pulse", b"gcs", 1)}, RESAMPLE,
                               ["columns named more than once: ['gcs']"]),
    ";-separated": ({COHORT: frame_bytes(cohort(400), sep=";")}, RESAMPLE,
                    ["looks like `;`-separated", "sep=';'"]),
    "tab-separated": ({COHORT: frame_bytes(cohort(400), sep="\t")}, RESAMPLE, ["looks like `\\t`-separated (tab)"]),
    "one 'abc' in bmi": ({COHORT: with_text("bmi", "abc")}, RESAMPLE,
                         ["column 'bmi'", "holds numbers but for 1 value(s) such as ['abc']", "--categorical sex,bmi"]),
    "five typos in sbp": ({COHORT: cohort(400).astype({"sbp": object}).assign(
        sbp=lambda f: f.sbp.mask(f.index < 7, [f"x{i}" for i in range(400)]))}, RESAMPLE,
        ["column 'sbp'", "7 value(s) such as ['x0', 'x1', 'x2', 'x3', 'x4']"]),
    "a date column": ({COHORT: cohort(400).assign(admitted=pd.date_range("2020-01-01", periods=400).date)},
                      RESAMPLE, ["column 'admitted'", "dates or times", "days since the first date"]),
    "a timestamp column": ({"data.parquet": parquet_bytes(cohort(400).assign(
        admitted=pd.date_range("2020-01-01 08:00", periods=400, freq="h")))},
        [*RESAMPLE[:2], "data.parquet", *RESAMPLE[3:]], ["column 'admitted'", "dates or times"]),
    "an identifier column": ({COHORT: cohort(400).assign(patient=[f"p{i}" for i in range(400)])}, RESAMPLE,
                             ["column 'patient'", "400 distinct values in 400 rows", "--categorical sex,patient"]),
    "3 classes": ({COHORT: cohort(400).assign(mortality=lambda f: np.array(["lived", "died", "transferred"])[
        np.arange(len(f)) % 3])}, RESAMPLE, ["has 3 class(es)", "exactly two"]),
    "1 class": ({COHORT: cohort(400).assign(mortality=0)}, RESAMPLE, ["has 1 class(es)"]),
    **{f"{n} minority row(s)": ({COHORT: minority_rows(n)}, RESAMPLE,
                                [f"needs at least 6 minority training rows, there are {n}"]) for n in range(1, 6)},
    "inf": ({COHORT: cohort(400).assign(bmi=lambda f: f.bmi.mask(f.index == 9, np.inf))}, RESAMPLE,
            ["column 'bmi'", "1 infinite values"]),
    "NaN": ({COHORT: cohort(400).assign(pulse=lambda f: f.pulse.mask(f.index == 9))}, RESAMPLE,
            ["column 'pulse'", "1 NaN"]),
    "a missing target": ({COHORT: cohort(400).drop(columns="mortality")}, RESAMPLE, ["target column 'mortality'"]),
    "a provenance column": ({COHORT: cohort(400).assign(provenance="ward 3")}, RESAMPLE, ["named 'provenance'"]),
    "--param k_neighbors=abc": ({COHORT: cohort(400)}, [*RESAMPLE, "--param", "k_neighbors=abc"],
                                ["k_neighbors must be a whole number", "got 'abc'"]),
    "--param k_neighbors=0": ({COHORT: cohort(400)}, [*RESAMPLE, "--param", "k_neighbors=0"],
                              ["k_neighbors must be a whole number of at least 1"]),
    "--param unknown": ({COHORT: cohort(400)}, [*RESAMPLE, "--param", "neighbours=3"],
                        ["does not take these parameters: ['neighbours']"]),
    "--param without =": ({COHORT: cohort(400)}, [*RESAMPLE, "--param", "k_neighbors"], ["is not key=value"]),
    "an unknown method": ({COHORT: cohort(400)}, [*RESAMPLE, "--method", "smoot"], ["unknown generator 'smoot'"]),
    "an unknown task": ({COHORT: cohort(400)}, [*RESAMPLE, "--task", "ranking"], ["unknown --task 'ranking'"]),
    "an --out suffix": ({COHORT: cohort(400)}, [*RESAMPLE[:-1], "out.xlsx"], ["unsupported suffix '.xlsx'"]),
    "--graph with a cycle": ({COHORT: cohort(400), "g.yaml": CYCLE.encode()}, [*RESAMPLE, "--graph", "g.yaml"],
                             ["graph is cyclic", "remove an edge"]),
    "--graph naming a missing column": ({COHORT: cohort(400), "g.yaml": UNKNOWN_NODE.encode()},
                                        [*RESAMPLE, "--graph", "g.yaml"], ["['lactate'] are not columns"]),
    "--graph not YAML": ({COHORT: cohort(400), "g.yaml": b"nodes: [age\n  edges: {"},
                         [*RESAMPLE, "--graph", "g.yaml"], ["is not valid YAML"]),
    "evaluate --test-size -0.5": ({COHORT: cohort(400)}, [*EVALUATE, "--test-size", "-0.5"],
                                  ["--test-size must be a share of the rows between 0 and 1, got -0.5"]),
    "evaluate --test-size 1.5": ({COHORT: cohort(400)}, [*EVALUATE, "--test-size", "1.5"], ["got 1.5"]),
    "evaluate --repeats 0": ({COHORT: cohort(400)}, [*EVALUATE[:-4], "--repeats", "0", "--out", "out.json"],
                             ["--repeats must be at least 1"]),
    "evaluate on 2 rows": ({COHORT: cohort(400).groupby("mortality").head(1)}, EVALUATE,
                           ["has 2 rows (1 minority): too few to split"]),
    "evaluate on 1 minority row": ({COHORT: minority_rows(1)}, EVALUATE, ["(1 minority): too few to split"]),
    "evaluate with one 'abc' in bmi": ({COHORT: with_text("bmi", "abc")}, EVALUATE, ["column 'bmi'", "'abc'"]),
    "evaluate ;-separated": ({COHORT: frame_bytes(cohort(400), sep=";")}, EVALUATE, ["looks like `;`-separated"]),
    "evaluate an unknown method": ({COHORT: cohort(400)}, [*EVALUATE, "--methods", "smote,smoot"],
                                   ["unknown generator 'smoot'"]),
}

# `run`: the params file and what it names. Each writes params (and files) and runs `oversample run`.
RUN = ["run"]
RUN_CASES = {
    "params not YAML": ({"params.yaml": b"split:\n  test_size: [0.25\n"}, {}, ["is not valid YAML"]),
    "params a list": ({"params.yaml": b"- split\n- data\n"}, {}, ["must be a mapping of sections, got list"]),
    "a wrong type": ({}, {"split": {"test_size": "a quarter"}}, ["split.test_size", "valid number"]),
    "an out-of-range value": ({}, {"split": {"test_size": 1.5}}, ["split.test_size", "less than 1"]),
    "a negative seed": ({}, {"seed": -1}, ["seed", "greater than or equal to 0"]),
    "an unknown key": ({}, {"evaluate": {"repeat": 3}}, ["unknown key 'repeat'"]),
    "a string for a bool": ({}, {"causal_check": {"scorecard": "yes"}}, ["causal_check.scorecard"]),
    "min_minority_test_rows 0": ({}, {"evaluate": {"min_minority_test_rows": 0}},
                                 ["evaluate.min_minority_test_rows", "greater than or equal to 1"]),
    "contract not JSON": ({"bad.json": b"{\"expectations\": ["}, {"data": {"contract": "bad.json"}},
                          ["expectation suite 'bad.json' is not readable JSON"]),
    "contract missing": ({}, {"data": {"contract": "expectations/nope.json"}}, ["does not exist"]),
    "graph with a cycle": ({"g.yaml": CYCLE.encode()}, {"data": {"graph": "g.yaml"}},
                           ["graph is cyclic", "remove an edge"]),
    "graph naming a missing column": ({"g.yaml": UNKNOWN_NODE.encode()}, {"data": {"graph": "g.yaml"}},
                                      ["['lactate'] are not columns"]),
    "data.path missing": ({}, {"data": {"source": "file", "path": "nope.csv"}}, ["nope.csv does not exist"]),
    "data.path a folder": ({"cohort/a.csv": b"a\n1\n"}, {"data": {"source": "file", "path": "cohort"}},
                           ["is a folder"]),
    "a date column under a contract": ({COHORT: cohort(400).assign(
        admitted=pd.date_range("2020-01-01", periods=400).date)}, {"data": {"source": "file", "path": COHORT}},
        ["column 'admitted'", "dates or times", "data.categorical"]),
    "duplicate columns under a contract": ({COHORT: frame_bytes(cohort(400)).replace(b"pulse", b"gcs", 1)},
                                           {"data": {"source": "file", "path": COHORT}}, ["more than once"]),
    "text in a contract's numeric column": ({COHORT: with_text("bmi", "abc")},
                                            {"data": {"source": "file", "path": COHORT}},
                                            ["column 'bmi'", "should be numeric", "'abc'"]),
}


def snapshot_project(root) -> dict:
    import hashlib
    # .runs/run.lock is the run lock's (empty) file, taken before the preflight: not a result
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts and p.name != "run.lock"}


def place(project, files: dict) -> None:
    for name, content in files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, pd.DataFrame):
            content.to_csv(path, index=False)
        else:
            path.write_bytes(content)


def assert_one_message(project, args, phrases):
    before = snapshot_project(project)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    for phrase in phrases:
        assert phrase in result.output, result.output
    assert "fix:" in result.output and "Traceback" not in result.output
    assert result.output.count("error:") == 1, result.output
    assert snapshot_project(project) == before, "a failed command changed the project's files"


@pytest.mark.parametrize("name", CLI_CASES)
def test_resample_and_evaluate_refuse_with_one_message(project, name):
    files, args, phrases = CLI_CASES[name]
    place(project, {"out.csv": b"earlier result\n", "out.json": b"{}\n", **files})
    assert_one_message(project, args, phrases)


@pytest.mark.parametrize("name", RUN_CASES)
def test_run_refuses_before_a_flow_starts(project, name):
    files, changes, phrases = RUN_CASES[name]
    write_params(project, **changes)
    place(project, files)
    assert_one_message(project, RUN, phrases)


MONITOR_CASES = {
    "no active version": ({}, ["monitor"], ["no active generator version", "oversample run"]),
    "params not YAML": ({"p.yaml": b"monitor: [\n"}, ["monitor", "--params", "p.yaml"], ["is not valid YAML"]),
    "an unknown --recalibration": ({}, ["monitor", "--recalibration", "sometimes"],
                                   ["unknown --recalibration 'sometimes'"]),
}


@pytest.mark.parametrize("name", MONITOR_CASES)
def test_monitor_refuses_before_a_flow_starts(project, name):
    files, args, phrases = MONITOR_CASES[name]
    place(project, files)
    assert_one_message(project, args, phrases)


# A bad batch is no reason to stop the monitor: it is quarantined with its reason, and the next batch goes on.
BATCH_CASES = {
    "a new category": (lambda f: f.assign(sex=np.where(f.index == 4, "X", f.sex)), ["sex", "X"]),
    "a missing column": (lambda f: f.drop(columns="bmi"), ["bmi"]),
    "a missing target": (lambda f: f.drop(columns="mortality"), ["target column 'mortality' is missing"]),
    "duplicate column names": ("dupes", ["more than once"]),
    ";-separated": ("semicolons", ["looks like `;`-separated"]),
    "a date column": (lambda f: f.assign(admitted=pd.date_range("2020-01-01", periods=len(f)).date),
                      ["dates or times"]),
}


@pytest.mark.parametrize("name", BATCH_CASES)
def test_a_bad_batch_is_quarantined_with_its_reason_and_the_next_one_accepted(project, name):
    import json

    from tasks import batches

    change, phrases = BATCH_CASES[name]
    rows = cohort(600)
    incoming = project / "data/incoming"
    incoming.mkdir(parents=True)
    if change == "dupes":
        (incoming / "a.csv").write_bytes(frame_bytes(rows).replace(b"pulse", b"gcs", 1))
    elif change == "semicolons":
        (incoming / "a.csv").write_bytes(frame_bytes(rows, sep=";"))
    else:
        change(rows).to_csv(incoming / "a.csv", index=False)
    rows.to_csv(incoming / "b.csv", index=False)
    bad, good = batches.from_files(load_params())
    reason = json.loads((project / "data/quarantine/a.csv.reason.json").read_text())
    for phrase in phrases:
        assert phrase in reason["problem"], reason
    assert reason["fix"] and bad.quarantined and (project / "data/quarantine/a.csv").exists()
    assert good.path is not None and len(pd.read_parquet(good.path)) == len(rows)
    assert not list(incoming.iterdir())


# Hostile but valid: read as they are, and the output is right.
def resample_file(project, frame_or_bytes, name="in.csv", *extra):
    place(project, {name: frame_or_bytes})
    result = CliRunner().invoke(app, ["resample", "--data", name, "--target", "mortality", "--out", "out.csv",
                                      *extra])
    assert result.exit_code == 0, (result.output, result.exception)
    return result, pd.read_csv(project / "out.csv")


def test_a_utf8_bom_is_not_part_of_the_first_column_name(project):
    frame = cohort(400)
    _, out = resample_file(project, frame.to_csv(index=False).encode("utf-8-sig"))
    assert list(out.columns) == [*frame.columns, "provenance"]
    pd.testing.assert_frame_equal(out[out.provenance == "real"].drop(columns="provenance"), frame,
                                  check_dtype=False)


def test_unicode_column_names_survive(project):
    frame = cohort(400).rename(columns={"bmi": "Körper-Maß 指数", "sbp": "血压 ☂"})
    _, out = resample_file(project, frame)
    assert list(out.columns)[:-1] == list(frame.columns)
    synthetic = out[out.provenance == "smote"]
    assert len(synthetic) > 0 and synthetic["血压 ☂"].between(frame["血压 ☂"].min(), frame["血压 ☂"].max()).all()


def test_integers_near_1e18_stay_integers_in_range(project):
    frame = cohort(400).assign(account=lambda f: 10**18 + np.arange(len(f)) * 1000)
    _, out = resample_file(project, frame)
    account = pd.read_csv(project / "out.csv", dtype={"account": "int64"})["account"]
    assert account.between(frame.account.min(), frame.account.max()).all()
    assert (account.iloc[:len(frame)].to_numpy() == frame.account.to_numpy()).all()  # real rows: exact


def test_a_5000_level_category_is_refused_unless_named_and_then_kept(project):
    frame = cohort(6000).assign(code=lambda f: [f"c{i % 5000}" for i in range(len(f))])
    place(project, {"in.csv": frame})
    assert_one_message(project, ["resample", "--data", "in.csv", "--target", "mortality", "--out", "out.csv"],
                       ["column 'code'", "5000 distinct values in 6000 rows", "--categorical sex,code"])
    _, out = resample_file(project, frame, "in.csv", "--categorical", "sex,code", "--method", "random")
    assert set(out.code) <= set(frame.code) and out.code.nunique() == 5000


def test_2000_columns_by_40_rows_run_quietly(project):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(40, 2000)), columns=[f"x{i}" for i in range(2000)])
    frame["mortality"] = [1] * 8 + [0] * 32
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not one warning, let alone one per column
        result, out = resample_file(project, frame)
    assert "Warning" not in result.output and out.shape == (64, 2002)


def test_a_category_named_with_categorical_is_accepted(project):
    frame = with_text("bmi", "abc")
    _, out = resample_file(project, frame, "in.csv", "--categorical", "sex,bmi")
    assert set(out.bmi.astype(str)) <= set(frame.bmi.astype(str))


def test_evaluate_warns_when_the_hold_out_has_few_minority_rows(project):
    place(project, {"in.csv": minority_rows(12)})
    result = CliRunner().invoke(app, ["evaluate", "--data", "in.csv", "--target", "mortality", "--repeats", "1",
                                      "--out", "out.json"])
    assert result.exit_code == 0, result.output
    assert "warning: the hold-out has only 3 minority row(s), fewer than evaluate.min_minority_test_rows = 10" \
        in result.output


def test_the_monitor_outcomes_are_documented_where_operators_read():
    from flows.drift import OUTCOMES
    from tests.conftest import ROOT

    help_text = " ".join(CliRunner().invoke(app, ["monitor", "--help"]).output.split())
    readme = (ROOT / "README.md").read_text()
    for outcome in OUTCOMES.values():
        assert f"{outcome.exit_code} {outcome.name}" in help_text, outcome
        state = "Failed" if outcome.failed else "Completed"
        assert f"| {outcome.exit_code} | {state} `{outcome.name}` |" in readme, outcome


def test_codes_stored_as_text_stay_a_category(project):
    frame = cohort(400).assign(ward=lambda f: np.array(["007", "010", "020"])[np.arange(len(f)) % 3])
    _, out = resample_file(project, parquet_bytes(frame), "in.parquet")
    assert set(pd.read_csv(project / "out.csv", dtype={"ward": str}).ward) == {"007", "010", "020"}
