"""Stage 9: one row per method (AUC, F1, causal check, fairness check, pass/fail), as JSON and Markdown."""

from __future__ import annotations

import pandas as pd

from augmentation.data import io
from augmentation.evaluation.protocol import BASELINES, small_holdout_warning
from tasks import gates, paths, stage
from tasks.params import Params


def summarize_run(p: Params) -> dict:
    evaluation, causal = gates.read(paths.EVALUATION), gates.read(paths.CAUSAL)
    verdicts = gates.verdicts(p)
    rows = []
    for method in [m for m in (*BASELINES, "threshold", *p.generators.methods) if m in evaluation]:
        row = {"method": method}
        for learner, metrics in evaluation[method].items():
            for metric in ("roc_auc", "f1"):
                row[f"{learner}_{metric}"] = round(metrics[metric]["mean"], 4)
                row[f"{learner}_{metric}_std"] = round(metrics[metric]["std"], 4)
        # the threshold baseline is the plain model: no synthetic rows to check, fairness measured at 0.5 only
        row.update(verdicts.get(method, {"causal": None, "fairness": None, "passed": None}))
        rows.append(row)
    scorecard = scorecard_rows(p, causal)
    learners = list(p.evaluate.learners)
    mean_auc = {r["method"]: sum(r[f"{name}_roc_auc"] for name in learners) / len(learners) for r in rows}
    eligible = [r["method"] for r in rows if r["method"] in p.generators.methods and r["passed"]]
    best = max(eligible, key=lambda m: mean_auc[m]) if eligible else None
    diagnostics = gates.read(paths.GENERATOR_DIAGNOSTICS) if paths.GENERATOR_DIAGNOSTICS.exists() else {}
    n_minority = int(pd.read_parquet(paths.TEST, columns=[p.data.target])[p.data.target].sum())
    warnings = [small_holdout_warning(n_minority, p.evaluate.min_minority_test_rows)]
    if p.evaluate.max_rows is not None:
        warnings.append(f"evaluate.max_rows: each learner trained on a stratified sample of at most "
                        f"{p.evaluate.max_rows:,} rows (real, plus synthetic for a generator), not on all of them")
    return {"decision": decision_summary(gates.read(paths.DECISION)), "rows": rows, "best_generator": best,
            "holdout_minority_rows": n_minority, "warnings": [w for w in warnings if w],
            "best_gain_over_none": round(mean_auc[best] - mean_auc["none"], 4) if best else None,
            "learners": learners, "repeats": p.evaluate.repeats, "scorecard": scorecard,
            "generator_diagnostics": {m: d for m, d in diagnostics.items() if m in p.generators.methods}}


def decision_summary(decision: dict) -> dict:
    """The decision stage's verdict in short: the headline, and per learner the choice and its hold-out proof."""
    metric = decision["metric"]
    return {"headline": decision["headline"], "metric": metric,
            "learners": {learner: {"chosen": d["chosen"], "baseline": d["baseline"], "sentence": d["sentence"],
                                   "threshold": round(d["holdout"]["threshold"], 4),
                                   f"validated_{metric}": round(d["validated"][d["chosen"]][metric], 4),
                                   f"holdout_{metric}": round(d["holdout"]["chosen"][metric], 4),
                                   f"holdout_{metric}_baseline": round(d["holdout"]["baseline"][metric], 4),
                                   "reliability": d["holdout"]["reliability"]}
                         for learner, d in decision["learners"].items()}}


def artifact_rows(summary: dict) -> list[dict]:
    """The summary table as a person reads it in the Prefect UI: the method first, its verdict, each learner's
    AUC and F1, then the checks. A table artifact keeps this key order (summary.json's keys are sorted)."""
    word = {True: "pass", False: "FAIL", None: "n/a"}
    learners = summary["learners"]
    return [{"method": r["method"], "verdict": word[r["passed"]],
             **{f"{name} AUC": r[f"{name}_roc_auc"] for name in learners},
             **{f"{name} F1": r[f"{name}_f1"] for name in learners},
             "causal": word[r["causal"]], "fairness": word[r["fairness"]]} for r in summary["rows"]]


