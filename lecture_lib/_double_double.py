r"""Double-double arithmetic on float64 arrays: about 106 bits, for the few results that need them.

A double-double is an unevaluated sum ``hi + lo`` of two float64 arrays with ``|lo| <= ulp(hi) / 2``.
The error-free transformations (Knuth's TwoSum, Dekker's TwoProduct with Veltkamp's split) give
the rounding error of a sum or product exactly, so sums and products of double-doubles carry about
twice float64's precision (Dekker 1971; Hida, Li and Bailey's QD library). numpy never fuses
``a * b + c`` into one rounding, which these formulas rely on.

Only :func:`lecture_lib.logsumexp` uses it, where its result cancels to near zero (see there).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

#: Veltkamp's splitter 2^27 + 1: splits a float64 into two halves of 26 bits whose products are exact.
_SPLITTER = 134217729.0


def _dd_constant(value: Fraction) -> tuple[float, float]:
    """``(hi, lo)``: a rational constant as a double-double (hi = nearest float, lo = nearest float of the rest)."""
    hi = float(value)
    return hi, float(value - Fraction(hi))


def _ln2_parts() -> tuple[float, float, float]:
    r"""ln 2 as three float64 terms (hi + mid + lo, about 160 bits), from its series, once at import.

    :math:`\ln 2 = \sum_{n \ge 1} 1 / (n\,2^n)` in exact rationals, 170 terms (an error below 2^-170).
    """
    ln2 = sum(Fraction(1, n * 2**n) for n in range(1, 171))
    hi = float(ln2)
    mid = float(ln2 - Fraction(hi))
    return hi, mid, float(ln2 - Fraction(hi) - Fraction(mid))


_LN2 = _ln2_parts()
#: Taylor coefficients 1/k! of e^r, k = 0..24, as double-doubles: |r| <= ln(2)/2 makes the
#: remainder below 2^-115 relative.
_INV_FACTORIALS = [_dd_constant(Fraction(1, math.factorial(k))) for k in range(25)]


def two_sum(a, b):
    """``(s, e)`` with ``s = fl(a + b)`` and ``s + e = a + b`` exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _fast_two_sum(a, b):
    """TwoSum for ``|a| >= |b|`` (or a = 0)."""
    s = a + b
    return s, b - (s - a)


def _split(a):
    t = _SPLITTER * a
    hi = t - (t - a)
    return hi, a - hi


def two_prod(a, b):
    """``(p, e)`` with ``p = fl(a b)`` and ``p + e = a b`` exactly (Dekker), for ``|a b|`` well inside the range."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def dd_add(ah, al, bh, bl):
    """``(ah + al) + (bh + bl)`` as a double-double (the accurate "IEEE" addition of the QD library)."""
    s, e = two_sum(ah, bh)
    t, f = two_sum(al, bl)
    e = e + t
    s, e = _fast_two_sum(s, e)
    e = e + f
    return _fast_two_sum(s, e)


def dd_mul(ah, al, bh, bl):
    """``(ah + al) (bh + bl)`` as a double-double."""
    p, e = two_prod(ah, bh)
    e = e + (ah * bl + al * bh)
    return _fast_two_sum(p, e)


def dd_exp(x):
    r""":math:`e^x` of float64 ``x`` as a double-double ``(hi, lo)``, to about 2^-104 relative.

    For ``-700 <= x <= 700`` (the caller's range). :math:`x = n \ln 2 + r` with an integer
    :math:`n` and :math:`|r| \le \ln(2)/2`, the reduction done in double-double with a
    three-part :math:`\ln 2`; then :math:`e^x = 2^n \sum_{k=0}^{24} r^k / k!` by Horner's rule in
    double-double, and the power of two is exact.
    """
    n = np.rint(x / _LN2[0])
    p, pe = two_prod(n, _LN2[0])  # n ln2_hi, exactly
    rh = x - p  # exact (Sterbenz: x and p agree to within a factor 2 when n != 0)
    q, qe = two_prod(n, _LN2[1])
    rh, rl = dd_add(rh, np.zeros_like(rh), -pe, -(n * _LN2[2]))
    rh, rl = dd_add(rh, rl, -q, -qe)
    hi, lo = (np.full_like(rh, c) for c in _INV_FACTORIALS[-1])
    for c_hi, c_lo in _INV_FACTORIALS[-2::-1]:
        hi, lo = dd_mul(hi, lo, rh, rl)
        hi, lo = dd_add(hi, lo, np.full_like(hi, c_hi), np.full_like(lo, c_lo))
    scale = n.astype(np.int64)
    return np.ldexp(hi, scale), np.ldexp(lo, scale)


def dd_sum(hi, lo, axis: int):
    """Sum of double-doubles along ``axis`` (pairwise, ``log2`` of its length in steps), reduced axis kept."""
    hi, lo = np.moveaxis(hi, axis, -1), np.moveaxis(lo, axis, -1)
    while hi.shape[-1] > 1:
        if hi.shape[-1] % 2:
            pad = [(0, 0)] * (hi.ndim - 1) + [(0, 1)]
            hi, lo = np.pad(hi, pad), np.pad(lo, pad)
        hi, lo = dd_add(hi[..., 0::2], lo[..., 0::2], hi[..., 1::2], lo[..., 1::2])
    return np.moveaxis(hi, -1, axis), np.moveaxis(lo, -1, axis)
