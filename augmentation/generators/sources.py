"""imbalanced-learn samplers that name the real row each synthetic row was built from.

After ``fit_resample`` each sets ``source_indices_``: for every new row, in output order, the position
in X of its base (source) row. The synthesis layer copies the causal map's immutable variables from
that row, so an interpolated patient keeps one real patient's age and sex instead of a blend that the
constraint layer would have to snap to an observed value. ``fit_resample``'s output is unchanged.

* SMOTE, SMOTE-NC, Borderline-SMOTE: imbalanced-learn's ``_generate_samples`` receives the base rows
  (``rows``, positions in the set it samples from: the class's rows, or its rows in danger for
  Borderline-SMOTE, which records their positions in ``in_danger_indices``).
* ADASYN generates inline; its base rows are a deterministic function of the data (each minority row
  repeated in proportion to its share of majority neighbours), so they are recomputed the same way.
* RandomOverSampler: its ``sample_indices_`` past the real rows.
"""

from __future__ import annotations

import numpy as np
from imblearn.over_sampling import ADASYN, SMOTE, SMOTENC, BorderlineSMOTE, RandomOverSampler
from sklearn.base import clone
from sklearn.utils import _safe_indexing

from augmentation.generators.dense import DenseBorderlineSMOTE


class _RecordsBaseRows:
    """Mixin (before a SMOTE-family class): ``source_indices_`` from the rows ``_generate_samples`` is given."""

    def _fit_resample(self, X, y):
        self._y_fit, self._sources = y, []
        try:
            resampled = super()._fit_resample(X, y)
            self.source_indices_ = np.concatenate(self._sources) if self._sources else np.empty(0, dtype=int)
        finally:
            del self._y_fit, self._sources
        return resampled

    def _base_positions(self, y_type) -> np.ndarray:
        """Positions in X of the set the base rows index (the class's rows, in order)."""
        return np.flatnonzero(self._y_fit == y_type)

    def _generate_samples(self, X, nn_data, nn_num, rows, cols, steps, y_type=None, y=None):
        self._sources.append(self._base_positions(y_type)[rows])
        return super()._generate_samples(X, nn_data, nn_num, rows, cols, steps, y_type, y)


class SourcedSMOTE(_RecordsBaseRows, SMOTE):
    """imbalanced-learn's SMOTE, plus ``source_indices_``."""


class SourcedSMOTENC(_RecordsBaseRows, SMOTENC):
    """imbalanced-learn's SMOTE-NC, plus ``source_indices_``."""


class _DangerBaseRows(_RecordsBaseRows):
    def _base_positions(self, y_type) -> np.ndarray:
        return self.in_danger_indices[y_type]  # Borderline-SMOTE samples from the class's rows in danger


class SourcedBorderlineSMOTE(_DangerBaseRows, BorderlineSMOTE):
    """imbalanced-learn's BorderlineSMOTE, plus ``source_indices_``."""


class SourcedDenseBorderlineSMOTE(_DangerBaseRows, DenseBorderlineSMOTE):
    """The dense-only BorderlineSMOTE (borderline-2), plus ``source_indices_``."""


class SourcedADASYN(ADASYN):
    """imbalanced-learn's ADASYN, plus ``source_indices_`` (its base rows, recomputed as ADASYN computes them)."""

    def _fit_resample(self, X, y):
        X_res, y_res = super()._fit_resample(X, y)
        nn = clone(self.nn_)  # a copy: the fitted nn_ stays as ADASYN left it
        sources = []
        for class_sample, n_samples in self.sampling_strategy_.items():
            if n_samples == 0:
                continue
            positions = np.flatnonzero(y == class_sample)
            # as in ADASYN._fit_resample: neighbours among all rows, weight = share of other-class neighbours
            nns = nn.fit(X).kneighbors(_safe_indexing(X, positions), return_distance=False)[:, 1:]
            ratio = np.sum(y[nns] != class_sample, axis=1) / (nn.n_neighbors - 1)
            counts = np.rint(ratio / ratio.sum() * n_samples).astype(int)
            sources.append(np.repeat(positions, counts))
        self.source_indices_ = np.concatenate(sources) if sources else np.empty(0, dtype=int)
        made = X_res.shape[0] - X.shape[0]
        if len(self.source_indices_) != made:  # a changed ADASYN must not pass unnoticed
            raise RuntimeError(f"ADASYN made {made} rows but {len(self.source_indices_)} base rows were "
                               "recomputed; imbalanced-learn's ADASYN changed")
        return X_res, y_res


class SourcedRandomOverSampler(RandomOverSampler):
    """imbalanced-learn's RandomOverSampler, plus ``source_indices_`` (the rows it duplicated)."""

    def _fit_resample(self, X, y):
        X_res, y_res = super()._fit_resample(X, y)
        self.source_indices_ = np.asarray(self.sample_indices_[len(y):])
        return X_res, y_res
