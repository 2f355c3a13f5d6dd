"""Benchmark outputs: the results table (Parquet), Markdown tables and critical-difference plots."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from augmentation.bench import stats
from augmentation.bench.cells import AUTO, METRICS, THRESHOLD
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
            lines.append(f"| {r.dataset} | {r.method} | {r.learner} | {r.protocol} | {r.seed} | "
                         f"{table_cell(r.error)} |")
        lines.append("")
    path = out / "summary.md"
    io.write_text("\n".join(lines) + "\n", path)
    return path


def table_cell(text, limit: int = 160) -> str:
    """``text`` as one Markdown table cell: its lines joined by spaces (scikit-learn's "All the 36 fits failed"
    message starts with an empty line), pipes escaped, cut at ``limit`` characters."""
    one_line = " ".join(str(text).split())
    if len(one_line) > limit:
        one_line = one_line[:limit - 1] + "…"
    return one_line.replace("|", "\\|")


def _section(results: pd.DataFrame, out: Path, protocol: str, learner: str) -> list[str]:
    auc = stats.score_table(results, learner, protocol, "roc_auc")
    if auc.empty:
        return []
    n, k = auc.shape
    ranks = stats.mean_ranks(auc)
    chi2, p = stats.friedman(auc)
    cd = stats.nemenyi_cd(k, n)
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
                "(optimistic). " if grid is not None else ""), "",
             "| method | AUC rank | AUC | F1 rank | F1 | G-mean | PR-AUC | Brier |"
             + (" AUC grid-best | F1 grid-best |" if grid is not None else ""),
             "|---|---|---|---|---|---|---|---|" + ("---|---|" if grid is not None else "")]
    for method, rank in ranks.items():
        cells = [f"{rank:.2f}", f"{auc[method].mean():.3f}", f"{f1_ranks.get(method, np.nan):.2f}"]
        cells += [f"{tables[m][method].mean():.3f}" if method in tables[m] else ""
                  for m in ("f1", "g_mean", "pr_auc", "brier")]
        if grid is not None:
            cells.append(f"{grid[method].mean():.3f}" if method in grid else "")
            cells.append(f"{f1_grid[method].mean():.3f}" if method in f1_grid else "")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    lines += ["", *_comparisons(auc, tables["f1"], ranks.index), *_choices(scope),
              f"<details><summary>AUC per dataset ({learner}, {protocol})</summary>", "",
              "| dataset | " + " | ".join(ranks.index) + " |", "|---" * (k + 1) + "|"]
    for dataset, row in auc.iterrows():
        lines.append(f"| {dataset} | " + " | ".join(f"{row[m]:.3f}" for m in ranks.index) + " |")
    lines += ["", "</details>", ""]
    return lines


COMPARED_WITH = ("none", THRESHOLD)  # the baselines every method is tested against, where the run has them


def _comparisons(auc: pd.DataFrame, f1: pd.DataFrame, methods) -> list[str]:
    """Paired comparisons with each baseline the run has: W/T/L and Holm-adjusted Wilcoxon, AUC and F1."""
    families = [(b, name, stats.versus_baseline(t, metric, b)) for b in COMPARED_WITH
                for name, metric, t in (("AUC", "roc_auc", auc), ("F1", "f1", f1)) if b in t]
    if not families:
        return []
    lines = [f"Paired over datasets: W/T/L = wins/ties/losses (difference beyond ±{stats.TIE:g}); p = Wilcoxon "
             "signed-rank, Holm-adjusted within each comparison (one family per metric and baseline).", "",
             "| method | " + " | ".join(f"{name} W/T/L vs {b} | p" for b, name, _ in families) + " |",
             "|---" * (1 + 2 * len(families)) + "|"]
    for method in methods:
        cells = []
        for _, _, vs in families:
            if method in vs.index:
                v = vs.loc[method]
                cells += [f"{int(v.wins)}/{int(v.ties)}/{int(v.losses)}", f"{v.p_holm:.3g}"]
            else:
                cells += ["—", "—"]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return lines + [""]


def choice_counts(results: pd.DataFrame) -> pd.Series:
    """How often ``auto`` chose each option, over the outer splits of its ok cells (most chosen first)."""
    ok = results[(results.method == AUTO) & (results.status == "ok")]
    chosen = [c for text in ok.choices if isinstance(text, str) for c in json.loads(text)]
    counts = pd.Series(chosen, dtype=object).value_counts()
    return counts.sort_index().sort_values(ascending=False, kind="stable")


def _choices(scope: pd.DataFrame) -> list[str]:
    counts = choice_counts(scope)
    if counts.empty:
        return []
    return [f"auto chose, over {int(counts.sum())} outer splits: "
            + ", ".join(f"{name} {n}" for name, n in counts.items()) + ".", ""]


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
