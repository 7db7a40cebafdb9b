r"""The activation functions of the course: sigmoid, softmax, log-softmax and log-sum-exp.

Notation (see the book's notation page): a batch of logits is ``Z`` of shape ``(m, K)``, one
row per sample and one column per class; a single sample's logits are ``z`` of shape ``(K,)``.
All functions work along ``axis`` (default: the last one) and keep float32 input in float32.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_axis, check_class_indices, check_positive


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
    log_s = np.log1p(terms.sum(axis=axis, keepdims=True))
    if like_softmax:
        log_s[rounds_to_one] = 0.0
    return c, shifted, log_s


def _logsumexp(z: np.ndarray, axis: int) -> np.ndarray:
    """LSE along ``axis`` with the reduced axis kept (length one): ``c + log_s``."""
    c, _, log_s = _shift_and_log_sum(z, axis)
    c += log_s
    return c


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
        Shape of ``z`` without ``axis`` (or with length one there if ``keepdims``).

    Notes
    -----
    .. math:: \operatorname{LSE}(z) = \log \sum_{k=1}^{K} e^{z_k}
              = c + \log\Bigl(1 + \sum_{k \ne t} e^{z_k - c}\Bigr), \qquad c = z_t = \max_k z_k

    After the shift the largest exponent is :math:`e^0 = 1`, so the sum lies in
    :math:`[1, K]`: no overflow and no ``log(0)``. The 1 is added through ``log1p``, so a tiny
    remainder keeps its digits (``LSE(0, -8)`` = 3.354e-4 to the last digit).

    Accuracy: within 4 ulps of the exact value in float32 and float64 for logits up to the
    float maximum (at most 1 measured; ``tests/test_accuracy.py``). Chapter: *Forward pass*.
    """
    z = as_float_array(z, "z", ndim=tuple(range(1, 33)))
    axis = check_axis(axis, z.ndim)
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
        Probabilities; every slice along ``axis`` sums to 1.

    Notes
    -----
    .. math:: \operatorname{softmax}(z)_k = \frac{e^{z_k}}{\sum_{l=1}^{K} e^{z_l}}
              = \frac{e^{z_k - c}}{\sum_{l=1}^{K} e^{z_l - c}}, \qquad c = \max_l z_l

    Subtracting the maximum changes nothing mathematically (shift invariance) and keeps every
    exponent at or below zero, so logits of any magnitude are safe.

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
    z = as_float_array(z, "z", ndim=tuple(range(1, 33)))
    return _softmax(z, check_axis(axis, z.ndim))


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
        :math:`\log \operatorname{softmax}(z)`; finite even where the probability underflows to 0.

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
    z = as_float_array(z, "z", ndim=tuple(range(1, 33)))
    return _log_softmax(z, check_axis(axis, z.ndim))


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
