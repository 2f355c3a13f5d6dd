"""Does data with the synthetic minority keep the conditional independences the causal DAG implies?

What is compared: the real training rows, and the same rows with the real minority
replaced by an equal number of synthetic minority rows (real majority + synthetic
minority). Both sets then have the real class ratio and the same size, so
- no selection effect: testing the oversampled set itself would flag every generator,
  plain duplication included, because over-representing the label makes its parents
  dependent (a collider opened by selection);
- equal power: a larger set would "break" independences that are merely weak.
Testing inside the minority class alone was tried first and tests nothing on the usual
graph, where every feature is a parent of the label: conditioning on the label makes
all its parents dependent, so the DAG implies no independence there.

Which independences: the DAG's local Markov basis, each node independent of its
non-descendants given its parents, the label included as a node; each unordered pair
once. An independence is *broken* when it holds on the real rows and is rejected on
the comparison set, the rejections corrected for multiplicity: Holm's step-down over the
independences that hold on the real rows (the family in which a break can occur). With
eleven implied independences and alpha 0.01, uncorrected tests fail a perfect generator's
rows by chance in about one run in ten; Holm keeps the chance of any false break below alpha.
A rejection alone is not a break: the partial correlation on the comparison set must also
differ significantly from the real one (Fisher's z for two correlations, Holm over the same
family). Where a mechanism is nonlinear the linear test sees a weak partial correlation that
one real sample "holds" at p 0.02 and another rejects at p 0.005: that is the test's noise
around its threshold, and it failed a perfect generator in 3 of 20 seeds on a small known model.

The test is causal-learn's Fisher-z, a linear-Gaussian partial-correlation test.
Categorical columns are encoded as integer codes (binary -> 0/1), so for them it is
an approximation: it sees linear association of the codes, not every dependence.

Degenerate tests are SKIPPED, not counted as holding or broken: a column that is
constant in either sample, a singular correlation matrix, or too few rows for the
conditioning set make the p-value undefined. Skipped tests are listed with their
reason and excluded from ``n_hold_real`` and ``broken``; ``to_dict`` reports
``n_skipped`` so a check that tested nothing is visible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from augmentation.causal.graph import build_dag
from augmentation.data.io import json_safe
from augmentation.data.table import category_codes
from augmentation.errors import ConfigError, DataError


def implied_independences(
    nodes: Sequence[str], edges: Sequence[tuple[str, str]], label: str
) -> list[tuple[str, str, tuple[str, ...]]]:
    """The local Markov basis ``a ⟂ b | pa(a)`` for every non-descendant ``b`` of ``a`` outside pa(a).

    Nodes in ``nodes`` order, the label included; each unordered pair appears once, with
    the conditioning set of the first node that implies it, sorted.
    """
    graph = build_dag(nodes, edges, label)
    found: list[tuple[str, str, tuple[str, ...]]] = []
    seen: set[frozenset[str]] = set()
    for a in nodes:
        parents = set(graph.predecessors(a))
        excluded = nx.descendants(graph, a) | parents | {a}
        for b in nodes:
            pair = frozenset((a, b))
            if b in excluded or pair in seen:
                continue
            seen.add(pair)
            found.append((a, b, tuple(sorted(parents))))
    return found


@dataclass
class IndependenceTest:
    x: str
    y: str
    given: tuple[str, ...]
    p_real: float
    p_synthetic: float
    holds_real: bool
    holds_synthetic: bool
    skipped: str | None = None  # why no p-value could be computed; None when tested
    p_synthetic_holm: float | None = None  # Holm-adjusted over the tests that hold on real rows; None otherwise
    r_real: float | None = None  # the partial correlations the tests see
    r_synthetic: float | None = None
    p_difference_holm: float | None = None  # do the two partial correlations differ? Holm over the same family

    def describe(self) -> str:
        return f"{self.x} ⟂ {self.y} | {{{', '.join(self.given)}}}"


@dataclass
class CausalCheckResult:
    method: str
    tests: list[IndependenceTest]
    n_implied: int
    n_hold_real: int
    n_hold_synthetic: int
    broken: list[IndependenceTest]  # hold in real, rejected on synthetic
    broken_share: float  # len(broken) / max(n_hold_real, 1)
    passed: bool
    max_broken_share: float
    alpha: float
    n_rows: int
    skipped: list[IndependenceTest] = field(default_factory=list)
    n_rows_synthetic: int = 0  # < n_rows only when the generator made fewer rows than the real minority

    @property
    def reason(self) -> str:
        if not self.broken:
            return f"0 of {self.n_hold_real} independences broken"
        names = ", ".join(t.describe() for t in self.broken)
        return f"{len(self.broken)} of {self.n_hold_real} independences broken: {names}"

    def to_dict(self) -> dict:
        def test_dict(t: IndependenceTest) -> dict:
            return json_safe(asdict(t))  # an undefined (NaN) p-value becomes null

        return {
            "method": self.method,
            "passed": bool(self.passed),
            "reason": self.reason,
            "alpha": float(self.alpha),
            "max_broken_share": float(self.max_broken_share),
            "broken_share": float(self.broken_share),
            "n_rows": int(self.n_rows),
            "n_rows_synthetic": int(self.n_rows_synthetic),
            "n_implied": int(self.n_implied),
            "n_hold_real": int(self.n_hold_real),
            "n_hold_synthetic": int(self.n_hold_synthetic),
            "n_skipped": len(self.skipped),
            "broken": [test_dict(t) for t in self.broken],
            "tests": [test_dict(t) for t in self.tests],
        }


def _encode(frames: list[pd.DataFrame], columns: list[str], categorical: set[str]) -> list[np.ndarray]:
    """Numeric matrices for the test; categorical codes share one mapping across frames."""
    out = [np.empty((len(f), len(columns))) for f in frames]
    for j, col in enumerate(columns):
        if col in categorical:
            # One sorted category list over both frames, so a value gets the same code in each.
            cats = set().union(*(f[col].astype(str).unique() for f in frames))
            for m, f in zip(out, frames, strict=True):
                m[:, j] = category_codes(f[col], cats)
            continue
        for m, f, name in zip(out, frames, ("real", "synthetic"), strict=True):
            series = f[col]
            if series.dtype == bool:
                series = series.astype(int)
            if not pd.api.types.is_numeric_dtype(series):
                raise DataError(
                    f"column {col!r} in the {name} minority is {series.dtype}, not numeric",
                    "list it in `categorical` or cast it to a number",
                )
            if series.isna().any():
                raise DataError(
                    f"column {col!r} in the {name} minority has {int(series.isna().sum())} missing value(s)",
                    "impute or drop missing values before the causal check",
                )
            m[:, j] = series.to_numpy(dtype=float)
    return out


def _partial_correlation(data: np.ndarray, i: int, j: int, cond: list[int]) -> float:
    """The partial correlation of columns i and j given ``cond`` (the one Fisher-z tests), from the precision matrix."""
    precision = np.linalg.pinv(np.corrcoef(data[:, [i, j, *cond]], rowvar=False))
    return float(np.clip(-precision[0, 1] / math.sqrt(precision[0, 0] * precision[1, 1]), -0.999999, 0.999999))


def _p_difference(r_a: float, n_a: int, r_b: float, n_b: int, k: int) -> float:
    """Two-sided p-value of "the two partial correlations are equal" (Fisher's z, k conditioning variables)."""
    from scipy.stats import norm

    z = abs(math.atanh(r_a) - math.atanh(r_b)) / math.sqrt(1 / (n_a - k - 3) + 1 / (n_b - k - 3))
    return float(2 * norm.sf(z))


def _p_value(data: np.ndarray, i: int, j: int, cond: list[int]) -> tuple[float, str | None]:
    """Fisher-z p-value, or (nan, reason) when the test is undefined on this sample."""
    from causallearn.utils.cit import CIT  # slow import

    cols = [i, j, *cond]
    if len(data) <= len(cond) + 3:
        return math.nan, f"{len(data)} rows are too few for {len(cond)} conditioning variable(s)"
    if np.any(np.ptp(data[:, cols], axis=0) == 0):
        return math.nan, "a tested column is constant"
    try:
        p = float(CIT(data[:, cols], "fisherz")(0, 1, list(range(2, len(cols)))))
    except ValueError as err:  # causal-learn raises ValueError on a singular correlation matrix
        return math.nan, f"test undefined: {err}"
    if not math.isfinite(p):
        return math.nan, "test returned a non-finite p-value"
    return p, None


def comparison_set(real: pd.DataFrame, synthetic: pd.DataFrame, label: str, rng: np.random.Generator) -> pd.DataFrame:
    """Real majority + synthetic minority rows, as many as the real minority (fewer if fewer were made)."""
    minority = real[label].to_numpy() == 1
    n = int(minority.sum())
    if len(synthetic) > n:
        synthetic = synthetic.iloc[np.sort(rng.choice(len(synthetic), size=n, replace=False))]
    return pd.concat([real[~minority], synthetic], ignore_index=True)


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values, as statsmodels' ``multipletests(method="holm")`` gives them (tested
    against it), without the full garbage collection that function runs on every call (0.1-0.5 s in a large
    process, three times per generator)."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate(p[order] * np.arange(len(p), 0, -1))
    out = np.empty_like(p)
    out[order] = np.minimum(stepped, 1.0)
    return out


