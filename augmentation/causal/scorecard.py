"""The causal-fidelity scorecard: how much a generator's rows distort the causal structure.

Beside the independence agreement (augmentation.causal.independence), four measurements, each
with its own threshold and verdict:

- **structure recovery**: PC (causal-learn, Fisher-z) on the real training rows and on the
  comparison set (real majority + as many synthetic minority rows as there are real
  minority rows: the same class ratio, so no selection effect); the structural Hamming
  distance (SHD, over equivalence classes) between the two and from each to the map's
  CPDAG. Passes when SHD(synthetic, map) <= SHD(real, map) + ``max_shd_increase`` per 10 nodes of the map
  (never less than ``max_shd_increase``): PC's own sampling noise grows with the map (a perfect generator's
  rows landed up to 5 SHD further on CHILD's 20 nodes, up to 4 on trauma's 10, over 30 seeds). Each side's
  SHD is the median over ``PC_RUNS`` PC runs on subsamples of the same size (at most ``max_rows`` and
  ``SUBSAMPLE`` of the real rows, so the subsamples differ on small data too): with one run a side, PC's graph
  on the real rows landed up to 4 SHD closer to the map than on another subsample of the same rows, and
  every generator, a perfect one included, failed against it (trauma, seed 32).
- **mechanism fidelity**: each node's mechanism is fitted on the real training rows twice,
  CROSS-FITTED (two folds, each model fitted without its fold; regularised boosted trees), and
  every row is scored by the model that did not see it: a real minority row by its own fold's
  model, a synthetic row by the fold model of its nearest real minority row. So a fresh row from
  the true model and a real row are both scored out of sample (in-sample residuals of the real
  rows made a perfect generator fail on the label's node), and a copy of a real row gets exactly
  that row's residual. The two residual distributions are compared per node (two-sample KS
  statistic and p-value, Wasserstein distance in real-residual standard deviations). A node fails
  when its KS statistic exceeds ``max_ks`` AND the difference is significant after Holm's
  correction over the nodes (adjusted p < ``alpha``), so neither small samples nor the number of
  nodes fail a generator on noise alone.
- **effect consistency**: the exposure's effect on the label by backdoor adjustment
  (logistic regression of the label on the exposure and the exposure's parents, robust
  HC1 standard errors, statsmodels) on the real rows and on the comparison set (real
  majority + synthetic minority, the real class ratio: with a misspecified outcome model
  even duplicating minority rows moves the estimate, so the class ratio is held fixed).
  The effect is a conditional log odds ratio per unit of the exposure. Passes when the
  two differ by at most ``max_effect_z`` standard errors of the difference, sqrt(SE_real² +
  SE_augmented²): the augmented estimate has its own sampling error (a perfect generator's rows
  are another draw), so the real SE alone failed a perfect generator in one run in ten.
- **counterfactual sanity**: each evaluation learner trained on real + synthetic rows; every
  monotone effect of the map on the label is probed by raising the cause by one standard
  deviation in real rows (all else fixed), and the share of rows whose predicted risk moves
  against the declared direction is compared with a yardstick from the real rows: the same
  learner trained on the real rows, and on the real rows plus a bootstrap copy of the real
  minority (plain duplication, as many rows as balancing adds) ``refits`` times. The share may
  exceed the largest of the yardstick's shares by at most ``max_violation``. One real-data model
  was a noisy yardstick: a logistic coefficient near zero flips its sign between two samples
  (share 0 or 1), a tree's split moves, and a perfect generator failed in 3 of 10 seeds.

Every generator of a run is measured against one :class:`RealReference` (:func:`real_reference`): PC's graph
on one subsample of the real rows and the mechanisms fitted on one subsample. Drawn per generator, the
reference itself was noise (SHD real -> map ranged from 2 to 7 across generators on the same rows).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from augmentation.causal.discovery import cpdag_pattern, encode, pc_pattern, shd
from augmentation.causal.independence import comparison_set, holm
from augmentation.causal.map import CausalMap
from augmentation.causal.mechanisms import fit_mechanisms
from augmentation.data.table import category_codes

log = logging.getLogger(__name__)


def numeric_frame(frame: pd.DataFrame, causal_map: CausalMap) -> pd.DataFrame:
    """Map nodes as numbers: discrete nodes as codes of the map's categories (-1 for an unknown value)."""
    out = pd.DataFrame(index=frame.index)
    for node in causal_map.nodes:
        var = causal_map.variable(node)
        if var.discrete and node != causal_map.label:
            out[node] = category_codes(frame[node], var.categories or frame[node].unique()).astype(float)
        else:
            out[node] = frame[node].to_numpy(dtype=float)
    return out


