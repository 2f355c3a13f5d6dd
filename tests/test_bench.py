"""The benchmark: a tiny suite end to end, resume after a kill, local vs Dask, a failing cell isolated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from augmentation.bench import method_names, plan_cells
from augmentation.bench.cells import run_cells
from augmentation.bench.datasets import load_dataset
from augmentation.bench.report import results_frame, write_report
from augmentation.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
RUN_DEPENDENT = ["seconds"]


def tiny_suite(folder: Path, n: int = 2) -> list[str]:
    """``n`` small synthetic CSV files (200 rows, 4 features, ~15% minority) as ``path:y`` specs."""
    from sklearn.datasets import make_classification

    specs = []
    for i in range(n):
        X, y = make_classification(n_samples=200, n_features=4, n_informative=3, n_redundant=0, weights=[0.85],
                                   flip_y=0.05, random_state=i)
        frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(4)]).assign(y=np.where(y == 1, "yes", "no"))
        path = folder / f"tiny{i}.csv"
        frame.to_csv(path, index=False)
        specs.append(f"{path}:y")
    return specs


def test_tiny_suite_end_to_end(tmp_path, prefect_server):
    from prefect.settings import PREFECT_API_URL

    out = tmp_path / "bench"
    suite = ",".join(tiny_suite(tmp_path))
    # the real command in its own process, talking to the session's Prefect test server
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "flows.cli", "bench", "--suite", suite,
                           "--methods", "none,class_weight,smote,random", "--learners", "logreg,hgb", "--copies", "2",
                           "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "16 cells (16 computed, 0 failed)" in done.stdout
    frame = pd.read_parquet(out / "results.parquet")
    methods, learners = ["none", "class_weight", "smote", "random"], ["logreg", "hgb"]
    # every planned cell once: 2 datasets × 4 methods × 2 learners × 1 seed, paper protocol
    planned = {(d, m, learner, 0, "paper") for d in ("tiny0", "tiny1") for m in methods for learner in learners}
    cells = list(frame[["dataset", "method", "learner", "seed", "protocol"]].itertuples(index=False, name=None))
    assert len(cells) == len(planned) and set(cells) == planned and (frame.status == "ok").all()
    assert frame.roc_auc.between(0.5, 1).all() and frame.f1.between(0, 1).all()
    assert frame.roc_auc_grid_best.between(0.5, 1).all()
    # the methods really ran: resampling changes the fitted model, so its probabilities (Brier score) move
    # in every cell; AUC, a ranking on 60 test rows, may tie in one
    brier = frame.pivot_table(index=["dataset", "learner"], columns="method", values="brier")
    assert all((brier[m] != brier["none"]).all() for m in ("class_weight", "smote", "random")), brier
    assert frame.groupby(["dataset", "learner"]).roc_auc.nunique().max() > 1
    summary = (out / "summary.md").read_text()
    assert "Friedman" in summary and "| AUC W/T/L vs none | p | F1 W/T/L vs none | p |" in summary
    assert "grid-best" in summary
    assert "vs threshold" not in summary and "auto chose" not in summary  # neither ran
    for learner in learners:
        assert f"## {learner} · paper protocol (2 datasets × 4 methods)" in summary
    for method in methods:  # one row in each learner's score table and one in its paired comparisons
        assert sum(line.startswith(f"| {method} | ") for line in summary.splitlines()) == 2 * len(learners), method
    assert (out / "cd-paper-logreg.png").stat().st_size > 1000 and (out / "cd-paper-hgb.png").exists()


def test_auto_is_compared_with_none_and_threshold_and_its_choices_are_counted(tmp_path):
    from augmentation.bench import stats
    from augmentation.bench.datasets import dataset_label

    specs = tiny_suite(tmp_path)
    paths = {dataset_label(s): load_dataset(s, tmp_path / "cache") for s in specs}
    cells = plan_cells(list(paths), ["none", "threshold", "auto"], ["logreg"], ["paper"], 1, copies=1)
    frame = results_frame(run_cells(cells, paths, tmp_path / "cache"))
    assert (frame.status == "ok").all(), frame.error.tolist()
    lines = write_report(frame, tmp_path / "out", title="t", command="c", wall_seconds=1,
                         machine="m").read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| method | AUC W/T/L vs none"))
    assert lines[header] == ("| method | AUC W/T/L vs none | p | F1 W/T/L vs none | p "
                             "| AUC W/T/L vs threshold | p | F1 W/T/L vs threshold | p |")
    rows = {line.split(" | ")[0][2:]: line.strip("| ").split(" | ")[1:] for line in lines[header + 2:header + 5]}
    assert set(rows) == {"none", "threshold", "auto"}
    # auto's W/T/L are the per-dataset differences the results hold, per metric and baseline
    for column, (metric, baseline) in enumerate([("roc_auc", "none"), ("f1", "none"),
                                                 ("roc_auc", "threshold"), ("f1", "threshold")]):
        table = frame.pivot_table(index="dataset", columns="method", values=metric)
        diff = table["auto"] - table[baseline]
        wtl = f"{(diff > stats.TIE).sum()}/{(diff.abs() <= stats.TIE).sum()}/{(diff < -stats.TIE).sum()}"
        assert rows["auto"][2 * column] == wtl, (metric, baseline)
    assert rows["none"][:2] == ["—", "—"] and rows["threshold"][4:6] == ["—", "—"]  # not against itself
    # one choice per outer split, from the options the decision weighs, counted in the report
    chosen = [c for text in frame[frame.method == "auto"].choices for c in json.loads(text)]
    assert len(chosen) == 2 and set(chosen) <= {"none", "threshold", "class_weight", "random", "smote",
                                                "random+threshold", "smote+threshold"}
    counts = pd.Series(chosen).value_counts()
    line = next(line for line in lines if line.startswith("auto chose"))
    assert line.startswith("auto chose, over 2 outer splits: ")
    assert all(f"{name} {n}" in line for name, n in counts.items()), line
    assert (frame[frame.method != "auto"].choices == "[]").all()


def test_resume_after_kill(tmp_path):
    """A run killed mid-way leaves its finished cells cached; the rerun computes only the rest."""
    cache = tmp_path / "cache"
    specs = tiny_suite(tmp_path, n=3)
    script = f"""
