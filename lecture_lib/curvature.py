r"""The curvature of the softmax regression cost: its Hessian and a bound on its largest eigenvalue.

Shapes: ``X (m, d)``, ``W (d, K)``, ``b (K,)``, ``P = softmax(X W + b)`` is ``(m, K)``. The
parameters are flattened as the models of :mod:`lecture_lib.models` flatten them,

.. math:: \theta = (w_{1,1}, \dots, w_{1,K},\ w_{2,1}, \dots, w_{d,K},\ b_1, \dots, b_K),

i.e. ``theta = [W.ravel(), b]`` (``W`` row by row, entry ``(j, k)`` at position ``j * K + k``,
then the biases), ``n = d K + K`` entries in all. With :math:`\tilde x = (x, 1)` the bias is the
weight of a constant feature, and the Hessian of one sample's loss is a Kronecker product
(chapter *Gradient derivation*):

.. math::
    \nabla^2_\theta L^{(i)} = \tilde x^{(i)} \tilde x^{(i)\top} \otimes
    \left(\operatorname{diag}(p^{(i)}) - p^{(i)} p^{(i)\top}\right).

The matrix in brackets is the Hessian of log-sum-exp (the softmax Jacobian,
:func:`lecture_lib.softmax_jacobian`): a covariance matrix, so positive semidefinite, with
largest eigenvalue at most :math:`\frac{1}{2}`.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array
from .functions import _softmax
from .gradients import _check_l2, _check_multiclass, _check_scores, _softmax_cost_grad, _without_overflow

__all__ = ["lipschitz_bound", "softmax_regression_hessian", "softmax_regression_newton_step"]


def _softmax_hessian(X, W, b, l2=0.0):
    """Unchecked core of :func:`softmax_regression_hessian`; one ``(m, (d + 1) K)`` temporary."""
    m, d = X.shape
    K = W.shape[1]
    Z = X @ W
    Z += b
    P = _softmax(Z, axis=1)
    n = (d + 1) * K
    # Row i of G is x~_i (x) p_i: entry (j, k) holds x~_ij p_ik (the bias is j = d, x~_id = 1).
    G = np.empty((m, d + 1, K), dtype=P.dtype)
    np.multiply(X[:, :, None], P[:, None, :], out=G[:, :d])
    G[:, d] = P
    G = G.reshape(m, n)
    H = G.T @ G  # sum_i (x~ (x) p)(x~ (x) p)^T = sum_i x~ x~^T (x) p p^T
    H *= -1.0
    # + sum_i x~ x~^T (x) diag(p): only the entries with k = k', H[(j, k), (j', k)] += sum_i x~_ij p_ik x~_ij'.
    same_class = np.einsum("jklk->jkl", H.reshape(d + 1, K, d + 1, K))  # a writable view (d + 1, K, d + 1)
    same_class[:, :, :d] += (G.T @ X).reshape(d + 1, K, d)
    same_class[:, :, d] += (np.ones(m, dtype=G.dtype) @ G).reshape(d + 1, K)
    H /= m
    H = 0.5 * (H + H.T)  # exactly symmetric (the two products round their halves differently)
    if l2:
        weights = np.arange(d * K)
        H[weights, weights] += l2
    return H


def softmax_regression_hessian(X, W, b, l2: float = 0.0) -> np.ndarray:
    r"""Hessian of the softmax regression cost with respect to all parameters ``[W.ravel(), b]``.

    Parameters
    ----------
    X : array_like, ``(m, d)``
    W : array_like, ``(d, K)``
    b : array_like, ``(K,)``
    l2 : float, default 0
        Strength :math:`\lambda` of the L2 penalty :math:`\frac{\lambda}{2}\lVert W\rVert^2` (not on ``b``).

    Returns
    -------
    H : ndarray, ``(n, n)`` with ``n = d K + K``
        Symmetric. ``H[q, r]`` is :math:`\partial^2 J / \partial\theta_q \partial\theta_r` for the
        ordering of the module docstring: position ``j * K + k`` is :math:`w_{j,k}`, position
        ``d * K + k`` is :math:`b_k`. The targets do not enter: the cross-entropy is
        log-sum-exp of the logits minus a linear function of them.

    Notes
    -----
    With :math:`\tilde x = (x, 1)` and :math:`p^{(i)} = \operatorname{softmax}(W^\top x^{(i)} + b)`,

    .. math::
        \nabla^2 J_\lambda = \frac{1}{m}\sum_{i=1}^{m} \tilde x^{(i)} \tilde x^{(i)\top}
            \otimes \left(\operatorname{diag}(p^{(i)}) - p^{(i)} p^{(i)\top}\right)
            + \lambda \begin{pmatrix} I_{dK} & 0 \\ 0 & 0 \end{pmatrix},

    i.e. :math:`\partial^2 J / \partial w_{j,k}\,\partial w_{j',k'} = \frac{1}{m}\sum_i x_j^{(i)} x_{j'}^{(i)}
    p_k^{(i)}(\delta_{kk'} - p_{k'}^{(i)}) + \lambda\,\delta_{jj'}\delta_{kk'}`. It is positive
    semidefinite: :math:`\theta^\top H \theta` is a mean of variances. Computed with three matrix
    products from ``X`` in place (no copy of ``X``, no loop over samples); the temporaries are
    ``(m, (d + 1) K)`` and the ``(n, n)`` result. Agrees with ``torch.autograd.functional.hessian``
    and with finite differences of :func:`lecture_lib.softmax_regression_gradient`
    (``tests/test_curvature.py``). Chapter: *Gradient derivation*.

    Raises
    ------
    ValueError
        For arguments of the wrong shape, NaN/inf, a negative ``l2``, or logits that overflow.
    """
    X, W, b = _check_scores(X, W, b)
    return _without_overflow(_softmax_hessian, "softmax_regression_hessian", X, W.astype(X.dtype, copy=False),
                             b.astype(X.dtype, copy=False), _check_l2(l2))


def lipschitz_bound(X, l2: float = 0.0) -> float:
    r"""Upper bound :math:`L` on the largest eigenvalue of the softmax regression Hessian, at every ``(W, b)``.

    Parameters
    ----------
    X : array_like, ``(m, d)``
    l2 : float, default 0
        Strength :math:`\lambda` of the L2 penalty on ``W``.

    Returns
    -------
    L : float
        :math:`L = \frac{1}{2m}\lVert \tilde X\rVert_2^2 + \lambda`, with :math:`\tilde X = (X\ \ \mathbf{1}_m)`.
        The gradient of :math:`J_\lambda` is :math:`L`-Lipschitz, so gradient descent with a
        learning rate :math:`\alpha < 2/L` lowers the cost at every step, and :math:`\alpha = 1/L`
        is a safe default.

    Notes
    -----
    Every eigenvalue of :math:`\operatorname{diag}(p) - pp^\top` is at most :math:`\frac{1}{2}`,
    so the Hessian of :func:`softmax_regression_hessian` is at most
    :math:`\frac{1}{2m}\tilde X^\top\tilde X \otimes I_K + \lambda I`, whose largest eigenvalue is
    :math:`\frac{1}{2m}\lambda_{\max}(\tilde X^\top \tilde X) + \lambda`. Computed from the
    ``(d + 1, d + 1)`` Gram matrix :math:`\tilde X^\top \tilde X` (``X`` is not copied) with
    ``numpy.linalg.eigvalsh``. The bound does not depend on ``W``, ``b`` or the targets; it is
    sharp for two classes with :math:`p = (\frac{1}{2}, \frac{1}{2})`. Chapter: *Gradient derivation*.

    Raises
    ------
    ValueError
        For an ``X`` that is not 2-D, holds NaN/inf, or whose Gram matrix overflows; a negative ``l2``.
    """
    X = as_float_array(X, "X", ndim=2)
    l2 = _check_l2(l2)
    m, d = X.shape
    gram = np.empty((d + 1, d + 1))
    with np.errstate(over="ignore", invalid="ignore"):
        gram[:d, :d] = X.T @ X
        gram[:d, d] = gram[d, :d] = np.ones(m, dtype=X.dtype) @ X
    gram[d, d] = m
    if not np.isfinite(gram).all():
        raise ValueError(f"lipschitz_bound: X^T X overflows {X.dtype} (the largest |X| entry is "
                         f"{np.abs(X).max():.3g}); scale X (e.g. standardise it).")
    return 0.5 * float(np.linalg.eigvalsh(gram)[-1]) / m + l2


def softmax_regression_newton_step(X, Y, W, b, l2: float = 0.0):
    r"""One Newton step on the softmax regression cost :math:`J_\lambda`: the least-norm one.

    Parameters
    ----------
    X : array_like, ``(m, d)``
    Y : array_like, ``(m,)`` class indices or ``(m, K)`` one-hot (or probability) rows
    W : array_like, ``(d, K)``
        The current weights (not modified).
    b : array_like, ``(K,)``
        The current biases (not modified).
    l2 : float, default 0
        Strength :math:`\lambda` of the L2 penalty on ``W``.

    Returns
    -------
    W_new : ndarray, ``(d, K)``, float64
    b_new : ndarray, ``(K,)``, float64
        :math:`\theta - H^{+} \nabla J_\lambda(\theta)` for :math:`\theta = (W, b)` flattened as in
        the module docstring.

    Notes
    -----
    Newton's method minimises the quadratic model
    :math:`J_\lambda(\theta + \Delta) \approx J_\lambda + g^\top \Delta + \frac{1}{2}\Delta^\top H \Delta`,
    with :math:`g` the gradient and :math:`H` the Hessian of :func:`softmax_regression_hessian`,
    whose minimisers solve :math:`H\Delta = -g`.

    **H is always singular.** Adding the same constant to every bias :math:`b_k` (and, for
    :math:`\lambda = 0`, the same vector to every column of :math:`W`) leaves every probability
    unchanged, so :math:`H` is zero along those directions; the penalty never touches the bias,
    so this holds for :math:`\lambda > 0` too. (Constant or duplicated features, such as the
    blank pixels of the digits, add more such directions.) The gradient has no component along
    them (its entries sum to zero over the classes), so :math:`H\Delta = -g` has solutions, a
    whole affine space of them; this function takes the one of least norm,
    :math:`\Delta = -H^{+} g`, with the pseudo-inverse from the eigendecomposition
    :math:`H = Q \Lambda Q^\top` (eigenvalues below :math:`n\,\epsilon\,\lambda_{\max}(H)`
    count as zero, ``numpy.linalg.pinv``'s default). It moves the parameters only in the
    directions that change the probabilities, and every solution gives the same probabilities.

    A full Newton step can overshoot far from the minimum (the cost is not a quadratic), so a
    solver adds a line search; close to the minimum the steps converge quadratically, a few
    steps where gradient descent takes thousands. Each step costs the :math:`n \times n`
    Hessian, :math:`n = (d + 1) K`, and its :math:`O(n^3)` eigendecomposition: cheap for the
    digits' :math:`n = 650`, hopeless for a million parameters, which is why L-BFGS builds an
    approximation of :math:`H^{-1} g` from the last few gradients instead. Agrees with a dense
    solve on a finite-difference Hessian and reaches the minimum of ``SoftmaxRegression`` in a
    few steps (``tests/test_curvature.py``). Chapter: *Gradient derivation*.

    Raises
    ------
    ValueError
        For arguments of the wrong shape, NaN/inf, a negative ``l2``, or logits that overflow.
    """
    X, Y, W, b = _check_multiclass(X, Y, W, b)
    l2 = _check_l2(l2)
    X = X.astype(np.float64, copy=False)
    W, b = W.astype(np.float64), b.astype(np.float64)
    Y = Y if Y.ndim == 1 else Y.astype(np.float64, copy=False)
    _, dW, db = _without_overflow(_softmax_cost_grad, "softmax_regression_newton_step", X, Y, W, b, l2)
    H = _without_overflow(_softmax_hessian, "softmax_regression_newton_step", X, W, b, l2)
    g = np.concatenate([dW.ravel(), db])
    eigenvalues, Q = np.linalg.eigh(H)
    keep = eigenvalues > H.shape[0] * np.finfo(np.float64).eps * max(eigenvalues[-1], 0.0)
    Q = Q[:, keep]
    step = Q @ ((Q.T @ g) / eigenvalues[keep])
    d, K = W.shape
    return W - step[:d * K].reshape(d, K), b - step[d * K:]