def _sample(frame: pd.DataFrame, max_rows: int, rng: np.random.Generator) -> pd.DataFrame:
    if len(frame) <= max_rows:
        return frame.reset_index(drop=True)
    return frame.iloc[np.sort(rng.choice(len(frame), size=max_rows, replace=False))].reset_index(drop=True)


FOLDS = 2  # cross-fitting folds of the reference mechanisms
PC_RUNS = 5  # PC runs per side of the structure gate, on subsamples; the gate compares their median SHDs
SUBSAMPLE = 0.8  # the largest share of the real rows in one of those subsamples


def pc_subsample_size(n_real: int, max_rows: int) -> int:
    """Rows of each PC run of the structure gate, real or synthetic side alike (so PC sees as many on each)."""
    return min(max_rows, int(SUBSAMPLE * n_real))


@dataclass(frozen=True)
class RealReference:
    """What the structure and mechanism parts compare every generator with, computed once from the real rows."""

    patterns: tuple[dict, ...]  # PC's graph (CPDAG pattern) on each of PC_RUNS subsamples of the real rows
    fold_mechanisms: tuple[dict, ...]  # each node's mechanism, fitted without fold k of the real rows
    held_minority: pd.DataFrame  # the real minority rows as map numbers: the residuals synthetic rows meet
    held_folds: np.ndarray       # the fold of each held minority row (its residual comes from that fold's model)
    alpha: float
    max_rows: int
    seed: int
    counterfactual: CounterfactualReference | None = None  # the real-data yardstick of counterfactual sanity

    @property
    def pattern(self) -> dict:
        """PC's graph on the first real subsample (the one the differing pairs are listed against)."""
        return self.patterns[0]

    def describe(self) -> dict:
        return {"seed": self.seed, "alpha": self.alpha, "max_rows": self.max_rows, "folds": len(self.fold_mechanisms),
                "pc_runs": len(self.patterns), "pc_edges_real": len(self.pattern),
                "n_real_minority": len(self.held_minority)}

    def nearest_folds(self, rows: pd.DataFrame) -> np.ndarray:
        """The fold of each row's nearest real minority row (map numbers, standardised): the model not fitted on it."""
        from sklearn.neighbors import NearestNeighbors

        columns = list(self.held_minority.columns)
        held = self.held_minority.to_numpy(dtype=float)
        scale = held.std(axis=0)
        scale[scale == 0] = 1.0
        index = NearestNeighbors(n_neighbors=1).fit(held / scale)
        nearest = index.kneighbors(rows[columns].to_numpy(dtype=float) / scale, return_distance=False)[:, 0]
        return self.held_folds[nearest]

    def residuals(self, node: str, rows: pd.DataFrame, folds: np.ndarray) -> np.ndarray:
        """``node``'s residual of each row under the fold model named for it."""
        out = np.empty(len(rows))
        for k, mechanisms in enumerate(self.fold_mechanisms):
            where = folds == k
            if where.any():
                out[where] = mechanisms[node].residual(rows[where])
        return out


def real_reference(real: pd.DataFrame, causal_map: CausalMap, *, alpha: float = 0.01, max_rows: int = 5000,
                   seed: int = 0) -> RealReference:
    """PC on one real subsample and the cross-fitted mechanisms: the run's one real-data reference."""
    from sklearn.model_selection import StratifiedKFold

    rng = np.random.default_rng(seed)
    nodes = list(causal_map.nodes)
    categorical = [n for n in nodes if causal_map.variable(n).discrete]
    size, pc_rng = pc_subsample_size(len(real), max_rows), np.random.default_rng((seed, 1))
    patterns = tuple(pc_pattern(encode(_sample(real, size, pc_rng), nodes, categorical), nodes, alpha=alpha)
                     for _ in range(PC_RUNS))
    real_n = numeric_frame(real, causal_map)
    label = real_n[causal_map.label].to_numpy()
    folds = np.empty(len(real_n), dtype=int)
    for k, (_, part) in enumerate(StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(real_n, label)):
        folds[part] = k
    # The strong regularisation keeps the fold models close to each other and to the truth's smooth parts.
    fold_mechanisms = tuple(
        fit_mechanisms(_sample(real_n[folds != k], max_rows * 4, rng), causal_map, max_iter=50, max_leaf_nodes=8,
                       min_samples_leaf=50, noise_cv=2, noise_bins=1, random_state=seed)
        for k in range(FOLDS))
    minority = label == 1
    return RealReference(patterns=patterns, fold_mechanisms=fold_mechanisms,
                         held_minority=real_n[minority].reset_index(drop=True), held_folds=folds[minority],
                         alpha=alpha, max_rows=max_rows, seed=seed)


