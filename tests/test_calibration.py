"""fit_temperature against scipy.optimize.minimize_scalar and a dense grid, and its first-order condition.

Catches: Z multiplied by T instead of divided, the cost minimised over the wrong quantity (e.g.
the accuracy, which T does not change), a Newton step that leaves its bracket, a T returned where
no minimiser exists (separable or anti-correlated logits) instead of an error.
"""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from lecture_lib import cross_entropy, fit_temperature, prior_shift_bias, softmax


def validation_logits(seed, m=300, K=4, sharpness=3.0, noise=0.4):
    """Logits of an over-confident model: right 1 - noise of the time, with large margins."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, K, size=m)
    Z = sharpness * rng.standard_normal((m, K))
    guess = np.where(rng.random(m) < 1 - noise, y, rng.integers(0, K, size=m))
    Z[np.arange(m), guess] += 2 * sharpness
    return Z, y


def cost(Z, y, T):
    return cross_entropy(y, Z / T)


@pytest.mark.parametrize("seed", range(5))
def test_temperature_matches_scipy_and_a_dense_grid(seed):
    Z, y = validation_logits(seed)
    T = fit_temperature(Z, y)
    result = minimize_scalar(lambda u: cost(Z, y, np.exp(u)), bounds=(-5, 5), method="bounded",
                             options={"xatol": 1e-10})
    assert T == pytest.approx(np.exp(result.x), rel=1e-6)
    grid = np.exp(np.linspace(-3, 3, 20001))  # steps of 0.03 % in T
    costs = np.array([cost(Z, y, t) for t in grid])
    assert cost(Z, y, T) <= costs.min() + 1e-12
    assert abs(np.log(T) - np.log(grid[costs.argmin()])) <= 3e-4


@pytest.mark.parametrize("seed", range(3))
def test_derivative_is_zero_at_the_temperature(seed):
    Z, y = validation_logits(seed)
    T = fit_temperature(Z, y)
    h = 1e-5 * T
    slope = (cost(Z, y, T + h) - cost(Z, y, T - h)) / (2 * h)
    assert abs(slope) < 1e-7
    # The first-order condition in closed form: the mean logit expected by the model equals the true classes'.
    P = softmax(Z / T)
    assert np.mean((P * Z).sum(axis=1)) == pytest.approx(np.mean(Z[np.arange(len(y)), y]), rel=1e-9)


def test_over_and_under_confident_models():
    Z, y = validation_logits(0, noise=0.5)  # far more confident than right: T > 1 softens it
    assert fit_temperature(Z, y) > 1
    Z, y = validation_logits(0, sharpness=0.3, noise=0.1)  # timid logits: T < 1 sharpens them
    assert fit_temperature(Z, y) < 1


def test_temperature_is_scale_equivariant():
    Z, y = validation_logits(4)
    assert fit_temperature(10 * Z, y) == pytest.approx(10 * fit_temperature(Z, y), rel=1e-8)


def test_no_minimiser_is_an_error():
    Z = np.array([[2.0, 0.0], [0.0, 3.0], [1.0, -1.0]])
    with pytest.raises(ValueError, match=r"keeps falling as T -> 0"):
        fit_temperature(Z, [0, 1, 0])  # every true class on top: T -> 0 is always better
    with pytest.raises(ValueError, match=r"not above their rows' means.*no finite T > 0"):
        fit_temperature(Z, [1, 0, 1])  # every true class at the bottom: T -> infinity


# --------------------------------------------------------------------------- prior shift
@pytest.mark.parametrize("seed", range(3))
def test_prior_shift_is_bayes_rule_on_the_probabilities(seed):
    """softmax(z + shift) equals a_k pi'_k / pi_k renormalised (Bayes' rule, written independently)."""
    rng = np.random.default_rng(seed)
    K = 5
    Z = 3 * rng.standard_normal((40, K))
    b = rng.standard_normal(K)
    pi, pi_new = rng.dirichlet(np.ones(K)), rng.dirichlet(np.ones(K))
    b_new = prior_shift_bias(b, pi, pi_new)
    unnormalised = softmax(Z + b) * pi_new / pi
    bayes = unnormalised / unnormalised.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(softmax(Z + b_new), bayes, rtol=1e-12, atol=1e-15)
    assert b_new.shape == (K,) and b_new.dtype == np.float64
    np.testing.assert_allclose(prior_shift_bias(Z, pi, pi_new), Z + (b_new - b), rtol=1e-13)  # logits too


def test_prior_shift_is_the_identity_for_unchanged_priors_and_can_be_undone():
    pi = np.array([0.7, 0.2, 0.1])
    b = np.array([1.0, -0.5, 0.25])
    np.testing.assert_array_equal(prior_shift_bias(b, pi, pi), b)
    uniform = np.full(3, 1 / 3)
    there = prior_shift_bias(b, pi, uniform)
    np.testing.assert_allclose(prior_shift_bias(there, uniform, pi), b, rtol=0, atol=1e-15)
    # towards uniform priors a frequent class loses log(0.7 / (1/3)) of bias, a rare one gains
    np.testing.assert_allclose(there - b, np.log(uniform / pi), rtol=1e-15)


def test_prior_shift_matches_a_model_trained_on_the_new_priors():
    """Two Gaussian classes: the logistic fit on a 9:1 sample, shifted to 1:1, is the fit on a 1:1 sample."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(4)
    def sample(n0, n1):
        X = np.concatenate([rng.normal(-1.0, 1.0, (n0, 1)), rng.normal(1.0, 1.0, (n1, 1))])
        return X, np.repeat([0, 1], [n0, n1])
    X9, y9 = sample(90000, 10000)
    X1, y1 = sample(50000, 50000)
    fit9 = LogisticRegression(C=1e6).fit(X9, y9)
    fit1 = LogisticRegression(C=1e6).fit(X1, y1)
    b9 = np.array([0.0, fit9.intercept_[0]])  # two-class logits (0, w x + b)
    b_shifted = prior_shift_bias(b9, [0.9, 0.1], [0.5, 0.5])
    assert abs((b_shifted[1] - b_shifted[0]) - fit1.intercept_[0]) < 0.03  # sampling noise ~0.01
    assert abs(fit9.coef_[0, 0] - fit1.coef_[0, 0]) < 0.05  # the weights do not change
