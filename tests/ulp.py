"""Distances in units in the last place (ulps), for comparisons between two math libraries.

Two floating-point results of the same formula computed by different libraries (numpy's SIMD ``exp``
and V8's ``Math.exp``, two BLAS builds) agree to a few ulps, not bit for bit, and *which* inputs differ
depends on the CPU. Tests state their tolerance in ulps with :func:`ulp_distance` instead.
"""

from __future__ import annotations

import numpy as np


def _ordered(a: np.ndarray) -> np.ndarray:
    """Map floats to integers that are consecutive for consecutive floats (-0.0 and +0.0 both map to 0)."""
    itype = {np.dtype(np.float64): np.int64, np.dtype(np.float32): np.int32}[a.dtype]
    bits = a.view(itype).astype(np.int64)
    sign_mask = np.int64(np.iinfo(itype).min)
    return np.where(bits < 0, sign_mask - bits, bits)


def ulp_distance(a, b, dtype=np.float64) -> np.ndarray:
    """How many representable ``dtype`` values lie between ``a`` and ``b`` (0 when equal).

    Elementwise and exact: the floats are mapped to integers in their order, so the distance is
    counted across powers of two, across zero and into the subnormals alike. NaN or infinity in
    either argument gives ``np.iinfo(np.int64).max`` unless both are the same non-finite value.
    """
    a = np.asarray(a, dtype=dtype)
    b = np.asarray(b, dtype=dtype)
    a, b = np.broadcast_arrays(a, b)
    distance = np.abs(_ordered(np.ascontiguousarray(a)) - _ordered(np.ascontiguousarray(b)))
    same_special = (a == b) | (np.isnan(a) & np.isnan(b))
    special = ~np.isfinite(a) | ~np.isfinite(b)
    return np.where(special, np.where(same_special, 0, np.iinfo(np.int64).max), distance)
