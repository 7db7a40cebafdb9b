"""High-precision references (mpmath) for the accuracy of lecture_lib's functions, in ulps.

Each reference evaluates the exact formula on the *given* floats at 200 bits and rounds the result
once to the target dtype, so :func:`max_ulps` measures only the error of lecture_lib's algorithm.
The input sets (:data:`RANGES`) are seeded and reach the extremes: logits up to 1e4, 1e15 and
1e308, ties, results that are tiny or subnormal. ``tests/test_accuracy.py`` asserts the bounds and
``benchmarks/accuracy.py`` prints and records them.
"""

from __future__ import annotations

import mpmath
import numpy as np

from ulp import ulp_distance

mpmath.mp.prec = 200

DTYPES = (np.float64, np.float32)


def to_dtype(x, dtype):
    """``x`` (an mpf) rounded once to the nearest ``dtype`` value (no double rounding via float64)."""
    dtype = np.dtype(dtype).type
    with np.errstate(over="ignore"):
        guess = dtype(float(x))  # within an ulp of the answer (float64 first, then dtype)
    if not np.isfinite(guess):  # beyond dtype's range: the largest float, or inf past its half-ulp
        big = np.finfo(dtype).max
        limit = mpmath.mpf(float(big)) * (1 + mpmath.mpf(2) ** -(np.finfo(dtype).nmant + 1))
        return dtype(np.copysign(np.inf if abs(x) >= limit else big, float(x)))
    candidates = [c for c in (np.nextafter(guess, dtype(-np.inf)), guess, np.nextafter(guess, dtype(np.inf)))
                  if np.isfinite(c)]
    return min(candidates, key=lambda c: abs(mpmath.mpf(float(c)) - x))


def _row_parts(row):
    """``(values, c, r)`` of one row: the logits as mpf, their maximum and r = sum e^(v - c) - 1.

    The references are written in terms of the shift ``v - c`` and of ``log S = log1p(r)`` so that
    200 bits suffice at any magnitude (``c + log S`` would lose a tiny ``log S`` next to c = 1e4,
    and ``S = 1 + e^-254`` rounds to 1).
    """
    values = [mpmath.mpf(float(v)) for v in row]
    c = max(values)
    top = values.index(c)
    return values, c, mpmath.fsum(mpmath.exp(v - c) for k, v in enumerate(values) if k != top)


# --------------------------------------------------------------------------- exact formulas
def ref_logsumexp(Z):
    out = []
    for row in Z:
        _, c, r = _row_parts(row)
        out.append(c + mpmath.log1p(r))
    return out


def ref_log_softmax(Z):
    out = []
    for row in Z:
        values, c, r = _row_parts(row)
        out.append([(v - c) - mpmath.log1p(r) for v in values])
    return out


def ref_softmax(Z):
    out = []
    for row in Z:
        values, c, r = _row_parts(row)
        out.append([mpmath.exp(v - c) / (1 + r) for v in values])
    return out


def ref_cross_entropy(y, Z):
    """Per-sample losses LSE(z) - z_y = (c - z_y) + log(1 + r) for class indices ``y``."""
    out = []
    for k, row in zip(y, Z):
        values, c, r = _row_parts(row)
        out.append((c - values[k]) + mpmath.log1p(r))
    return out


def _softplus(t):
    return mpmath.log1p(mpmath.exp(t))


def ref_binary_cross_entropy(y, z):
    """log(1 + e^z) - y z for labels or probabilities ``y``, as y softplus(-z) + (1 - y) softplus(z).

    The two forms are equal; the second has no cancellation, so 200 bits suffice even where the
    loss is e^-700 next to z = 700.
    """
    out = []
    for t, v in zip(y, z):
        t, v = mpmath.mpf(float(t)), mpmath.mpf(float(v))
        out.append((t * _softplus(-v) if t else 0) + ((1 - t) * _softplus(v) if t != 1 else 0))
    return out


def ref_sigmoid(z):
    return [1 / (1 + mpmath.exp(-mpmath.mpf(float(v)))) for v in z]


