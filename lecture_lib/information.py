r"""Information theory behind the cross-entropy: entropy, KL divergence and smoothed labels.

For distributions :math:`p` and :math:`q` over the ``K`` classes (the class axis last by default),

.. math:: H(p) = -\sum_{k=1}^{K} p_k \log p_k, \qquad
          D_{\mathrm{KL}}(p \,\|\, q) = \sum_{k=1}^{K} p_k \log \frac{p_k}{q_k}, \qquad
          H(p, q) = -\sum_{k=1}^{K} p_k \log q_k = H(p) + D_{\mathrm{KL}}(p \,\|\, q),

with :math:`0 \log 0 = 0`. The cross-entropy :math:`H(p, q)` of probabilities is
:func:`lecture_lib.cross_entropy_from_probs` (and, from logits, :func:`lecture_lib.cross_entropy`);
this module adds the two other terms of the identity and the label-smoothing target.
Chapter: *Loss and cost*.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_axis, check_positive
from .functions import one_hot


def _check_distributions(p, name: str, axis: int):
    """``p`` as a float array whose slices along ``axis`` are probability distributions; and the axis.

    Every entry must be finite and non-negative and every slice must sum to 1 within
    ``1e-6 + K eps`` (the rounding of a sum of ``K`` probabilities, plus the tolerance
    :func:`lecture_lib.cross_entropy` allows its targets).
    """
    arr = as_float_array(p, name, allow_empty=True)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be a distribution over K classes, an array with at least 1 dimension; "
                         f"got a scalar.")
    axis = check_axis(axis, arr.ndim)
    if arr.shape[axis] == 0:
        raise ValueError(f"{name} has 0 classes along axis {axis} (shape {arr.shape}): no probabilities can "
                         f"sum to 1, so it is not a distribution (scipy.stats.entropy returns 0 or NaN).")
    if arr.size == 0:  # m = 0 distributions: nothing to check
        return arr, axis
    if arr.min() < 0:
        raise ValueError(f"{name} must hold probabilities, all >= 0; found {float(arr.min())!r}.")
    K = arr.shape[axis]
    sums = arr.sum(axis=axis, dtype=np.float64)
    tolerance = 1e-6 + K * float(np.finfo(arr.dtype).eps)
    worst = float(np.abs(sums - 1).max())
    if worst > tolerance:
        raise ValueError(f"{name} must sum to 1 along axis {axis} (a probability distribution over its "
                         f"{K} entries); a sum is off by {worst:.3g}. Did you pass logits? Use softmax first.")
    return arr, axis


def entropy(p, axis: int = -1):
    r"""Entropy :math:`H(p) = -\sum_k p_k \log p_k` of distributions, in nats.

    Parameters
    ----------
    p : array_like, ``(K,)`` or ``(m, K)`` (any shape; the distribution runs along ``axis``)
        Probabilities, non-negative, summing to 1 along ``axis``.
    axis : int
        The class axis (default: the last).

    Returns
    -------
    H : float or ndarray, ``p.shape`` without ``axis`` (``()`` for one distribution, ``(m,)`` for a batch)
        In float32 for float32 input, float64 otherwise. Empty for ``m = 0`` distributions
        (``p`` of shape ``(0, K)``), as scipy.

    Raises
    ------
    ValueError
        If ``p`` is not a distribution along ``axis``: a negative entry, NaN or inf, a sum
        other than 1, or no entry at all (``entropy([])``: ``K = 0`` classes cannot sum to 1;
        ``scipy.stats.entropy([])`` returns 0.0, for a "distribution" that is none).
    TypeError
        If ``p`` is not numeric or ``axis`` is not an integer.

    Notes
    -----
    .. math:: H(p) = -\sum_{k=1}^{K} p_k \log p_k = \sum_{k=1}^{K} p_k \log \frac{1}{p_k},
              \qquad 0 \log 0 = 0,

    the mean surprisal :math:`-\log p_k` of a class drawn from :math:`p`. It lies between 0 (a
    one-hot :math:`p`) and :math:`\log K` (the uniform one). Every term is non-negative, so nothing
    cancels: within 4 ulps of the exact value in float32 and float64 (at most 2 measured;
    ``tests/test_information.py``).
    Agrees with ``scipy.stats.entropy(p, axis=axis)``. Chapter: *Loss and cost*.
    """
    p, axis = _check_distributions(p, "p", axis)
    positive = p > 0
    terms = np.where(positive, -p * np.log(np.where(positive, p, 1)), 0)  # log(1) for p = 0: no warning
    return terms.astype(p.dtype, copy=False).sum(axis=axis)


#: Coefficients 2 / (2n + 3), n = 0, 1, ..., of the series in :func:`_u_minus_log1p`: 19 terms reach
#: float64's precision for |s| <= 1/3.
_SERIES = 2.0 / (2 * np.arange(19) + 3)


def _u_minus_log1p(u: np.ndarray) -> np.ndarray:
    r""":math:`u - \log(1 + u) \ge 0` for :math:`-1/2 \le u \le 1`, to a few ulps (no cancellation).

    With :math:`s = u / (2 + u)`, :math:`\log(1 + u) = 2 \operatorname{artanh} s
    = 2 (s + s^3/3 + s^5/5 + \dots)` and :math:`u - 2s = u^2 / (2 + u)`, so

    .. math:: u - \log(1 + u) = \frac{u^2}{2 + u} - s^3 \sum_{n \ge 0} \frac{2\, s^{2n}}{2n + 3},

    whose second term is at most a tenth of the first for :math:`-1/2 \le u \le 1` (:math:`|s| \le 1/3`).
    The plain ``u - log1p(u)`` keeps only an absolute precision near :math:`u = 0`.
    """
    s = u / (2 + u)
    s2 = s * s
    series = np.full_like(s, _SERIES[-1])
    for c in _SERIES[-2::-1]:  # Horner
        series = series * s2 + c
    return u * u / (2 + u) - s * s2 * series


def _kl_terms(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    r"""The non-negative terms :math:`p \log(p / q) - p + q` of :func:`kl_divergence`, elementwise.

    Written as :math:`p\,(u - \log(1 + u))` with :math:`u = (q - p) / p`: near :math:`p = q`
    (:math:`p/2 \le q \le 2p`, where ``q - p`` is exact) through :func:`_u_minus_log1p`, elsewhere as
    :math:`(q - p) + p \log(p / q)`, whose two parts cancel by at most a factor of about 4. The
    logarithm of a quotient that overflows or underflows is taken as :math:`\log p - \log q`.
    ``p = 0`` gives ``q``; ``q = 0 < p`` gives ``inf``.
    """
    terms = q.copy()  # p = 0: the term is q
    positive = p > 0
    pp, qq = p[positive], q[positive]
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        u = (qq - pp) / pp
        close = (qq >= pp / 2) & (qq <= 2 * pp)  # -1/2 <= u <= 1
        out = np.empty_like(pp)
        out[close] = pp[close] * _u_minus_log1p(u[close])
        far = ~close
        pf, qf = pp[far], qq[far]
        ratio = pf / qf
        log_ratio = np.log(ratio)
        awkward = ~np.isfinite(ratio) | (ratio < np.finfo(p.dtype).tiny) | (qf == 0)
        log_ratio[awkward] = np.log(pf[awkward]) - np.log(qf[awkward])  # inf where q = 0
        out[far] = (qf - pf) + pf * log_ratio
    terms[positive] = out
    return terms


def kl_divergence(p, q, axis: int = -1):
    r"""Kullback-Leibler divergence :math:`D_{\mathrm{KL}}(p \,\|\, q) = \sum_k p_k \log(p_k / q_k)`, in nats.

    Parameters
    ----------
    p : array_like, ``(K,)`` or ``(m, K)`` (any shape; the distribution runs along ``axis``)
        The reference distribution (the data's labels: one-hot, smoothed, ...).
    q : array_like, the shape of ``p``
        The approximating distribution (the model's probabilities).
    axis : int
        The class axis (default: the last).

    Returns
    -------
    D : float or ndarray, ``p.shape`` without ``axis``
        Non-negative; ``inf`` where some :math:`q_k = 0 < p_k`. Float32 only if both inputs are.
        Empty for ``m = 0`` pairs of distributions.

    Raises
    ------
    ValueError
        If ``p`` or ``q`` is not a distribution along ``axis`` (as in :func:`entropy`, also for
        ``K = 0``), or their shapes differ.
    TypeError
        If an input is not numeric or ``axis`` is not an integer.

    Notes
    -----
    .. math:: D_{\mathrm{KL}}(p \,\|\, q) = \sum_{k=1}^{K} p_k \log \frac{p_k}{q_k}
              = H(p, q) - H(p) \ge 0, \qquad 0 \log \frac{0}{q_k} = 0,

    zero exactly when :math:`p = q` (Gibbs' inequality), and not symmetric in :math:`p` and
    :math:`q`. It is computed as :math:`\sum_k \bigl(p_k \log(p_k / q_k) - p_k + q_k\bigr)`, the same
    number for two distributions (the added terms sum to :math:`1 - 1 = 0`) but a sum of
    non-negative terms (:math:`x \log(x/y) - x + y \ge 0`), as ``scipy.special.kl_div`` does. So the
    result is never negative, even for two float distributions that differ in the last digits, and
    within 4 ulps of that formula's exact value on the given floats in float32 and float64 (at most 3
    measured, also for :math:`p` and :math:`q` equal to 12 digits; ``tests/test_information.py``), where :math:`\sum_k p_k \log(p_k/q_k)` would lose every digit to
    cancellation when :math:`p \approx q`. Agrees with ``scipy.stats.entropy(p, q, axis=axis)``
    (which normalises its inputs first). Chapter: *Loss and cost*.
    """
    p, axis = _check_distributions(p, "p", axis)
    q, _ = _check_distributions(q, "q", axis)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape (one probability per class); got p {p.shape} "
                         f"and q {q.shape}.")
    dtype = np.result_type(p.dtype, q.dtype)
    return _kl_terms(p.astype(dtype, copy=False), q.astype(dtype, copy=False)).sum(axis=axis)


def smooth_labels(y, n_classes: int, epsilon: float, dtype=np.float64):
    r"""Label-smoothing targets: the one-hot labels mixed with the uniform distribution.

    Parameters
    ----------
    y : array_like of int, ``(m,)``
        Class indices in ``0..K-1``.
    n_classes : int
        ``K``.
    epsilon : float
        The share of probability spread over all classes, ``0 <= epsilon <= 1`` (0: one-hot).
    dtype : numpy dtype
        Dtype of the result (default float64).

    Returns
    -------
    Y : ndarray, ``(m, K)``
        Every row a distribution: :math:`1 - \varepsilon + \varepsilon / K` on the true class,
        :math:`\varepsilon / K` on each other one.

    Notes
    -----
    .. math:: \tilde y_k^{(i)} = (1 - \varepsilon)\, y_k^{(i)} + \frac{\varepsilon}{K}

    Training on these targets keeps the gradient :math:`(P - \tilde Y) / m` (it holds for any
    target rows that sum to one) and stops the logits from growing without bound. Chapter: *Loss and cost*.
    """
    check_positive(n_classes, "n_classes", integer=True)
    check_positive(epsilon, "epsilon", allow_zero=True)
    if epsilon > 1:
        raise ValueError(f"epsilon must be between 0 and 1 (the share of probability spread over the classes); "
                         f"got {epsilon!r}.")
    Y = one_hot(y, n_classes, dtype=dtype)  # checks y against K
    Y *= 1 - epsilon
    Y += epsilon / int(n_classes)
    return Y
