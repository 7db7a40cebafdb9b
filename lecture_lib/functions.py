r"""The activation functions of the course: sigmoid, softmax, log-softmax and log-sum-exp.

Notation (see the book's notation page): a batch of logits is ``Z`` of shape ``(m, K)``, one
row per sample and one column per class; a single sample's logits are ``z`` of shape ``(K,)``.
All functions work along ``axis`` (default: the last one) and keep float32 input in float32.
"""

from __future__ import annotations

import numpy as np

from . import _double_double as dd
from ._validation import as_float_array, as_logits, check_class_indices, check_positive


# Unchecked cores: ``z`` is already a float ndarray and ``axis`` a valid axis. The public
# functions below validate once and call these; the models call them on their own logits.
def _shifted_exp(z: np.ndarray, c: np.ndarray):
    r"""``(d, e)``: the shift :math:`d = z - c` (rounded) and :math:`e = e^{z - c}` (a new array each).

    ``z - c`` is rounded when ``z`` and ``c`` differ in sign or by more than a factor two, and
    an error of half an ulp of :math:`d` in the exponent is a relative error of up to
    :math:`|d|\,\varepsilon/2` in :math:`e^{d}` (hundreds of ulps near the underflow). The
    rounding error :math:`\delta = (z - c) - d` is recovered exactly (Knuth's TwoSum) and applied
    as :math:`e^{d + \delta} = e^{d}(1 + \delta)`, so ``e`` is as accurate as ``exp`` itself.
    Where ``z - c`` overflows (``-inf``) the exponential is the right 0 and no correction applies.
    """
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):  # -inf shifts: exponential 0
        d = z - c
        u = d - z  # TwoSum(z, -c): u ~ -c, v ~ z
        v = d - u
        v -= z
        u += c
        v += u  # -delta
        e = np.exp(d, out=u)  # e^(very negative) -> 0 is the intended result; u's memory is reused
        v *= e
        e -= v  # e^d (1 + delta)
    if not np.isfinite(v).all():  # only where z - c overflowed; the term is 0 there
        e[np.isnan(e)] = 0.0
    return d, e


def _shift_and_log_sum(z: np.ndarray, axis: int, like_softmax: bool = False):
    r"""The pieces of a stable log-sum-exp: ``(c, shifted, log_s)``, reduced axis kept (length one).

    ``c`` is the largest entry, ``shifted = z - c`` (a new array, every entry <= 0) and
    ``log_s`` is :math:`\log s`, :math:`s = \sum_k e^{z_k - c} = 1 + r`. The largest term is
    exactly :math:`e^0 = 1`, so it is left out of the sum and added back through ``log1p``:
    :math:`\log(1 + r)` keeps full relative precision when the other terms :math:`r` are tiny.

    With ``like_softmax``, ``log_s`` is exactly 0 where the sum :math:`s` that :func:`_softmax`
    divides by rounds to 1 (:math:`r` below half an ulp of 1): the largest probability is then
    exactly 1, and its log must be 0 to agree with ``log(softmax(z))`` (scikit-learn's estimator
    checks compare ``predict_log_proba`` with ``log(predict_proba)`` to 1e-9 absolute).
    """
    top = z.argmax(axis=axis, keepdims=True)
    c = np.take_along_axis(z, top, axis=axis)
    shifted, terms = _shifted_exp(z, c)
    if like_softmax:
        with np.errstate(under="ignore"):  # the very sum _softmax computes
            rounds_to_one = np.exp(shifted).sum(axis=axis, keepdims=True) == 1
    np.put_along_axis(terms, top, 0.0, axis=axis)
    with np.errstate(under="ignore"):  # log1p of a subnormal sum is that subnormal: right, not an error
        log_s = np.log1p(terms.sum(axis=axis, keepdims=True))
    if like_softmax:
        log_s[rounds_to_one] = 0.0
    return c, shifted, log_s


def _logsumexp(z: np.ndarray, axis: int) -> np.ndarray:
    r"""LSE along ``axis`` with the reduced axis kept (length one): ``c + log_s``, refined where it cancels.

    With :math:`c < 0 < \log s` the sum :math:`L = c + \log s` cancels: its rounding error is
    that of :math:`\log s`, up to :math:`|\log s| / |L|` ulps of :math:`L` (6.5 for
    ``[-1, -1, -1]``, 100% for ``[-log 2, -log 2]``). Where :math:`|L| < 2 \log s` the result is
    refined by :func:`_logsumexp_refined`.
    """
    c, _, log_s = _shift_and_log_sum(z, axis)
    out = c + log_s
    cancels = (c < 0) & (np.abs(out) < 2 * log_s)
    if cancels.any():
        out[cancels] = _logsumexp_refined(np.moveaxis(z, axis, -1)[np.moveaxis(cancels, axis, -1)[..., 0]])
    return out


