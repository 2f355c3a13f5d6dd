"""``scm``: minority rows from a structural causal model fitted on the user's causal map.

One mechanism per node of the map, the label included (augmentation.causal.mechanisms).
Two ways to make minority rows:

``mode="ancestral"``
    Sample the whole model: root causes from their empirical distribution, every other
    non-descendant of the label through its mechanism with a resampled residual; then
    condition on the minority label through the fitted label mechanism by REJECTION
    (keep a draw with probability p(label = 1 | parents)). Conditioning this way keeps the
    dependence a label with several parents induces between them within the minority,
    which a per-class model would miss. The label's descendants are then drawn given
    label = 1.

``mode="auto"`` (the default)
    Ancestral, unless the rows contradict the map where it is most certain: two nodes it makes independent
    outright (no common ancestor) are clearly correlated (augmentation.causal.map_check). The map then
    misses a cause they share, ancestral draws would make them independent, and the counterfactual mode,
    which keeps each real row's own noise (so what the map misses), is used instead (``mode_``, the
    contradictions in ``map_contradictions_``, and a warning in the log).

``mode="counterfactual"``
    Start from real minority rows. Recover each row's noise terms (abduction: u = x - f(pa)),
    perturb only the MUTABLE ROOT causes (not immutable, no parents) by ``perturbation``
    standard deviations (categorical roots: resampled with probability ``perturbation``),
    within the training range and the map's bounds, and push the change through the
    mechanisms with the row's own noise, so each additive mechanism holds exactly. A
    discrete node is kept unless a parent changed; then it is redrawn from its mechanism.
    The label stays 1. Each row takes ``steps`` Metropolis steps: a perturbation is accepted
    with probability min(1, p(1 | new parents) / p(1 | old parents) * q(u') / q(u)), q a kernel
    density of the root's noise, and a refused one leaves the row where it was; so the rows
    keep following p(x | label = 1) (a row whose every step was refused is a copy of a real
    minority row, as in random oversampling).

Columns that are not nodes of the map are not modelled: they are copied jointly from a
resampled real minority row. Integer nodes are rounded and every node is kept inside its
bounds (the map's, intersected with the training range). The map's monotone effects are
monotonic constraints of the mechanisms (see augmentation.causal.mechanisms).

The sampler is an imbalanced-learn over-sampler, given the map at construction (synthesis passes
it); the column names come from the DataFrame it fits on (``feature_names_in_``; an array's columns
are x0, x1, ...). Discrete columns arrive as integer codes.

Without a map the graph is empty: nothing is known of the causes, so each column of a new row is
drawn independently from that class's own values (the SCM of an edgeless graph, conditioned on the
class). This keeps the sampler usable, and checkable, on its own; synthesis never builds it that way
(it refuses the ``scm`` generator without a map).
"""

from __future__ import annotations

import hashlib
import json
import logging
import numbers
from collections import OrderedDict

import networkx as nx
import numpy as np
import pandas as pd
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_sampling_strategy
from scipy.stats import gaussian_kde
from sklearn.utils import check_random_state

from augmentation.causal import mechanism_store
from augmentation.causal.map import CausalMap
from augmentation.causal.map_check import contradicted_independences
from augmentation.causal.mechanisms import fit_mechanisms
from augmentation.errors import ConfigError, DataError
from augmentation.generators.dense import DenseOnly

log = logging.getLogger(__name__)
MODES = ("auto", "ancestral", "counterfactual")