# --------------------------------------------------------------------------- inputs
def _logits(rng, scale, m, K, dtype):
    """Logits spread over [-scale, scale]: a uniform part, values near the row maximum and a tie."""
    Z = rng.uniform(-scale, scale, size=(m, K))
    Z[::3, 1] = Z[::3, 0] - rng.uniform(0, 10, size=Z[::3].shape[0])  # a runner-up close to the top
    Z[1::7, 1] = Z[1::7, 0]  # ties
    Z[2::5] = rng.uniform(-1, 1, size=(Z[2::5].shape[0], 1)) * scale + rng.uniform(-30, 0, size=(Z[2::5].shape[0], K))
    return Z.astype(dtype)


def _class_case(rng, scale, dtype, m=120, K=4):
    Z = _logits(rng, scale, m, K, dtype)
    return Z, rng.integers(0, K, size=m)


def _binary_logits(rng, scale, dtype, m=400):
    z = np.concatenate([scale * rng.uniform(-1, 1, size=m // 2),
                        np.sign(rng.uniform(-1, 1, size=m // 2)) * np.exp(rng.uniform(-40, np.log(scale), m // 2))])
    return z.astype(dtype)


#: Input ranges, by name: the largest |z|. "tiny" draws |z| down to 1e-17 (e^-|z| ~ 1).
RANGES = {"|z| <= 30": 30.0, "|z| <= 1e4": 1e4, "|z| <= 1e15": 1e15, "|z| <= 1e308": 1e308}


def ulps(result, reference, dtype) -> np.ndarray:
    """ulp distance of each entry of ``result`` to the mpmath ``reference`` rounded to ``dtype``."""
    ref = np.array([to_dtype(r, dtype) for r in np.ravel(np.array(reference, dtype=object))], dtype=dtype)
    return ulp_distance(np.ravel(result), ref, dtype=dtype), ref


def measure(ll, name: str, dtype, scale: float, seed: int = 0, min_abs: float = 0.0) -> dict:
    """Max ulps of lecture_lib's ``name`` on the seeded inputs of one range, over results >= min_abs.

    ``ll`` is the ``lecture_lib`` module. Returns ``{"max_ulps", "max_ulps_beyond_shift", "n",
    "smallest_result", "dtype"}``; ``max_ulps_beyond_shift`` is the largest error less the
    ``|z_k - c|`` ulps that softmax's rounded shift may cost (the same as ``max_ulps`` elsewhere).
    """
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype).type
    slack = 0.0
    if name in ("softmax", "log_softmax", "logsumexp"):
        Z, _ = _class_case(rng, min(scale, float(np.finfo(dtype).max) / 2), dtype)
        result = getattr(ll, name)(Z)
        if name == "softmax":  # the rounding of z - c costs up to |z_k - c| ulps (see lecture_lib.softmax)
            with np.errstate(over="ignore"):
                slack = np.abs(Z.astype(np.float64) - Z.max(axis=1, keepdims=True)).ravel()
        reference = {"softmax": ref_softmax, "log_softmax": ref_log_softmax, "logsumexp": ref_logsumexp}[name](Z)
    elif name in ("cross_entropy", "softmax_regression_cost"):
        Z, y = _class_case(rng, min(scale, float(np.finfo(dtype).max) / 2), dtype)
        reference = ref_cross_entropy(y, Z)
        if name == "cross_entropy":
            result = ll.cross_entropy(y, Z, reduction="none")
        else:  # one sample at a time: X = [[1]], W = z (1, K), b = 0 make Z = z exactly, J = its loss
            one, zero = np.ones((1, 1), dtype=dtype), np.zeros(Z.shape[1], dtype=dtype)
            result = np.array([ll.softmax_regression_cost(one, y[i:i + 1], Z[i:i + 1], zero) for i in range(len(y))],
                              dtype=dtype)  # J of one float32 sample is a float32 value
    elif name in ("binary_cross_entropy", "logistic_regression_cost", "binary_cross_entropy, soft y"):
        z = _binary_logits(rng, min(scale, float(np.finfo(dtype).max)), dtype)
        y = (rng.uniform(size=z.size) if "soft" in name else rng.integers(0, 2, size=z.size)).astype(dtype)
        reference = ref_binary_cross_entropy(y, z)
        if name == "logistic_regression_cost":
            one = np.ones((1, 1), dtype=dtype)
            result = np.array([ll.logistic_regression_cost_and_gradient(one, y[i:i + 1], z[i:i + 1], 0.0)[0]
                               for i in range(z.size)], dtype=dtype)
        else:
            result = ll.binary_cross_entropy(y, z, reduction="none")
    elif name == "sigmoid":
        z = _binary_logits(rng, min(scale, float(np.finfo(dtype).max)), dtype)
        result, reference = ll.sigmoid(z), ref_sigmoid(z)
    else:
        raise ValueError(f"no reference for {name!r}")
    out_dtype = np.asarray(result).dtype.type
    distance, ref = ulps(np.asarray(result), reference, out_dtype)
    keep = np.abs(ref) >= min_abs
    beyond = np.maximum(distance - np.floor(np.minimum(slack, 1e18)), 0).astype(np.int64)
    return {"max_ulps": int(distance[keep].max()) if keep.any() else 0, "n": int(keep.sum()),
            "max_ulps_beyond_shift": int(beyond[keep].max()) if keep.any() else 0,
            "smallest_result": float(np.abs(ref[keep]).min()) if keep.any() else None,
            "dtype": np.dtype(out_dtype).name}


FUNCTIONS = ("softmax", "log_softmax", "logsumexp", "cross_entropy", "softmax_regression_cost",
             "binary_cross_entropy", "binary_cross_entropy, soft y", "logistic_regression_cost", "sigmoid")


# --------------------------------------------------------------------------- masked logits and results near 0
def masked_case(rng, scale, dtype, m=120, K=5):
    """Logits of :func:`_class_case` with masked classes (``-inf``), at the mask's edges.

    About a third of the entries are masked; every row keeps at least one finite logit. Rows
    ``0::6`` keep exactly one (softmax one-hot, LSE that logit), rows ``1::6`` mask their largest
    logit (the runner-up becomes the shift), rows ``2::6`` mask all but the two largest.
    """
    Z, y = _class_case(rng, scale, dtype, m=m, K=K)
    mask = rng.uniform(size=Z.shape) < 1 / 3
    order = np.argsort(Z, axis=1)
    rows = np.arange(m)
    mask[0::6] = True
    mask[0::6, :][np.arange(len(rows[0::6])), rng.integers(0, K, size=len(rows[0::6]))] = False
    mask[1::6, :] = False
    mask[rows[1::6], order[1::6, -1]] = True
    mask[2::6, :] = True
    mask[rows[2::6], order[2::6, -1]] = False
    mask[rows[2::6], order[2::6, -2]] = False
    mask[rows, rng.integers(0, K, size=m)] &= ~mask.all(axis=1)  # no row fully masked
    Z[mask] = -np.inf
    return Z, y


def near_zero_case(rng, dtype, m=240):
    """Rows ``(m, K)`` whose log-sum-exp is near 0, where ``c + log1p(r)`` cancels: log-probabilities.

    Rows are ``log p`` of random distributions over K = 2..12 classes (some entries masked or tiny),
    plus the issue's examples ``[-1, -1, -1]`` and ``[-log 2, -log 2]`` and equal logits ``-log K``.
    """
    K = 12
    Z = np.full((m, K), -np.inf)
    for i in range(m):
        k = 2 + i % (K - 1)
        p = rng.dirichlet(np.full(k, 0.5 if i % 3 else 5.0))
        Z[i, :k] = np.log(p)
        if i % 5 == 0:
            Z[i, 0] = -rng.uniform(50, 1e4 if dtype == np.float32 else 1e300)  # a term far below the others
        if i % 7 == 0:
            Z[i, :k] = -np.log(k)  # equal logits: LSE = log k - fl(log k), the rounding of log k
    Z[0, :3] = -1.0
    Z[1, :2] = -np.log(2.0)
    return Z.astype(dtype)


def measure_rows(ll, name: str, Z, y=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(ulps, result, reference)`` of lecture_lib's ``name`` on the logits ``Z`` (every entry, raveled)."""
    if name == "cross_entropy":
        result, reference = ll.cross_entropy(y, Z, reduction="none"), ref_cross_entropy(y, Z)
    else:
        result = getattr(ll, name)(Z)
        reference = {"softmax": ref_softmax, "log_softmax": ref_log_softmax, "logsumexp": ref_logsumexp}[name](Z)
    distance, ref = ulps(np.asarray(result), reference, np.asarray(result).dtype.type)
    return distance, np.ravel(result), ref