def _logsumexp_refined(rows: np.ndarray) -> np.ndarray:
    r"""LSE of each row of ``rows (n, K)`` to about 2^-104 absolute, in the dtype of ``rows``.

    One Newton step for :math:`L = \log \sum_k e^{z_k}` from :math:`y = c + \log s` (float64):
    :math:`L = y + \log(1 + v)` with :math:`v = \sum_k e^{z_k - y} - 1`, tiny (the error of
    :math:`y`). :math:`v` is computed in double-double (``lecture_lib._double_double``): each shift
    :math:`z_k - y = w_k + \delta_k` exactly (TwoSum), :math:`e^{w_k}` to 2^-104 and
    :math:`e^{\delta_k} = 1 + \delta_k + \delta_k^2/2`, then :math:`\log(1 + v) = v - v^2/2 + v^3/3`.
    Only rows with :math:`c < 0` and :math:`|L| < 2 \log s` come here, so :math:`-3 \log K < c < 0`:
    no exponential overflows, and terms below :math:`e^{-700}` (or masked) count 0.
    """
    z = rows.astype(np.float64)
    c, _, log_s = _shift_and_log_sum(z, 1)
    y = c + log_s  # (n, 1), float64
    with np.errstate(invalid="ignore"):  # -inf - y in TwoSum gives NaN in the error term
        w, delta = dd.two_sum(z, -y)
    used = w > -700.0  # e^-700 next to a sum near 1 is far below 2^-104; masked logits are -inf
    w, delta = np.where(used, w, 0.0), np.where(used, delta, 0.0)
    e_hi, e_lo = dd.dd_exp(w)
    p_hi, p_lo = dd.two_prod(e_hi, delta + delta * delta / 2)
    e_hi, e_lo = dd.dd_add(e_hi, e_lo, p_hi, p_lo + e_lo * delta)
    s_hi, s_lo = dd.dd_sum(np.where(used, e_hi, 0.0), np.where(used, e_lo, 0.0), axis=1)
    v_hi, v_lo = dd.dd_add(s_hi, s_lo, np.full_like(s_hi, -1.0), np.zeros_like(s_lo))
    small = np.abs(v_hi) < 1e-8  # always, unless y was far off: log1p(v) = v - v^2/2 + v^3/3 to 2^-106
    out_hi, out_lo = dd.two_sum(y, v_hi)
    with np.errstate(over="ignore", invalid="ignore"):
        series = out_hi + (out_lo + (v_lo - v_hi * v_hi / 2 + v_hi * v_hi * v_hi / 3))
        out = np.where(small, series, y + np.log1p(v_hi + v_lo))
    return out[:, 0].astype(rows.dtype)


def _softmax(z: np.ndarray, axis: int) -> np.ndarray:
    """The plain shifted form, on purpose: the explorer's JavaScript (lecture_lib.explorer) repeats
    these very operations to agree within a few ulps, so the shift's rounding is not corrected."""
    with np.errstate(over="ignore", under="ignore"):  # z - c = -inf and e^(very negative) = 0 are right
        p = z - z.max(axis=axis, keepdims=True)
        np.exp(p, out=p)
    p /= p.sum(axis=axis, keepdims=True)
    return p


def _log_softmax(z: np.ndarray, axis: int) -> np.ndarray:
    """``(z - c) - log_s``: two non-positive terms, so no digits cancel (``z - (c + log_s)`` loses
    as many digits as ``c`` has before the point)."""
    _, shifted, log_s = _shift_and_log_sum(z, axis, like_softmax=True)
    with np.errstate(over="ignore"):  # only where z - c is already -inf or near it
        shifted -= log_s
    return shifted


def _sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def sigmoid(z):
    r"""Logistic sigmoid, computed without overflow.

    Parameters
    ----------
    z : array_like, any shape
        Logits.

    Returns
    -------
    a : ndarray, same shape as ``z``
        :math:`P(y=1 \mid x)` for each logit.

    Notes
    -----
    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}} = \frac{e^{z}}{1 + e^{z}}

    The first form is used for :math:`z \ge 0` and the second for :math:`z < 0`, so that the
    exponential is always of a non-positive number and never overflows.

    Accuracy: within 4 ulps of the exact value for any finite ``z`` in float32 and float64,
    subnormal results included (at most 2 measured; ``tests/test_accuracy.py``). Chapter: *Modeling*.
    """
    return _sigmoid(as_float_array(z, "z", allow_empty=True))


