"""O²: optimized oversampling, in one bounded, well-posed reading.

The paper ("Optimized Oversampling") places each synthetic point z_k at a maximiser of

    g_w(z) + λ1·(1/k)Σ_{i<k}||z − z_i||² + λ2·(1/m)Σ_i||z − x_i||² − λ3·||z||²

with g_w a classifier's minority score. With the paper's defaults (0.1, 0.05, 0.1) the coefficient of
||z||² is positive as soon as k ≥ 3, so the literal objective has no maximum. This module uses the exact
collapse (1/k)Σ_{i<k}||z − z_i||² = ((k−1)/k)||z − z̄||² + const (z̄ the running mean of earlier points)
and (1/m)Σ||z − x_i||² = ||z − x̄||² + const, and makes the problem bounded:

* everything happens in the min-max scaled space [0, 1]^d of the training data;
* each candidate starts at a warm start (a SMOTE interpolation by default) and may move only inside
  [0, 1]^d ∩ a box of half-width ``trust_radius · d_k / (2√d)`` around it, where d_k is the distance
  of its seed to the seed's k-th nearest minority neighbour: a small step, so points stay near the
  region SMOTE would fill and the classifier term nudges them, instead of running to box corners;
* a whole batch is optimised at once (the objective is separable per point): by default with
  ``_PGA_STEPS`` vectorised projected-gradient-ascent steps in numpy (each step moves a point by at
  most a decaying fraction of its box half-width along its max-norm-normalised gradient, then clips
  to the box); ``solver="lbfgsb"`` uses scipy's L-BFGS-B (maxiter 20) instead; z̄ and k are updated
  between batches;
* ``objective="paper"`` uses g_w literally (pushes points towards high minority score);
  ``objective="boundary"`` replaces g_w with 4·g_w·(1 − g_w), maximal at g_w = 0.5, so the classifier
  term pulls points towards the decision boundary instead.
"""

from __future__ import annotations

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from scipy.optimize import Bounds, minimize
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import check_random_state

from augmentation.errors import ConfigError, DataError

_MODELS = ("lr", "svm", "cart")
_WARM = ("minority", "smote", "loras")
_FILTER_ROUNDS = 5
_SOLVERS = ("pga", "lbfgsb")
_OBJECTIVES = ("paper", "boundary")
_PGA_STEPS = 12
_PGA_DECAY = 0.7