class SCMOversampler(DenseOnly, BaseOverSampler):
    """Over-sample the minority class from a structural causal model.

    Parameters
    ----------
    causal_map : CausalMap or None
        The DAG and per-variable constraints; its label is the class column, its nodes name
        columns of X (fit on a DataFrame). None: the graph-free model of the module docstring.
    mode : {"auto", "ancestral", "counterfactual"}
    perturbation : float
        Counterfactual mode: the size of the change of a mutable root, in standard deviations
        of the minority rows (categorical roots: the probability of redrawing it).
    learner : {"hgb", "linear"}
        The mechanisms' learner.
    max_iter, max_leaf_nodes : int
        Boosting iterations and leaves per tree of the mechanisms.
    noise_cv : int
        Folds for the out-of-fold residuals.
    noise_bins : int
        Bins of the prediction the residuals are pooled by (1: one pool, homoscedastic noise).
    max_rounds : int
        Ancestral mode: rejection rounds before giving up.
    steps : int
        Counterfactual mode: Metropolis steps per row (a refused step keeps the row where it was).
    fit_random_state : int or None
        Seed of the mechanisms' fit, apart from the generation's: the mechanisms fitted with
        ``fit_random_state=s`` are those ``random_state=s`` fits, and a process keeps its last fits
        (:func:`fitted_mechanisms`), so draws that differ only by ``random_state`` (the evaluation's
        repeats) reuse one fit. None: the fit's seed comes from ``random_state``.
    save_to : path or None
        Write the fitted mechanisms there (``mechanisms.json`` and ``mechanisms.npz``, no pickle;
        augmentation.causal.mechanism_store). ``fit`` fits and writes them without drawing a row.
    pretrained : path or None
        A folder written by ``save_to``: draw from the mechanisms saved there, no fit. They must have
        been fitted on the same rows, map and settings (and fit seed), or the sampler refuses them.
    sampling_strategy, random_state
        As in imbalanced-learn.
    """

    _sampling_type = "over-sampling"

    def __init__(self, *, causal_map=None, mode="auto", perturbation=0.25,
                 learner="hgb", max_iter=50, max_leaf_nodes=15, noise_cv=3, noise_bins=10, max_rounds=50, steps=3,
                 fit_random_state=None, save_to=None, pretrained=None, sampling_strategy="auto", random_state=None):
        super().__init__(sampling_strategy=sampling_strategy)
        self.causal_map = causal_map
        self.mode = mode
        self.perturbation = perturbation
        self.learner = learner
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.noise_cv = noise_cv
        self.noise_bins = noise_bins
        self.max_rounds = max_rounds
        self.steps = steps
        self.fit_random_state = fit_random_state
        self.save_to = save_to
        self.pretrained = pretrained
        self.random_state = random_state

    def _check_params(self, names: list[str]) -> CausalMap | None:
        if self.mode not in MODES:
            raise ConfigError(f"scm mode={self.mode!r} is unknown", f"use one of {list(MODES)}")
        if not 0 < float(self.perturbation) <= 5:
            raise ConfigError(f"scm perturbation={self.perturbation} must be in (0, 5]", "use e.g. 0.25")
        if self.causal_map is None:
            return None
        if not isinstance(self.causal_map, CausalMap):
            raise ConfigError(f"the scm generator's causal_map is a {type(self.causal_map).__name__}",
                              "pass a CausalMap (tasks.maps.load_map reads one), or None for no graph")
        missing = [n for n in self.causal_map.nodes if n not in names and n != self.causal_map.label]
        if missing:
            raise DataError(f"causal map node(s) {missing} are not columns of the data (columns: {names})",
                            "fit on a DataFrame whose columns the nodes name, or rename the nodes")
        return self.causal_map

    def fit(self, X, y, **params):
        """Fit the mechanisms (and write them to ``save_to``) without drawing rows; ``fit_resample`` fits and
        draws. The mechanisms are those ``fit_resample`` with the same ``random_state`` fits."""
        X, y, _ = self._check_X_y(X, y)
        self.sampling_strategy_ = check_sampling_strategy(self.sampling_strategy, y, self._sampling_type)
        self._fit_model(X, y)
        return self

    def _fit_model(self, X, y) -> tuple[CausalMap | None, pd.DataFrame | None, np.random.Generator]:
        """The map, the rows as one frame with the label, and the generation's random generator, after fitting
        (or reading) the mechanisms: everything but the draw."""
        # validate_data sets feature_names_in_ from a DataFrame's columns; an array gets x0, x1, ...
        names = [str(c) for c in getattr(self, "feature_names_in_", [f"x{i}" for i in range(X.shape[1])])]
        self.columns_ = names
        causal_map = self._check_params(names)
        # an int seeds numpy's Generator directly (the rows of a seed never change); a RandomState or
        # None gives that seed through check_random_state, so RandomState(3) twice gives the same rows
        seed = (self.random_state if isinstance(self.random_state, numbers.Integral)
                else check_random_state(self.random_state).randint(2**31 - 1))
        rng = np.random.default_rng(seed)
        if causal_map is None:
            return None, None, rng
        frame = pd.DataFrame(np.asarray(X, dtype=float), columns=names)
        frame[causal_map.label] = np.asarray(y)
        fit_seed = int(rng.integers(2**31 - 1))  # drawn either way: the generation's draws stay the same
        if self.fit_random_state is not None:
            fit_seed = int(np.random.default_rng(self.fit_random_state).integers(2**31 - 1))
        self.mechanisms_ = fitted_mechanisms(frame, causal_map, saved=self.pretrained, save_to=self.save_to,
                                             learner=self.learner, max_iter=self.max_iter,
                                             max_leaf_nodes=self.max_leaf_nodes, noise_cv=self.noise_cv,
                                             noise_bins=self.noise_bins, random_state=fit_seed)
        self._low, self._high = _limits(frame, causal_map)
        return causal_map, frame, rng

    def _fit_resample(self, X, y):
        causal_map, frame, rng = self._fit_model(X, y)
        if causal_map is None:
            return self._graph_free(X, y, rng)
        label = causal_map.label
        X_new, y_new = [np.asarray(X, dtype=float)], [np.asarray(y)]
        self.acceptance_ = {}
        self.mode_, contradicted = self._resolved_mode(frame, causal_map)
        self.diagnostics_ = {"mode": self.mode_, "map_contradicted": contradicted or "no"}
        for cls, n in self.sampling_strategy_.items():
            if n <= 0:
                continue
            minority = frame[frame[label] == cls].reset_index(drop=True)
            if self.mode_ == "ancestral":
                rows = self._ancestral(frame, minority, cls, int(n), rng)
            else:
                rows = self._counterfactual(frame, minority, cls, int(n), rng)
            X_new.append(rows[self.columns_].to_numpy(dtype=float))
            y_new.append(np.full(len(rows), cls, dtype=np.asarray(y).dtype))
        return np.vstack(X_new).astype(X.dtype, copy=False), np.concatenate(y_new)

    def _resolved_mode(self, frame: pd.DataFrame, causal_map: CausalMap) -> tuple[str, str]:
        """The mode to draw in (``mode``, or for ``"auto"`` ancestral unless the rows contradict the map) and the
        contradictions in words."""
        self.map_contradictions_ = []
        if self.mode != "auto":
            return self.mode, ""
        self.map_contradictions_ = contradicted_independences(frame, causal_map)
        said = "; ".join(f"{c['pair'][0]} and {c['pair'][1]} independent in the map, Spearman {c['rho']:+.2f}"
                         for c in self.map_contradictions_)
        if not said:
            return "ancestral", ""
        if not causal_map.mutable_roots():
            log.warning("scm: the rows contradict the map (%s); ancestral draws will not keep that dependence (no "
                        "mutable root for the counterfactual mode): add the cause they share to the map", said)
            return "ancestral", said
        log.warning("scm: the rows contradict the map (%s): a cause they share is missing from it; drawing in "
                    "counterfactual mode, which keeps each real row's own noise", said)
        return "counterfactual", said

    def _graph_free(self, X, y, rng):
        """No map: every column of a new row drawn independently from its class's values."""
        self.mechanisms_, self.acceptance_ = {}, {}
        X, y = np.asarray(X), np.asarray(y)
        X_new, y_new = [X], [y]
        for cls, n in self.sampling_strategy_.items():
            if n <= 0:
                continue
            own = X[y == cls]
            picks = rng.integers(0, len(own), size=(int(n), X.shape[1]))
            X_new.append(np.take_along_axis(own, picks, axis=0))
            y_new.append(np.full(int(n), cls, dtype=y.dtype))
        return np.vstack(X_new), np.concatenate(y_new)

    # ------------------------------------------------------------------ ancestral
    def _ancestral(self, frame, minority, cls, n, rng):
        causal_map, mech = self.causal_map, self.mechanisms_
        label = causal_map.label
        after = nx.descendants(causal_map.dag, label)
        before = [v for v in causal_map.order() if v != label and v not in after]
        label_mech = mech[label]
        class_index = int(np.flatnonzero(label_mech.classes == cls)[0]) if len(label_mech.classes) > 1 else 0
        accepted, drawn = [], 0
        batch = max(4 * n, 1000)
        for _ in range(int(self.max_rounds)):
            draws = pd.DataFrame(index=range(batch))
            for node in before:
                draws[node] = self._finish(node, mech[node].sample(draws, rng))
            p = label_mech.predict(draws)[:, class_index] if label_mech.model is not None else np.ones(batch)
            keep = rng.random(batch) < p
            drawn += batch
            accepted.append(draws[keep])
            got = sum(len(a) for a in accepted)
            if got >= n:
                break
            rate = max(got / drawn, 1e-4)
            batch = int(min(max((n - got) / rate * 1.2, 1000), 2_000_000))
        rows = pd.concat(accepted, ignore_index=True)
        if len(rows) < n:
            raise DataError(f"scm: the label mechanism accepted only {len(rows)} of {drawn} ancestral draws "
                            f"({n} needed)", "use mode: counterfactual, or check the label's parents in the map")
        self.acceptance_[int(cls)] = len(rows) / drawn
        rows = rows.iloc[:n].reset_index(drop=True)
        rows[label] = cls
        for node in (v for v in causal_map.order() if v in after):
            rows[node] = self._finish(node, mech[node].sample(rows, rng))
        return self._unmapped(rows, minority, rng)

    # ------------------------------------------------------------------ counterfactual
    def _counterfactual(self, frame, minority, cls, n, rng):
        causal_map, mech = self.causal_map, self.mechanisms_
        label = causal_map.label
        order = [v for v in causal_map.order() if v != label]
        roots = causal_map.mutable_roots()
        if not roots:
            raise DataError("scm counterfactual mode has no mutable root cause to perturb",
                            "mark a root cause mutable in the map, or use mode: ancestral")
        label_mech = mech[label]
        class_index = int(np.flatnonzero(label_mech.classes == cls)[0]) if len(label_mech.classes) > 1 else 0
        std = minority[roots].std(ddof=0).replace(0, 1.0)
        densities = {}
        for root in roots:
            if not causal_map.variable(root).discrete:
                m = mech[root]
                noise = m.residuals if m.kind == "regressor" else m.values
                noise = noise[rng.permutation(len(noise))[:2000]]
                if np.ptp(noise) > 0:
                    densities[root] = gaussian_kde(noise)
        source = minority.iloc[rng.integers(0, len(minority), n)].reset_index(drop=True)
        # Abduction: each row's own noise, kept for every node the perturbation reaches.
        noise = {v: source[v].to_numpy(dtype=float) - mech[v].predict(source)
                 for v in order if mech[v].kind == "regressor" and v not in roots}
        state, accepted = source.copy(), 0
        for _ in range(int(self.steps)):
            proposal = state.copy()
            for root in roots:
                if causal_map.variable(root).discrete:
                    redraw = rng.random(n) < float(self.perturbation)
                    pool = minority[root].to_numpy()
                    proposal.loc[redraw, root] = pool[rng.integers(0, len(pool), int(redraw.sum()))]
                else:
                    step = rng.normal(0.0, float(self.perturbation) * std[root], n)
                    proposal[root] = self._finish(root, state[root].to_numpy(dtype=float) + step)
            changed = {r: proposal[r].to_numpy() != source[r].to_numpy() for r in roots}
            for node in order:
                m = mech[node]
                if node in roots or m.kind == "root" or causal_map.variable(node).immutable:
                    continue
                moved = np.zeros(n, bool)
                for parent in m.parents:
                    moved |= changed.get(parent, np.zeros(n, bool))
                if m.kind == "regressor":
                    value = np.where(moved, self._finish(node, m.predict(proposal) + noise[node]),
                                     source[node].to_numpy(dtype=float))
                else:
                    value = np.where(moved, m.sample(proposal, rng), source[node].to_numpy())
                changed[node] = value != source[node].to_numpy()
                proposal[node] = value
            # Metropolis towards p(x | label): the label's likelihood ratio times each perturbed
            # root's prior ratio (a kernel density of its noise); a refused proposal keeps the state.
            ratio = np.ones(n)
            if label_mech.model is not None:
                ratio *= label_mech.predict(proposal)[:, class_index] / np.maximum(
                    label_mech.predict(state)[:, class_index], 1e-12)
            for root, density in densities.items():
                m = mech[root]
                u_new = proposal[root].to_numpy(dtype=float) - (m.predict(proposal) if m.kind == "regressor" else 0.0)
                u_old = state[root].to_numpy(dtype=float) - (m.predict(state) if m.kind == "regressor" else 0.0)
                ratio *= density(u_new) / np.maximum(density(u_old), 1e-300)
            move = rng.random(n) < np.minimum(1.0, ratio)
            accepted += int(move.sum())
            state = proposal.where(pd.Series(move), state, axis=0)
        self.acceptance_[int(cls)] = accepted / (n * int(self.steps))
        return state

    # ------------------------------------------------------------------ helpers
    def _finish(self, node: str, values: np.ndarray) -> np.ndarray:
        """Round integer nodes and keep every node inside its bounds."""
        values = np.asarray(values, dtype=float)
        if node in self._low:
            values = np.clip(values, self._low[node], self._high[node])
        if self.causal_map.variable(node).type == "integer":
            values = np.round(values)
        return values

    def _unmapped(self, rows: pd.DataFrame, minority: pd.DataFrame, rng) -> pd.DataFrame:
        others = [c for c in self.columns_ if c not in rows.columns]
        if others:
            picked = minority[others].iloc[rng.integers(0, len(minority), len(rows))].reset_index(drop=True)
            rows = pd.concat([rows.reset_index(drop=True), picked], axis=1)
        return rows