def shd_scale(n_nodes: int) -> float:
    """How many times ``max_shd_increase`` a map of this many nodes allows: one per 10 nodes, at least one."""
    return max(1.0, n_nodes / 10)


def allowed_shd_increase(max_shd_increase: int, n_nodes: int) -> int:
    """The SHD increase the structure gate allows on a map of ``n_nodes`` nodes."""
    return math.floor(max_shd_increase * shd_scale(n_nodes))


def structure_recovery(real: pd.DataFrame, synthetic: pd.DataFrame, causal_map: CausalMap, *, alpha: float = 0.01,
                       max_shd_increase: int = 3, max_rows: int = 5000, seed: int = 0,
                       reference: RealReference | None = None) -> dict:
    """Median SHD to the map of PC on real majority + synthetic minority, against the reference's on real rows."""
    reference = reference or real_reference(real, causal_map, alpha=alpha, max_rows=max_rows, seed=seed)
    rng = np.random.default_rng(seed)
    nodes = list(causal_map.nodes)
    categorical = [n for n in nodes if causal_map.variable(n).discrete]
    size = pc_subsample_size(len(real), reference.max_rows)
    patterns_syn = [pc_pattern(encode(_sample(comparison_set(real, synthetic, causal_map.label, rng), size, rng),
                                      nodes, categorical), nodes, alpha=reference.alpha)
                    for _ in range(len(reference.patterns))]
    pattern_real, pattern_syn = reference.pattern, patterns_syn[0]
    truth = cpdag_pattern(causal_map)
    runs_real, runs_syn = ([shd(p, truth) for p in patterns] for patterns in (reference.patterns, patterns_syn))
    out = {"shd_real_vs_map": float(np.median(runs_real)), "shd_synthetic_vs_map": float(np.median(runs_syn)),
           "shd_real_runs": runs_real, "shd_synthetic_runs": runs_syn,
           "shd_real_vs_synthetic": shd(pattern_real, pattern_syn), "n_edges_map": len(truth),
           "n_nodes_map": len(nodes), "max_shd_increase": max_shd_increase,
           "allowed_increase": allowed_shd_increase(max_shd_increase, len(nodes)), "reference": reference.describe()}
    out["passed"] = out["shd_synthetic_vs_map"] <= out["shd_real_vs_map"] + out["allowed_increase"]
    out["differing_pairs"] = sorted(f"{a} {pattern_real.get((a, b), 'none')} {b} (real) / "
                                    f"{pattern_syn.get((a, b), 'none')} (synthetic)"
                                    for a, b in set(pattern_real) | set(pattern_syn)
                                    if pattern_real.get((a, b)) != pattern_syn.get((a, b)))
    return out


