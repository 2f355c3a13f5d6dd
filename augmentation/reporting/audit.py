"""The audit report: one self-contained HTML page explaining how every synthetic row came to be.

No network assets: styles inline, plots as base64 PNG (matplotlib, Agg backend), no scripts.
Sections (each an ``<h2 id=...>``): map, variables, constraints, generators, contract,
scorecard, fairness, evaluation, distributions, structure.

Every per-method table lists the methods in the run's order (baselines first, then the generators as
configured), never alphabetically.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io as _io
import json
from collections.abc import Mapping
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from augmentation import generators
from augmentation.causal import calibration
from augmentation.causal.map import CausalMap

SECTIONS = ("map", "variables", "constraints", "generators", "contract", "scorecard", "fairness", "evaluation",
            "distributions", "structure")
_STYLE = """body{font-family:sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;
text-align:left;vertical-align:top}th{background:#f2f2f2}.fail{color:#b00;font-weight:bold}.pass{color:#070}
img{max-width:100%}.grid{display:flex;flex-wrap:wrap;gap:8px}code{font-size:12px}.note{color:#555;max-width:60em}
ul.roles{margin:0;padding-left:1.1em}"""


def variable_roles(method: str, params: Mapping[str, Any], causal_map: CausalMap, columns: list[str]) -> dict[str, str]:
    """For each column, what the generator did with it and why."""
    label = causal_map.label
    roles = {}
    if method == "scm":
        mode = params.get("mode", "auto")  # the mode it drew in (its diagnostics), else the configured one
        if mode == "counterfactual":
            mutable_roots = causal_map.mutable_roots()
            below = set().union(*(nx.descendants(causal_map.dag, r) for r in mutable_roots)) if mutable_roots else set()
            for c in columns:
                if c == label:
                    roles[c] = "fixed (the minority label)"
                elif c in mutable_roots:
                    roles[c] = "perturbed (mutable root cause)"
                elif c not in causal_map.nodes:
                    roles[c] = "copied from the real row (not in the map)"
                elif causal_map.variable(c).immutable:
                    roles[c] = "held fixed (immutable)"
                elif c in below:
                    roles[c] = "recomputed through its mechanism with the row's own noise"
                else:
                    roles[c] = "held fixed (not downstream of a perturbed cause)"
            return roles
        for c in columns:
            roles[c] = ("fixed (the minority label; conditioned on by rejection)" if c == label else
                        "copied jointly from a real minority row (not in the map)" if c not in causal_map.nodes else
                        "sampled from its empirical distribution (root)" if not causal_map.parents(c) else
                        "sampled from its fitted mechanism given its parents")
        return roles
    if method == "random":
        return {c: "fixed (label)" if c == label else "copied from a real minority row" for c in columns}
    entry = generators.REGISTRY.get(method)
    for c in columns:
        if c == label:
            roles[c] = "fixed (label)"
        elif c in causal_map.nodes and causal_map.variable(c).immutable:
            # the constraint layer's snapping stays the safety net for generators outside the registry
            roles[c] = (f"held fixed (immutable): {generators.IMMUTABLE_RULES[entry.immutables]}" if entry else
                        "interpolated between minority neighbours; then snapped to an observed value (immutable)")
        elif method in _O2:
            start = _O2_STARTS.get(params.get("warm_start", "smote"), "a warm start")
            roles[c] = f"{start} moved by O²'s optimiser within a small box"
        else:
            roles[c] = _MAKES.get(method, "interpolated between minority neighbours")
    return roles


# What the generators that do not interpolate between two minority rows do with the other columns.
_MAKES = {"david": "decoded from a β-VAE's latent space (a smoothed bootstrap of minority rows)",
          "loras": "a convex combination of noisy copies of several minority neighbours"}
_O2 = ("o2", "o2_svm", "o2_cart")
_O2_STARTS = {"smote": "a SMOTE interpolation", "minority": "a jittered minority row", "loras": "a LoRAS point"}


def render(*, title: str, causal_map: CausalMap, train: pd.DataFrame, synthetic: Mapping[str, pd.DataFrame],
           records: Mapping[str, dict], constraints: Mapping[str, Any], constraint_mode: str,
           contract: Mapping[str, Any], causal: Mapping[str, Any], fairness: Mapping[str, Any],
           summary: Mapping[str, Any]) -> str:
    """The audit page as one HTML string."""
    order = [r["method"] for r in summary.get("rows", [])] + list(synthetic)
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{_e(title)}</title>"
             f"<style>{_STYLE}</style></head><body><h1>{_e(title)}</h1>",
             "<p>Sections: " + " · ".join(f"<a href='#{s}'>{s}</a>" for s in SECTIONS) + "</p>"]
    decision = summary.get("decision")
    if decision:  # the answer first, in the words of the run's summary
        parts.append(f"<p class='decision'><b>Decision:</b> {_e(decision['headline'])}</p><ul>"
                     + "".join(f"<li>{_e(d['sentence'])}</li>" for d in decision["learners"].values()) + "</ul>")

    parts.append(_h("map", "The causal map"))
    digest = hashlib.sha256(json.dumps(causal_map.to_dict(), sort_keys=True, default=str).encode()).hexdigest()
    parts.append(f"<p>Map sha256 <code>{digest[:16]}…</code>. Label <b>{_e(causal_map.label)}</b>; "
                 f"{len(causal_map.nodes)} nodes, {len(causal_map.edges)} "
                 f"edges; exposure scored: <b>{_e(causal_map.exposure or 'none')}</b>. Monotone effects: "
                 + (", ".join(f"{_e(m.cause)} → {_e(m.effect)} {m.direction}" for m in causal_map.monotone) or "none")
                 + ". Forbidden rows: " + (", ".join(f"<code>{_e(f)}</code>" for f in causal_map.forbidden) or "none")
                 + ".</p>")
    parts.append(_img(_draw_map(causal_map), "the causal map"))

    parts.append(_h("variables", "Variables: generated or held fixed, and why"))
    columns = list(train.columns)
    drawn = {m: {"mode": d["mode"]} for m, d in (summary.get("generator_diagnostics") or {}).items() if "mode" in d}
    roles = {m: variable_roles(m, {**records.get(m, {}).get("params", {}), **drawn.get(m, {})}, causal_map, columns)
             for m in synthetic}
    rows = []
    for c in columns:
        var = causal_map.variable(c)
        rows.append([c, var.type if c in causal_map.nodes else "(not in the map)", var.bounds or "",
                     "yes" if var.immutable else "", "" if var.tier is None else var.tier,
                     _roles_cell({m: roles[m][c] for m in synthetic})])
    parts.append(_table(["variable", "type", "bounds", "immutable", "tier", "what each generator did"], rows))

    parts.append(_h("constraints", f"Constraints (mode: {constraint_mode})"))
    if "skipped" in constraints:
        parts.append(f"<p>{_e(constraints['skipped'])}</p>")
    else:
        rows = [[m, r["n_rows_in"], r["n_rows_repaired"], r["n_rows_rejected"], r["n_rows_out"],
                 ", ".join(f"{k}: {v}" for k, v in r["repaired"].items()) or "-",
                 ", ".join(f"{k}: {v}" for k, v in r["rejected"].items()) or "-"]
                for m, r in _ordered(constraints, order)]
        parts.append(_table(["generator", "rows made", "repaired", "rejected", "kept", "repaired by constraint",
                             "rejected by constraint"], rows))

    parts.append(_h("generators", "Generators: versions, parameters, seed, training data"))
    rows = [[m, json.dumps(r.get("params", {})), r.get("sampling_strategy"), r.get("seed"),
             r.get("train_sha256", "")[:16] + "…", r.get("train_rows"),
             ", ".join(f"{k} {v}" for k, v in r.get("versions", {}).items())] for m, r in _ordered(records, order)]
    parts.append(_table(["generator", "parameters", "sampling strategy", "seed", "training data sha256",
                         "training rows", "library versions"], rows))

    parts.append(_h("contract", "Data contract (Great Expectations)"))
    rows = [[name, r.get("n_expectations"), _verdict(r.get("passed")),
             "; ".join(str(f) for f in r.get("failures", []))[:500] or "-"]
            for name, r in _ordered(contract, ["raw data", *order])]
    parts.append(_table(["rows checked", "expectations", "verdict", "failures"], rows))

    parts.append(_h("scorecard", "Causal-fidelity scorecard"))
    parts.append(_scorecard(dict(_ordered(causal, order))))

    parts.append(_h("fairness", "Fairness"))
    if "skipped" in fairness:
        parts.append(f"<p>{_e(fairness['skipped'])}</p>")
    else:
        parts.append("<p class='note'>Differences between the groups of the sensitive attribute, of a model trained "
                     "on the real training rows plus each method's synthetic rows, on the real hold-out. "
                     "<code>none</code> is the model trained on the real rows alone: when it fails, the real data "
                     "itself exceeds the gate, and no generator is to blame for that gap.</p>")
        rows = [[m, _num(r.get("demographic_parity_difference")), _num(r.get("equalized_odds_difference")),
                 _verdict(r.get("passed")), r.get("reason", "")]
                for m, r in _ordered(fairness, order) if isinstance(r, dict)]
        parts.append(_table(["method", "demographic parity diff.", "equalized odds diff.", "verdict", "reason"], rows))

    parts.append(_h("evaluation", "Evaluation on the real hold-out"))
    learners = summary.get("learners", [])
    rows = [[r["method"],
             *[f"{r[f'{learner}_roc_auc']:.3f} ± {r[f'{learner}_roc_auc_std']:.3f}" for learner in learners],
             *[f"{r[f'{learner}_f1']:.3f} ± {r[f'{learner}_f1_std']:.3f}" for learner in learners],
             _verdict(r.get("passed"))]
            for r in summary.get("rows", [])]
    parts.append(_table(["method", *[f"{learner} AUC" for learner in learners],
                         *[f"{learner} F1" for learner in learners], "verdict"], rows))

    if decision:
        parts.append("<p>Reliability of the chosen option's probabilities on the real hold-out (prior-corrected "
                     "where it was trained on a rebalanced ratio): points on the diagonal are calibrated.</p>")
        parts.append("<div class='grid'>" + "".join(_img(_reliability(learner, d), f"reliability {learner}")
                                                    for learner, d in decision["learners"].items()) + "</div>")

    parts.append(_h("distributions", "Real vs synthetic minority rows, per variable"))
    parts.append("<p class='note'>One row of panels per variable: the real minority rows (black outline) against "
                 "each generator's synthetic rows (filled), on the same bins.</p>")
    parts.append("".join(_img(_distribution(train, synthetic, c, causal_map.label), c)
                         for c in columns if c != causal_map.label))

    parts.append(_h("structure", "Structure changes: broken independences and edges PC sees differently"))
    parts.append("<p class='note'>Not data drift (that is the drift monitor's Evidently report): these are the "
                 "implied conditional independences of the map that hold on real rows but break on the augmented "
                 "rows, and the pairs where the PC algorithm's graph on synthetic rows differs from its graph on "
                 "real rows.</p>")
    rows = []
    for m, r in _ordered(causal, order):
        if not isinstance(r, dict):
            continue
        broken = [f"{t['x']} ⟂ {t['y']} | {{{', '.join(t['given'])}}} (p real {t['p_real']:.3g}, synthetic "
                  f"{t['p_synthetic']:.3g}, Holm-adjusted {t['p_synthetic_holm']:.3g})" for t in r.get("broken", [])]
        pairs = r.get("scorecard", {}).get("structure", {}).get("differing_pairs", [])
        rows.append([m, "; ".join(broken) or "none", f"{len(pairs)}: " + "; ".join(pairs) if pairs else "none"])
    parts.append(_table(["generator", "independences broken", "PC edges that differ"], rows) if rows
                 else "<p>None.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------- pieces
def _e(value: Any) -> str:
    return html.escape(str(value))


def _h(anchor: str, text: str) -> str:
    return f"<h2 id='{anchor}'>{_e(text)}</h2>"


def _ordered(mapping: Mapping[str, Any], order: list[str]) -> list[tuple[str, Any]]:
    """The mapping's items in the run's method order; names the order does not know come after, as given."""
    rank = {name: i for i, name in reversed(list(enumerate(order)))}
    return sorted(mapping.items(), key=lambda item: rank.get(item[0], len(rank)))


def _num(value: Any) -> Any:
    return f"{value:.3f}" if isinstance(value, float) else value


class _Markup(str):
    """Markup this module wrote itself: the only cell text a table does not escape."""


def _verdict(value: Any) -> str:
    return {True: _Markup("<span class='pass'>pass</span>"),
            False: _Markup("<span class='fail'>FAIL</span>")}.get(value, "n/a")


def _table(heads: list[str], rows: list[list[Any]]) -> str:
    def cell(v: Any) -> str:
        return v if isinstance(v, _Markup) else _e(v)  # user text (column names, values) never passes as markup
    return ("<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr>"
            + "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows) + "</table>")


def _roles_cell(roles: Mapping[str, str]) -> str:
    """One line per distinct role, naming the generators that gave the variable that role."""
    by_role: dict[str, list[str]] = {}
    for method, role in roles.items():
        by_role.setdefault(role, []).append(method)
    return _Markup("<ul class='roles'>" + "".join(f"<li><b>{_e(', '.join(methods))}</b>: {_e(role)}</li>"
                                                for role, methods in by_role.items()) + "</ul>")


_RUN_THRESHOLD = {  # gate: where this run's threshold is in a generator's entry (scorecard part, key)
    "independence": (None, "max_broken_share"), "structure": ("structure", "max_shd_increase"),
    "mechanisms": ("mechanisms", "max_ks"), "effect": ("effect", "max_effect_z"),
    "counterfactual": ("counterfactual", "max_violation"),
}


def _false_fail_table(causal: Mapping[str, Any], rules: Mapping[str, Any]) -> str:
    """Per gate: how often a perfect generator (fresh rows from the true model) fails it, as measured."""
    measured = calibration.load()
    if not measured:
        return "<p class='note'>No false-fail rates were measured (docs/bench_causal.py writes them).</p>"
    entry = next((r for r in causal.values() if isinstance(r, dict)), {})
    rows = []
    for gate, (part, key) in _RUN_THRESHOLD.items():
        rate = measured["false_fail"].get(gate)
        here = entry.get(key) if part is None else rules.get(part, {}).get(key)
        calibrated = measured["thresholds"].get(gate)
        if rate is None:
            continue
        same = here is None or calibrated is None or float(here) == float(calibrated)
        note = "" if same else " (at the calibrated threshold, not this run's)"
        shown = "" if here is None else here
        structure = rules.get("structure", {})
        if gate == "structure" and structure.get("allowed_increase") is not None:  # the margin grows with the map
            shown = (f"{here} per 10 nodes: +{structure['allowed_increase']} on this map's "
                     f"{structure.get('n_nodes_map')} nodes")
        rows.append([f"{gate} ({calibration.THRESHOLDS[gate]})", shown, calibrated,
                     f"{rate['worst']:.0%}{note}",
                     ", ".join(f"{d} {v:.0%}" for d, v in rate["per_model"].items())])
    causal_rate = measured["false_fail"].get("causal")
    return (f"<p class='note'>A perfect generator, fresh minority rows from the true model, fails a gate by chance "
            f"this often: measured over {measured['seeds']} seeds on each simulated model whose truth is known "
            f"({_e(measured['command'])}, {_e(measured['date'])}; docs/causal.md)."
            + (f" It fails the whole causal gate in at most {causal_rate['worst']:.0%} of runs." if causal_rate else "")
            + "</p>"
            + _table(["gate", "threshold in this run", "calibrated threshold",
                      "a perfect generator fails it in (worst model)", "per model"], rows))


def _scorecard(causal: Mapping[str, Any]) -> str:
    if "skipped" in causal:
        return f"<p>{_e(causal['skipped'])}</p>"
    rows, node_rows = [], []
    for m, r in causal.items():
        card = r.get("scorecard", {})
        s, mech, eff, cf = (card.get(k, {}) for k in ("structure", "mechanisms", "effect", "counterfactual"))
        rows.append([m, f"{1 - r['broken_share']:.1%} ({len(r['broken'])} of {r['n_hold_real']} broken)",
                     _verdict(r.get("independence_passed", r["passed"])),
                     f"{s.get('shd_real_vs_map')} / {s.get('shd_synthetic_vs_map')} (allowed "
                     f"+{s.get('allowed_increase')}; real vs synthetic: {s.get('shd_real_vs_synthetic')})"
                     if s else "n/a", _verdict(s.get("passed")),
                     f"max {mech.get('max_ks_observed')} ({mech.get('worst_node')}), mean {mech.get('mean_ks')}"
                     if mech else "n/a", _verdict(mech.get("passed")),
                     (f"{eff['real']['estimate']:.4f} [{eff['real']['ci95'][0]:.4f}, {eff['real']['ci95'][1]:.4f}] → "
                      f"{eff['augmented']['estimate']:.4f} [{eff['augmented']['ci95'][0]:.4f}, "
                      f"{eff['augmented']['ci95'][1]:.4f}]" if "real" in eff else eff.get("skipped", "n/a")),
                     _verdict(eff.get("passed")),
                     "; ".join(f"{k}: {v['share_against']:.1%} against (real rows' refits up to "
                               f"{v['share_against_real_refits_max']:.1%})"
                               for k, v in cf.get("probes", {}).items()) or cf.get("skipped", "n/a"),
                     _verdict(cf.get("passed")), _verdict(r.get("passed"))])
        node_rows += [(m, f"{node} ({v['kind']})", v["ks"], v["passed"]) for node, v in mech.get("nodes", {}).items()]
    rules = next((r.get("scorecard", {}) for r in causal.values() if isinstance(r, dict)), {})
    mech_rule, cf_rule = rules.get("mechanisms", {}), rules.get("counterfactual", {})
    out = ("<p class='note'>How each part decides. <b>Independence</b>: the share of the map's implied "
           "independences that hold on real rows and still hold on augmented rows. <b>SHD</b>: PC's graph on "
           "synthetic rows may be at most max_shd_increase per 10 nodes of the map (never less than max_shd_increase; "
           "PC's own noise grows with the map) further from the map than PC's graph on real rows; each side is the "
           f"median over {_e(rules.get('structure', {}).get('reference', {}).get('pc_runs', 1))} PC runs on subsamples "
           "of the same size. "
           "<b>Mechanism</b>: a node fails when its residual KS statistic exceeds "
           f"{_e(mech_rule.get('max_ks', 'the limit'))} and is also significant at alpha "
           f"{_e(mech_rule.get('alpha', ''))} after Holm's correction over the nodes; every row is scored out of "
           "sample (cross-fitted mechanisms; a synthetic row by the model that did not see its nearest real row). "
           "<b>Exposure effect</b>: the adjusted log odds ratio on augmented rows within the configured number of "
           "standard errors of the difference (both estimates' sampling error) of the real one. "
           "<b>Counterfactual</b>: relative to the real rows: a probe fails only when the share of rows "
           "whose risk moves against a declared monotone effect exceeds, by more than "
           f"{_e(cf_rule.get('max_violation', 'the margin'))}, the largest share of the same learner trained on the "
           "real rows and on the real rows plus duplicated real minority rows (refitted "
           f"{_e(cf_rule.get('refits', 'several'))} times): so 5.6% against can pass when the real rows' refits "
           "reach 5.2%.</p>")
    out += _false_fail_table(causal, rules)
    out += _table(["generator", "independence agreement", "", "SHD to map: real / synthetic", "",
                   "mechanism residual KS", "", "exposure effect (log OR, 95% CI): real → synthetic", "",
                   "counterfactual sanity", "", "overall"], rows)
    nodes = list(dict.fromkeys(node for m, node, *_ in node_rows))
    cells = {(m, node): (ks, passed) for m, node, ks, passed in node_rows}
    methods = list(dict.fromkeys(m for m, *_ in node_rows))
    grid = [[node, *[_Markup(f"<span class='{'pass' if cells[m, node][1] else 'fail'}'>{cells[m, node][0]:.3f}"
                             "</span>") if (m, node) in cells else "" for m in methods]] for node in nodes]
    out += ("<h3>Mechanism fidelity per node: residual KS (red: fails)</h3>"
            + _table(["node", *methods], grid))
    for m, r in causal.items():
        quality = r.get("mechanism_quality") if isinstance(r, dict) else None
        if not quality:
            continue
        poor = [n for n, q in quality.items() if not q["trusted"]]
        out += (f"<h3>How well {_e(m)}'s mechanisms fit the real rows (out of fold)</h3><p class='note'>Skill on "
                "rows each mechanism was not fitted on: R² for a number, log-loss skill (1 − loss / loss of the base "
                "rates) for a category; beside it the same parents in a linear model. A mechanism is not trusted "
                "when it does worse than no parents at all, or clearly worse than the linear fit: "
                f"{_e(m)}'s rows for that node then follow the model's error, not the data.</p>")
        if poor:
            out += (f"<p class='fail'>Warning: do not trust {_e(m)} on {_e(', '.join(poor))}: the mechanism fits "
                    "worse than the linear fit or than no parents.</p>")
        out += _table(["node", "parents", "score", "skill", "linear, same parents", "trusted"],
                      [[n, ", ".join(q["parents"]), q["score"], f"{q['skill']:.3f}", f"{q['linear_skill']:.3f}",
                        _verdict(q["trusted"])] for n, q in quality.items()])
    return out


def _reliability(learner: str, decision: Mapping[str, Any]) -> str:
    points = decision["reliability"]["points"]
    fig, ax = _figure(3.2, 3.2)
    ax.plot([0, 1], [0, 1], color="#999", lw=1, ls="--")
    ax.plot([p["mean_predicted"] for p in points], [p["observed"] for p in points], marker="o", color="#2a6fb0")
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="mean predicted probability", ylabel="observed rate",
           title=f"{learner}: {decision['chosen']}")
    return _png(fig)


def _png(fig, dpi: int = 72) -> str:
    import matplotlib.pyplot as plt

    buffer = _io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _img(data: str, alt: str) -> str:
    return f"<img alt='{_e(alt)}' src='data:image/png;base64,{data}'>"


def _figure(width: float, height: float, **subplots):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height), **subplots)


def _draw_map(causal_map: CausalMap) -> str:
    dag = nx.DiGraph()  # sorted, so the layout (and the page's bytes) do not depend on set order
    dag.add_nodes_from(sorted(causal_map.dag))
    dag.add_edges_from(sorted(causal_map.dag.edges))
    layers = {n: causal_map.variable(n).tier for n in dag}
    if any(v is None for v in layers.values()):
        layers = {n: i for i, gen in enumerate(nx.topological_generations(dag)) for n in gen}
    # columns by layer, nodes sorted within each (networkx's multipartite_layout depends on set order)
    pos = {}
    for x, layer in enumerate(sorted(set(layers.values()))):
        column = sorted(n for n in dag if layers[n] == layer)
        pos.update({n: (float(x), (len(column) - 1) / 2 - i) for i, n in enumerate(column)})
    fig, ax = _figure(11, 6)
    colours = ["#f4b6b6" if n == causal_map.label else "#cccccc" if causal_map.variable(n).immutable else "#b6d4f4"
               for n in dag]
    nx.draw_networkx(dag, pos, ax=ax, node_color=colours, node_size=2600, font_size=12, arrowsize=16,
                     edge_color="#555555")
    ax.set_title("left to right: temporal tiers; grey = immutable, red = label", fontsize=12)
    ax.axis("off")
    return _png(fig, dpi=96)


def _distribution(train: pd.DataFrame, synthetic: Mapping[str, pd.DataFrame], column: str, label: str) -> str:
    """One row of small panels: the real minority rows against each generator's rows, on shared bins."""
    real = train.loc[train[label] == 1, column]
    panels = max(len(synthetic), 1)
    fig, axes = _figure(1.9 * panels, 1.7, ncols=panels, sharey=True, squeeze=False)
    numeric = pd.api.types.is_numeric_dtype(real) and real.nunique() > 12
    if numeric:
        values = pd.concat([real, *(f[column] for f in synthetic.values())]).to_numpy(dtype=float)
        bins = np.histogram_bin_edges(values[np.isfinite(values)], bins=25)

        def density(series: pd.Series) -> np.ndarray:
            return np.histogram(series.to_numpy(dtype=float), bins=bins, density=True)[0]
    else:
        levels = sorted(pd.concat([real, *(f[column] for f in synthetic.values())]).astype(str).unique())

        def density(series: pd.Series) -> pd.Series:
            return series.astype(str).value_counts(normalize=True).reindex(levels, fill_value=0)
    real_density = density(real)  # the same outline in every panel
    for ax, (name, frame) in zip(axes[0], synthetic.items(), strict=False):  # no generator: one empty panel
        if numeric:  # one step artist per histogram: a bar per bin (ax.hist) costs a patch each to build and draw
            ax.stairs(density(frame[column]), bins, fill=True, color="#8fb8de")
            ax.stairs(real_density, bins, color="black", linewidth=1.2)
        else:
            x = np.arange(len(levels))
            ax.bar(x, density(frame[column]), color="#8fb8de")
            ax.step(x, real_density, where="mid", color="black", linewidth=1.2)
            ax.set_xticks(x, levels if len(levels) <= 6 else [""] * len(levels))
        ax.set_title(name, fontsize=8)
        ax.tick_params(labelsize=6)
    fig.suptitle(column, fontsize=10, x=0.01, ha="left")
    return _png(fig)
