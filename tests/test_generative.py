"""lecture_lib.generative: shared-covariance Gaussian classes as a softmax model, against independent references.

References: scikit-learn's ``LinearDiscriminantAnalysis`` (its estimates and ``predict_proba``) and Bayes' rule
evaluated directly with ``scipy.stats.multivariate_normal`` densities (no linear algebra shared with the code).
"""

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from lecture_lib import fit_shared_gaussians, gaussian_softmax_parameters, softmax


def _data(seed=0, m_k=(40, 25, 35), d=3):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    covariance = A @ A.T + d * np.eye(d)
    means = rng.normal(scale=2.0, size=(len(m_k), d))
    X = np.vstack([rng.multivariate_normal(means[k], covariance, size=n) for k, n in enumerate(m_k)])
    y = np.repeat(np.arange(len(m_k)), m_k)
    return X, y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_estimates_match_scikit_learn(seed):
    X, y = _data(seed)
    priors, means, covariance = fit_shared_gaussians(X, y)
    lda = LinearDiscriminantAnalysis(solver="lsqr", store_covariance=True).fit(X, y)
    np.testing.assert_allclose(priors, lda.priors_, rtol=1e-14)
    np.testing.assert_allclose(means, lda.means_, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(covariance, lda.covariance_, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_posteriors_match_scikit_learn_and_bayes_rule(seed):
    X, y = _data(seed)
    priors, means, covariance = fit_shared_gaussians(X, y)
    W, b = gaussian_softmax_parameters(priors, means, covariance)
    assert W.shape == (3, 3) and b.shape == (3,)
    P = softmax(X @ W + b)
    lda = LinearDiscriminantAnalysis(solver="lsqr").fit(X, y)
    np.testing.assert_allclose(P, lda.predict_proba(X), rtol=0, atol=1e-10)  # different BLAS paths: a tolerance
    joint = np.column_stack([pi * multivariate_normal(mu, covariance).pdf(X) for pi, mu in zip(priors, means)])
    np.testing.assert_allclose(P, joint / joint.sum(axis=1, keepdims=True), rtol=0, atol=1e-10)


def test_formula_on_a_hand_example():
    # Sigma = 2 I, mu_0 = (1, 0), mu_1 = (0, 2), priors (1/4, 3/4): w_k = mu_k / 2, b_k = -|mu_k|^2 / 4 + log pi_k.
    W, b = gaussian_softmax_parameters([0.25, 0.75], [[1.0, 0.0], [0.0, 2.0]], 2 * np.eye(2))
    np.testing.assert_allclose(W, [[0.5, 0.0], [0.0, 1.0]], rtol=1e-15)
    np.testing.assert_allclose(b, [-0.25 + np.log(0.25), -1.0 + np.log(0.75)], rtol=1e-15)


def test_K_larger_than_the_labels_and_int_features():
    X = np.array([[0, 1], [1, 0], [2, 2], [2, 3]])
    with pytest.raises(ValueError, match=r"y has no sample of class 2; every class 0..2 needs"):
        fit_shared_gaussians(X, [0, 0, 1, 1], K=3)
    priors, means, covariance = fit_shared_gaussians(X, [0, 0, 1, 1])
    np.testing.assert_allclose(means, [[0.5, 0.5], [2.0, 2.5]], rtol=1e-15)
    np.testing.assert_allclose(priors, [0.5, 0.5])


# --------------------------------------------------------------------------- bad input
X_GOOD, Y_GOOD = _data(0, m_k=(5, 5), d=2)


def test_bad_X_and_y():
    with pytest.raises(ValueError, match=r"X must be a 2-D array; got 1-D"):
        fit_shared_gaussians(X_GOOD[:, 0], Y_GOOD)
    bad = X_GOOD.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"X contains NaN or infinity"):
        fit_shared_gaussians(bad, Y_GOOD)
    with pytest.raises(TypeError, match=r"X must hold real numbers"):
        fit_shared_gaussians(np.full((10, 2), "a"), Y_GOOD)
    with pytest.raises(ValueError, match=r"X has 10 rows but y has 9; the lengths must match"):
        fit_shared_gaussians(X_GOOD, Y_GOOD[:9])
    with pytest.raises(ValueError, match=r"y must hold class indices 0..K-1; found -1"):
        fit_shared_gaussians(X_GOOD, Y_GOOD - 1)
    with pytest.raises(TypeError, match=r"y must hold integer class indices"):
        fit_shared_gaussians(X_GOOD, Y_GOOD + 0.5)
    with pytest.raises(ValueError, match=r"y must hold class indices 0..1 \(K=2\); found 2"):
        fit_shared_gaussians(X_GOOD, np.minimum(np.arange(10), 2), K=2)
    with pytest.raises(ValueError, match=r"y holds only class 0; a classifier needs at least two classes"):
        fit_shared_gaussians(X_GOOD, np.zeros(10, dtype=int))
    for K in (1, 2.0, True, "3"):
        with pytest.raises(ValueError, match=r"K must be an integer number of classes >= 2"):
            fit_shared_gaussians(X_GOOD, Y_GOOD, K=K)


def test_singular_pooled_covariance():
    X = np.column_stack([X_GOOD[:, 0], 2 * X_GOOD[:, 0]])  # the second feature is a multiple of the first
    with pytest.raises(ValueError, match=r"the pooled covariance of X .*(positive definite|numerically singular)"):
        fit_shared_gaussians(X, Y_GOOD)
    with pytest.raises(ValueError, match=r"the pooled covariance of X must be positive definite"):
        fit_shared_gaussians(X_GOOD[:2], [0, 1])  # one sample per class: no variance within the classes


def test_bad_parameters():
    priors, means, covariance = fit_shared_gaussians(X_GOOD, Y_GOOD)
    with pytest.raises(ValueError, match=r"priors must have shape \(2,\); got \(3,\)"):
        gaussian_softmax_parameters([0.2, 0.3, 0.5], means, covariance)
    with pytest.raises(ValueError, match=r"priors must be positive and sum to 1"):
        gaussian_softmax_parameters([0.5, 0.6], means, covariance)
    with pytest.raises(ValueError, match=r"priors must be positive and sum to 1"):
        gaussian_softmax_parameters([0.0, 1.0], means, covariance)
    with pytest.raises(ValueError, match=r"means must be a 2-D array"):
        gaussian_softmax_parameters(priors, means[0], covariance)
    with pytest.raises(ValueError, match=r"covariance must have shape \(2, 2\); got \(3, 3\)"):
        gaussian_softmax_parameters(priors, means, np.eye(3))
    with pytest.raises(ValueError, match=r"covariance must be symmetric"):
        gaussian_softmax_parameters(priors, means, [[1.0, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"covariance must be positive definite"):
        gaussian_softmax_parameters(priors, means, [[1.0, 0.0], [0.0, -1.0]])
    with pytest.raises(ValueError, match=r"covariance contains NaN or infinity"):
        gaussian_softmax_parameters(priors, means, [[1.0, np.inf], [np.inf, 1.0]])
    with pytest.raises(TypeError, match=r"means must hold real numbers"):
        gaussian_softmax_parameters(priors, [["a", "b"], ["c", "d"]], covariance)
