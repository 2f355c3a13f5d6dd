"""Drift monitor, gated recalibration and the generator registry, on real parts: Prefect runs, Evidently, DVC, GE."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.conftest import SCM_ONLY, write_params


def drop_batch(name: str, *, drift: float, seed: int, rows: int = 3000) -> Path:
    from augmentation.data import io
    from augmentation.data.simulate import simulate_trauma

    path = Path("data/incoming") / name
    frame = simulate_trauma(rows=rows, seed=seed, drift=drift)
    if path.suffix == ".csv":
        io.write_text(frame.to_csv(index=False), path)
    else:
        io.write_parquet(frame, path)
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_no_drift_batch_changes_nothing(site):
    from flows.drift import drift_monitor

    registry = snapshot(site / "models/registry")
    drop_batch("week1.parquet", drift=0.0, seed=11)
    state = drift_monitor(params_path="params.yaml", return_state=True)
    assert state.is_completed() and state.name == "No drift", (state.name, state.message)
    outcome = state.result()
    (result,) = outcome["drift"]
    assert not result["drifted"], result["reason"]
    assert outcome["recalibration"] is None and outcome["exit_code"] == 0
    assert outcome["reports"] == ["reports/drift/00001-week1.json"]
    assert snapshot(site / "models/registry") == registry
    # The Evidently report and its numbers are there for a person to read.
    assert "<html" in Path(result["html"]).read_text()[:2000].lower()
    numbers = json.loads(Path("reports/drift/00001-week1.json").read_text())
    assert set(numbers["columns"]) == {"age", "sex", "bmi", "iss", "sbp", "pulse", "resp_rate", "spo2", "gcs"}
    assert all(0 <= c["p_value"] <= 1 for c in numbers["columns"].values())


def test_drift_promotes_a_new_version_and_the_old_one_is_restorable(site):
    from prefect.artifacts import Artifact

    from flows.cli import app
    from flows.drift import drift_monitor

    v1 = snapshot(site / "models/registry/v1")
    drop_batch("week2.csv", drift=1.0, seed=12)
    state = drift_monitor(params_path="params.yaml", return_state=True)
    assert state.is_completed() and state.name == "Recalibrated", (state.name, state.message)
    outcome = state.result()
    (result,) = outcome["drift"]
    assert result["drifted"] and {"iss", "gcs"} <= set(result["drifted_columns"]), result["reason"]
    recalibration = outcome["recalibration"]
    assert recalibration["mode"] == "subflow" and recalibration["state"] == "COMPLETED", recalibration
    assert recalibration["result"]["promoted"] and recalibration["result"]["version"] == "v2"

    index = json.loads(Path("models/registry/registry.json").read_text())
    assert index["active"] == "v2"
    v2 = next(r for r in index["versions"] if r["id"] == "v2")
    assert v2["parent"] == "v1" and v2["trigger"] == {"kind": "drift", "report": "reports/drift/00001-week2.json"}
    assert v2["batches"] == ["00001-week2"] and v2["train_sha256"] and v2["params"]["seed"] == 42
    assert v2["metrics"]["best_generator"] in {"random", "smote", "smotenc"}
    assert v2["dvc"] == "tracked by DVC and pushed to the remote"
    # Pushed: with the workspace copy and the local cache gone, the remote alone gives v1 back.
    table = Artifact.get(key="drift-00001-week2")
    assert table is not None and "p_value" in str(table.data) and "iss" in str(table.data)
    assert "promoted version `v2`" in str(Artifact.get(key="recalibration").data)

    shutil.rmtree(site / "models/registry/v1")
    shutil.rmtree(site / ".dvc/cache")
    listed = CliRunner().invoke(app, ["generators", "list"])
    assert "* v2" in listed.output and "drift (reports/drift/00001-week2.json)" in listed.output
    rolled = CliRunner().invoke(app, ["generators", "rollback", "v1"])
    assert rolled.exit_code == 0, rolled.output
    assert snapshot(site / "models/registry/v1") == v1
    assert json.loads(Path("models/registry/registry.json").read_text())["active"] == "v1"


def test_a_gate_failure_keeps_the_active_version_and_says_why(site):
    from prefect.artifacts import Artifact

    from flows.cli import app
    from flows.drift import MonitorAlert, drift_monitor

    registry = snapshot(site / "models/registry")
    write_params(site, fairness={"max_demographic_parity_difference": 0.0, "max_equalized_odds_difference": 0.0})
    drop_batch("week3.parquet", drift=1.0, seed=13)
    since = datetime.now(timezone.utc)
    with pytest.raises(MonitorAlert, match="not promoted") as caught:  # a Failed run raises when called directly
        drift_monitor(params_path="params.yaml")
    outcome = caught.value.outcome
    assert outcome["status"] == "Recalibration refused" and outcome["exit_code"] == 3
    recalibration = outcome["recalibration"]
    assert recalibration["state"] == "FAILED", recalibration
    assert "not promoted" in recalibration["message"] and "fairness" in recalibration["message"]
    assert snapshot(site / "models/registry") == registry  # same active version, same bytes, no new version
    (verdict_file,) = Path("reports/recalibration").glob("*.json")
    verdict = json.loads(verdict_file.read_text())
    assert not verdict["promoted"] and verdict["active_before"] == "v1" and "fairness" in verdict["reason"]
    assert "FAILED" in str(Artifact.get(key="recalibration").data)
    # The recalibration's own run is named like the monitor's outcome (an automation can filter on it).
    from prefect import get_client
    with get_client(sync_client=True) as client:  # the session's server: this test's run is the one started since
        recalibrate = client.read_flow_by_name("recalibrate").id
        (run,) = [r for r in client.read_flow_runs()
                  if r.flow_id == recalibrate and r.start_time and r.start_time >= since]
    assert run.state.name == "Recalibration refused", run.state
    assert run.state.is_failed() and "not promoted" in run.state.message
    # The command says the same with its exit code, and names the drift report instead of dumping it.
    drop_batch("week3b.parquet", drift=1.0, seed=15)
    result = CliRunner().invoke(app, ["monitor"])
    assert result.exit_code == 3, result.output
    lines = result.output.strip().splitlines()
    assert lines[-3].startswith("Recalibration refused: 1 batch(es) accepted, 1 drifted; ") and "fairness" in lines[-3]
    assert lines[-2].startswith("  fix: the active version v1 stays; see reports/recalibration/")
    assert lines[-1] == "drift report: reports/drift/00002-week3b.json" and "{" not in result.output
    assert snapshot(site / "models/registry") == registry


def test_an_outcome_is_logged_without_a_traceback_even_by_a_deployments_engine():
    """A served run re-raises its Failed state's error in `python -m prefect.engine`, which logs it with a traceback
    ("Engine execution exited with unexpected exception"); for a refusal or a quarantine that is an outcome, shown as
    its message. A real crash keeps its traceback."""
    import logging

    from flows.drift import MonitorAlert
    from tasks.recalibrate import Rejected

    def logged(error: Exception) -> logging.LogRecord:
        try:
            raise error
        except Exception:
            record = logging.LogRecord("prefect.flow_runs", logging.ERROR, __file__, 1,
                                       "Engine execution exited with unexpected exception", (), sys.exc_info())
        assert all(f.filter(record) for f in logging.getLogger("prefect.flow_runs").filters)
        return record

    for outcome in (Rejected("the new generators were not promoted", "v1 stays"), MonitorAlert("2 quarantined", {})):
        record = logged(outcome)
        assert record.exc_info is None and str(outcome).splitlines()[0] in record.getMessage()
    assert logged(KeyError("id")).exc_info is not None


def test_a_malformed_batch_is_quarantined_and_nothing_else_changes(site):
    from flows.drift import drift_monitor

    registry = snapshot(site / "models/registry")
    bad = drop_batch("week4.csv", drift=0.0, seed=14)
    frame = pd.read_csv(bad)
    frame.loc[3, "gcs"] = 40  # Glasgow Coma Scale is 3..15
    frame.to_csv(bad, index=False)
    Path("data/incoming/week5.parquet").write_bytes(b"not a parquet file")
    state = drift_monitor(params_path="params.yaml", return_state=True)
    assert state.is_failed() and state.name == "Quarantined", (state.name, state.message)
    from prefect.client.orchestration import get_client
    with get_client(sync_client=True) as client:  # what a scheduler or an automation sees
        stored = client.read_flow_run(state.state_details.flow_run_id).state
    assert stored.is_failed() and stored.name == "Quarantined" and "2 quarantined" in stored.message
    outcome = state.result(raise_on_failure=False).outcome
    assert outcome["quarantined"] == ["week4.csv", "week5.parquet"] and outcome["drift"] == []
    assert outcome["exit_code"] == 4
    assert not bad.exists() and Path("data/quarantine/week4.csv").exists()
    reason = json.loads(Path("data/quarantine/week4.csv.reason.json").read_text())
    assert "gcs" in reason["problem"] and "40" in reason["problem"] and reason["fix"]
    parquet_reason = json.loads(Path("data/quarantine/week5.parquet.reason.json").read_text())
    assert "not a readable Parquet file" in parquet_reason["problem"]
    assert snapshot(site / "models/registry") == registry
    assert not Path("data/batches").exists() and not Path("reports/drift").exists()


def test_a_killed_recalibration_leaves_the_active_version_and_the_registry_intact(site, prefect_server):
    from prefect.settings import PREFECT_API_URL

    from augmentation.monitoring.versions import Registry

    registry = snapshot(site / "models/registry")
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PYTHONPATH": str(site)}
    child = subprocess.Popen([sys.executable, "-c", "from flows.drift import recalibrate; recalibrate()"], cwd=site,
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    midway = list(site.glob("data/recalibration/*/metrics/causal.json"))
    deadline = time.monotonic() + 180
    while not midway and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
        midway = list(site.glob("data/recalibration/*/metrics/causal.json"))
    assert midway, "the recalibration never reached the causal check"
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    assert snapshot(site / "models/registry") == registry
    reg = Registry(site / "models/registry")
    assert reg.active_id() == "v1" and reg.verify("v1") == [] and [r["id"] for r in reg.versions()] == ["v1"]


def test_sql_rows_past_the_watermark_arrive_as_batches(site):
    import sqlalchemy as sa

    from augmentation.data.simulate import simulate_trauma
    from flows.drift import drift_monitor

    engine = sa.create_engine("sqlite:///data/ward.db")
    Path("data").mkdir(exist_ok=True)
    rows = simulate_trauma(rows=1200, seed=21).assign(admitted=range(1200))
    rows.iloc[:800].to_sql("admissions", engine, index=False)
    write_params(site, monitor={"sql_url": "sqlite:///data/ward.db", "sql_table": "admissions",
                                "watermark_column": "admitted"})
    first = drift_monitor(params_path="params.yaml", recalibration="off")
    assert first["accepted"] == ["00001-sql-admissions-admitted-799"] and len(first["drift"]) == 1
    batch = pd.read_parquet("data/batches/00001-sql-admissions-admitted-799.parquet")
    assert len(batch) == 800 and "admitted" not in batch.columns  # not a data column: dropped
    assert drift_monitor(params_path="params.yaml", recalibration="off")["accepted"] == []  # nothing new
    rows.iloc[800:].to_sql("admissions", engine, index=False, if_exists="append")
    third = drift_monitor(params_path="params.yaml", recalibration="off")
    assert third["accepted"] == ["00002-sql-admissions-admitted-1199"]
    assert len(pd.read_parquet("data/batches/00002-sql-admissions-admitted-1199.parquet")) == 400
    engine.dispose()


def test_a_batch_with_too_few_minority_rows_is_judged_by_its_minority_rate_alone(site):
    from augmentation.data import io
    from augmentation.data.simulate import simulate_trauma
    from flows.drift import drift_monitor

    registry = snapshot(site / "models/registry")
    reference_rate = pd.read_parquet("models/registry/v1/data/train.parquet")["mortality"].mean()
    rows = simulate_trauma(rows=6000, seed=31)
    died, lived = rows[rows["mortality"] == 1].iloc[:10], rows[rows["mortality"] == 0]
    # Ten minority rows each (params.yaml: monitor.min_minority_rows = 30): one batch at the reference rate,
    # one where the minority is six times rarer.
    steady = pd.concat([died, lived.iloc[:round(10 / reference_rate) - 10]])
    rarer = pd.concat([died, lived.iloc[:990]])
    io.write_parquet(steady, Path("data/incoming/a-steady.parquet"))
    io.write_parquet(rarer, Path("data/incoming/b-rarer.parquet"))
    outcome = drift_monitor(params_path="params.yaml", recalibration="off")
    steady_result, rarer_result = outcome["drift"]
    for result in (steady_result, rarer_result):
        assert result["current_rows"] == 10 and result["min_minority_rows"] == 30
        assert result["columns"] == {} and result["drifted_columns"] == [] and result["html"] is None
        assert "only 10 minority rows (fewer than monitor.min_minority_rows = 30)" in result["reason"]
        assert json.loads(Path(f"reports/drift/{result['batch']}.json").read_text()) == result
    assert not steady_result["drifted"] and steady_result["minority_rate_change"] < 0.1
    assert rarer_result["drifted"] and rarer_result["current_minority_rate"] == pytest.approx(0.01)
    assert rarer_result["minority_rate_change"] >= 0.5  # monitor.max_minority_rate_change
    assert not list(Path("reports/drift").glob("*.html"))  # no column report from ten rows
    assert outcome["recalibration"] is None and snapshot(site / "models/registry") == registry

    # Lower the floor and the same ten rows are tested column by column.
    write_params(site, monitor={"min_minority_rows": 10})
    io.write_parquet(steady, Path("data/incoming/c-steady.parquet"))
    (tested,) = drift_monitor(params_path="params.yaml", recalibration="off")["drift"]
    assert tested["current_rows"] == 10 and len(tested["columns"]) == 9 and Path(tested["html"]).is_file()


def test_sql_names_from_params_are_quoted_never_pasted_into_the_query(tmp_path, monkeypatch):
    import sqlalchemy as sa

    from augmentation.errors import DataError
    from tasks import batches
    from tasks.params import Params

    monkeypatch.chdir(tmp_path)
    engine = sa.create_engine("sqlite:///ward.db")
    pd.DataFrame({"admitted": [1, 2], "iss": [10, 20]}).to_sql("admissions", engine, index=False)
    # Pasted into SQL text, the first name would turn the query into one that silently returns no rows.
    for table, column in (("admissions WHERE 1=0 --", "admitted"), ("admissions", "admitted DESC --")):
        p = Params.model_validate({"monitor": {"sql_url": "sqlite:///ward.db", "sql_table": table,
                                               "watermark_column": column, "accepted": "batches"}})
        with pytest.raises(DataError, match="reading new rows from"):
            batches.from_sql(p, ["iss"])
    assert len(pd.read_sql_table("admissions", engine)) == 2
    engine.dispose()


def test_one_bad_batch_never_blocks_the_queue_and_a_batch_without_minority_rows_is_news(site):
    from augmentation.data import io
    from augmentation.data.simulate import simulate_trauma
    from flows.cli import app

    rows = simulate_trauma(rows=3000, seed=41)
    text = rows.iloc[:200].to_csv(index=False).splitlines()
    text[0] = text[0].replace("pulse", "gcs")  # two columns named gcs: a crash inside the checks before
    Path("data/incoming").mkdir(parents=True, exist_ok=True)
    Path("data/incoming/a-dupes.csv").write_text("\n".join(text) + "\n")
    Path("data/incoming/a-empty.csv").write_bytes(b"")
    Path("data/incoming/a-notes.xlsx").write_bytes(b"PK\x03\x04 a spreadsheet")
    io.write_parquet(rows[rows["mortality"] == 0].iloc[:1000], Path("data/incoming/b-survivors.parquet"))
    io.write_parquet(rows.iloc[1000:3000], Path("data/incoming/c-good.parquet"))
    result = CliRunner().invoke(app, ["monitor", "--recalibration", "off"])
    assert result.exit_code == 4 and "Traceback" not in result.output, result.output
    assert result.output.count("Quarantined: 2 batch(es) accepted, ") == 1
    assert "; 3 quarantined (a-dupes.csv, a-empty.csv, a-notes.xlsx) in data/quarantine" in result.output
    reasons = {name: json.loads(Path(f"data/quarantine/{name}.reason.json").read_text())
               for name in ("a-dupes.csv", "a-empty.csv", "a-notes.xlsx")}
    assert "has columns named more than once: ['gcs']" in reasons["a-dupes.csv"]["problem"]
    assert "is empty" in reasons["a-empty.csv"]["problem"]
    assert "is not a CSV or Parquet file" in reasons["a-notes.xlsx"]["problem"]
    assert all(r["fix"] for r in reasons.values())
    survivors, good = (json.loads(Path(f"reports/drift/{name}.json").read_text())
                       for name in ("00001-b-survivors", "00002-c-good"))
    assert survivors["current_rows"] == 0 and survivors["current_minority_rate"] == 0.0
    assert survivors["drifted"]  # a week without a single death moved the minority rate: news, not an error
    assert good["current_rows"] > 30 and len(good["columns"]) == 9
    assert not list(Path("data/incoming").iterdir())
    assert result.output.strip().splitlines()[-1] == ("drift reports: reports/drift/00001-b-survivors.json, "
                                                      "reports/drift/00002-c-good.json")


def test_no_new_batch_says_so_and_exits_zero(site):
    from flows.cli import app

    result = CliRunner().invoke(app, ["monitor"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "No new batch: no new batch"
    assert "no batch drifted" not in result.output


def test_a_thin_hold_out_is_flagged_in_the_report_and_the_run_table(site, capsys):
    from flows.cli import _print_summary
    from tasks import report
    from tasks.params import load_params

    minority = int(pd.read_parquet("data/split/test.parquet")["mortality"].sum())
    report.run(load_params())
    assert json.loads(Path("metrics/summary.json").read_text())["warnings"] == []
    write_params(site, evaluate={"min_minority_test_rows": minority + 1})
    report.run(load_params())
    summary = json.loads(Path("reports/summary.json").read_text())
    assert json.loads(Path("metrics/summary.json").read_text())["warnings"] == summary["warnings"]  # the headline
    expected = (f"the hold-out has only {minority} minority row(s), fewer than evaluate.min_minority_test_rows = "
                f"{minority + 1}")
    assert summary["holdout_minority_rows"] == minority and summary["warnings"][0].startswith(expected)
    assert f"> **Warning:** {expected}" in Path("reports/summary.md").read_text()
    _print_summary(summary)
    assert "warning: " + expected in " ".join(capsys.readouterr().out.split())


def test_the_performance_gate_holds_a_new_generator_against_the_recommended_option(site):
    """Not against a fixed method: the active version's stored decision names, per learner, the option it deploys;
    the gate refits that option on the version's own rows and scores it on the new hold-out beside the new generator.
    The site's own outputs stand in for a recalibration's staging folder (same rows: no refit needed)."""
    from tasks import recalibrate as recal
    from tasks.params import load_params

    p = load_params("params.yaml")
    stored = json.loads(Path("models/registry/v1/metrics/decision.json").read_text())
    assert stored == json.loads(Path("metrics/decision.json").read_text())  # the decision is part of the version
    recommended = {learner: d["chosen"] for learner, d in stored["learners"].items()}

    active = recal.active_on_new_holdout(p, Path("."))
    assert active["options"] == recommended and active["source"] == "recommended" and active["metric"] == "f1"
    results = recal.gates(p, Path("."), active)
    (gate,) = [g for g in results if g["gate"] == "hold-out performance"]
    best = json.loads(Path("metrics/summary.json").read_text())["best_generator"]
    details = {g["gate"]: g["detail"] for g in results}  # each gate in words and numbers, not "random: True"
    assert details["causal"] == f"{best}: independence pass", details  # the drift site runs no scorecard
    assert details["fairness"].startswith(f"{best}: demographic-parity difference 0.") and "(max 1.0)" in details[
        "fairness"], details
    assert gate["new"]["option"] == f"{best}+threshold"  # a generator at its own tuned threshold, for F1
    assert gate["compared_with"]["options"] == recommended
    assert gate["passed"] == (gate["new"]["mean"] >= gate["compared_with"]["mean"] - p.recalibrate.tolerance)
    against = ", ".join(f"{learner}: {option}" for learner, option in recommended.items())
    assert f"vs active v1's recommended option ({against})" in gate["detail"], gate["detail"]
    # the scores are the decision's metric on the hold-out, per learner, not a fixed method's AUC
    assert set(gate["new"]["per_learner"]) == set(recommended)
    assert all(0 <= v <= 1 for v in [*gate["new"]["per_learner"].values(),
                                     *gate["compared_with"]["per_learner"].values()])

    # A version whose decision deploys scm (after a drift loop promoted one): its scm is refitted with the causal
    # map, as the recommend stage fitted it (without it: "generator 'scm' needs a causal map and none was given").
    decision_file = Path("models/registry/v1/metrics/decision.json")
    stored["learners"]["logreg"]["chosen"] = "scm+threshold"
    decision_file.write_text(json.dumps(stored))
    scm_active = recal.active_on_new_holdout(p, Path("."))
    assert scm_active["options"] == {**recommended, "logreg": "scm+threshold"}
    assert all(0 <= v <= 1 for v in scm_active["per_learner"].values())
    # The version keeps the map it was fitted with: today's file may change (here: it is gone), the refit uses the
    # version's copy.
    assert Path("models/registry/v1/causal_map.yaml").read_bytes() == Path(p.data.graph).read_bytes()
    Path(p.data.graph).unlink()
    assert recal.active_on_new_holdout(p, Path("."))["per_learner"] == scm_active["per_learner"]

    # A version recorded before decisions were stored is held to the decision's own default, its baseline.
    decision_file.unlink()
    older = recal.active_on_new_holdout(p, Path("."))
    assert older["options"] == {learner: "threshold" for learner in recommended}
    assert older["source"] == "baseline (no decision recorded)"


def test_the_drift_loop_runs_twice_from_the_cli_with_scm_active(site):
    """drift → recalibrate → promote (scm best) → drift → recalibrate, through the commands a user runs. The
    second turn once crashed: the gate refitted the scm-active version's generator without the causal map (the
    performance-gate test above holds that refit; here the whole loop must reach a verdict each time)."""
    from flows.cli import app
    from tasks.params import load_params
    from tasks.versions import registry

    write_params(site, **SCM_ONLY)
    runner = CliRunner()

    def index() -> dict:
        return json.loads(Path("models/registry/registry.json").read_text())

    def last_lines(result, n: int) -> list[str]:
        assert "Traceback" not in result.output, result.output
        return result.output.strip().splitlines()[-n:]

    # Turn 1: a drifted week; the recalibration promotes v2, whose best generator is scm.
    drop_batch("turn1.parquet", drift=1.0, seed=31, rows=2000)
    first = runner.invoke(app, ["monitor"])
    assert first.exit_code == 0, first.output
    promoted, state, report = last_lines(first, 3)
    assert promoted == "recalibration: promoted version v2" and report == "drift report: reports/drift/00001-turn1.json"
    assert state == "Recalibrated: 1 batch(es) accepted, 1 drifted", state
    v2 = next(r for r in index()["versions"] if r["id"] == "v2")
    assert index()["active"] == "v2" and v2["metrics"]["best_generator"] == "scm", v2["metrics"]

    # Turn 2: the drift goes on; against scm-active v2 the recalibration reaches a verdict, promoted or refused.
    drop_batch("turn2.parquet", drift=2.0, seed=32, rows=2000)
    second = runner.invoke(app, ["monitor"])
    assert second.exit_code in (0, 3), second.output
    verdicts = sorted(Path("reports/recalibration").glob("*.json"))
    assert len(verdicts) == 2, verdicts  # one per turn
    verdict = json.loads(verdicts[-1].read_text())
    assert verdict["active_before"] == "v2" and verdict["trigger"]["report"] == "reports/drift/00002-turn2.json"
    (performance,) = [g for g in verdict["gates"] if g["gate"] == "hold-out performance"]
    assert performance["compared_with"]["version"] == "v2"  # scm-active v2's recommended option, refitted, scored
    if second.exit_code == 0:
        assert last_lines(second, 3)[0] == "recalibration: promoted version v3" and index()["active"] == "v3"
    else:
        assert last_lines(second, 3)[0].startswith("Recalibration refused: ") and index()["active"] == "v2"
    active = index()["active"]

    # `oversample recalibrate` itself, on the same window, with a fairness gate no version can pass: exit 3, the
    # reason and the verdict file printed, the active version and every registry byte left as they were.
    registry_before = snapshot(site / "models/registry")
    write_params(site, fairness={"max_demographic_parity_difference": 0.0, "max_equalized_odds_difference": 0.0})
    direct = runner.invoke(app, ["recalibrate"])
    assert direct.exit_code == 3, direct.output
    refused, fix = last_lines(direct, 2)
    assert refused.startswith("Recalibration refused: the new generators were not promoted: ") and "fairness" in refused
    newest = sorted(Path("reports/recalibration").glob("*.json"))[-1]
    assert fix == f"  fix: the active version {active} stays; see {newest}"
    assert json.loads(newest.read_text())["active_before"] == active
    assert snapshot(site / "models/registry") == registry_before
    reg = registry(load_params())
    assert reg.active_id() == active and {r["id"]: reg.verify(r["id"]) for r in reg.versions()} == {
        r["id"]: [] for r in reg.versions()}