def mechanism_fidelity(real: pd.DataFrame, synthetic: pd.DataFrame, causal_map: CausalMap, *, max_ks: float = 0.1,
                       alpha: float = 0.01, max_rows: int = 5000, seed: int = 0,
                       reference: RealReference | None = None) -> dict:
    """Per node: cross-fitted residuals of real minority vs synthetic rows (KS with Holm, Wasserstein)."""
    from scipy.stats import ks_2samp, wasserstein_distance

    reference = reference or real_reference(real, causal_map, alpha=alpha, max_rows=max_rows, seed=seed)
    rng = np.random.default_rng(seed)
    label = causal_map.label
    held_minority = reference.held_minority
    syn_rows = _sample(numeric_frame(synthetic, causal_map), max_rows, rng)
    syn_folds = reference.nearest_folds(syn_rows)
    nodes = {}
    for node, mechanism in reference.fold_mechanisms[0].items():
        if node == label and mechanism.model is None:
            continue
        r_real = reference.residuals(node, held_minority, reference.held_folds)
        r_syn = reference.residuals(node, syn_rows, syn_folds)
        if len(r_real) < 2 or len(r_syn) < 2:
            continue
        test = ks_2samp(r_real, r_syn)
        scale = float(np.std(r_real)) or 1.0
        nodes[node] = {"kind": mechanism.kind, "ks": round(float(test.statistic), 4), "p_value": float(test.pvalue),
                       "wasserstein": round(float(wasserstein_distance(r_real, r_syn)) / scale, 4)}
    if nodes:
        adjusted = holm([r["p_value"] for r in nodes.values()])
        for r, p_holm in zip(nodes.values(), adjusted, strict=True):
            r["p_value_holm"] = float(p_holm)
            r["passed"] = not (r["ks"] > max_ks and p_holm < alpha)
    failed = sorted(n for n, r in nodes.items() if not r["passed"])
    worst = max(nodes, key=lambda n: nodes[n]["ks"]) if nodes else None
    return {"nodes": nodes, "failed": failed, "worst_node": worst,
            "max_ks_observed": nodes[worst]["ks"] if worst else None,
            "mean_ks": round(float(np.mean([r["ks"] for r in nodes.values()])), 4) if nodes else None,
            "max_ks": max_ks, "alpha": alpha, "correction": "holm", "n_real_minority": len(held_minority),
            "n_synthetic": len(syn_rows), "reference": reference.describe(), "passed": not failed}


def backdoor_effect(frame: pd.DataFrame, causal_map: CausalMap) -> dict:
    """Log odds ratio of the label per unit of the exposure, adjusted for the exposure's parents (HC1 SEs)."""
    import statsmodels.api as sm

    exposure, label = causal_map.exposure, causal_map.label
    adjust = [p for p in causal_map.parents(exposure) if p != label]
    parts = [frame[[exposure]].astype(float)]
    for p in adjust:
        if causal_map.variable(p).discrete:
            parts.append(pd.get_dummies(frame[p].astype(str), prefix=p, drop_first=True, dtype=float))
        else:
            parts.append(frame[[p]].astype(float))
    X = sm.add_constant(pd.concat(parts, axis=1), has_constant="add")
    fit = sm.Logit(frame[label].to_numpy(dtype=float), X).fit(disp=0, cov_type="HC1", maxiter=200)
    beta, se = float(fit.params[exposure]), float(fit.bse[exposure])
    return {"estimate": beta, "se": se, "ci95": [beta - 1.96 * se, beta + 1.96 * se], "adjusted_for": adjust}


def effect_consistency(real: pd.DataFrame, synthetic: pd.DataFrame, causal_map: CausalMap, *,
                       max_effect_z: float = 2.5, seed: int = 0) -> dict:
    if causal_map.exposure is None:
        return {"skipped": "the causal map names no exposure"}
    try:
        on_real = backdoor_effect(real, causal_map)
        comparison = comparison_set(real, synthetic[real.columns], causal_map.label, np.random.default_rng(seed))
        on_augmented = backdoor_effect(comparison, causal_map)
    except Exception as exc:  # statsmodels raises several types on separation / singular designs
        return {"skipped": f"the adjusted regression could not be fitted: {exc}"}
    se = math.hypot(on_real["se"], on_augmented["se"])  # the difference's SE: both estimates have sampling error
    z = abs(on_augmented["estimate"] - on_real["estimate"]) / max(se, 1e-12)
    overlap = on_augmented["ci95"][0] <= on_real["ci95"][1] and on_real["ci95"][0] <= on_augmented["ci95"][1]
    return {"exposure": causal_map.exposure, "outcome": causal_map.label, "scale": "log odds ratio per unit",
            "real": on_real, "augmented": on_augmented, "shift_in_se": round(z, 3),
            "intervals_overlap": bool(overlap), "max_effect_z": max_effect_z,
            "passed": bool(math.isfinite(z) and z <= max_effect_z)}