def scorecard_rows(p: Params, causal: dict) -> list[dict]:
    """One row per generator: every scorecard number and verdict, and the constraint counts."""
    constraints = gates.read(paths.CONSTRAINTS) if paths.CONSTRAINTS.exists() else {}
    rows = []
    for method in p.generators.methods:
        entry = causal.get(method, {})
        card = entry.get("scorecard", {})
        row = {"method": method}
        if "broken_share" in entry:
            row["independence_agreement"] = round(1 - entry["broken_share"], 4)
            row["independence_passed"] = entry.get("independence_passed", entry["passed"])
        if "structure" in card:
            s = card["structure"]
            row.update(shd_real_vs_map=s["shd_real_vs_map"], shd_synthetic_vs_map=s["shd_synthetic_vs_map"],
                       shd_real_vs_synthetic=s["shd_real_vs_synthetic"], structure_passed=s["passed"])
        if "mechanisms" in card:
            m = card["mechanisms"]
            row.update(mechanism_max_ks=m["max_ks_observed"], mechanism_mean_ks=m["mean_ks"],
                       mechanism_worst=m["worst_node"], mechanisms_passed=m["passed"])
        if "effect" in card:
            e = card["effect"]
            row["effect_passed"] = e.get("passed")
            if "real" in e:
                row.update(effect_real=round(e["real"]["estimate"], 4),
                           effect_synthetic=round(e["augmented"]["estimate"], 4),
                           effect_shift_se=e["shift_in_se"])
        if "counterfactual" in card:
            c = card["counterfactual"]
            row["counterfactual_passed"] = c.get("passed")
            if "probes" in c:
                row["counterfactual_max_against"] = max(v["share_against"] for v in c["probes"].values())
        if method in constraints:
            row.update(rows_repaired=constraints[method]["n_rows_repaired"],
                       rows_rejected=constraints[method]["n_rows_rejected"])
        rows.append(row)
    return rows


