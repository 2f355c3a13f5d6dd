"""Samplers that need a dense X: they say so in their estimator tags and reject sparse input clearly.

Without this, a sparse matrix reaches numpy code that fails with a message naming neither the
problem nor the fix (``setting an array element with a sequence``, a matmul dimension mismatch).
Also two thin wrappers of third-party samplers that otherwise break the sampler contract:

* :class:`LoRAS`: pyloras' LORAS returns float64 whatever X's dtype and fails on sparse X.
* :class:`DenseBorderlineSMOTE`: imbalanced-learn's ``kind="borderline-2"`` multiplies a sparse
  matrix in place by a column (``*=``), which scipy reads as a matrix product, so sparse X fails.
"""

from __future__ import annotations

import numpy as np
from imblearn.over_sampling import BorderlineSMOTE
from pyloras import LORAS
from scipy import sparse

from augmentation.errors import DataError


def reject_sparse(name: str, X) -> None:
    """Raise a DataError when ``X`` is a scipy sparse matrix or a frame of pandas sparse columns."""
    dtypes = getattr(X, "dtypes", None)
    sparse_frame = dtypes is not None and any(type(d).__name__ == "SparseDtype" for d in np.atleast_1d(dtypes))
    if sparse.issparse(X) or sparse_frame:
        raise DataError(f"{name} needs a dense X, got sparse data",
                        "convert it first (X.toarray() for a sparse matrix, X.sparse.to_dense() for a DataFrame)")


class DenseOnly:
    """Mixin (before the imbalanced-learn base class): no sparse support, declared and enforced."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags

    def _check_X_y(self, X, y, accept_sparse=None):
        reject_sparse(type(self).__name__, X)
        return super()._check_X_y(X, y, accept_sparse=False)


class LoRAS(DenseOnly, LORAS):
    """pyloras' LORAS, dense only, returning X's dtype (its arithmetic stays float64)."""

    def _fit_resample(self, X, y):
        X_res, y_res = super()._fit_resample(X, y)
        return X_res.astype(X.dtype, copy=False), y_res


class DenseBorderlineSMOTE(DenseOnly, BorderlineSMOTE):
    """imbalanced-learn's BorderlineSMOTE, dense only (its borderline-2 path fails on sparse X)."""