import sys
from augmentation.bench import plan_cells
from augmentation.bench.cells import run_cells
from augmentation.bench.datasets import dataset_label, load_dataset
specs = {specs!r}
paths = {{dataset_label(s): load_dataset(s, {str(cache)!r}) for s in specs}}
cells = plan_cells(list(paths), ["none", "smote", "random", "class_weight"], ["logreg"], ["paper"], 2, copies=1)
run_cells(cells, paths, {str(cache)!r}, progress=lambda r: print(r["key"], flush=True))
"""
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    done = [proc.stdout.readline().strip() for _ in range(4)]  # four cells finished, then kill
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {p.name: p.stat().st_mtime_ns for p in (cache / "cells").glob("*.json")}
    assert {f"{k}.json" for k in done} <= set(before) and 4 <= len(before) < 24

    from augmentation.bench.datasets import dataset_label
    paths = {dataset_label(s): load_dataset(s, cache) for s in specs}
    cells = plan_cells(list(paths), ["none", "smote", "random", "class_weight"], ["logreg"], ["paper"], 2, copies=1)
    records = run_cells(cells, paths, cache)
    assert sum(r["cached"] for r in records) == len(before)
    assert sum(not r["cached"] for r in records) == 24 - len(before)
    after = {p.name: p.stat().st_mtime_ns for p in (cache / "cells").glob("*.json")}
    assert all(after[name] == mtime for name, mtime in before.items())  # not rewritten
    assert all(r["status"] == "ok" for r in records)


def test_local_and_dask_give_identical_results(tmp_path, prefect_server):
    from flows.bench import bench

    suite = ",".join(tiny_suite(tmp_path))
    # the learners without CART's grid search (CART's cells cost ~10x more and say nothing more about the runners)
    common = dict(suite=suite, methods="none,smote,random", learners="logreg,hgb", copies=2, progress=False)
    local = bench(**common, runner="local", out=str(tmp_path / "local"))
    dask = bench(**common, runner="dask", workers=2, out=str(tmp_path / "dask"))
    assert local["computed"] == dask["computed"] == 12  # nothing shared between the two caches
    a = pd.read_parquet(local["results"]).drop(columns=RUN_DEPENDENT)
    b = pd.read_parquet(dask["results"]).drop(columns=RUN_DEPENDENT)
    pd.testing.assert_frame_equal(a, b)


def test_failing_cell_is_recorded_and_the_rest_go_on(tmp_path):
    specs = tiny_suite(tmp_path, n=2)
    from augmentation.bench.datasets import dataset_label
    paths = {dataset_label(s): load_dataset(s, tmp_path / "cache") for s in specs}
    # 200 rows hold ~30 minority rows: 80 neighbours cannot be found, so every smote cell fails
    cells = plan_cells(list(paths), ["none", "smote", "random"], ["logreg"], ["paper"], 1, copies=1,
                       params={"smote": {"k_neighbors": 80}})
    records = run_cells(cells, paths, tmp_path / "cache")
    status = {(r["dataset"], r["method"]): r["status"] for r in records}
    assert [k for k, v in status.items() if v == "error"] == [("tiny0", "smote"), ("tiny1", "smote")]
    failed = [r for r in records if r["status"] == "error"]
    assert all("n_neighbors" in r["error"] or "neighbo" in r["error"] for r in failed)
    summary = write_report(results_frame(records), tmp_path / "out", title="t", command="c", wall_seconds=1,
                           machine="m")
    text = summary.read_text()
    assert "## Failed cells" in text and "| tiny0 | smote | logreg |" in text
    # a rerun reuses the recorded failure; --retry-errors computes it again
    again = run_cells(cells, paths, tmp_path / "cache")
    assert all(r["cached"] for r in again)
    retried = run_cells(cells, paths, tmp_path / "cache", retry_errors=True)
    assert [r["cached"] for r in retried] == [r["status"] == "ok" for r in records]


def test_bad_suite_and_method_names_fail_clearly(tmp_path):
    with pytest.raises(ConfigError, match="unknown method"):
        method_names("none,no_such_method")
    with pytest.raises(ConfigError, match="unknown benchmark dataset"):
        load_dataset("no_such_set", tmp_path)
    from flows.cli import app
    result = CliRunner().invoke(app, ["bench", "--suite", "ecoli1", "--learners", "svm", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "fix:" in result.output


def test_bench_speed_on_tiny_sizes_lists_every_method_and_size(tmp_path):
    from flows.cli import app

    out = tmp_path / "speed"
    result = CliRunner().invoke(app, ["bench-speed", "--methods", "random,smote", "--sizes", "100,300",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out / "speed.parquet")
    assert sorted(zip(table.method, table.n_new, strict=True)) == [("random", 100), ("random", 300),
                                                                   ("smote", 100), ("smote", 300)]
    assert (table.error == "").all() and (table.seconds > 0).all() and (table.peak_mib > 0).all()
    assert (table[table.method == "smote"].time_vs_smote == 1).all()  # SMOTE is the yardstick of its own run
    markdown = (out / "speed.md").read_text()
    assert result.output.strip() == markdown.strip()  # the command prints the table it wrote
    for method in ("random", "smote"):
        rows = [line for line in markdown.splitlines() if line.startswith(f"| {method} | ")]
        assert [line.split(" | ")[1] for line in rows] == ["100", "300"]


def test_a_grid_ratio_the_method_cannot_reach_leaves_the_grid_not_the_cell(tmp_path):
    """ADASYN asked for one or two extra rows generates none and raises; the fixed default still counts."""
    from sklearn.datasets import make_classification

    from augmentation.bench.cells import Cell, cached_cell

    X, y = make_classification(n_samples=300, n_features=4, n_informative=3, n_redundant=0, weights=[0.67],
                               flip_y=0, random_state=3)
    pd.DataFrame(X).assign(y=y).to_csv(tmp_path / "near.csv", index=False)
    path = load_dataset(f"{tmp_path / 'near.csv'}:y", tmp_path / "cache")
    record = cached_cell(Cell(dataset="near", method="adasyn", learner="logreg", seed=0, protocol="paper", copies=1),
                         path, tmp_path / "cache")
    assert record["status"] == "ok", record["error"]
    assert "0.5" in record["grid_errors"] and "No samples" in record["grid_errors"]["0.5"]
    assert 0.5 < record["roc_auc"] <= record["roc_auc_grid_best"] <= 1


def test_rank_statistics_match_the_published_tables():
    from augmentation.bench import stats

    # Demšar (2006), table 5(a): q_0.05 = 3.164 for 10 methods, so CD = 3.164·sqrt(10·11 / (6·22))
    assert stats.nemenyi_cd(10, 22) == pytest.approx(3.164 * np.sqrt(110 / 132), abs=1e-3)
    assert np.allclose(stats.holm(np.array([0.01, 0.04, 0.03, np.nan]))[:3], [0.03, 0.06, 0.06])
    table = pd.DataFrame({"none": [0.8, 0.7, 0.9, 0.6], "a": [0.9, 0.8, 0.95, 0.7], "b": [0.8, 0.6, 0.9, 0.5]},
                         index=list("wxyz"))
    assert stats.mean_ranks(table).to_dict() == {"a": 1.0, "none": 2.25, "b": 2.75}
    vs = stats.versus_baseline(table)
    assert (vs.loc["a", ["wins", "ties", "losses"]].tolist(), vs.loc["b", ["wins", "ties", "losses"]].tolist()) == \
        ([4, 0, 0], [0, 2, 2])
    assert stats.versus_baseline(table[["none"]]).empty


def test_smote_with_cart_runs_on_nine_minority_rows(tmp_path):
    """CART's grid search fits the sampler on its inner folds, which hold fewer minority rows than the training part:
    the neighbour count must fit those (the glass sets of the study suite failed every SMOTE+CART fit)."""
    from augmentation import generators
    from augmentation.bench.cells import Cell, cached_cell

    rng = np.random.default_rng(5)
    X = rng.normal(size=(150, 4))
    y = np.zeros(150, dtype=int)
    y[:9] = 1
    X[:9] += 1.5
    pd.DataFrame(X).assign(y=y).to_csv(tmp_path / "nine.csv", index=False)
    path = load_dataset(f"{tmp_path / 'nine.csv'}:y", tmp_path / "cache")
    # paper protocol: 6 minority training rows; CART's 3 inner folds train on 4, so SMOTE gets k = 3, not 5
    assert generators.fold_minority(6, 3) == 4
    assert generators.fit_neighbours("smote", {}, generators.fold_minority(6, 3)) == {"k_neighbors": 3}
    record = cached_cell(Cell(dataset="nine", method="smote", learner="cart", seed=0, protocol="paper", copies=1),
                         path, tmp_path / "cache")
    assert record["status"] == "ok", record["error"]
    assert record["n_minority"] == 9 and 0 <= record["roc_auc"] <= 1


def test_a_multi_line_error_stays_on_one_row_of_the_failed_cells_table(tmp_path):
    error = ("ValueError: \nAll the 36 fits failed.\nIt is very likely that your model is misconfigured.\n"
             "a | b (at _validation.py:528)")
    base = {"method": "smote", "learner": "cart", "seed": 0, "protocol": "paper", "copies": 1, "params": "{}",
            "seconds": 0.1, "key": "k"}
    records = [{**base, "dataset": "glass5", "status": "error", "error": error},
               {**base, "dataset": "glass6", "status": "error", "error": "ValueError: one line"}]
    text = write_report(results_frame(records), tmp_path / "out", title="t", command="c", wall_seconds=1,
                        machine="m").read_text()
    table = text[text.index("## Failed cells"):].strip().splitlines()[2:]
    assert len(table) == 4, table  # the header's two lines and one line per failed cell
    glass5 = next(line for line in table if line.startswith("| glass5 |"))
    assert "ValueError: All the 36 fits failed. It is very likely" in glass5 and "a \\| b" in glass5
    cells = [c for c in glass5.replace("\\|", "").split("|")][1:-1]
    assert len(cells) == 6, glass5  # an escaped pipe is text, not a column
