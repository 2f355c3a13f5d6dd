"""Statistics across datasets: mean ranks, Friedman + Nemenyi, Wilcoxon + Holm against a baseline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from augmentation.evaluation.metrics import LOWER_IS_BETTER

TIE = 1e-3  # |difference| at or below this counts as a tie in win/tie/loss


def score_table(results: pd.DataFrame, learner: str, protocol: str, metric: str = "roc_auc") -> pd.DataFrame:
    """datasets × methods, the metric averaged over seeds, without holes.

    Where cells failed, either the datasets or the methods with a failure are dropped, whichever keeps
    more scores (ties: drop the datasets, so every method stays compared).
    """
    ok = results[(results.status == "ok") & (results.learner == learner) & (results.protocol == protocol)]
    if ok.empty or metric not in ok:
        return pd.DataFrame()
    everything = results[(results.learner == learner) & (results.protocol == protocol)]
    table = ok.pivot_table(index="dataset", columns="method", values=metric, aggfunc="mean")
    table = table.reindex(index=sorted(everything.dataset.unique()), columns=sorted(everything.method.unique()))
    by_rows, by_columns = table.dropna(axis=0, how="any"), table.dropna(axis=1, how="any")
    return by_columns if by_columns.size > by_rows.size else by_rows


def mean_ranks(table: pd.DataFrame, metric: str = "roc_auc") -> pd.Series:
    """Average rank per method (1 = best; ties share the mean rank)."""
    return table.rank(axis=1, ascending=metric in LOWER_IS_BETTER).mean().sort_values()


def friedman(table: pd.DataFrame) -> tuple[float, float]:
    """Friedman chi-square statistic and p-value (nan with fewer than 3 methods or 2 datasets)."""
    from scipy.stats import friedmanchisquare

    if table.shape[1] < 3 or table.shape[0] < 2:
        return float("nan"), float("nan")
    stat, p = friedmanchisquare(*[table[c].to_numpy() for c in table.columns])
    return float(stat), float(p)


def nemenyi_cd(k: int, n: int, alpha: float = 0.05) -> float:
    """Nemenyi critical difference of mean ranks for k methods on n datasets (Demšar 2006)."""
    from scipy.stats import studentized_range

    if k < 2 or n < 1:
        return float("nan")
    q = studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
    return float(q * np.sqrt(k * (k + 1) / (6.0 * n)))


def versus_baseline(table: pd.DataFrame, metric: str = "roc_auc", baseline: str = "none") -> pd.DataFrame:
    """Win/tie/loss per method against ``baseline`` over datasets, Wilcoxon signed-rank p, Holm-adjusted."""
    from scipy.stats import wilcoxon

    if baseline not in table:
        return pd.DataFrame()
    sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
    rows = []
    for method in table.columns.drop(baseline):
        diff = sign * (table[method] - table[baseline]).to_numpy()
        p = float("nan")
        if len(diff) >= 2 and np.any(np.abs(diff) > 0):
            p = float(wilcoxon(diff, zero_method="zsplit").pvalue)
        rows.append({"method": method, "wins": int((diff > TIE).sum()), "ties": int((np.abs(diff) <= TIE).sum()),
                     "losses": int((diff < -TIE).sum()), "mean_diff": float(diff.mean()) if len(diff) else np.nan,
                     "p_wilcoxon": p})
    out = pd.DataFrame(rows, columns=["method", "wins", "ties", "losses", "mean_diff", "p_wilcoxon"])
    out["p_holm"] = holm(out["p_wilcoxon"].to_numpy())
    return out.set_index("method")


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (nan stays nan)."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full_like(p, np.nan)
    idx = np.where(~np.isnan(p))[0]
    order = idx[np.argsort(p[idx])]
    m, running = len(order), 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[j]))
        out[j] = running
    return out


def cd_plot(ranks: pd.Series, cd: float, path: str | Path, title: str) -> None:
    """A critical-difference diagram: methods on the rank axis, bars join groups closer than ``cd``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ranks = ranks.sort_values()
    k = len(ranks)
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.28 * k))
    ax.set_xlim(0.5, k + 0.5)
    ax.set_ylim(-(k + 2), 2)
    ax.axhline(0, color="black", lw=1)
    for r in range(1, k + 1):
        ax.plot([r, r], [0, 0.2], color="black", lw=1)
        ax.text(r, 0.4, str(r), ha="center", fontsize=8)
    for i, (name, rank) in enumerate(ranks.items()):
        y = -(i + 1)
        ax.plot([rank, rank, 0.6 if i < k / 2 else k + 0.4], [0, y, y], color="tab:blue", lw=0.8)
        ax.text(0.55 if i < k / 2 else k + 0.45, y, f"{name} ({rank:.2f})", va="center",
                ha="left" if i < k / 2 else "right", fontsize=8, backgroundcolor="white")
    if np.isfinite(cd):
        ax.plot([1, 1 + cd], [1.3, 1.3], color="tab:red", lw=2)
        ax.text(1 + cd / 2, 1.5, f"CD = {cd:.2f}", ha="center", fontsize=8, color="tab:red")
        values = ranks.to_numpy()
        level = 0
        for i in range(k):  # maximal groups not significantly different
            j = max(j for j in range(i, k) if values[j] - values[i] <= cd)
            if j > i and not any(values[j2] - values[i2] <= cd for i2 in range(i) for j2 in [j] if i2 < i):
                ax.plot([values[i], values[j]], [-0.3 - 0.25 * level, -0.3 - 0.25 * level], color="black", lw=3)
                level += 1
    ax.set_title(title, fontsize=9)
    ax.axis("off")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
