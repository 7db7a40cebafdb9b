r"""Costs and their gradients for the three models of the course, and a finite-difference check.

Shapes: ``X (m, d)``, ``W (d, K)``, ``b (K,)``, ``Z = X W + b`` and ``P = softmax(Z)`` are
``(m, K)``; targets are class indices ``y (m,)`` or a one-hot ``Y (m, K)``. The binary and the
linear model have ``w (d,)`` and a scalar ``b``.

Every objective carries an optional L2 penalty on the weights (never on the bias):

.. math:: J_{\lambda}(W, b) = J(W, b) + \frac{\lambda}{2}\lVert W\rVert_F^2

which is scikit-learn's ``LogisticRegression(C=1 / (lambda * m))``. Every cost also takes an
optional ``sample_weight`` :math:`s` and then is the weighted mean
:math:`\sum_i s_i L_i / \sum_i s_i` of the per-sample losses (``C = 1 / (lambda * sum(s))``).

The ``*_cost_and_gradient`` functions validate their inputs; the models call the private
cores directly after validating once in ``fit``, so the hot path neither checks nor copies ``X``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._validation import (
    as_float_array,
    check_positive,
    check_same_length,
    check_shape,
    check_sample_weight,
    check_targets,
)
from .functions import _sigmoid
from .losses import (
    _binary_cross_entropy,
    _check_class_weight,
    _check_index_targets,
    _check_label_smoothing,
    _check_normaliser,
    _softmax_cross_entropy,
    _weighted_targets,
)


# --------------------------------------------------------------------------- private cores
# Unchecked: X is a float ndarray (m, d), W/b have X's dtype, targets are valid. Underflow of
# exp to 0 is expected and harmless here, so it is silenced even under np.errstate(all="raise").
def _softmax_cost_grad(X, Y, W, b, l2=0.0, gradient=True, sample_weight=None):
    """Unchecked core: ``(J, dW, db)`` (or ``J`` alone if not ``gradient``) with a few (m, K) temporaries.

    ``Y`` is class indices ``(m,)`` (fast path) or a one-hot / probability matrix ``(m, K)``.
    Row and column sums are matrix-vector products with a vector of ones: the same numbers as
    ``sum(axis=...)``, several times faster for the short rows of a logit matrix.
    ``sample_weight`` (``(m,)`` in the dtype of ``X``, or None) multiplies each sample's loss
    in the mean: :math:`J = \\frac{1}{m}\\sum_i s_i L_i`. Callers normalise it (see
    :func:`_normalised_weights`); None is the unweighted code path, unchanged.
    """
    m, K = X.shape[0], W.shape[1]
    Z = X @ W
    Z += b
    losses, Z, s = _softmax_cross_entropy(Z, Y)  # Z now holds e^(z - c), s its row sums, each in [1, K]
    J = float(losses.sum() if sample_weight is None else np.dot(sample_weight, losses)) / m
    if l2:
        J += 0.5 * l2 * float(np.vdot(W, W))
    if not gradient:
        return J
    G = Z
    s *= m
    G /= s[:, None]  # P / m
    if Y.ndim == 1:  # flat positions of G[i, y_i]; G is C-contiguous
        true_class = np.arange(0, m * K, K)
        true_class += Y
        G.ravel()[true_class] -= 1.0 / m
    else:
        G -= Y / m
    if sample_weight is not None:
        G *= sample_weight[:, None]  # s_i (p_i - y_i) / m
    dW = X.T @ G  # G = dJ/dZ = (P - Y) / m
    if l2:
        dW += l2 * W
    return J, dW, np.ones(m, dtype=G.dtype) @ G  # db: sum over the samples


def _logistic_cost_grad(X, y, w, b, l2=0.0, gradient=True, sample_weight=None):
    """Unchecked core for binary logistic regression: ``(J, dw, db)``; ``y`` holds 0/1 floats.

    ``sample_weight`` as in :func:`_softmax_cost_grad`.
    """
    m = X.shape[0]
    z = X @ w
    z += b
    losses = _binary_cross_entropy(y, z)
    J = float(losses.sum() if sample_weight is None else np.dot(sample_weight, losses)) / m
    if l2:
        J += 0.5 * l2 * float(np.dot(w, w))
    if not gradient:
        return J
    g = _sigmoid(z)
    g -= y
    g /= m  # dJ/dz = (a - y) / m
    if sample_weight is not None:
        g *= sample_weight
    dw = X.T @ g
    if l2:
        dw += l2 * w
    return J, dw, g.sum()


def _linear_cost_grad(X, y, w, b, l2=0.0, gradient=True, sample_weight=None):
    """Unchecked core for linear regression with the mean squared error: ``(J, dw, db)``.

    ``sample_weight`` as in :func:`_softmax_cost_grad`.
    """
    m = X.shape[0]
    r = X @ w
    r += b
    r -= y  # residuals y_hat - y
    J = float(np.dot(r, r)) / m
    if sample_weight is not None:
        J = float(np.dot(sample_weight * r, r)) / m
    if l2:
        J += 0.5 * l2 * float(np.dot(w, w))
    if not gradient:
        return J
    r *= 2.0 / m  # dJ/dy_hat
    if sample_weight is not None:
        r *= sample_weight
    dw = X.T @ r
    if l2:
        dw += l2 * w
    return J, dw, r.sum()


# --------------------------------------------------------------------------- validation
def _normalised_weights(sample_weight, m, dtype):
    r"""Checked weights ``s (m,)`` rescaled to mean 1, :math:`\tilde s_i = m s_i / \sum_j s_j`, in ``dtype``.

    The cores take the mean :math:`\frac{1}{m}\sum_i \tilde s_i L_i`, which with these weights is the
    weighted mean :math:`\sum_i s_i L_i / \sum_i s_i`; integer weights then equal repeated rows.
    None stays None (the unweighted code path).
    """
    s = check_sample_weight(sample_weight, m)
    if s is None:
        return None
    return (s * (m / s.sum())).astype(dtype, copy=False)


def _weighted(Y, K, X, sample_weight, class_weight, label_smoothing):
    """Targets and normalised sample weights for the core, with any class weights and label smoothing.

    Without ``class_weight`` and smoothing: ``Y`` and :func:`_normalised_weights` unchanged. With
    them: the targets and weights of :func:`lecture_lib.losses._weighted_targets` (PyTorch's
    weighted mean), in the dtype of ``X``.
    """
    class_weight = _check_class_weight(class_weight, K)
    label_smoothing = _check_label_smoothing(label_smoothing)
    if class_weight is None and not label_smoothing:
        return Y, _normalised_weights(sample_weight, X.shape[0], X.dtype)
    _check_index_targets(Y)
    v = check_sample_weight(sample_weight, X.shape[0])
    T, s, normaliser, _ = _weighted_targets(Y, K, class_weight, label_smoothing, v)
    _check_normaliser(normaliser)
    return T.astype(X.dtype, copy=False), s.astype(X.dtype, copy=False)

def _check_l2(l2):
    check_positive(l2, "l2", allow_zero=True)
    return float(l2)


def _check_scores(X, W, b):
    """Checked ``X (m, d)``, ``W (d, K)``, ``b (K,)`` of the logits ``X W + b``."""
    X = as_float_array(X, "X", ndim=2)
    W = as_float_array(W, "W", ndim=2)
    if W.shape[0] != X.shape[1]:
        raise ValueError(f"W must have shape (d, K) with d = {X.shape[1]} features of X; got {W.shape}.")
    b = as_float_array(b, "b", ndim=1)
    check_shape(b, "b", (W.shape[1],))
    return X, W, b


def _check_multiclass(X, Y, W, b):
    X, W, b = _check_scores(X, W, b)
    Y = check_targets(Y, "Y", X.shape[0], W.shape[1])
    return X, Y, W, b


def _check_vector_model(X, y, w, b, binary):
    X = as_float_array(X, "X", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    check_same_length("X", X, "y", y)
    if binary and (y.min() < 0 or y.max() > 1):
        raise ValueError("y must hold labels 0 or 1 for binary logistic regression.")
    w = as_float_array(w, "w", ndim=1)
    check_shape(w, "w", (X.shape[1],))
    b = as_float_array(b, "b", ndim=0)
    return X, y, w, float(b)


def _without_overflow(core, name, X, *args, **kwargs):
    """Run a core with overflow and invalid operations raised: a clear ValueError instead of a
    RuntimeWarning and a NaN cost (e.g. ``w = 1e308`` makes ``X @ w`` overflow)."""
    with np.errstate(over="raise", invalid="raise"):
        try:
            return core(X, *args, **kwargs)
        except FloatingPointError as exc:
            raise ValueError(f"{name}: the cost or gradient overflows {X.dtype} (largest finite value "
                             f"{np.finfo(X.dtype).max:.3g}; numpy: {exc}). The weights or the features are "
                             f"too large: scale X (e.g. standardise it) or use smaller weights.") from None


# --------------------------------------------------------------------------- public API
def softmax_regression_cost_and_gradient(X, Y, W, b, l2: float = 0.0, sample_weight=None, *, class_weight=None,
                                         label_smoothing: float = 0.0):
    r"""Mean cross-entropy of softmax regression and its gradient.

    Parameters
    ----------
    X : array_like, ``(m, d)``
    Y : array_like, ``(m,)`` class indices or ``(m, K)`` one-hot
    W : array_like, ``(d, K)``
    b : array_like, ``(K,)``
    l2 : float, default 0
        Strength :math:`\lambda` of the L2 penalty on ``W``.
    sample_weight : array_like, ``(m,)``, optional
        Non-negative weights :math:`s_i`; the cost becomes the weighted mean
        :math:`\sum_i s_i L_i / \sum_i s_i` (integer weights = repeated rows).
    class_weight : array_like, ``(K,)``, optional
        Non-negative class weights :math:`\omega_k`; needs class indices ``Y``. Each loss becomes
        :math:`\ell^{(i)} = -\sum_k \omega_k \tilde y_k^{(i)} \log a_k^{(i)}` and the mean divides
        by :math:`\sum_i s_i\,\omega_{y^{(i)}}` (PyTorch's ``cross_entropy(weight=)``; without smoothing,
        a sample weight :math:`\omega_{y^{(i)}}`, as scikit-learn's ``class_weight``).
    label_smoothing : float, default 0
        :math:`\varepsilon` in [0, 1]: targets
        :math:`\tilde y^{(i)} = (1 - \varepsilon)\,\mathbf{y}^{(i)} + \varepsilon / K`
        (:func:`lecture_lib.smooth_labels`); needs class indices ``Y``. The gradient is that of soft
        targets, :math:`\frac{1}{m}X^\top(P - \tilde Y)` without class weights.

    Returns
    -------
    J : float
    dW : ndarray, ``(d, K)``
    db : ndarray, ``(K,)``

    Notes
    -----
    .. math::
        J = -\frac{1}{m}\sum_{i=1}^{m}\sum_{k=1}^{K} y_k^{(i)}\log a_k^{(i)} + \frac{\lambda}{2}\lVert W\rVert_F^2

        \frac{\partial J}{\partial W} = \frac{1}{m} X^\top (P - Y) + \lambda W, \qquad
        \frac{\partial J}{\partial b} = \frac{1}{m} \sum_{i=1}^{m} \left(p^{(i)} - y^{(i)}\right)

    Elementwise, :math:`\partial J / \partial w_{jk} = \frac{1}{m}\sum_i (a_k^{(i)} - y_k^{(i)}) x_j^{(i)}`.

    The cross-entropy is that of :func:`lecture_lib.cross_entropy` (the same code): each
    sample's loss is within 4 ulps of the exact loss of the logits :math:`Z = XW + b` as
    computed (``tests/test_accuracy.py``).

    Raises
    ------
    ValueError
        If the logits, the cost or the gradient overflow the float range (e.g. ``W = 1e308``),
        instead of returning NaN with a numpy RuntimeWarning.

    Chapter: *Gradient derivation*.
    """
    X, Y, W, b = _check_multiclass(X, Y, W, b)
    Y, s = _weighted(Y, W.shape[1], X, sample_weight, class_weight, label_smoothing)
    return _without_overflow(_softmax_cost_grad, "softmax_regression_cost_and_gradient", X, Y, W, b, _check_l2(l2),
                             sample_weight=s)


def softmax_regression_cost(X, Y, W, b, l2: float = 0.0, sample_weight=None, *, class_weight=None,
                            label_smoothing: float = 0.0) -> float:
    r"""Cost :math:`J` of softmax regression (mean cross-entropy plus the L2 penalty).

    Shapes and equation as in :func:`softmax_regression_cost_and_gradient`. Chapter: *Loss and cost*.
    """
    X, Y, W, b = _check_multiclass(X, Y, W, b)
    Y, s = _weighted(Y, W.shape[1], X, sample_weight, class_weight, label_smoothing)
    return _without_overflow(_softmax_cost_grad, "softmax_regression_cost", X, Y, W, b, _check_l2(l2), False,
                             sample_weight=s)


def softmax_regression_gradient(X, Y, W, b, l2: float = 0.0, sample_weight=None, *, class_weight=None,
                                label_smoothing: float = 0.0):
    r"""Gradient ``(dW (d, K), db (K,))`` of the softmax regression cost.

    See :func:`softmax_regression_cost_and_gradient` for the equations. Chapter: *Gradient derivation*.
    """
    return softmax_regression_cost_and_gradient(X, Y, W, b, l2, sample_weight, class_weight=class_weight,
                                                label_smoothing=label_smoothing)[1:]


def logistic_regression_cost_and_gradient(X, y, w, b, l2: float = 0.0, sample_weight=None):
    r"""Mean binary cross-entropy of logistic regression and its gradient.

    Parameters
    ----------
    X : array_like, ``(m, d)``
    y : array_like, ``(m,)`` with labels 0 or 1
    w : array_like, ``(d,)``
    b : float
    l2 : float, default 0
    sample_weight : array_like, ``(m,)``, optional
        Non-negative weights; the cost becomes the weighted mean :math:`\sum_i s_i L_i / \sum_i s_i`.

    Returns
    -------
    J : float
    dw : ndarray, ``(d,)``
    db : float

    Notes
    -----
    With :math:`a^{(i)} = \sigma(w^\top x^{(i)} + b)`,

    .. math::
        J = -\frac{1}{m}\sum_{i=1}^{m}\left[y^{(i)}\log a^{(i)} + (1-y^{(i)})\log(1-a^{(i)})\right]
            + \frac{\lambda}{2}\lVert w\rVert^2

        \frac{\partial J}{\partial w_j} = \frac{1}{m}\sum_{i=1}^{m}(a^{(i)} - y^{(i)})x_j^{(i)} + \lambda w_j

    The loss is :func:`lecture_lib.binary_cross_entropy` of the logits :math:`z = Xw + b` (the
    same code), within 4 ulps of the exact value for each sample (``tests/test_accuracy.py``).

    Raises
    ------
    ValueError
        If the logits, the cost or the gradient overflow the float range (e.g. ``w = 1e308``).

    Chapter: *Comparisons*.
    """
    X, y, w, b = _check_vector_model(X, y, w, b, binary=True)
    s = _normalised_weights(sample_weight, X.shape[0], X.dtype)
    return _without_overflow(_logistic_cost_grad, "logistic_regression_cost_and_gradient", X, y, w, b, _check_l2(l2),
                             sample_weight=s)


def linear_regression_cost_and_gradient(X, y, w, b, l2: float = 0.0, sample_weight=None):
    r"""Mean squared error of linear regression and its gradient.

    Parameters
    ----------
    X : array_like, ``(m, d)``
    y : array_like, ``(m,)``
    w : array_like, ``(d,)``
    b : float
    l2 : float, default 0
    sample_weight : array_like, ``(m,)``, optional
        Non-negative weights; the cost becomes the weighted mean :math:`\sum_i s_i L_i / \sum_i s_i`.

    Returns
    -------
    J : float
    dw : ndarray, ``(d,)``
    db : float

    Notes
    -----
    With :math:`\hat y^{(i)} = w^\top x^{(i)} + b`,

    .. math::
        J = \frac{1}{m}\sum_{i=1}^{m}(\hat y^{(i)} - y^{(i)})^2 + \frac{\lambda}{2}\lVert w\rVert^2

        \frac{\partial J}{\partial w_j} = \frac{2}{m}\sum_{i=1}^{m}(\hat y^{(i)} - y^{(i)})x_j^{(i)} + \lambda w_j

    The 2/m (instead of the 1/m of the cross-entropies) comes from differentiating the square.
    Chapter: *Comparisons*.
    """
    X, y, w, b = _check_vector_model(X, y, w, b, binary=False)
    s = _normalised_weights(sample_weight, X.shape[0], X.dtype)
    return _without_overflow(_linear_cost_grad, "linear_regression_cost_and_gradient", X, y, w, b, _check_l2(l2),
                             sample_weight=s)


def numerical_gradient(f: Callable[[np.ndarray], float], x, eps: float = 1e-6) -> np.ndarray:
    r"""Central finite-difference gradient of a scalar function.

    Parameters
    ----------
    f : callable
        Takes an array shaped like ``x`` and returns a float.
    x : array_like, any shape
        Point at which to differentiate (not modified).
    eps : float
        Step :math:`h` (absolute).

    Returns
    -------
    ndarray, shape of ``x`` (float64)

    Raises
    ------
    ValueError
        If ``x_i + eps`` or ``x_i - eps`` rounds to ``x_i`` (``eps`` below the spacing of the
        floats near ``x_i``): the difference quotient would silently be 0.

    Notes
    -----
    .. math:: \frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{x_i^+ - x_i^-},
              \qquad x_i^\pm = \operatorname{fl}(x_i \pm h)

    The denominator is the step actually taken (``2h`` up to rounding), so the quotient is right
    even where ``x_i +- h`` is rounded. The error is :math:`O(h^2)`. It costs two evaluations of
    ``f`` per entry: a check, not a way to train. Chapter: *Gradient derivation*.
    """
    if not callable(f):
        raise TypeError(f"f must be a callable returning a float; got {type(f).__name__}.")
    check_positive(eps, "eps")
    x = as_float_array(x, "x").astype(np.float64)  # a private copy that we perturb
    with np.errstate(over="ignore"):
        plus, minus = x + eps, x - eps
    stuck = (plus == x) | (minus == x) | ~np.isfinite(plus) | ~np.isfinite(minus)
    if stuck.any():
        i = tuple(int(k) for k in np.unravel_index(np.argmax(stuck), x.shape))
        raise ValueError(f"eps={eps!r} is below the float spacing at x[{', '.join(map(str, i))}] = {float(x[i])!r} "
                         f"(spacing {float(np.spacing(abs(x[i]))):.3g}): x +- eps rounds to x, so the finite "
                         f"difference would be 0. Use an eps of about 1e-6 * max(1, |x|).")
    grad = np.empty_like(x)
    flat_x, flat_g = x.reshape(-1), grad.reshape(-1)
    flat_plus, flat_minus = plus.reshape(-1), minus.reshape(-1)
    for i in range(flat_x.size):
        old = flat_x[i]
        flat_x[i] = flat_plus[i]
        f_plus = float(f(x))
        flat_x[i] = flat_minus[i]
        f_minus = float(f(x))
        flat_x[i] = old
        flat_g[i] = (f_plus - f_minus) / (flat_plus[i] - flat_minus[i])
    return grad


def relative_error(a, b) -> float:
    r"""Relative error :math:`\max_i |a_i - b_i| \,/\, \max_i (|a_i| + |b_i|)`, scale-free.

    Parameters
    ----------
    a, b : array_like, same shape

    Returns
    -------
    float
        In :math:`[0, 1]`: 0 when they agree (and when both are all zero), 1 when every
        difference is as large as the entries themselves, e.g. a sign error. No absolute floor:
        a sign-flipped gradient of a tiny function scores 1, not "agree".

    Notes
    -----
    Both arrays are divided by :math:`s = \max_i \max(|a_i|, |b_i|)` first, so that entries
    near the float maximum do not overflow (the ratio is unchanged).
    """
    a = as_float_array(a, "a", allow_empty=True).astype(np.float64)
    b = as_float_array(b, "b", allow_empty=True).astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}.")
    if a.size == 0:
        return 0.0
    scale = max(float(np.abs(a).max()), float(np.abs(b).max()))
    if scale == 0.0:
        return 0.0
    with np.errstate(under="ignore"):  # entries negligible next to the largest may underflow to 0
        a /= scale
        b /= scale
    return float(np.abs(a - b).max() / (np.abs(a) + np.abs(b)).max())


def gradient_check(f: Callable[[np.ndarray], float], grad, x, eps: float = 1e-6) -> float:
    r"""Compare an analytic gradient with central finite differences.

    Parameters
    ----------
    f : callable
        Scalar function of an array shaped like ``x``.
    grad : array_like or callable
        The analytic gradient at ``x`` (or a function that returns it from ``x``).
    x : array_like
        The point.
    eps : float
        Finite-difference step.

    Returns
    -------
    float
        :func:`relative_error` between the two; below about 1e-7 in float64 means they agree.

    Chapter: *Gradient derivation*.
    """
    x = as_float_array(x, "x")
    analytic = grad(x.copy()) if callable(grad) else grad
    analytic = as_float_array(analytic, "grad")
    if analytic.shape != x.shape:
        raise ValueError(f"grad must have the shape of x {x.shape}; got {analytic.shape}.")
    return relative_error(analytic, numerical_gradient(f, x, eps))