def logsumexp(z, axis: int = -1, keepdims: bool = False):
    r"""Log of the sum of exponentials, computed stably.

    Parameters
    ----------
    z : array_like, e.g. ``(K,)`` or ``(m, K)``
        Logits.
    axis : int
        Axis to reduce (the class axis; default the last).
    keepdims : bool
        Keep the reduced axis with length one (handy for broadcasting).

    Returns
    -------
    ndarray
        Shape of ``z`` without ``axis`` (or with length one there if ``keepdims``); empty if
        ``z`` has no slices (e.g. ``m = 0`` rows).

    Raises
    ------
    ValueError
        If ``z`` holds NaN or ``+inf``; if a slice along ``axis`` is all ``-inf`` (every class
        masked); if ``axis`` has length 0 (no logits: ``logsumexp([])``). The exact value of the
        last two is :math:`\log 0 = -\infty`, which ``scipy.special.logsumexp`` returns; the course
        raises instead, as :func:`softmax` must (its probabilities would be 0/0), so that an
        all-masked or empty row is never silently carried on as ``-inf``.
    TypeError
        If ``z`` is not numeric or ``axis`` is not an integer.

    Notes
    -----
    .. math:: \operatorname{LSE}(z) = \log \sum_{k=1}^{K} e^{z_k}
              = c + \log\Bigl(1 + \sum_{k \ne t} e^{z_k - c}\Bigr), \qquad c = z_t = \max_k z_k

    After the shift the largest exponent is :math:`e^0 = 1`, so the sum lies in
    :math:`[1, K]`: no overflow and no ``log(0)``. The 1 is added through ``log1p``, so a tiny
    remainder keeps its digits (``LSE(0, -8)`` = 3.354e-4 to the last digit). A logit of
    ``-inf`` is a masked class: its term is 0 (scipy and PyTorch agree).

    Where :math:`c < 0` the two terms cancel when the result is small (the logits are
    log-probabilities, say): ``[-1, -1, -1]`` would be 6.5 ulps off and ``[-log 2, -log 2]`` would
    give 0.0 instead of 2.3e-17. There the result is refined by a Newton step computed in
    double-double arithmetic (see :func:`_logsumexp_refined`).

    Accuracy: within 4 ulps of the exact value in float32 and float64 wherever
    :math:`|\operatorname{LSE}(z)|` is at least the dtype's epsilon, for logits up to the float
    maximum and with masked (``-inf``) logits (at most 1 measured; ``tests/test_accuracy.py``).
    Closer to 0 the absolute error is below :math:`2^{-100}` in float64 (the double-double
    precision, 2.5e-32 measured; no fixed precision gives a relative bound there, as the exact
    result can be as close to 0 as the logits allow: ``[-log 2, -log 2]`` gives 2.3190468e-17, 16
    ulps at most measured). In float32 (refined in float64) within 4 ulps there too, as measured.
    Chapter: *Forward pass*.
    """
    z, axis = as_logits(z, "z", axis)
    if z.shape[axis] == 0:
        raise ValueError(f"z has no logits along axis {axis} (shape {z.shape}): the log of an empty sum is "
                         f"log 0 = -inf; at least one class is needed.")
    if z.size == 0:
        return np.empty(z.shape[:axis] + ((1,) if keepdims else ()) + z.shape[axis + 1:], dtype=z.dtype)
    out = _logsumexp(z, axis)
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(z, axis: int = -1):
    r"""Softmax: turn logits into probabilities that are positive and sum to one.

    Parameters
    ----------
    z : array_like, ``(K,)`` or ``(m, K)``
        Logits of one sample or of a batch.
    axis : int
        The class axis (default the last).

    Returns
    -------
    p : ndarray, same shape and float dtype as ``z``
        Probabilities; every slice along ``axis`` sums to 1. Empty if ``z`` is: ``m = 0`` rows
        (as scipy and PyTorch) or ``K = 0`` classes (as PyTorch; scipy raises).

    Raises
    ------
    ValueError
        If ``z`` holds NaN or ``+inf`` (scipy and PyTorch return NaN), or a slice along ``axis``
        is all ``-inf``: every class masked, so the probabilities are 0/0 (scipy and PyTorch
        return NaN; the course raises so that no NaN spreads silently).
    TypeError
        If ``z`` is not numeric or ``axis`` is not an integer.

    Notes
    -----
    .. math:: \operatorname{softmax}(z)_k = \frac{e^{z_k}}{\sum_{l=1}^{K} e^{z_l}}
              = \frac{e^{z_k - c}}{\sum_{l=1}^{K} e^{z_l - c}}, \qquad c = \max_l z_l

    Subtracting the maximum changes nothing mathematically (shift invariance) and keeps every
    exponent at or below zero, so logits of any magnitude are safe. A logit of ``-inf`` masks
    its class: probability exactly 0, the others as if it were absent (``softmax([-inf, 0, 1])``
    is ``[0, 0.269, 0.731]``, as in scipy and PyTorch).

    Accuracy: each probability within :math:`4 + |z_k - c|` ulps of the exact value in float32
    and float64, for logits up to the float maximum, tiny and subnormal probabilities included
    (``tests/test_accuracy.py``). The :math:`|z_k - c|` part is the rounding of the shift
    :math:`z_k - c`, half an ulp of it in the exponent (none when :math:`z_k` and :math:`c` are
    within a factor two, e.g. all large logits of one sign). The log-domain functions
    (:func:`log_softmax`, :func:`logsumexp`, the cross-entropies) correct it; ``softmax`` keeps
    the plain arithmetic, which the in-page explorer repeats in JavaScript.
    Chapters: *Modeling*, *Forward pass*.

    Examples
    --------
    >>> softmax([3.0, 4.0, 6.0]).round(4)
    array([0.042 , 0.1142, 0.8438])
    """
    z, axis = as_logits(z, "z", axis)
    return _softmax(z, axis) if z.size else z.copy()


