"""The reference-class (K - 1 weight vectors) parameterisation and its equivalence with softmax regression.

References: the definition (log-odds against the reference class), and a direct maximum-likelihood
fit of the K - 1 parameters with scipy.optimize (what statsmodels' MNLogit maximises; statsmodels is
not a requirement of the course), compared with SoftmaxRegression's fit through the probabilities.
Catches: the reference column subtracted from the wrong side, the bias left out, the zero column
inserted at the wrong position, the reference class's own column kept.
"""

import numpy as np
import pytest
from scipy.optimize import minimize

from lecture_lib import SoftmaxRegression, from_reference_class, softmax, to_reference_class


def model(seed, d=3, K=4):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((d, K)), rng.standard_normal(K), rng.standard_normal((20, d))


@pytest.mark.parametrize("reference", [0, 2, 3])
@pytest.mark.parametrize("seed", range(3))
def test_same_probabilities_and_log_odds(seed, reference):
    W, b, X = model(seed)
    V, c = to_reference_class(W, b, reference)
    assert V.shape == (3, 3) and c.shape == (3,)
    P = softmax(X @ W + b)
    others = [k for k in range(4) if k != reference]
    np.testing.assert_allclose(np.log(P[:, others] / P[:, [reference]]), X @ V + c, rtol=1e-12, atol=1e-12)
    W2, b2 = from_reference_class(V, c, reference)
    np.testing.assert_array_equal(W2[:, reference], 0.0)
    assert b2[reference] == 0.0
    np.testing.assert_allclose(softmax(X @ W2 + b2), P, rtol=1e-12, atol=1e-15)
    V2, c2 = to_reference_class(W2, b2, reference)  # a round trip from the reference form is exact
    np.testing.assert_allclose(V2, V, rtol=0, atol=1e-15)
    np.testing.assert_allclose(c2, c, rtol=0, atol=1e-15)


def test_two_classes_give_logistic_regression():
    W, b, X = model(5, K=2)
    V, c = to_reference_class(W, b, 0)
    P = softmax(X @ W + b)
    np.testing.assert_allclose(P[:, 1], 1 / (1 + np.exp(-(X @ V[:, 0] + c[0]))), rtol=1e-12)


def test_a_direct_fit_of_k_minus_1_vectors_is_the_softmax_fit():
    """Maximise the likelihood over (V, c) with the reference fixed at 0 (MNLogit's model)."""
    rng = np.random.default_rng(11)
    m, d, K = 200, 2, 3
    X = rng.standard_normal((m, d))
    y = (X @ rng.standard_normal((d, K)) + rng.gumbel(size=(m, K))).argmax(axis=1)  # not separable
    full = SoftmaxRegression(solver="lbfgs", tol=1e-12, max_iter=10000).fit(X, y)

    def negative_log_likelihood(theta):
        W, b = from_reference_class(theta[: d * (K - 1)].reshape(d, K - 1), theta[d * (K - 1):])
        Z = X @ W + b
        return float(np.mean(np.log(np.exp(Z).sum(axis=1)) - Z[np.arange(m), y]))

    fit = minimize(negative_log_likelihood, np.zeros((d + 1) * (K - 1)), method="BFGS", options={"gtol": 1e-10})
    V, c = to_reference_class(full.W_, full.b_, 0)
    np.testing.assert_allclose(fit.x, np.concatenate([V.ravel(), c]), atol=1e-4)
    W, b = from_reference_class(fit.x[: d * (K - 1)].reshape(d, K - 1), fit.x[d * (K - 1):])
    np.testing.assert_allclose(softmax(X @ W + b), full.predict_proba(X), atol=1e-5)