@dataclass(frozen=True)
class CounterfactualReference:
    """The probe rows and, per learner and monotone effect, the shares of the real-data yardstick's refits."""

    probe: pd.DataFrame
    shares: dict  # "learner:cause" -> [share against, real model first, then the duplication refits]
    steps: dict   # cause -> the step of the probe
    refits: int


def _share_against(model, probe: pd.DataFrame, cause: str, step: float, sign: int) -> tuple[float, float]:
    shifted = probe.copy()
    shifted[cause] = probe[cause] + step
    delta = (model.predict_proba(shifted)[:, 1] - model.predict_proba(probe)[:, 1]) * sign
    return float(np.mean(delta < -1e-9)), float(delta.mean())


def counterfactual_reference(real: pd.DataFrame, causal_map: CausalMap, *, learners: Mapping[str, dict],
                             categorical: Sequence[str], refits: int = 10, max_rows: int = 2000,
                             seed: int = 0) -> CounterfactualReference | None:
    """How far the real rows themselves move each learner against a declared monotone effect (once per run)."""
    from augmentation.learners import make_model

    effects = [m for m in causal_map.monotone if m.effect == causal_map.label]
    if not effects:
        return None
    label = causal_map.label
    rng = np.random.default_rng(seed)
    features = [c for c in real.columns if c != label]
    numeric = [c for c in features if c not in categorical]
    probe = _sample(real, max_rows, rng)[features]
    steps = {}
    for effect in effects:
        step = float(real[effect.cause].std(ddof=0)) or 1.0
        steps[effect.cause] = max(1.0, round(step)) if causal_map.variable(effect.cause).type == "integer" else step
    minority = real[real[label] == 1]
    extra = max(int((real[label] != 1).sum()) - len(minority), 1)
    shares: dict[str, list[float]] = {}
    for learner, params in learners.items():
        for k in range(refits + 1):  # k = 0: the real rows alone; then real + a bootstrap copy of the minority
            rows = real if k == 0 else pd.concat([real, minority.iloc[rng.integers(0, len(minority), extra)]])
            model = make_model(learner, numeric=numeric, categorical=list(categorical), params=params,
                               class_weight=None, random_state=seed + k)
            model.fit(rows[features], rows[label])
            for effect in effects:
                share, _ = _share_against(model, probe, effect.cause, steps[effect.cause], effect.sign)
                shares.setdefault(f"{learner}:{effect.cause}", []).append(share)
    return CounterfactualReference(probe=probe, shares=shares, steps=steps, refits=refits)


def counterfactual_sanity(real: pd.DataFrame, synthetic: pd.DataFrame, causal_map: CausalMap, *,
                          learners: Mapping[str, dict], categorical: Sequence[str], max_violation: float = 0.05,
                          max_rows: int = 2000, seed: int = 0,
                          reference: CounterfactualReference | None = None) -> dict:
    from augmentation.learners import make_model

    effects = [m for m in causal_map.monotone if m.effect == causal_map.label]
    if not effects:
        return {"skipped": "the causal map declares no monotone effect on the label"}
    reference = reference or counterfactual_reference(real, causal_map, learners=learners, categorical=categorical,
                                                      max_rows=max_rows, seed=seed)
    label = causal_map.label
    augmented = pd.concat([real, synthetic[real.columns]], ignore_index=True)
    features = [c for c in real.columns if c != label]
    numeric = [c for c in features if c not in categorical]
    results = {}
    for learner, params in learners.items():
        model = make_model(learner, numeric=numeric, categorical=list(categorical), params=params,
                           class_weight=None, random_state=seed)
        model.fit(augmented[features], augmented[label])
        for effect in effects:
            key = f"{learner}:{effect.cause}"
            share, change = _share_against(model, reference.probe, effect.cause, reference.steps[effect.cause],
                                           effect.sign)
            yardstick = reference.shares[key]
            results[key] = {
                "learner": learner, "cause": effect.cause, "direction": effect.direction,
                "step": reference.steps[effect.cause], "share_against": round(share, 4),
                "share_against_real_model": round(yardstick[0], 4),
                "share_against_real_refits_max": round(max(yardstick), 4),
                "mean_change_in_direction": round(change, 5),
                "passed": share <= max(yardstick) + max_violation}
    failed = sorted(k for k, r in results.items() if not r["passed"])
    return {"probes": results, "failed": failed, "max_violation": max_violation,
            "refits": reference.refits, "passed": not failed}