def log_softmax(z, axis: int = -1):
    r"""Logarithm of the softmax, without ever forming the probabilities.

    Parameters
    ----------
    z : array_like, ``(K,)`` or ``(m, K)``
        Logits.
    axis : int
        The class axis (default the last).

    Returns
    -------
    ndarray, same shape as ``z``
        :math:`\log \operatorname{softmax}(z)`; finite even where the probability underflows to 0,
        ``-inf`` exactly for a masked class (a logit of ``-inf``). Empty if ``z`` is.

    Raises
    ------
    ValueError
        If ``z`` holds NaN or ``+inf``, or a slice along ``axis`` is all ``-inf`` (every class
        masked; see :func:`softmax`).
    TypeError
        If ``z`` is not numeric or ``axis`` is not an integer.

    Notes
    -----
    .. math:: \log \operatorname{softmax}(z)_k = z_k - \operatorname{LSE}(z)
              = (z_k - c) - \log\Bigl(1 + \sum_{l \ne t} e^{z_l - c}\Bigr), \qquad c = z_t = \max_l z_l

    computed in the second form: two non-positive terms, so nothing cancels. The textbook
    :math:`z_k - (c + \log s)` loses as many digits as :math:`c` has before the point (float32
    ``log_softmax([1e4, 1e4])`` would be -0.6933594 instead of -0.6931472).

    Accuracy: within 4 ulps of the exact value in float32 and float64 wherever
    :math:`|\log \operatorname{softmax}(z)_k|` is at least the dtype's epsilon, for logits up to
    the float maximum (at most 2 measured; ``tests/test_accuracy.py``). Where the largest
    probability rounds to exactly 1 its log is exactly 0 (the exact value is smaller than half an
    ulp of 1), so that ``log_softmax(z) == log(softmax(z))`` there, as scikit-learn's checks of
    ``predict_log_proba`` require. Chapter: *Loss and cost*.
    """
    z, axis = as_logits(z, "z", axis)
    return _log_softmax(z, axis) if z.size else z.copy()


def softmax_jacobian(z):
    r"""Jacobian of the softmax with respect to its logits.

    Parameters
    ----------
    z : array_like, ``(K,)`` or ``(m, K)``
        Logits of one sample or of a batch (class axis last).

    Returns
    -------
    J : ndarray, ``(K, K)`` or ``(m, K, K)``
        ``J[..., k, l]`` is :math:`\partial a_k / \partial z_l`.

    Notes
    -----
    With :math:`a = \operatorname{softmax}(z)`,

    .. math:: \frac{\partial a_k}{\partial z_l} = a_k(\delta_{kl} - a_l),
              \qquad J = \operatorname{diag}(a) - a a^\top.

    The matrix is symmetric and each row sums to zero (the probabilities always sum to one).
    Chapter: *Gradient derivation*.
    """
    z = as_float_array(z, "z", ndim=(1, 2))
    a = softmax(z)
    J = -a[..., :, None] * a[..., None, :]
    diag = np.einsum("...ii->...i", J)
    diag += a
    return J


def one_hot(y, n_classes: int | None = None, dtype=np.float64):
    r"""One-hot encode class indices.

    Parameters
    ----------
    y : array_like of int, ``(m,)``
        Class indices in ``0..K-1``.
    n_classes : int, optional
        ``K``. Defaults to ``max(y) + 1``.
    dtype : numpy dtype
        Dtype of the result (default float64).

    Returns
    -------
    Y : ndarray, ``(m, K)``
        ``Y[i, k] = 1`` if ``y[i] == k`` else 0.

    Notes
    -----
    .. math:: Y_{ik} = \mathbb{1}[y^{(i)} = k]

    Chapter: *Loss and cost*.
    """
    if n_classes is not None:
        check_positive(n_classes, "n_classes", integer=True)
    y = check_class_indices(y, "y", n_classes)
    K = int(y.max()) + 1 if n_classes is None else int(n_classes)
    Y = np.zeros((y.shape[0], K), dtype=dtype)
    Y[np.arange(y.shape[0]), y] = 1
    return Y
