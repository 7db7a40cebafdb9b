r"""Gaussian class conditionals with a shared covariance (linear discriminant analysis) as a softmax model.

If the features of class :math:`k` are Gaussian, :math:`x \mid y = k \sim \mathcal{N}(\mu_k, \Sigma)` with the
same covariance :math:`\Sigma` for every class, and the classes have prior probabilities :math:`\pi_k`, Bayes'
rule gives posteriors that are exactly a softmax of linear logits:

.. math::

    P(y = k \mid x) = \operatorname{softmax}(W^\top x + b)_k, \quad
    w_k = \Sigma^{-1}\mu_k, \quad b_k = -\tfrac12 \mu_k^\top \Sigma^{-1}\mu_k + \log \pi_k

(the quadratic term :math:`-\frac12 x^\top \Sigma^{-1} x` is the same for every class and cancels).

Shapes: ``X (m, d)``, ``y (m,)`` with classes ``0..K-1``, ``priors (K,)``, ``means (K, d)`` (row
:math:`k` is :math:`\mu_k^\top`), ``covariance (d, d)``, ``W (d, K)``, ``b (K,)``. Page: *Why this model*.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_class_indices, check_same_length, check_shape


def _cholesky(covariance: np.ndarray, name: str):
    """The Cholesky factor of a symmetric positive definite matrix, or a ValueError naming ``name``."""
    from scipy.linalg import LinAlgError, cho_factor  # on first use: importing lecture_lib loads no scipy

    scale = np.abs(covariance).max()
    if not np.allclose(covariance, covariance.T, rtol=0, atol=1e-12 * scale):
        raise ValueError(f"{name} must be symmetric; it differs from its transpose by "
                         f"{np.abs(covariance - covariance.T).max():.3g}.")
    try:
        factor = cho_factor(covariance, lower=True)
    except LinAlgError:
        raise ValueError(f"{name} must be positive definite (a covariance matrix of full rank); it is not: some "
                         "direction of the features has no variance within the classes.") from None
    if np.diag(factor[0]).min() ** 2 < 1e-12 * np.diag(covariance).max():
        raise ValueError(f"{name} is numerically singular (condition number above about 1e12); drop or combine "
                         "features that are (nearly) linear combinations of others.")
    return factor


def fit_shared_gaussians(X, y, K: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Maximum-likelihood estimates of the Gaussian class-conditional model with a shared covariance.

    Parameters
    ----------
    X : array_like, ``(m, d)``
        Features, one sample per row.
    y : array_like of int, ``(m,)``
        Classes ``0..K-1``; every class needs at least one sample.
    K : int, optional
        Number of classes (default ``max(y) + 1``).

    Returns
    -------
    priors : ndarray, ``(K,)``
        :math:`\pi_k = m_k / m`, the share of the samples in class :math:`k`.
    means : ndarray, ``(K, d)``
        Row :math:`k` is :math:`\mu_k`, the mean of the features of class :math:`k`.
    covariance : ndarray, ``(d, d)``
        The pooled within-class covariance :math:`\Sigma = \frac1m \sum_i (x^{(i)} - \mu_{y^{(i)}})
        (x^{(i)} - \mu_{y^{(i)}})^\top` (divided by :math:`m`, the maximum-likelihood estimate, as
        scikit-learn's ``LinearDiscriminantAnalysis``).

    Raises
    ------
    ValueError
        If ``X`` is not a finite 2-D array, ``y`` does not hold one class index ``0..K-1`` per row of ``X``,
        a class has no sample, or the pooled covariance is singular.
    TypeError
        If ``X`` is not numeric or ``y`` does not hold integers.
    """
    X = as_float_array(X, "X", ndim=2).astype(np.float64, copy=False)
    y = check_class_indices(y, "y")
    check_same_length("X", X, "y", y)
    if K is None:
        K = int(y.max()) + 1
        if K < 2:
            raise ValueError("y holds only class 0; a classifier needs at least two classes (pass K, or labels "
                             "0..K-1 with K >= 2).")
    elif isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < 2:
        raise ValueError(f"K must be an integer number of classes >= 2; got {K!r}.")
    y = check_class_indices(y, "y", K)
    m_k = np.bincount(y, minlength=K)
    if m_k.min() == 0:
        raise ValueError(f"y has no sample of class {int(np.argmin(m_k))}; every class 0..{K - 1} needs at least "
                         "one sample to estimate its mean.")
    Y = np.eye(K)[y]                              # (m, K) one-hot
    means = (Y.T @ X) / m_k[:, None]              # (K, d)
    centred = X - means[y]                        # (m, d): x - mu_{y}
    covariance = centred.T @ centred / len(y)     # (d, d)
    _cholesky(covariance, "the pooled covariance of X")
    return m_k / len(y), means, covariance


def gaussian_softmax_parameters(priors, means, covariance) -> tuple[np.ndarray, np.ndarray]:
    r"""The softmax weights and biases whose posteriors equal those of Gaussian classes with a shared covariance.

    Parameters
    ----------
    priors : array_like, ``(K,)``
        Class probabilities :math:`\pi_k > 0`, summing to 1.
    means : array_like, ``(K, d)``
        Row :math:`k` is the class mean :math:`\mu_k`.
    covariance : array_like, ``(d, d)``
        The shared covariance :math:`\Sigma`, symmetric positive definite.

    Returns
    -------
    W : ndarray, ``(d, K)``
        Column :math:`k` is :math:`w_k = \Sigma^{-1}\mu_k`.
    b : ndarray, ``(K,)``
        :math:`b_k = -\frac12 \mu_k^\top \Sigma^{-1} \mu_k + \log \pi_k`.

    So ``softmax(X @ W + b)`` are the posteriors :math:`P(y = k \mid x)` of Bayes' rule.

    Raises
    ------
    ValueError
        If the shapes disagree, ``priors`` is not a distribution with positive entries, or ``covariance``
        is not symmetric positive definite; any NaN or infinity.
    TypeError
        If an argument is not numeric.
    """
    priors = as_float_array(priors, "priors", ndim=1).astype(np.float64, copy=False)
    means = as_float_array(means, "means", ndim=2).astype(np.float64, copy=False)
    covariance = as_float_array(covariance, "covariance", ndim=2).astype(np.float64, copy=False)
    K, d = means.shape
    check_shape(priors, "priors", (K,))
    check_shape(covariance, "covariance", (d, d))
    if priors.min() <= 0 or abs(priors.sum() - 1) > 1e-9:
        raise ValueError(f"priors must be positive and sum to 1 (a distribution over the {K} classes); got "
                         f"minimum {priors.min():.3g} and sum {priors.sum():.12g}.")
    from scipy.linalg import cho_solve

    W = cho_solve(_cholesky(covariance, "covariance"), means.T)   # (d, K): Sigma^{-1} mu_k in column k
    b = -0.5 * np.sum(means.T * W, axis=0) + np.log(priors)       # (K,)
    return W, b