class OptimizedOversampler(BaseOverSampler):
    """Optimized oversampling (O²) in a bounded reading.

    Parameters
    ----------
    sampling_strategy : str, float, dict or callable, default="auto"
        As in imbalanced-learn.
    model : {"lr", "svm", "cart"}, default="lr"
        The classifier g_w, trained one-vs-rest on the scaled training data. ``"lr"``: logistic
        regression, g_w = predicted minority probability. ``"svm"``: a linear SVM; g_w is its signed
        margin passed through a sigmoid, sigmoid(w·z + b) (no Platt calibration). ``"cart"``: a
        decision tree; g_w is dropped and only the penalty terms are maximised, each point inside the
        box of one leaf predicting the minority class with probability ≥ 0.5 (intersected with the
        trust region).
    lambdas : tuple of 3 floats, default=(0.1, 0.05, 0.1)
        λ1 (spread from earlier synthetic points), λ2 (spread from minority points), λ3 (norm penalty).
    warm_start : {"minority", "smote", "loras"}, default="smote"
        Starting points: jittered minority points, SMOTE interpolations, or LoRAS-style random convex
        combinations of Gaussian-perturbed neighbourhoods.
    filter : {None, "hgb"}, default=None
        ``"hgb"``: a HistGradientBoostingClassifier trained on the original data keeps only candidates
        it labels minority; rejected ones are replaced by new candidates for at most 5 rounds, then the
        shortfall is filled with the rejected candidates it scores highest (``diagnostics_["filter_shortfall"]``).
    trust_radius : float, default=1.0
        Scales the trust-region box (see the module docstring).
    k_neighbors : int, default=5
        Neighbours for the warm starts and the trust-region size; lowered to n_minority − 1 if needed.
    batch_size : int, default=10000
        Candidates optimised together in one solver call.
    solver : {"pga", "lbfgsb"}, default="pga"
        ``"pga"``: fixed vectorised projected-gradient-ascent steps in numpy (fast);
        ``"lbfgsb"``: scipy L-BFGS-B on the whole batch (maxiter 20; slower).
    objective : {"paper", "boundary"}, default="boundary"
        Classifier term: ``"paper"`` g_w (literal reading), ``"boundary"`` 4·g_w·(1 − g_w). Ignored by
        ``model="cart"``, which has no g_w term. The default was chosen on 8 dev datasets
        (docs/o2.md), where the two were within noise of each other.
    random_state : int, RandomState or None, default=None

    Attributes
    ----------
    diagnostics_ : dict
        ``share_on_bound`` (share of generated points with a coordinate on a box bound), ``mean_g``
        (mean g_w of generated points; for cart the tree's minority probability), ``mean_abs_g_gap``
        (mean |g_w − 0.5|, how far points sit from the decision boundary), ``mean_nn_distance``
        (mean scaled distance to the nearest minority point), ``objective_finite``.
    """

    def __init__(self, *, sampling_strategy="auto", model="lr", lambdas=(0.1, 0.05, 0.1),
                 warm_start="smote", filter=None, trust_radius=1.0, k_neighbors=5,
                 batch_size=10000, solver="pga", objective="boundary", random_state=None):
        super().__init__(sampling_strategy=sampling_strategy)
        self.model = model
        self.lambdas = lambdas
        self.warm_start = warm_start
        self.filter = filter
        self.trust_radius = trust_radius
        self.k_neighbors = k_neighbors
        self.batch_size = batch_size
        self.solver = solver
        self.objective = objective
        self.random_state = random_state

    # NaN must become a DataError with a fix, before the generic validation rejects it.
    def _check_X_y(self, X, y):
        values = np.asarray(X, dtype=float) if not hasattr(X, "to_numpy") else X.to_numpy(dtype=float)
        if np.isnan(values).any():
            raise DataError("O² got missing values (NaN) in X",
                            "impute or drop the missing values before oversampling")
        return super()._check_X_y(X, y)

    def _fit_resample(self, X, y):
        self._check_params()
        rng = check_random_state(self.random_state)
        X = np.asarray(X, dtype=float)
        lo, hi = X.min(axis=0), X.max(axis=0)
        constant = np.flatnonzero(hi - lo <= 0)
        if constant.size:
            raise DataError(f"O² got constant columns at positions {constant.tolist()}",
                            "drop constant columns before oversampling; they carry no information")
        Xs = (X - lo) / (hi - lo)
        X_new, y_new = [X], [y]
        diags = []
        for cls, n in self.sampling_strategy_.items():
            if n <= 0:
                continue
            Z, diag = self._generate(Xs, y == cls, int(n), rng)
            X_new.append(np.clip(Z * (hi - lo) + lo, lo, hi))
            y_new.append(np.full(len(Z), cls, dtype=y.dtype))
            diags.append((len(Z), diag))
        self.diagnostics_ = _merge(diags)
        return np.vstack(X_new), np.concatenate(y_new)

    def _check_params(self):
        if self.model not in _MODELS:
            raise ConfigError(f"O² model={self.model!r} is unknown", f"use one of {_MODELS}")
        if self.warm_start not in _WARM:
            raise ConfigError(f"O² warm_start={self.warm_start!r} is unknown", f"use one of {_WARM}")
        if self.solver not in _SOLVERS:
            raise ConfigError(f"O² solver={self.solver!r} is unknown", f"use one of {_SOLVERS}")
        if self.objective not in _OBJECTIVES:
            raise ConfigError(f"O² objective={self.objective!r} is unknown", f"use one of {_OBJECTIVES}")
        if self.filter not in (None, "hgb"):
            raise ConfigError(f"O² filter={self.filter!r} is unknown", "use None or 'hgb'")
        if len(self.lambdas) != 3 or not all(np.isfinite(self.lambdas)):
            raise ConfigError(f"O² lambdas={self.lambdas!r} must be 3 finite numbers", "e.g. (0.1, 0.05, 0.1)")
        if not self.trust_radius > 0 or int(self.k_neighbors) < 1 or int(self.batch_size) < 1:
            raise ConfigError("O² needs trust_radius > 0, k_neighbors >= 1 and batch_size >= 1",
                              f"got {self.trust_radius}, {self.k_neighbors}, {self.batch_size}")

    # ------------------------------------------------------------------ one class
    def _generate(self, Xs, is_min, n, rng):
        M = Xs[is_min]
        if len(M) < 2:
            raise DataError(f"O² needs at least 2 rows of a class to oversample it, got {len(M)}",
                            "collect more minority rows, or use random oversampling for this class")
        k = min(int(self.k_neighbors), len(M) - 1)
        target = is_min.astype(int)
        nn = NearestNeighbors(n_neighbors=k + 1).fit(M)
        dist, ind = nn.kneighbors(M)
        ctx = {"M": M, "k": k, "ind": ind[:, 1:], "dk": dist[:, -1], "mean": M.mean(axis=0),
               "nn": NearestNeighbors(n_neighbors=1).fit(M)}
        clf = self._classifier(Xs, target, rng)
        ctx.update(clf)
        hgb = None
        if self.filter == "hgb":
            hgb = HistGradientBoostingClassifier(random_state=rng.randint(2**31 - 1)).fit(Xs, target)
        state = {"zbar": np.zeros(Xs.shape[1]), "count": 0}
        kept, rejected, on_bound_k, on_bound_r, finite = [], [], [], [], True
        need, rounds = n, 0
        while need > 0 and rounds <= (_FILTER_ROUNDS if hgb is not None else 0):
            ask = need if hgb is None else int(np.ceil(need * (1.5 if rounds == 0 else 2.0)))
            Z, bound, fin = self._optimise(ctx, ask, state, rng)
            finite &= fin
            if hgb is not None:
                ok = hgb.predict(Z) == 1
                rejected.append((Z[~ok], bound[~ok], hgb.predict_proba(Z[~ok])[:, 1]))
                Z, bound = Z[ok], bound[ok]
            kept.append(Z[:need])
            on_bound_k.append(bound[:need])
            need -= len(kept[-1])
            rounds += 1
        shortfall = need
        if need > 0:  # fill with the rejected candidates the filter scored highest
            Zr = np.vstack([r[0] for r in rejected])
            br = np.concatenate([r[1] for r in rejected])
            order = np.argsort(-np.concatenate([r[2] for r in rejected]), kind="stable")[:need]
            kept.append(Zr[order])
            on_bound_k.append(br[order])
        Z = np.vstack(kept)
        bound = np.concatenate(on_bound_k)
        g = ctx["score"](Z)
        diag = {"share_on_bound": float(bound.mean()), "mean_g": float(g.mean()),
                "mean_abs_g_gap": float(np.abs(g - 0.5).mean()),
                "mean_nn_distance": float(ctx["nn"].kneighbors(Z)[0].mean()),
                "objective_finite": bool(finite)}
        if hgb is not None:
            diag["filter_shortfall"] = int(shortfall)
        return Z, diag

    def _classifier(self, Xs, target, rng):
        """g_w and its gradient, or the tree's minority leaves for cart."""
        if self.model == "lr":
            est = LogisticRegression(max_iter=1000).fit(Xs, target)
        elif self.model == "svm":
            est = LinearSVC(C=1.0, max_iter=5000, random_state=rng.randint(2**31 - 1)).fit(Xs, target)
        else:
            est = DecisionTreeClassifier(min_samples_leaf=2, random_state=rng.randint(2**31 - 1)).fit(Xs, target)
            self.estimator_ = est
            return {"tree": est, "score": lambda Z: est.predict_proba(Z)[:, 1],
                    "leaves": _minority_leaves(est, Xs.shape[1])}
        self.estimator_ = est
        w, b = est.coef_.ravel(), float(est.intercept_.ravel()[0])

        def score(Z):
            return _sigmoid(Z @ w + b)
        return {"w": w, "b": b, "score": score}

    def _starts(self, ctx, n, rng):
        M, ind, k = ctx["M"], ctx["ind"], ctx["k"]
        seed = rng.randint(len(M), size=n)
        if self.warm_start == "minority":
            jitter = rng.normal(scale=1.0, size=(n, M.shape[1])) * (0.05 * ctx["dk"][seed])[:, None] / np.sqrt(M.shape[1])
            return seed, M[seed] + jitter
        if self.warm_start == "smote":
            other = ind[seed, rng.randint(k, size=n)]
            return seed, M[seed] + rng.uniform(size=(n, 1)) * (M[other] - M[seed])
        # loras-style: Gaussian shadows of the seed's neighbourhood, random convex combination
        hood = np.concatenate([seed[:, None], ind[seed]], axis=1)  # n x (k+1)
        sigma = 0.005
        shadows = M[hood] + rng.normal(scale=sigma, size=(n, k + 1, M.shape[1]))
        weights = rng.dirichlet(np.ones(k + 1), size=n)
        return seed, np.einsum("nk,nkd->nd", weights, shadows)

    def _optimise(self, ctx, n, state, rng):
        """n candidates in batches; returns points, on-bound flags, whether every objective was finite."""
        l1, l2, l3 = (float(v) for v in self.lambdas)
        d = ctx["M"].shape[1]
        out, flags, finite = [], [], True
        for start in range(0, n, int(self.batch_size)):
            m = min(int(self.batch_size), n - start)
            seed, z0 = self._starts(ctx, m, rng)
            half = (self.trust_radius * ctx["dk"][seed] / (2 * np.sqrt(d)))[:, None]
            lower = np.clip(z0 - half, 0.0, 1.0)
            upper = np.clip(z0 + half, 0.0, 1.0)
            if self.model == "cart":
                lower, upper, z0 = _into_leaves(ctx, seed, z0, lower, upper)
            z0 = np.clip(z0, lower, upper)
            kk = state["count"] + 1 + np.arange(m)
            c1 = (l1 * (kk - 1) / kk)[:, None]
            zbar, xbar = state["zbar"], ctx["mean"]
            lin = "w" in ctx
            boundary = self.objective == "boundary"

            def value_grad(Z):
                """Per-point objective values (m,) and gradients (m, d)."""
                f = ((c1 * (Z - zbar) ** 2).sum(axis=1) + l2 * ((Z - xbar) ** 2).sum(axis=1)
                     - l3 * (Z ** 2).sum(axis=1))
                grad = 2 * c1 * (Z - zbar) + 2 * l2 * (Z - xbar) - 2 * l3 * Z
                if lin:
                    g = _sigmoid(Z @ ctx["w"] + ctx["b"])
                    if boundary:
                        f += 4 * g * (1 - g)
                        grad += (4 * (1 - 2 * g) * g * (1 - g))[:, None] * ctx["w"]
                    else:
                        f += g
                        grad += (g * (1 - g))[:, None] * ctx["w"]
                return f, grad

            if self.solver == "pga":
                Z = z0.copy()
                width = upper - lower
                step = 0.5 * width.max(axis=1, keepdims=True)
                for _ in range(_PGA_STEPS):
                    _, grad = value_grad(Z)
                    scale = np.abs(grad).max(axis=1, keepdims=True)
                    Z = np.clip(Z + step * grad / np.where(scale > 0, scale, 1.0), lower, upper)
                    step = step * _PGA_DECAY
                fun = value_grad(Z)[0].sum()
            else:
                def neg(flat):
                    f, grad = value_grad(flat.reshape(m, d))
                    return -f.sum(), -grad.ravel()

                res = minimize(neg, z0.ravel(), jac=True, method="L-BFGS-B",
                               bounds=Bounds(lower.ravel(), upper.ravel()),
                               options={"maxiter": 20})
                Z, fun = res.x.reshape(m, d), res.fun
            Z = np.clip(Z, lower, upper)
            finite &= bool(np.isfinite(fun))
            tol = 1e-9
            flags.append(((np.abs(Z - lower) < tol) & (upper - lower > tol) |
                          (np.abs(Z - upper) < tol) & (upper - lower > tol)).any(axis=1))
            out.append(Z)
            total = state["count"] + m
            state["zbar"] = (state["zbar"] * state["count"] + Z.sum(axis=0)) / total
            state["count"] = total
        return np.vstack(out), np.concatenate(flags), finite


