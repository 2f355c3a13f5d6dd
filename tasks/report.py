"""Stage 9: one row per method (AUC, F1, causal check, fairness check, pass/fail), as JSON and Markdown."""

from __future__ import annotations

import json

from augmentation import io
from tasks import paths, stage, training_sets
from tasks.params import Params


def _read(path) -> dict:
    return json.loads(path.read_text())


def _gate(results: dict, method: str) -> bool | None:
    """A check's verdict for ``method``: None where it does not apply (baselines, or the check was skipped)."""
    if "skipped" in results or method not in results:
        return None
    return bool(results[method]["passed"])


def summarize_run(p: Params) -> dict:
    evaluation, causal, fairness = _read(paths.EVALUATION), _read(paths.CAUSAL), _read(paths.FAIRNESS)
    rows = []
    for method in training_sets.methods(p):
        row = {"method": method}
        for learner, metrics in evaluation[method].items():
            for metric in ("roc_auc", "f1"):
                row[f"{learner}_{metric}"] = round(metrics[metric]["mean"], 4)
                row[f"{learner}_{metric}_std"] = round(metrics[metric]["std"], 4)
        row["causal"] = _gate(causal, method)
        row["fairness"] = _gate(fairness, method)
        row["passed"] = row["causal"] is not False and row["fairness"] is not False
        rows.append(row)
    learners = list(p.evaluate.learners)
    mean_auc = {r["method"]: sum(r[f"{l}_roc_auc"] for l in learners) / len(learners) for r in rows}
    eligible = [r["method"] for r in rows if r["method"] in p.generators.methods and r["passed"]]
    best = max(eligible, key=lambda m: mean_auc[m]) if eligible else None
    diagnostics = _read(paths.GENERATOR_DIAGNOSTICS) if paths.GENERATOR_DIAGNOSTICS.exists() else {}
    return {"rows": rows, "best_generator": best,
            "best_gain_over_none": round(mean_auc[best] - mean_auc["none"], 4) if best else None,
            "learners": learners, "repeats": p.evaluate.repeats,
            "generator_diagnostics": {m: d for m, d in diagnostics.items() if m in p.generators.methods}}


def to_markdown(summary: dict) -> str:
    learners = summary["learners"]
    head = ["method", *[f"{l} AUC" for l in learners], *[f"{l} F1" for l in learners], "causal", "fairness", "verdict"]
    lines = ["# Retraining run: results on the real hold-out", "",
             f"Mean ± standard deviation over {summary['repeats']} repeats.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    mark = {True: "pass", False: "FAIL", None: "n/a"}
    for r in summary["rows"]:
        cells = [r["method"],
                 *[f"{r[f'{l}_roc_auc']:.3f} ± {r[f'{l}_roc_auc_std']:.3f}" for l in learners],
                 *[f"{r[f'{l}_f1']:.3f} ± {r[f'{l}_f1_std']:.3f}" for l in learners],
                 mark[r["causal"]], mark[r["fairness"]], "pass" if r["passed"] else "FAIL"]
        lines.append("| " + " | ".join(cells) + " |")
    best = summary["best_generator"]
    lines += ["", f"Best generator passing every check: **{best}** (mean AUC gain over no oversampling: "
              f"{summary['best_gain_over_none']:+.4f})." if best else "No generator passed every check."]
    lines += _diagnostics_markdown(summary.get("generator_diagnostics") or {})
    return "\n".join(lines) + "\n"


def _diagnostics_markdown(diagnostics: dict) -> list[str]:
    """One row per generator that reports diagnostics (e.g. O²: share on a bound, mean g_w, ...)."""
    if not diagnostics:
        return []
    keys = sorted({k for d in diagnostics.values() for k in d})
    lines = ["", "## Generator diagnostics (the synthesize stage's run)", "",
             "| generator | " + " | ".join(keys) + " |", "|" + "---|" * (len(keys) + 1)]
    for method, values in diagnostics.items():
        lines.append("| " + " | ".join([method, *[_cell(values.get(k)) for k in keys]]) + " |")
    return lines


def _cell(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def run(p: Params) -> list[str]:
    """Write metrics/summary.json and reports/summary.md."""
    summary = summarize_run(p)
    io.write_json(summary, paths.SUMMARY)
    io.write_text(to_markdown(summary), paths.REPORT)
    stage.logger(__name__).info("summary in %s", paths.REPORT)
    return [str(paths.SUMMARY), str(paths.REPORT)]


if __name__ == "__main__":
    raise SystemExit(stage.main(run))