def check_causal_structure(
    real: pd.DataFrame,
    synthetic_minority: pd.DataFrame,
    *,
    nodes: Sequence[str],
    edges: Sequence[tuple[str, str]],
    label: str,
    categorical: Sequence[str] = (),
    alpha: float = 0.01,
    max_broken_share: float = 0.2,
    method: str = "",
    seed: int = 0,
) -> CausalCheckResult:
    """Test each implied independence on ``real`` (both classes, label 0/1) and on real majority + synthetic minority.

    An independence is *broken* when it holds on the real rows (p > alpha), is rejected on the
    comparison set (Holm-adjusted p <= alpha), and its partial correlation there differs from the
    real one (Holm-adjusted p <= alpha). ``passed`` is ``broken_share <= max_broken_share``.
    """
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must be in (0, 1), got {alpha}", "use a significance level such as 0.01")
    implied = implied_independences(nodes, edges, label)
    used = list(nodes)
    for name, frame in (("real", real), ("synthetic", synthetic_minority)):
        missing = [n for n in used if n not in frame.columns]
        if missing:
            raise DataError(
                f"causal graph node(s) {missing} are not columns of the {name} minority data",
                "rename the nodes or columns so they match, or drop the nodes from the graph",
            )
        if len(frame) == 0:
            raise DataError(f"the {name} minority data has no rows", "give the check at least a few minority rows")

    comparison = comparison_set(real, synthetic_minority, label, np.random.default_rng(seed))
    real_m, synth_m = _encode([real, comparison], used, set(categorical))

    index = {name: k for k, name in enumerate(used)}
    tests: list[IndependenceTest] = []
    for a, b, given in implied:
        cond = [index[g] for g in given]
        p_real, why_real = _p_value(real_m, index[a], index[b], cond)
        p_syn, why_syn = _p_value(synth_m, index[a], index[b], cond)
        why = "; ".join(f"{s}: {w}" for s, w in (("real", why_real), ("synthetic", why_syn)) if w) or None
        tests.append(
            IndependenceTest(
                x=a, y=b, given=given, p_real=p_real, p_synthetic=p_syn,
                holds_real=why is None and p_real > alpha,
                holds_synthetic=why is None and p_syn > alpha,
                skipped=why,
            )
        )

    done = [t for t in tests if t.skipped is None]
    family = [t for t in done if t.holds_real]
    if family:
        adjusted = holm([t.p_synthetic for t in family])
        for t in family:
            cond = [index[g] for g in t.given]
            t.r_real = _partial_correlation(real_m, index[t.x], index[t.y], cond)
            t.r_synthetic = _partial_correlation(synth_m, index[t.x], index[t.y], cond)
        differs = holm([_p_difference(t.r_real, len(real_m), t.r_synthetic, len(synth_m), len(t.given))
                        for t in family])
        for t, q, d in zip(family, adjusted, differs, strict=True):
            t.p_synthetic_holm, t.p_difference_holm = float(q), float(d)
            t.holds_synthetic = bool(q > alpha or d > alpha)
    n_hold_real = len(family)
    broken = [t for t in done if t.holds_real and not t.holds_synthetic]
    share = len(broken) / max(n_hold_real, 1)
    return CausalCheckResult(
        method=method,
        tests=tests,
        n_implied=len(implied),
        n_hold_real=n_hold_real,
        n_hold_synthetic=sum(t.holds_synthetic for t in done),
        broken=broken,
        broken_share=share,
        passed=share <= max_broken_share,
        max_broken_share=max_broken_share,
        alpha=alpha,
        n_rows=len(real),
        skipped=[t for t in tests if t.skipped is not None],
        n_rows_synthetic=len(comparison) - int((real[label].to_numpy() != 1).sum()),
    )
