"""Benchmark outputs: the results table (Parquet), Markdown tables and critical-difference plots."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from augmentation.bench import stats
from augmentation.bench.cells import METRICS
from augmentation.data import io

RESULT_COLUMNS = ["dataset", "method", "learner", "seed", "protocol", "copies", "params", "status", "error",
                  *METRICS, *[f"{m}_grid_best" for m in METRICS], "best_ratio", "grid_errors", "choices",
                  "n", "n_minority", "n_features", "seconds", "key"]


def results_frame(records: list[dict]) -> pd.DataFrame:
    """Records in a fixed column order, sorted, without the run-dependent ``cached`` flag."""
    frame = pd.DataFrame(records)
    for column in RESULT_COLUMNS:
        if column not in frame:
            frame[column] = np.nan
    frame = frame[RESULT_COLUMNS].sort_values(["protocol", "learner", "dataset", "method", "seed"])
    # JSON text, so Parquet stores one type (ratios a method could not reach -> error)
    frame["grid_errors"] = [json.dumps(g, sort_keys=True) if isinstance(g, dict) else "{}" for g in frame.grid_errors]
    # auto's choice per outer split, as JSON text ("[]" for the fixed methods)
    frame["choices"] = [json.dumps(c) if isinstance(c, list) else "[]" for c in frame.choices]
    return frame.reset_index(drop=True)


def write_report(results: pd.DataFrame, out_dir: str | Path, *, title: str, command: str, wall_seconds: float,
                 machine: str) -> Path:
    """Write results.parquet, summary.md and cd-<protocol>-<learner>.png under ``out_dir``; return summary.md."""
    out = Path(out_dir)
    io.write_parquet(results, out / "results.parquet")
    ok, failed = results[results.status == "ok"], results[results.status != "ok"]
    lines = [f"# {title}", "", f"- command: `{command}`", f"- machine: {machine}",
             f"- wall time: {wall_seconds:.0f} s; cells: {len(results)} ({len(failed)} failed); "
             f"seconds per computed cell: mean {ok.seconds.mean():.1f}, max {ok.seconds.max():.1f}", ""]
    for protocol in sorted(results.protocol.unique()):
        for learner in sorted(results.learner.unique()):
            lines += _section(results, out, protocol, learner)
    if len(failed):
        lines += ["## Failed cells", "", "| dataset | method | learner | protocol | seed | error |",
                  "|---|---|---|---|---|---|"]
        for r in failed.itertuples():
            lines.append(f"| {r.dataset} | {r.method} | {r.learner} | {r.protocol} | {r.seed} | {str(r.error)[:160]} |")
        lines.append("")
    path = out / "summary.md"
    io.write_text("\n".join(lines) + "\n", path)
    return path


def _section(results: pd.DataFrame, out: Path, protocol: str, learner: str) -> list[str]:
    auc = stats.score_table(results, learner, protocol, "roc_auc")
    if auc.empty:
        return []
    n, k = auc.shape
    ranks = stats.mean_ranks(auc)
    chi2, p = stats.friedman(auc)
    cd = stats.nemenyi_cd(k, n)
    vs = stats.versus_baseline(auc)
    plot = out / f"cd-{protocol}-{learner}.png"
    stats.cd_plot(ranks, cd, plot, f"{learner}, {protocol} protocol: mean AUC rank over {n} datasets")
    tables = {m: stats.score_table(results, learner, protocol, m) for m in METRICS}
    grid = stats.score_table(results, learner, protocol, "roc_auc_grid_best") if protocol == "paper" else None
    f1_grid = stats.score_table(results, learner, protocol, "f1_grid_best") if protocol == "paper" else None
    f1_ranks = stats.mean_ranks(tables["f1"], "f1") if not tables["f1"].empty else pd.Series(dtype=float)
    scope = results[(results.learner == learner) & (results.protocol == protocol)]
    left_out = sorted(set(scope.dataset) - set(auc.index)) + sorted(set(scope.method) - set(auc.columns))
    lines = [f"## {learner} · {protocol} protocol ({n} datasets × {k} methods"
             + (f"; left out for failed or missing cells: {', '.join(left_out)}" if left_out else "") + ")", "",
             f"Friedman χ² = {chi2:.2f}, p = {p:.2g}; Nemenyi critical difference (α = 0.05) = {cd:.2f} ranks. "
             f"Plot: `{plot.name}`. Scores are means over datasets of the fixed default (classes balanced); "
             + ("the grid-best columns pick the best ratio of the grid on the held-out part, as the paper does "
                "(optimistic). " if grid is not None else "") + "W/T/L: AUC difference to none beyond ±0.001.", "",
             "| method | AUC rank | AUC | F1 rank | F1 | G-mean | PR-AUC | Brier |"
             + (" AUC grid-best | F1 grid-best |" if grid is not None else "")
             + " AUC W/T/L vs none | Wilcoxon p (Holm) |",
             "|---|---|---|---|---|---|---|---|" + ("---|---|" if grid is not None else "") + "---|---|"]
    for method, rank in ranks.items():
        cells = [f"{rank:.2f}", f"{auc[method].mean():.3f}", f"{f1_ranks.get(method, np.nan):.2f}"]
        cells += [f"{tables[m][method].mean():.3f}" if method in tables[m] else ""
                  for m in ("f1", "g_mean", "pr_auc", "brier")]
        if grid is not None:
            cells.append(f"{grid[method].mean():.3f}" if method in grid else "")
            cells.append(f"{f1_grid[method].mean():.3f}" if method in f1_grid else "")
        if method in vs.index:
            v = vs.loc[method]
            cells += [f"{int(v.wins)}/{int(v.ties)}/{int(v.losses)}", f"{v.p_holm:.3g}"]
        else:
            cells += ["—", "—"]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    lines += ["", f"<details><summary>AUC per dataset ({learner}, {protocol})</summary>", "",
              "| dataset | " + " | ".join(ranks.index) + " |", "|---" * (k + 1) + "|"]
    for dataset, row in auc.iterrows():
        lines.append(f"| {dataset} | " + " | ".join(f"{row[m]:.3f}" for m in ranks.index) + " |")
    lines += ["", "</details>", ""]
    return lines


def write_speed(table: pd.DataFrame, out_dir: str | Path, *, command: str, machine: str) -> Path:
    out = Path(out_dir)
    io.write_parquet(table, out / "speed.parquet")
    lines = ["# Speed and peak memory against imbalanced-learn SMOTE (same run)", "",
             f"- command: `{command}`", f"- machine: {machine}",
             "- data: make_classification, 10,000 × 20, 1,000 minority rows; peak memory by tracemalloc "
             "(Python allocations, numpy included), time = best of 3 calls without tracemalloc", "",
             "| method | new points | seconds | × SMOTE time | peak MiB | × SMOTE memory | error |",
             "|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(f"| {r.method} | {r.n_new:,} | {r.seconds:.3f} | {r.time_vs_smote:.1f} | {r.peak_mib:.1f} | "
                     f"{r.memory_vs_smote:.1f} | {r.error[:100]} |")
    path = out / "speed.md"
    io.write_text("\n".join(lines) + "\n", path)
    return path
