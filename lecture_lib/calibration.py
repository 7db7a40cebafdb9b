r"""Repairs after training: temperature scaling, and a bias correction for new class priors.

Temperature scaling: one number :math:`T > 0` that rescales every logit, fitted on held-out data.
Shapes: validation logits ``Z (m, K)``, labels ``y (m,)``. The calibrated probabilities are
:math:`\operatorname{softmax}(Z / T)`: the same ranking of the classes (so the same predictions and
accuracy), more confident for :math:`T < 1`, less for :math:`T > 1`.

Prior shift: :func:`prior_shift_bias` moves the biases ``b (K,)`` of a model trained with class
frequencies :math:`\pi` to those of another population, :math:`\pi'`. Chapter: *Comparisons*.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, as_logits, check_class_indices, check_positive, check_same_length
from .functions import _log_softmax, _softmax


def _cost_derivatives(Z, y, beta):
    r"""Mean cross-entropy :math:`g(\beta)` of ``softmax(beta Z)`` and its first two derivatives in :math:`\beta`."""
    m = Z.shape[0]
    z_true = Z[np.arange(m), y]
    S = beta * Z
    P = _softmax(S, 1)
    g = float(-_log_softmax(S, 1)[np.arange(m), y].mean())
    mean_z = (P * Z).sum(axis=1)  # E_a[z]: the mean logit under the model's own probabilities
    dg = float((mean_z - z_true).mean())
    d2g = float((P * (Z - mean_z[:, None]) ** 2).sum(axis=1).mean())  # Var_a[z] >= 0
    return g, dg, d2g


def fit_temperature(Z, y, *, tol: float = 1e-10, max_iter: int = 100) -> float:
    r"""The temperature :math:`T > 0` that minimises the mean cross-entropy of ``softmax(Z / T)``.

    Parameters
    ----------
    Z : array_like, ``(m, K)``
        Logits of a model on **validation** data (not the data the model was trained on: there
        the model is over-confident by construction, and :math:`T` would not generalise).
    y : array_like of int, ``(m,)``
        The true classes of those samples, ``0..K-1``.
    tol : float, default 1e-10
        Stop when the derivative :math:`|g'(\beta)|` of the cost is below ``tol`` (times the
        largest logit, to be unit-free).
    max_iter : int, default 100
        Most Newton/bisection steps.

    Returns
    -------
    T : float
        The minimiser; ``softmax(Z / T)`` are the calibrated probabilities.

    Notes
    -----
    Write :math:`\beta = 1 / T`. The cost

    .. math::
        g(\beta) = \frac{1}{m}\sum_{i=1}^{m}\Big(\operatorname{LSE}(\beta z^{(i)}) - \beta z^{(i)}_{y^{(i)}}\Big),
        \qquad g'(\beta) = \frac{1}{m}\sum_{i=1}^{m}\Big(\mathbb{E}_{a^{(i)}}[z] - z^{(i)}_{y^{(i)}}\Big), \qquad
        g''(\beta) = \frac{1}{m}\sum_{i=1}^{m}\operatorname{Var}_{a^{(i)}}[z] \ge 0,

    with :math:`a^{(i)} = \operatorname{softmax}(\beta z^{(i)})`, is convex in :math:`\beta` (a
    log-sum-exp of a linear function of :math:`\beta`; it need not be convex in :math:`T` or
    :math:`\log T`). The minimiser solves :math:`g'(\beta) = 0`: at the best temperature the mean
    logit the model expects equals the mean logit of the true classes. It is found by Newton's
    method on :math:`g'` safeguarded by bisection on a bracket :math:`0 < \beta_- < \beta_+` where
    :math:`g'` changes sign, so it cannot leave the bracket or diverge. A minimiser :math:`T > 0`
    exists exactly when :math:`g'(0) < 0` (the true classes score above the row means on average)
    and some true class is not a top score of its row (otherwise :math:`g'(\beta) < 0` for every
    :math:`\beta`, and :math:`g` keeps falling as :math:`T \to 0`). Checked against
    ``scipy.optimize.minimize_scalar`` and a dense grid (``tests/test_calibration.py``).

    Raises
    ------
    ValueError
        If no finite :math:`T > 0` minimises the cost (the two cases above), for logits that are
        not finite, labels that are not ``0..K-1``, or lengths that differ.
    """
    Z, _ = as_logits(Z, "Z", 1, ndim=2)
    if Z.shape[1] == 0 or Z.shape[0] == 0:
        raise ValueError(f"Z must hold the logits of at least one sample and one class; got shape {Z.shape}.")
    if not np.isfinite(Z).all():
        raise ValueError("Z contains -inf (a masked class); temperature scaling needs finite logits.")
    Z = Z.astype(np.float64)
    y = check_class_indices(y, "y", Z.shape[1])
    check_same_length("y", y, "Z", Z)
    check_positive(tol, "tol")
    check_positive(max_iter, "max_iter", integer=True)
    scale = max(1.0, float(np.abs(Z).max()))
    dg0 = float((Z.mean(axis=1) - Z[np.arange(Z.shape[0]), y]).mean())
    if dg0 >= 0:
        raise ValueError("fit_temperature: the true classes' logits are not above their rows' means on average "
                         f"(g'(0) = {dg0:.3g} >= 0), so the cross-entropy falls as T grows without bound: no finite "
                         "T > 0 minimises it. Are the labels y those of the logits Z?")
    if np.all(Z[np.arange(Z.shape[0]), y] >= Z.max(axis=1)):
        raise ValueError("fit_temperature: every true class has the top logit of its row, so the cross-entropy "
                         "keeps falling as T -> 0: no T > 0 minimises it. Fit T on held-out data, where the "
                         "model makes mistakes.")
    lo, hi = 0.0, 1.0 / scale
    _, dg_hi, d2g_hi = _cost_derivatives(Z, y, hi)
    while dg_hi < 0:  # grow the bracket until g' changes sign
        lo, hi = hi, 2 * hi
        if hi > 1e12 / scale:
            raise ValueError("fit_temperature: the cross-entropy keeps falling as T -> 0 down to T = 1e-12 "
                             "times the largest logit (the true classes are nearly always on top): no usable T. "
                             "Fit it on held-out data.")
        _, dg_hi, d2g_hi = _cost_derivatives(Z, y, hi)
    beta = hi
    dg, d2g = dg_hi, d2g_hi
    for _ in range(int(max_iter)):
        if abs(dg) <= tol * scale:
            break
        if dg > 0:
            hi = beta
        else:
            lo = beta
        newton = beta - dg / d2g if d2g > 0 else np.nan
        beta = newton if lo < newton < hi else 0.5 * (lo + hi)  # bisection when Newton leaves the bracket
        _, dg, d2g = _cost_derivatives(Z, y, beta)
    if abs(dg) > tol * scale:
        raise ValueError(f"fit_temperature did not converge in {max_iter} steps (|g'| = {abs(dg):.3g}); "
                         f"raise max_iter or tol.")
    return 1.0 / beta


def _check_priors(priors, name: str, K: int | None) -> np.ndarray:
    """``priors (K,)`` as float64: positive, finite, summing to 1 (to 1e-9)."""
    pi = as_float_array(priors, name, ndim=1).astype(np.float64)
    if K is not None and pi.shape != (K,):
        raise ValueError(f"{name} must have shape (K,) = ({K},), one probability per class; got {pi.shape}.")
    if pi.min() <= 0:
        raise ValueError(f"{name} must be positive (a class of prior 0 never occurs; drop it instead); "
                         f"found {float(pi.min())!r}.")
    if abs(pi.sum() - 1) > 1e-9:
        raise ValueError(f"{name} must sum to 1 (class probabilities); they sum to {float(pi.sum())!r}.")
    return pi


def prior_shift_bias(b, priors, new_priors) -> np.ndarray:
    r"""Biases for new class priors: :math:`b_k + \log(\pi'_k / \pi_k)`.

    Parameters
    ----------
    b : array_like, ``(K,)``
        The fitted biases (or any logits ``(..., K)``: the correction is added along the last axis).
    priors : array_like, ``(K,)``
        :math:`\pi`, the class frequencies of the training data; positive, summing to 1.
    new_priors : array_like, ``(K,)``
        :math:`\pi'`, the class frequencies where the model will be used; positive, summing to 1.

    Returns
    -------
    b_new : ndarray, same shape as ``b``, float64

    Notes
    -----
    A model fitted by maximum likelihood estimates :math:`P(y = k \mid x) \propto p(x \mid y = k)\,\pi_k`.
    If only the priors change (*prior shift*: :math:`p(x \mid y)` stays the same), Bayes' rule gives
    :math:`P'(y = k \mid x) \propto a_k\, \pi'_k / \pi_k`, and since :math:`a_k \propto e^{z_k}`,
    that is the softmax of :math:`z_k + \log(\pi'_k / \pi_k)`: a change of the biases only,
    the same for every sample. With :math:`\pi' = \pi` nothing changes; with uniform :math:`\pi'`
    the model stops favouring the frequent classes. Agrees with Bayes' rule applied to the
    probabilities (``tests/test_calibration.py``). Chapter: *Comparisons*.

    Raises
    ------
    ValueError
        If ``b`` holds NaN/inf or has no class axis, or if a prior vector does not have ``K``
        positive entries summing to 1.
    """
    b = as_float_array(b, "b", ndim=tuple(range(1, 33))).astype(np.float64)
    K = b.shape[-1]
    pi = _check_priors(priors, "priors", K)
    pi_new = _check_priors(new_priors, "new_priors", K)
    return b + (np.log(pi_new) - np.log(pi))
