r"""Losses and costs: categorical and binary cross-entropy, the multiclass hinge loss, and the mean squared error.

A *loss* is the penalty of one sample; the *cost* :math:`J` is the mean loss over the ``m``
samples. The functions below return the cost unless ``reduction="none"`` asks for the
per-sample losses. With ``m = 0`` samples (empty inputs), as in PyTorch, ``reduction="none"``
returns an empty array and ``"sum"`` returns 0, while ``"mean"`` (0/0; PyTorch returns NaN)
raises a ``ValueError``; each function's ``Raises`` section says so. The cross-entropies take **logits**, which is the numerically stable way;
the ``*_from_probs`` variants exist to show why (they return ``inf`` when a probability of the
true class has underflowed to zero).
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, as_logits, check_positive, check_same_length, check_targets
from .functions import _shifted_exp
from .information import smooth_labels

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses: np.ndarray, reduction: str):
    """The cost from the per-sample losses ``(m,)``. With ``m = 0``: ``"sum"`` is 0 and ``"none"`` empty,
    as in PyTorch; ``"mean"`` (0/0, PyTorch's NaN) raises."""
    if reduction == "mean":
        if losses.size == 0:
            raise ValueError("there are 0 samples (m = 0), and the mean of no losses is 0/0, undefined; pass "
                             "reduction='sum' (0 for no samples) or 'none' (an empty array).")
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}; got {reduction!r}.")


