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

Mixed data (the paper's Algorithm 2): with ``categorical_features`` the optimisation runs on the
numerical columns only; a multi-target classifier trained on the original rows (numerical columns
plus a class indicator → every categorical column) then fills the categorical columns of each new point.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_target_type
from scipy import sparse
from scipy.optimize import Bounds, minimize
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.multioutput import MultiOutputClassifier
from sklearn.neighbors import NearestNeighbors
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import check_random_state
from sklearn.utils._indexing import _get_column_indices
from sklearn.utils.validation import validate_data

from augmentation.errors import ConfigError, DataError

_MODELS = ("lr", "svm", "cart")
_WARM = ("minority", "smote", "loras")
_FILTER_ROUNDS = 5
_SOLVERS = ("pga", "lbfgsb")
_OBJECTIVES = ("paper", "boundary")
_PGA_STEPS = 12
_PGA_DECAY = 0.7
_FILLS = ("sample", "predict")
_FILL_ROWS = 2000


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
        Starting points: jittered minority points, SMOTE interpolations, or the output of
        ``pyloras.LORAS`` (LoRAS: random convex combinations of Gaussian shadows of a t-SNE
        neighbourhood) run on the scaled class rows.
    filter : None, "hgb" or a scikit-learn classifier, default=None
        A second, stronger classifier trained on the original (scaled numerical) data, class vs rest;
        only candidates it labels as the class are kept. ``"hgb"``: HistGradientBoostingClassifier;
        any classifier instance (``fit``/``predict``, ideally ``predict_proba``) is cloned and, when it
        has a ``random_state`` parameter, seeded from ``random_state``. Rejected candidates are replaced
        by new ones for at most 5 rounds, then the shortfall is filled with the rejected candidates it
        scores highest (``diagnostics_["filter_shortfall"]``).
    categorical_features : None, "auto", or array-like of indices, names or a boolean mask, default=None
        Mixed data (the paper's Algorithm 2). The numerical columns are optimised; the categorical ones
        are filled by ``categorical_model``. ``"auto"``: the non-numeric columns of a DataFrame (object,
        category, string, bool). With None, a non-numeric column is a DataError.
    categorical_model : None or a scikit-learn classifier, default=None
        Predicts the categorical columns from the scaled numerical columns plus a class indicator,
        trained on all original rows. None: ``RandomForestClassifier(n_estimators=50,
        min_samples_leaf=3, max_samples=min(n, 2000))`` (natively multi-target); other classifiers are
        cloned, seeded and wrapped in ``MultiOutputClassifier``.
    categorical_fill : {"sample", "predict"}, default="sample"
        ``"sample"`` draws each categorical value from the model's predicted class probabilities (keeps
        the categories' spread); ``"predict"`` takes the most probable value.
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
        (mean scaled distance to the nearest minority point), ``objective_finite``, and
        ``filter_shortfall`` (points the filter rejected but that had to be kept; None without a filter).
    categorical_features_ : ndarray of int
        Indices of the categorical columns (empty without ``categorical_features``).
    source_indices_ : ndarray of int
        Per new row, the position in X of the minority row its warm start was seeded from (for
        ``warm_start="loras"``, the minority row nearest the LoRAS start).
    """

    def __init__(self, *, sampling_strategy="auto", model="lr", lambdas=(0.1, 0.05, 0.1),
                 warm_start="smote", filter=None, trust_radius=1.0, k_neighbors=5,
                 batch_size=10000, solver="pga", objective="boundary", categorical_features=None,
                 categorical_model=None, categorical_fill="sample", random_state=None):
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
        self.categorical_features = categorical_features
        self.categorical_model = categorical_model
        self.categorical_fill = categorical_fill
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False  # points are optimised densely; sparse input is a DataError
        return tags

    def _check_X_y(self, X, y, accept_sparse=None):
        """Validate X and y; bad input becomes a DataError naming the problem and the fix."""
        if sparse.issparse(X):
            raise DataError("O² got a sparse matrix", "pass a dense array (X.toarray()); O² optimises dense points")
        if isinstance(X, pd.DataFrame) and any(isinstance(t, pd.SparseDtype) for t in X.dtypes):
            # pandas sparse columns: optimised densely, returned sparse again by imbalanced-learn
            X = X.astype({c: t.subtype for c, t in X.dtypes.items() if isinstance(t, pd.SparseDtype)})
        cat = self._categorical_indices(X)
        y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
        X, y = validate_data(self, X=X, y=y, reset=True, accept_sparse=False, dtype=None,
                             ensure_all_finite=False)
        names = getattr(self, "feature_names_in_", None)
        label = (lambda j: str(names[j])) if names is not None else int
        numeric = np.setdiff1d(np.arange(X.shape[1]), cat)
        try:
            values = X[:, numeric].astype(float)
        except (TypeError, ValueError):
            bad = [label(j) for j in numeric if not _is_numeric(X[:, j])]
            raise DataError(f"O² got non-numeric columns {bad} without categorical_features",
                            "pass categorical_features=[...] (indices or names, or 'auto' for a DataFrame) "
                            "to fill them with the mixed-data path, or encode them as numbers") from None
        if np.isnan(values).any():
            raise DataError("O² got missing values (NaN) in X",
                            "impute or drop the missing values before oversampling")
        if np.isinf(values).any():
            raise DataError("O² got infinite values in X", "replace or drop the infinite values before oversampling")
        for j in cat:
            if pd.isna(pd.Series(X[:, j], dtype=object)).any():
                raise DataError(f"O² got missing values (NaN) in the categorical column {label(j)!r}",
                                "impute them, or make 'missing' an explicit category")
        if numeric.size == 0:
            raise DataError("O² needs at least one numerical column; every column is categorical",
                            "use random oversampling (or SMOTENC with a numerical column) for all-categorical data")
        self.categorical_features_ = cat
        if not cat.size:
            X = values.astype(X.dtype if X.dtype.kind == "f" else float)
        return X, y, binarize_y

    def _categorical_indices(self, X):
        spec = self.categorical_features
        if spec is None:
            if isinstance(X, pd.DataFrame):
                bad = [str(c) for c, t in X.dtypes.items() if not _numeric_dtype(t)]
                if bad:
                    raise DataError(f"O² got non-numeric columns {bad} without categorical_features",
                                    f"pass categorical_features={bad} (or 'auto') to fill them with the "
                                    "mixed-data path, or encode them as numbers")
            return np.array([], dtype=int)
        if isinstance(spec, str) and spec == "auto":
            if not isinstance(X, pd.DataFrame):
                raise ConfigError("O² categorical_features='auto' needs a pandas DataFrame",
                                  "pass the categorical column indices instead")
            return np.array([j for j, t in enumerate(X.dtypes) if not _numeric_dtype(t)], dtype=int)
        try:
            return np.unique(np.asarray(_get_column_indices(X, spec), dtype=int))
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ConfigError(f"O² categorical_features={spec!r} does not name columns of X ({exc})",
                              "pass column indices, column names of the DataFrame, or a boolean mask") from exc

    def _fit_resample(self, X, y):
        self._check_params()
        rng = check_random_state(self.random_state)
        cat = self.categorical_features_
        numeric = np.setdiff1d(np.arange(X.shape[1]), cat)
        Xn = X[:, numeric].astype(float)
        lo, hi = Xn.min(axis=0), Xn.max(axis=0)
        constant = np.flatnonzero(hi - lo <= 0)
        if constant.size:
            names = getattr(self, "feature_names_in_", None)
            which = [str(names[numeric[j]]) if names is not None else int(numeric[j]) for j in constant]
            raise DataError(f"O² got constant numerical columns {which}",
                            "drop constant columns before oversampling; they carry no information")
        Xs = (Xn - lo) / (hi - lo)
        codes, levels = _encode_categories(X[:, cat])
        X_new, y_new = [X], [y]
        diags, sources = [], []
        for cls, n in self.sampling_strategy_.items():
            if n <= 0:
                continue
            Z, seeds, diag = self._generate(Xs, y == cls, int(n), rng)
            sources.append(np.flatnonzero(y == cls)[seeds])
            rows = np.empty((len(Z), X.shape[1]), dtype=X.dtype)
            rows[:, numeric] = np.clip(Z * (hi - lo) + lo, lo, hi)
            if cat.size:
                rows[:, cat] = self._fill_categorical(Xs, y == cls, codes, levels, Z, rng)
            X_new.append(rows)
            y_new.append(np.full(len(Z), cls, dtype=y.dtype))
            diags.append((len(Z), diag))
        self.diagnostics_ = _merge(diags)
        self.source_indices_ = np.concatenate(sources) if sources else np.empty(0, dtype=int)
        return np.vstack(X_new), np.concatenate(y_new)

    def _fill_categorical(self, Xs, is_cls, codes, levels, Z, rng):
        """Algorithm 2: categorical values of the new points from a classifier trained on the original rows."""
        inputs = np.column_stack([Xs, is_cls.astype(float)])
        seed = rng.randint(2**31 - 1)
        if self.categorical_model is None:
            # each tree sees at most _FILL_ROWS bootstrap rows: the fill stays cheap on large tables
            model = RandomForestClassifier(n_estimators=50, min_samples_leaf=3, n_jobs=1, random_state=seed,
                                           max_samples=min(len(Xs), _FILL_ROWS))
        else:
            model = MultiOutputClassifier(_seeded(self.categorical_model, seed, "categorical_model"))
        target = codes if codes.shape[1] > 1 or self.categorical_model is not None else codes[:, 0]
        model.fit(inputs, target)
        new_inputs = np.column_stack([Z, np.ones(len(Z))])
        probas = model.predict_proba(new_inputs)
        probas = probas if isinstance(probas, list) else [probas]
        classes = model.classes_ if isinstance(model.classes_, list) else [model.classes_]
        if isinstance(model, MultiOutputClassifier):
            classes = [est.classes_ for est in model.estimators_]
        out = np.empty((len(Z), len(levels)), dtype=object)
        for j, (proba, cls_codes) in enumerate(zip(probas, classes, strict=True)):  # one of each per column
            if self.categorical_fill == "predict":
                pick = proba.argmax(axis=1)
            else:
                u = rng.uniform(size=len(Z))[:, None]
                pick = np.minimum((np.cumsum(proba, axis=1) < u).sum(axis=1), proba.shape[1] - 1)
            out[:, j] = levels[j][np.asarray(cls_codes, dtype=int)[pick]]
        return out

    def _check_params(self):
        if self.model not in _MODELS:
            raise ConfigError(f"O² model={self.model!r} is unknown", f"use one of {_MODELS}")
        if self.warm_start not in _WARM:
            raise ConfigError(f"O² warm_start={self.warm_start!r} is unknown", f"use one of {_WARM}")
        if self.solver not in _SOLVERS:
            raise ConfigError(f"O² solver={self.solver!r} is unknown", f"use one of {_SOLVERS}")
        if self.objective not in _OBJECTIVES:
            raise ConfigError(f"O² objective={self.objective!r} is unknown", f"use one of {_OBJECTIVES}")
        if not (self.filter is None or (isinstance(self.filter, str) and self.filter == "hgb")
                or (hasattr(self.filter, "fit") and hasattr(self.filter, "predict"))):
            raise ConfigError(f"O² filter={self.filter!r} is unknown",
                              "use None, 'hgb' or a scikit-learn classifier instance (with fit and predict)")
        if self.categorical_fill not in _FILLS:
            raise ConfigError(f"O² categorical_fill={self.categorical_fill!r} is unknown", f"use one of {_FILLS}")
        if self.categorical_model is not None and not (hasattr(self.categorical_model, "fit")
                                                       and hasattr(self.categorical_model, "predict_proba")):
            raise ConfigError(f"O² categorical_model={self.categorical_model!r} is not a probabilistic classifier",
                              "pass a scikit-learn classifier with fit and predict_proba, or None")
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
        hgb = self._filter_model(rng)
        if hgb is not None:
            hgb.fit(Xs, target)
        if self.warm_start == "loras":
            ctx["loras"] = _LorasStarts(Xs, target, k, rng)
        state = {"zbar": np.zeros(Xs.shape[1]), "count": 0}
        kept, rejected, on_bound_k, seeds_k, finite = [], [], [], [], True
        need, rounds = n, 0
        while need > 0 and rounds <= (_FILTER_ROUNDS if hgb is not None else 0):
            ask = need if hgb is None else int(np.ceil(need * (1.5 if rounds == 0 else 2.0)))
            Z, bound, seeds, fin = self._optimise(ctx, ask, state, rng)
            finite &= fin
            if hgb is not None:
                ok = np.asarray(hgb.predict(Z)) == 1
                rejected.append((Z[~ok], bound[~ok], seeds[~ok], _class_score(hgb, Z[~ok])))
                Z, bound, seeds = Z[ok], bound[ok], seeds[ok]
            kept.append(Z[:need])
            on_bound_k.append(bound[:need])
            seeds_k.append(seeds[:need])
            need -= len(kept[-1])
            rounds += 1
        shortfall = need
        if need > 0:  # fill with the rejected candidates the filter scored highest
            order = np.argsort(-np.concatenate([r[3] for r in rejected]), kind="stable")[:need]
            kept.append(np.vstack([r[0] for r in rejected])[order])
            on_bound_k.append(np.concatenate([r[1] for r in rejected])[order])
            seeds_k.append(np.concatenate([r[2] for r in rejected])[order])
        Z = np.vstack(kept)
        bound = np.concatenate(on_bound_k)
        g = ctx["score"](Z)
        diag = {"share_on_bound": float(bound.mean()), "mean_g": float(g.mean()),
                "mean_abs_g_gap": float(np.abs(g - 0.5).mean()),
                "mean_nn_distance": float(ctx["nn"].kneighbors(Z)[0].mean()),
                "objective_finite": bool(finite)}
        diag["filter_shortfall"] = int(shortfall) if hgb is not None else None  # None: no filter
        return Z, np.concatenate(seeds_k), diag

    def _filter_model(self, rng):
        if self.filter is None:
            return None
        seed = rng.randint(2**31 - 1)
        if isinstance(self.filter, str):
            return HistGradientBoostingClassifier(random_state=seed)
        return _seeded(self.filter, seed, "filter")

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
            jitter = (rng.normal(scale=1.0, size=(n, M.shape[1])) * (0.05 * ctx["dk"][seed])[:, None]
                      / np.sqrt(M.shape[1]))
            return seed, M[seed] + jitter
        if self.warm_start == "smote":
            other = ind[seed, rng.randint(k, size=n)]
            return seed, M[seed] + rng.uniform(size=(n, 1)) * (M[other] - M[seed])
        return ctx["loras"].draw(n)

    def _optimise(self, ctx, n, state, rng):
        """n candidates in batches; returns points, on-bound flags, their seeds (minority positions) and
        whether every objective was finite."""
        l1, l2, l3 = (float(v) for v in self.lambdas)
        d = ctx["M"].shape[1]
        out, flags, seeds, finite = [], [], [], True
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

            # this batch's terms bound as defaults: value_grad is only called within this iteration
            def value_grad(Z, c1=c1, zbar=zbar, xbar=xbar, lin=lin, boundary=boundary):
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
                def neg(flat, m=m):
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
            seeds.append(seed)
            total = state["count"] + m
            state["zbar"] = (state["zbar"] * state["count"] + Z.sum(axis=0)) / total
            state["count"] = total
        return np.vstack(out), np.concatenate(flags), np.concatenate(seeds), finite


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
                "objective_finite": True, "filter_shortfall": None}
    total = sum(n for n, _ in diags)
    out = {key: float(sum(n * d[key] for n, d in diags) / total)
           for key in ("share_on_bound", "mean_g", "mean_abs_g_gap", "mean_nn_distance")}
    out["objective_finite"] = all(d["objective_finite"] for _, d in diags)
    shortfalls = [d["filter_shortfall"] for _, d in diags if d["filter_shortfall"] is not None]
    out["filter_shortfall"] = sum(shortfalls) if shortfalls else None
    return out


def _numeric_dtype(dtype) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _is_numeric(column) -> bool:
    try:
        np.asarray(column, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


def _encode_categories(Xc):
    """Integer codes (n, c) of the categorical columns and, per column, the sorted levels."""
    codes = np.empty(Xc.shape, dtype=int)
    levels = []
    for j in range(Xc.shape[1]):
        column = pd.Categorical(Xc[:, j])
        codes[:, j] = column.codes
        levels.append(np.asarray(column.categories, dtype=Xc.dtype))
    return codes, levels


def _seeded(estimator, seed, what):
    """A clone of the user's classifier, seeded where it takes a random_state."""
    try:
        est = clone(estimator)
    except TypeError as exc:
        raise ConfigError(f"O² {what}={estimator!r} cannot be cloned ({exc})",
                          "pass an unfitted scikit-learn classifier instance") from exc
    if "random_state" in est.get_params(deep=False):
        est.set_params(random_state=seed)
    return est


def _class_score(est, Z):
    """How strongly the filter labels each row as the class (1): probability, margin or label."""
    if len(Z) == 0:
        return np.zeros(0)
    if hasattr(est, "predict_proba"):
        return est.predict_proba(Z)[:, list(est.classes_).index(1)]
    if hasattr(est, "decision_function"):
        return np.asarray(est.decision_function(Z), dtype=float).ravel()
    return (np.asarray(est.predict(Z)) == 1).astype(float)


class _LorasStarts:
    """Warm starts from pyloras' LORAS, run on the scaled data; drawn in order, refilled on demand."""

    def __init__(self, Xs, target, k, rng):
        self.Xs, self.target, self.k, self.rng = Xs, target, k, rng
        self.M = Xs[target == 1]
        self.pool = np.empty((0, Xs.shape[1]))
        self.nn = NearestNeighbors(n_neighbors=1).fit(self.M)

    def draw(self, n):
        if len(self.pool) < n:
            from pyloras import LORAS
            want = max(n - len(self.pool), len(self.M))
            m = len(self.M)
            sampler = LORAS(sampling_strategy={1: m + want}, n_neighbors=min(self.k + 1, m),
                            manifold_learner_params={"perplexity": float(min(5, m - 1))},
                            random_state=self.rng.randint(2**31 - 1))
            X_res, _ = sampler.fit_resample(self.Xs, self.target)
            self.pool = np.vstack([self.pool, np.clip(X_res[len(self.Xs):], 0.0, 1.0)])
        out, self.pool = self.pool[:n], self.pool[n:]
        seed = self.nn.kneighbors(out)[1][:, 0]
        return seed, out