# The last fits of this process, by everything a fit depends on. Two: the synthesize stage's and the evaluation's
# repeats share one (the same training rows and fit seed); a fit holds its residual pools, a few floats per row.
_FITS: OrderedDict[str, dict] = OrderedDict()
_KEEP = 2


def fitted_mechanisms(frame: pd.DataFrame, causal_map: CausalMap, *, saved: str | None = None,
                      save_to: str | None = None, **settings) -> dict:
    """``fit_mechanisms(frame, causal_map, **settings)``, reused when this process fitted exactly that before;
    read from the folder ``saved`` instead of fitted (refused unless fitted exactly so), written to ``save_to``."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(json.dumps([list(frame.columns), causal_map.to_dict(), settings], sort_keys=True,
                             default=str).encode())
    key = digest.hexdigest()
    if key not in _FITS:
        _FITS[key] = (mechanism_store.load(saved, key=key) if saved is not None
                      else fit_mechanisms(frame, causal_map, **settings))
        while len(_FITS) > _KEEP:
            _FITS.popitem(last=False)
    _FITS.move_to_end(key)
    if save_to is not None:
        mechanism_store.save(_FITS[key], save_to, key=key)
    return _FITS[key]


def _limits(frame: pd.DataFrame, causal_map: CausalMap) -> tuple[dict[str, float], dict[str, float]]:
    """Per continuous/integer node: the training range intersected with the map's bounds."""
    low, high = {}, {}
    for node in causal_map.nodes:
        variable = causal_map.variable(node)
        if variable.discrete or node == causal_map.label:
            continue
        lo, hi = float(frame[node].min()), float(frame[node].max())
        if variable.bounds is not None:
            lo, hi = max(lo, variable.bounds[0]), min(hi, variable.bounds[1])
        low[node], high[node] = lo, hi
    return low, high