def to_markdown(summary: dict) -> str:
    learners = summary["learners"]
    head = ["method", *[f"{learner} AUC" for learner in learners], *[f"{learner} F1" for learner in learners],
            "causal", "fairness", "verdict"]
    decision = summary["decision"]
    lines = ["# Retraining run", "", *[f"> **Warning:** {w}\n" for w in summary.get("warnings", [])],
             f"**Decision:** {decision['headline']}", ""]
    lines += [f"- {d['sentence']} Calibration of its probabilities on the hold-out: mean predicted "
              f"{d['reliability']['mean_predicted']:.3f} vs observed rate {d['reliability']['base_rate']:.3f} "
              "(reliability diagram in reports/audit.html)." for d in decision["learners"].values()]
    lines += ["", f"Chosen per learner by validated {decision['metric']} on the training part only "
              "(metrics/decision.json: every option's validated scores, the intervals, and the options left out); "
              "the real hold-out was touched once, for the chosen option and its baseline.", "",
              "## Every method on the real hold-out, at threshold 0.5", "",
              f"Mean ± standard deviation over {summary['repeats']} repeats.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    mark = {True: "pass", False: "FAIL", None: "n/a"}
    for r in summary["rows"]:
        cells = [r["method"],
                 *[f"{r[f'{learner}_roc_auc']:.3f} ± {r[f'{learner}_roc_auc_std']:.3f}" for learner in learners],
                 *[f"{r[f'{learner}_f1']:.3f} ± {r[f'{learner}_f1_std']:.3f}" for learner in learners],
                 mark[r["causal"]], mark[r["fairness"]], mark[r["passed"]]]
        lines.append("| " + " | ".join(cells) + " |")
    best = summary["best_generator"]
    lines += ["", f"Generator with the best mean AUC among those passing every check: {best} (mean AUC vs no "
              f"oversampling: {summary['best_gain_over_none']:+.4f}); the decision above says whether to use any."
              if best else "No generator passed every check."]
    lines += _diagnostics_markdown(summary.get("generator_diagnostics") or {})
    if summary.get("scorecard"):
        lines += ["", "## Causal-fidelity scorecard (metrics/causal.json)", "",
                  "Independence agreement: share of the map's implied independences that still hold. "
                  "SHD: structural Hamming distance of PC's graph from the map, on real rows and on real majority "
                  "+ synthetic minority. Mechanism KS: largest per-node residual KS statistic (node). "
                  "Effect: the exposure's adjusted log odds ratio, real -> with synthetic minority "
                  "(shift in standard errors of the difference). Counterfactual: largest share of rows whose risk "
                  "moves against a declared monotone effect. Constraints: rows repaired / rejected.", "",
                  "| method | independence | SHD real / synthetic | mechanism KS | effect | counterfactual | "
                  "constraints |", "|---|---|---|---|---|---|---|"]

        def verdict(value) -> str:
            return {True: "pass", False: "**FAIL**", None: "n/a"}[value]

        for r in summary["scorecard"]:
            cells = [r["method"],
                     f"{r['independence_agreement']:.1%} {verdict(r.get('independence_passed'))}"
                     if "independence_agreement" in r else "n/a",
                     f"{r['shd_real_vs_map']} / {r['shd_synthetic_vs_map']} {verdict(r['structure_passed'])}"
                     if "structure_passed" in r else "n/a",
                     f"{r['mechanism_max_ks']} ({r['mechanism_worst']}) {verdict(r['mechanisms_passed'])}"
                     if r.get("mechanism_max_ks") is not None else "n/a",
                     f"{r['effect_real']} -> {r['effect_synthetic']} ({r['effect_shift_se']} SE) "
                     f"{verdict(r['effect_passed'])}"
                     if "effect_real" in r else verdict(r.get("effect_passed")),
                     f"{r['counterfactual_max_against']:.1%} {verdict(r['counterfactual_passed'])}"
                     if "counterfactual_max_against" in r else verdict(r.get("counterfactual_passed")),
                     f"{r['rows_repaired']} / {r['rows_rejected']}" if "rows_repaired" in r else "n/a"]
            lines.append("| " + " | ".join(str(c) for c in cells) + " |")
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


def audit_html(p: Params, summary: dict) -> str:
    """The self-contained audit page (augmentation.reporting.audit) from this run's outputs."""
    from augmentation.reporting.audit import render
    from augmentation.synthesis.classification import PROVENANCE
    from tasks.maps import load_map

    train = pd.read_parquet(paths.TRAIN)
    causal_map = load_map(p.data.graph).complete(train, p.data.spec())
    synthetic = {m: pd.read_parquet(paths.synthetic(m)).drop(columns=PROVENANCE) for m in p.generators.methods}
    records = {m: gates.read(paths.generator_dir(m) / "generator.json") for m in p.generators.methods}
    contract = {"raw data": gates.read(paths.RAW_VALIDATION), **gates.read(paths.SYNTHETIC_VALIDATION)}
    return render(title=f"Audit report: {p.data.source} data, label {p.data.target}", causal_map=causal_map,
                  train=train, synthetic=synthetic, records=records, constraints=gates.read(paths.CONSTRAINTS),
                  constraint_mode=p.constraints.mode, contract=contract, causal=gates.read(paths.CAUSAL),
                  fairness=gates.read(paths.FAIRNESS), summary=summary)


def headline(summary: dict) -> dict:
    """The few numbers `dvc metrics show` prints: per learner the decision and its hold-out proof, the best
    generator and its AUC gain, how many generators passed every gate, the hold-out's minority rows."""
    decision = summary["decision"]
    metric = decision["metric"]
    rows = {r["method"]: r for r in summary["rows"]}
    return {"decision": {learner: {"option": d["chosen"], f"holdout_{metric}": d[f"holdout_{metric}"],
                                   f"holdout_{metric}_baseline": d[f"holdout_{metric}_baseline"]}
                         for learner, d in decision["learners"].items()},
            "best_generator": summary["best_generator"], "best_gain_over_none_auc": summary["best_gain_over_none"],
            "generators_passing": sum(bool(r["passed"]) for m, r in rows.items() if m not in (*BASELINES, "threshold")),
            "holdout_minority_rows": summary["holdout_minority_rows"], "warnings": summary["warnings"]}


def run(p: Params) -> list[str]:
    """Write reports/summary.json (the table), metrics/summary.json (its headline), reports/summary.md and (with a
    causal map) reports/audit.html."""
    summary = summarize_run(p)
    io.write_json(summary, paths.RUN_SUMMARY)
    io.write_json(headline(summary), paths.SUMMARY)
    io.write_text(to_markdown(summary), paths.REPORT)
    written = [str(paths.RUN_SUMMARY), str(paths.SUMMARY), str(paths.REPORT)]
    page = (audit_html(p, summary) if p.data.graph is not None else
            "<!DOCTYPE html><html><body><p>No causal map is named in data.graph, so there is no audit report: "
            "name one (see configs/trauma_graph.yaml) or propose one with `oversample causal discover`."
            "</p></body></html>")
    io.write_text(page, paths.AUDIT)
    written.append(str(paths.AUDIT))
    stage.logger(__name__).info("summary in %s", paths.REPORT)
    return written


if __name__ == "__main__":
    raise SystemExit(stage.main(run))