def _picked(A: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Per-sample :math:`\\sum_k Y_{ik} A_{ik}`, where ``Y`` is class indices or a one-hot matrix."""
    if Y.ndim == 1:
        return A[np.arange(A.shape[0]), Y]
    return np.einsum("ik,ik->i", Y, A)


#: Rows of logits per block in :func:`_softmax_cross_entropy`: this many entries at a time.
_BLOCK_ELEMENTS = 1 << 14


# Unchecked cores, shared by the public losses below and by the costs of lecture_lib.gradients
# (one formula, one place). Each loss is written as a sum of non-negative terms, so no digits
# cancel however large the logits are.
def _softmax_cross_entropy(Z: np.ndarray, Y: np.ndarray):
    r"""Per-sample cross-entropy of the logits ``Z (m, K)``; also returns what the gradient reuses.

    Parameters
    ----------
    Z : ndarray, ``(m, K)``
        Logits; **overwritten** (if C-contiguous) with :math:`e^{Z_{ik} - c_i}`.
    Y : ndarray, ``(m,)`` int class indices or ``(m, K)`` one-hot / probabilities

    Returns
    -------
    losses : ndarray, ``(m,)``
    E : ndarray, ``(m, K)``
        :math:`e^{Z_{ik} - c_i}` (``Z`` itself when it was C-contiguous).
    s : ndarray, ``(m,)``
        :math:`\sum_k E_{ik}`, so that :math:`P = E / s`.

    Notes
    -----
    With :math:`c_i = \max_k z_{ik}` (attained at :math:`k = t_i`) and
    :math:`r_i = \sum_{k \ne t_i} e^{z_{ik} - c_i}`,

    .. math:: L^{(i)} = \log(1 + r_i) + \sum_k y_{ik}\,(c_i - z_{ik})

    Both terms are non-negative and ``log1p`` keeps the relative precision of a small loss, so
    the loss is accurate to a few ulps for any logits (``tests/test_accuracy.py``); the textbook
    :math:`\operatorname{LSE}(z) - z_y` loses as many digits as :math:`c` has before the point.
    """
    Z = np.ascontiguousarray(Z)
    m, K = Z.shape
    flat = Z.reshape(-1)  # a view: Z is C-contiguous
    rows = np.arange(0, m * K, K)
    top = Z.argmax(axis=1)
    top += rows  # flat positions of the row maxima
    c = flat[top]
    if Y.ndim == 1:  # c - z_y, rounded exactly as the shift z_y - c is
        rows += Y
        with np.errstate(over="ignore"):  # beyond the float range: inf, the right loss
            losses = c - flat[rows]
    else:
        losses = np.empty(m, dtype=np.result_type(Y.dtype, Z.dtype))
    # z - c and e^(z - c) (accurate to the last bit) in blocks of rows: the exact shift needs three
    # temporaries, which then stay below 0.4 MB instead of three times Z (a few % of X in a fit).
    block = max(1, _BLOCK_ELEMENTS // K)
    for start in range(0, m, block):
        part = slice(start, start + block)
        shifted, E = _shifted_exp(Z[part], c[part, None])
        if Y.ndim == 2:
            with np.errstate(invalid="ignore"):
                losses[part] = -np.einsum("ik,ik->i", Y[part], shifted)
            if np.isnan(losses[part]).any():  # 0 * (-inf) where z - c overflowed: that class counts 0
                losses[part] = -np.einsum("ik,ik->i", Y[part], np.where(Y[part] > 0, shifted, 0.0))
        Z[part] = E  # the caller's Z holds e^(z - c) from here on (the gradient reuses it)
    flat[top] = 0.0  # leave the largest term, exactly 1, out of the sum ...
    s = Z @ np.ones(K, dtype=Z.dtype)
    flat[top] = 1.0
    losses += np.log1p(s)  # ... and add it back through log1p
    s += 1.0
    return losses, Z, s


def _log1p_exp_neg_abs(t: np.ndarray) -> np.ndarray:
    r""":math:`\log(1 + e^{-|t|})`, in (0, log 2]: the softplus :math:`\log(1 + e^t)` less its linear part."""
    with np.errstate(under="ignore"):
        out = np.exp(-np.abs(t))
    return np.log1p(out, out=out)


def _binary_cross_entropy(y: np.ndarray, z: np.ndarray) -> np.ndarray:
    r"""Per-sample binary cross-entropy of labels (or probabilities) ``y (m,)`` and logits ``z (m,)``.

    Notes
    -----
    .. math:: L = \log(1 + e^{z}) - y z
              = \log\left(1 + e^{-|z|}\right) + \begin{cases} (1 - y)\,z & z > 0 \\ -y\,z & z \le 0 \end{cases}

    Both terms are non-negative for :math:`0 \le y \le 1`, so nothing cancels: the loss is
    accurate to a few ulps (``tests/test_accuracy.py``) where ``logaddexp(0, z) - y * z`` returns 0
    for ``y = 1, z = 40`` (exact 4.2e-18). ``z = inf`` (an overflowed ``X @ w``) gives 0 for the
    right label and ``inf`` for the wrong one, without a NaN.
    """
    factor = np.where(z > 0, 1 - y, -y)  # the weight of z in the linear part, >= 0 times |z|
    linear = np.zeros(np.broadcast(factor, z).shape, dtype=np.result_type(factor, z))
    np.multiply(factor, z, out=linear, where=factor != 0)  # never 0 * inf
    linear += _log1p_exp_neg_abs(z)
    return linear


def _check_label_smoothing(label_smoothing) -> float:
    check_positive(label_smoothing, "label_smoothing", allow_zero=True)
    if label_smoothing > 1:
        raise ValueError(f"label_smoothing must be between 0 and 1 (the share of probability spread over the "
                         f"classes); got {label_smoothing!r}.")
    return float(label_smoothing)


def _weighted_targets(Y, K: int, class_weight, label_smoothing, sample_weight=None):
    r"""Targets and per-sample weights that turn the plain cross-entropy core into PyTorch's weighted one.

    ``Y`` is checked class indices ``(m,)``; ``class_weight`` (unchecked) ``(K,)`` or None;
    ``label_smoothing`` :math:`\varepsilon` in [0, 1]; ``sample_weight`` :math:`v` ``(m,)`` or None.
    Returns ``T (m, K)`` (rows sum to 1) and ``s (m,)`` such that the mean
    :math:`\frac{1}{m}\sum_i s_i H(T^{(i)}, a^{(i)})` of the plain core is

    .. math:: J = \frac{\sum_i v_i \ell^{(i)}}{\sum_i v_i\, \omega_{y^{(i)}}}, \qquad
              \ell^{(i)} = -\sum_{k=1}^{K} \omega_k \tilde y_k^{(i)} \log a_k^{(i)},

    with :math:`\tilde y^{(i)}` the smoothed one-hot row: with :math:`q_i = \sum_k \omega_k \tilde y_k^{(i)}`,
    :math:`T^{(i)} = \omega \odot \tilde y^{(i)} / q_i` and :math:`s_i = m\, v_i q_i / \sum_j v_j \omega_{y^{(j)}}`.
    Also returns the normaliser :math:`\sum_i v_i \omega_{y^{(i)}}` and :math:`q` (for ``reduction="none"``).
    """
    m = Y.shape[0]
    weights = np.ones(K) if class_weight is None else class_weight
    S = smooth_labels(Y, K, label_smoothing)
    T = S * weights
    q = T.sum(axis=1)
    v = np.ones(m) if sample_weight is None else sample_weight
    normaliser = float(np.dot(v, weights[Y]))
    positive = q > 0
    T[positive] /= q[positive, None]
    T[~positive] = S[~positive]  # a sample of weight 0: any distribution, it counts 0
    return T, m * v * q / normaliser if normaliser > 0 else None, normaliser, q


def _check_class_weight(class_weight, K: int):
    if class_weight is None:
        return None
    weights = as_float_array(class_weight, "class_weight", ndim=1).astype(np.float64)
    if weights.shape != (K,):
        raise ValueError(f"class_weight must have shape (K,) = ({K},), one weight per class; got {weights.shape}.")
    if weights.min() < 0:
        raise ValueError(f"class_weight must be non-negative; found {weights.min()!r}.")
    return weights


def cross_entropy(Y, Z, reduction: str = "mean", *, class_weight=None, label_smoothing: float = 0.0):
    r"""Categorical cross-entropy computed from logits.

    Parameters
    ----------
    Y : array_like, ``(m,)`` class indices or ``(m, K)`` one-hot
        True classes.
    Z : array_like, ``(m, K)``
        Logits (not probabilities).
    reduction : {"mean", "sum", "none"}
        ``"mean"`` gives the cost :math:`J`; ``"none"`` the per-sample losses ``(m,)``.
    class_weight : array_like, ``(K,)``, optional
        Non-negative weights :math:`\omega_k` of the classes (e.g. to up-weight a rare class).
        Needs class indices ``Y``. The mean then divides by the weights of the samples' true
        classes, :math:`\sum_i \omega_{y^{(i)}}`, as PyTorch's ``cross_entropy(weight=)``.
    label_smoothing : float, default 0
        :math:`\varepsilon` in [0, 1]: the targets become :math:`(1 - \varepsilon)\,\mathbf{y}^{(i)} + \varepsilon / K`
        (:func:`lecture_lib.smooth_labels`). Needs class indices ``Y``.

    Returns
    -------
    float or ndarray ``(m,)``
        A masked class (logit ``-inf``, probability 0) costs nothing where it is not a true
        class, and makes the loss ``+inf`` where it is (:math:`-\log 0`; PyTorch agrees): a
        sample whose true class is ruled out is infinitely wrong, which is the value, not an error.

    Raises
    ------
    ValueError
        If ``Z`` holds NaN or ``+inf``, a row of ``Z`` is all ``-inf`` (every class masked) or
        has no column (``K = 0``); if ``Y`` does not match ``Z``; if ``m = 0`` and
        ``reduction="mean"`` (the mean of no losses is 0/0; ``"sum"`` gives 0 and ``"none"`` an
        empty array).
        With ``class_weight`` or ``label_smoothing``: if ``Y`` is one-hot, ``class_weight`` has
        another length than ``K`` or a negative entry, ``label_smoothing`` is outside [0, 1], or
        (``reduction="mean"``) the weights of the true classes sum to 0.

    Notes
    -----
    .. math:: L^{(i)} = -\sum_{k=1}^{K} y_k^{(i)} \log a_k^{(i)}
              = \operatorname{LSE}(z^{(i)}) - \sum_{k=1}^{K} y_k^{(i)} z_k^{(i)},
              \qquad J = \frac{1}{m}\sum_{i=1}^{m} L^{(i)}

    The right-hand form never takes the log of a probability, so it stays finite where
    :math:`a_k^{(i)}` underflows to 0. It is computed as
    :math:`\log(1 + \sum_{k \ne t} e^{z_k - c}) + \sum_k y_k (c - z_k)` with :math:`c = z_t = \max_k z_k`,
    a sum of non-negative terms (see :func:`_softmax_cross_entropy`), by the same code as
    :func:`lecture_lib.softmax_regression_cost`, so the two always agree.

    Accuracy: each loss within 4 ulps of the exact value in float32 and float64 for logits up to
    the float maximum (at most 1 measured; ``tests/test_accuracy.py``); the mean adds only the
    rounding of a sum of non-negative numbers.

    With class weights :math:`\omega` and label smoothing :math:`\varepsilon` (targets
    :math:`\tilde y^{(i)}`) the loss and the cost are PyTorch's,

    .. math:: \ell^{(i)} = -\sum_{k=1}^{K} \omega_k\, \tilde y_k^{(i)} \log a_k^{(i)}, \qquad
              J = \frac{\sum_{i} \ell^{(i)}}{\sum_{i} \omega_{y^{(i)}}},

    so each class's weight multiplies its share of the smoothed target, and the mean divides by
    the weights of the true classes, not by :math:`m` (equal to
    ``torch.nn.functional.cross_entropy(Z, y, weight=, label_smoothing=)``, ``tests/test_losses.py``).
    Without smoothing :math:`\ell^{(i)} = \omega_{y^{(i)}} L^{(i)}`: a sample weight of
    :math:`\omega_{y^{(i)}}`, as scikit-learn's ``class_weight``. Chapter: *Loss and cost*.

    """
    _check_reduction(reduction)
    Z, _ = as_logits(Z, "Z", 1, ndim=2)
    if Z.shape[1] == 0:
        raise ValueError(f"Z has 0 classes (shape {Z.shape}); at least one column of logits is needed.")
    Y = check_targets(Y, "Y", *Z.shape)
    class_weight = _check_class_weight(class_weight, Z.shape[1])
    label_smoothing = _check_label_smoothing(label_smoothing)
    if class_weight is None and not label_smoothing:
        losses, _, _ = _softmax_cross_entropy(np.array(Z, order="C"), Y)  # a copy: the core overwrites it
        return _reduce(losses, reduction)
    _check_index_targets(Y)
    if Y.shape[0] == 0:
        return _reduce(np.empty(0, dtype=Z.dtype), reduction)
    T, _, normaliser, q = _weighted_targets(Y, Z.shape[1], class_weight, label_smoothing)
    losses, _, _ = _softmax_cross_entropy(np.array(Z, order="C"), T)
    losses *= q  # -sum_k w_k y~_k log a_k
    if reduction == "mean":
        _check_normaliser(normaliser)
        return losses.sum() / normaliser
    return _reduce(losses, reduction)


def _check_normaliser(normaliser: float) -> None:
    if not normaliser > 0:
        raise ValueError("class_weight gives every sample a weight of 0 (the weights of the true classes, times "
                         "any sample_weight, sum to 0): the weighted mean is 0/0. Give a class of Y a positive "
                         "weight.")


def _check_index_targets(Y):
    if Y.ndim != 1:
        raise ValueError("class_weight and label_smoothing need class indices Y of shape (m,), not one-hot or "
                         "probability rows (PyTorch weighs those differently); pass the labels themselves.")


def cross_entropy_from_probs(Y, P, reduction: str = "mean"):
    r"""Categorical cross-entropy from probabilities (the textbook form; prefer :func:`cross_entropy`).

    Parameters
    ----------
    Y : array_like, ``(m,)`` class indices or ``(m, K)`` one-hot
    P : array_like, ``(m, K)``
        Predicted probabilities, each in ``[0, 1]``.
    reduction : {"mean", "sum", "none"}

    Raises
    ------
    ValueError
        If an input has the wrong shape, values outside its domain, NaN or inf (``P`` is named);
        if ``m = 0`` and ``reduction="mean"`` (the mean of no losses; ``"sum"`` gives 0).
    TypeError
        If an input is not numeric.

    Notes
    -----
    .. math:: J = -\frac{1}{m}\sum_{i=1}^{m}\sum_{k=1}^{K} y_k^{(i)} \log a_k^{(i)}

    Returns ``inf`` (without a warning) where the true class has probability 0, which happens
    after ``exp`` underflows: this is the reason the course computes the loss from logits.
    Chapter: *Loss and cost*.
    """
    _check_reduction(reduction)
    P = as_float_array(P, "P", ndim=2, allow_empty=True)
    if P.size and (P.min() < 0 or P.max() > 1):
        raise ValueError("P must hold probabilities in [0, 1]; did you pass logits? Use cross_entropy(Y, Z).")
    Y = check_targets(Y, "Y", *P.shape)
    with np.errstate(divide="ignore"):
        logP = np.log(P)
    if Y.ndim == 2:  # 0 * log(0) counts as 0, as in the definition
        logP = np.where(Y > 0, logP, 0.0)
    return _reduce(-_picked(logP, Y), reduction)


def binary_cross_entropy(y, z, reduction: str = "mean"):
    r"""Binary cross-entropy computed from logits (the K = 2 case of the cross-entropy).

    Parameters
    ----------
    y : array_like, ``(m,)``
        Labels in {0, 1} (or probabilities of class 1).
    z : array_like, ``(m,)``
        Logits, :math:`z = w^\top x + b`.
    reduction : {"mean", "sum", "none"}

    Raises
    ------
    ValueError
        If an input has the wrong shape, values outside its domain, NaN or inf (``z`` is named);
        if ``m = 0`` and ``reduction="mean"`` (the mean of no losses; ``"sum"`` gives 0).
    TypeError
        If an input is not numeric.

    Notes
    -----
    .. math:: L = -y\log\sigma(z) - (1-y)\log(1-\sigma(z)) = \log(1 + e^{z}) - y z
              = \log\left(1 + e^{-|z|}\right) + \begin{cases} (1 - y)\,z & z > 0 \\ -y\,z & z \le 0 \end{cases}

    computed in the last form (see :func:`_binary_cross_entropy`): a sum of two non-negative
    terms, which never overflows and never cancels (``logaddexp(0, z) - y * z`` gives 0 for
    ``y = 1, z = 40``, exact 4.25e-18). The logistic regression cost uses the same code.

    Accuracy: each loss within 4 ulps of the exact value in float32 and float64, for labels and
    for probabilities ``y`` in [0, 1], logits up to the float maximum (at most 2 measured;
    ``tests/test_accuracy.py``). Chapter: *Loss and cost*.
    """
    _check_reduction(reduction)
    z = as_float_array(z, "z", ndim=1, allow_empty=True)
    y = as_float_array(y, "y", ndim=1, allow_empty=True)
    check_same_length("y", y, "z", z)
    if y.size and (y.min() < 0 or y.max() > 1):
        raise ValueError("y must hold labels 0 or 1 (or probabilities of class 1 in [0, 1]).")
    return _reduce(_binary_cross_entropy(y, z), reduction)


def binary_cross_entropy_from_probs(y, a, reduction: str = "mean"):
    r"""Binary cross-entropy from the probability :math:`a = \sigma(z)` of class 1.

    .. math:: L = -y\log a - (1-y)\log(1-a)

    Returns ``inf`` where the true label has probability 0. Prefer :func:`binary_cross_entropy`.

    Raises
    ------
    ValueError
        If an input has the wrong shape, values outside its domain, NaN or inf (``a`` is named);
        if ``m = 0`` and ``reduction="mean"`` (the mean of no losses; ``"sum"`` gives 0).
    TypeError
        If an input is not numeric.
    """
    _check_reduction(reduction)
    a = as_float_array(a, "a", ndim=1, allow_empty=True)
    y = as_float_array(y, "y", ndim=1, allow_empty=True)
    check_same_length("y", y, "a", a)
    if a.size and (a.min() < 0 or a.max() > 1):
        raise ValueError("a must hold probabilities in [0, 1]; did you pass logits? Use binary_cross_entropy(y, z).")
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        losses = -np.where(y > 0, y * np.log(a), 0.0) - np.where(y < 1, (1 - y) * np.log1p(-a), 0.0)
    return _reduce(losses, reduction)


def mean_squared_error(y, y_hat, reduction: str = "mean"):
    r"""Mean squared error, the cost of linear regression.

    Parameters
    ----------
    y, y_hat : array_like, ``(m,)``
        Targets and predictions.

    Raises
    ------
    ValueError
        If an input has the wrong shape, values outside its domain, NaN or inf (``y_hat`` is named);
        if ``m = 0`` and ``reduction="mean"`` (the mean of no losses; ``"sum"`` gives 0).
    TypeError
        If an input is not numeric.

    Notes
    -----
    .. math:: J = \frac{1}{m}\sum_{i=1}^{m} \left(\hat y^{(i)} - y^{(i)}\right)^2

    (no factor 1/2, hence the 2/m in its gradient). Where a square overflows the mean is
    computed from rescaled residuals, so it is ``inf`` only when the mean itself overflows.
    Chapter: *Comparisons*.
    """
    _check_reduction(reduction)
    y = as_float_array(y, "y", ndim=1, allow_empty=True)
    y_hat = as_float_array(y_hat, "y_hat", ndim=1, allow_empty=True)
    check_same_length("y", y, "y_hat", y_hat)
    with np.errstate(over="ignore"):  # a square beyond the float range is inf, the right answer
        residuals = y_hat - y
        out = _reduce(residuals * residuals, reduction)
        if reduction != "none" and not np.isfinite(out):  # a square overflowed: the mean may not
            half = y_hat / 2 - y / 2  # no overflow
            scale = np.abs(half).max()
            with np.errstate(under="ignore"):
                out = _reduce((half / scale) ** 2, reduction) * scale * scale * 4
    return out


_HINGE_KINDS = ("weston_watkins", "crammer_singer")


def _two_sum_margin(Z: np.ndarray, z_y: np.ndarray, delta: float) -> np.ndarray:
    r"""Margins :math:`z_l - z_y + \Delta` with one rounding error instead of two.

    The difference :math:`s = z_l - z_y` is rounded once; Knuth's TwoSum recovers its error
    :math:`e` exactly (:math:`s + e = z_l - z_y`), and :math:`(s + \Delta) + e` is added back. So a
    margin close to 0 (a score just at the margin) keeps its relative precision instead of
    inheriting the absolute error of :math:`z_l - z_y`. A difference beyond the float range is ``inf``.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        s = Z - z_y
        back = s - Z
        error = (Z - (s - back)) + (-z_y - back)
        margin = (s + delta) + error
    return np.where(np.isfinite(s), margin, s)


def multiclass_hinge_loss(Y, Z, delta: float = 1.0, kind: str = "weston_watkins", reduction: str = "mean"):
    r"""Multiclass hinge loss (the multiclass SVM's loss) computed from scores.

    Parameters
    ----------
    Y : array_like, ``(m,)`` class indices or ``(m, K)`` one-hot
        True classes (soft targets are not defined for this loss).
    Z : array_like, ``(m, K)``
        Scores (logits), the same :math:`Z = XW + b` that the cross-entropy takes.
    delta : float
        The margin :math:`\Delta > 0` that the true class's score should exceed the others by.
    kind : {"weston_watkins", "crammer_singer"}
        Sum over the wrong classes (Weston and Watkins 1999, CS231n's "multiclass SVM") or only the
        largest wrong score (Crammer and Singer 2001, :func:`sklearn.metrics.hinge_loss`).
    reduction : {"mean", "sum", "none"}
        ``"mean"`` gives the cost; ``"none"`` the per-sample losses ``(m,)``.

    Returns
    -------
    float or ndarray ``(m,)``

    Raises
    ------
    ValueError
        If an input has the wrong shape, values outside its domain, NaN or inf (``Z`` is named);
        if ``m = 0`` and ``reduction="mean"`` (the mean of no losses; ``"sum"`` gives 0).
    TypeError
        If an input is not numeric.

    Notes
    -----
    With :math:`y` the true class of a sample and :math:`z` its scores,

    .. math:: L_{\mathrm{WW}} = \sum_{l \ne y} \max(0,\; z_l - z_y + \Delta), \qquad
              L_{\mathrm{CS}} = \max\Bigl(0,\; \max_{l \ne y} z_l - z_y + \Delta\Bigr)

    Both are 0 once the true score leads every other by at least :math:`\Delta`, and stay 0
    however much further it leads; the cross-entropy is never 0 and keeps asking for more. With
    :math:`K = 2` both equal the binary hinge loss :math:`\max(0, \Delta - t\,(z_2 - z_1))`, with
    :math:`t = \pm 1`.

    Accuracy: each margin :math:`z_l - z_y + \Delta` is computed with TwoSum (see
    :func:`_two_sum_margin`), within 2 ulps of its exact value, and a sum of :math:`K - 1`
    non-negative terms adds at most :math:`K - 2` roundings, so each Weston-Watkins loss is within
    :math:`K` ulps (Crammer-Singer: 2 ulps) of the exact value, in float32 and float64 (at most 2
    measured for :math:`K \le 10`, also for scores a hair inside a margin, where the plain
    ``z_l - z_y + delta`` can be off by thousands; ``tests/test_losses.py`` checks it against exact
    rational arithmetic). Chapter: *Comparisons*.
    """
    _check_reduction(reduction)
    if kind not in _HINGE_KINDS:
        raise ValueError(f"kind must be one of {_HINGE_KINDS}; got {kind!r}.")
    check_positive(delta, "delta")
    Z = as_float_array(Z, "Z", ndim=2, allow_empty=True)
    m, K = Z.shape
    if K == 0:
        raise ValueError(f"Z has 0 classes (shape {Z.shape}); at least one column of scores is needed.")
    Y = check_targets(Y, "Y", m, K)
    if Y.ndim == 2:
        if not np.all((Y == 0) | (Y == 1)):
            raise ValueError("Y must be class indices (m,) or one-hot rows (m, K) of 0s and a single 1; "
                             "the hinge loss is not defined for soft targets.")
        Y = Y.argmax(axis=1)
    rows = np.arange(m)
    z_y = Z[rows, Y][:, None]
    if kind == "crammer_singer":
        wrong = Z.copy()
        wrong[rows, Y] = -np.inf  # with K = 1 no wrong class: the margin is -inf, the loss 0
        margins = _two_sum_margin(wrong.max(axis=1, keepdims=True), z_y, delta)[:, 0]
        return _reduce(np.maximum(margins, 0.0), reduction)
    margins = np.maximum(_two_sum_margin(Z, z_y, delta), 0.0)
    margins[rows, Y] = 0.0  # the true class is no violation of its own margin
    return _reduce(margins.sum(axis=1), reduction)