def _sigmoid(t):
    return 0.5 * (1.0 + np.tanh(0.5 * t))


def _minority_leaves(tree, d):
    """Boxes (lower, upper) of the leaves predicting the minority class with probability ≥ 0.5."""
    t = tree.tree_
    boxes = {}
    stack = [(0, np.zeros(d), np.ones(d))]
    while stack:
        node, lo, hi = stack.pop()
        if t.children_left[node] == -1:
            value = t.value[node, 0]
            if value[1] / value.sum() >= 0.5:
                boxes[node] = (lo, hi)
            continue
        f, thr = t.feature[node], t.threshold[node]
        lhi = hi.copy()
        lhi[f] = min(hi[f], thr - 1e-6)  # margin: the tree compares in float32
        rlo = lo.copy()
        rlo[f] = max(lo[f], thr + 1e-6)
        stack.append((t.children_left[node], lo, lhi))
        stack.append((t.children_right[node], rlo, hi))
    if not boxes:
        raise DataError("O² (cart): the tree has no leaf predicting the minority class",
                        "use model='lr' or 'svm' for this data")
    ids = np.array(sorted(boxes))
    return ids, np.array([boxes[i][0] for i in ids]), np.array([boxes[i][1] for i in ids])


def _into_leaves(ctx, seed, z0, lower, upper):
    """Bounds = (leaf box of the seed, or the nearest minority leaf) ∩ trust region, when non-empty."""
    ids, llo, lhi = ctx["leaves"]
    leaf_of = ctx["tree"].apply(ctx["M"][seed])
    pos = np.searchsorted(ids, leaf_of)
    pos = np.clip(pos, 0, len(ids) - 1)
    inside = ids[pos] == leaf_of
    if not inside.all():  # seed in a majority leaf: nearest minority box to the warm start
        zo = z0[~inside]
        gap = np.maximum(llo[None] - zo[:, None], 0) + np.maximum(zo[:, None] - lhi[None], 0)
        pos[~inside] = np.argmin((gap ** 2).sum(axis=2), axis=1)
    blo, bhi = llo[pos], lhi[pos]
    lo, hi = np.maximum(lower, blo), np.minimum(upper, bhi)
    empty = (lo > hi).any(axis=1)
    lo[empty], hi[empty] = blo[empty], bhi[empty]  # trust region misses the leaf: use the whole leaf
    return lo, hi, np.clip(z0, lo, hi)


def _merge(diags):
    if not diags:
        return {"share_on_bound": 0.0, "mean_g": float("nan"), "mean_abs_g_gap": float("nan"),
                "mean_nn_distance": float("nan"),
                "objective_finite": True}
    total = sum(n for n, _ in diags)
    out = {key: float(sum(n * d[key] for n, d in diags) / total)
           for key in ("share_on_bound", "mean_g", "mean_abs_g_gap", "mean_nn_distance")}
    out["objective_finite"] = all(d["objective_finite"] for _, d in diags)
    if any("filter_shortfall" in d for _, d in diags):
        out["filter_shortfall"] = sum(d.get("filter_shortfall", 0) for _, d in diags)
    return out
