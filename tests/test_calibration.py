"""fit_temperature against scipy.optimize.minimize_scalar and a dense grid, and its first-order condition.

Catches: Z multiplied by T instead of divided, the cost minimised over the wrong quantity (e.g.
the accuracy, which T does not change), a Newton step that leaves its bracket, a T returned where
no minimiser exists (separable or anti-correlated logits) instead of an error.
"""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from lecture_lib import cross_entropy, fit_temperature, softmax


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
