"""Analytic gradients of the three costs against central finite differences.

Catches: a missing 1/m (or 2/m for the squared error), the l2 term on the bias, X @ (P - Y)
with the wrong transpose, a sign error, and a wrong gradient for one-hot targets.
"""

import numpy as np
import pytest
from scipy.special import log_softmax as scipy_log_softmax

from lecture_lib import (
    gradient_check,
    linear_regression_cost_and_gradient,
    logistic_regression_cost_and_gradient,
    numerical_gradient,
    one_hot,
    relative_error,
    softmax_regression_cost,
    softmax_regression_cost_and_gradient,
    softmax_regression_gradient,
)
from lecture_lib.gradients import _linear_cost_grad, _logistic_cost_grad, _softmax_cost_grad

TOL = 1e-6  # relative error of a correct float64 gradient is ~1e-9 here


def problem(seed, m=13, d=4, K=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, d))
    y = rng.integers(0, K, size=m)
    y[:K] = np.arange(K)  # every class present
    return X, y, rng.standard_normal((d, K)), rng.standard_normal(K), rng


def softmax_params_check(X, Y, W, b, l2):
    """Relative errors of dW and db against finite differences of the public cost."""
    _, dW, db = softmax_regression_cost_and_gradient(X, Y, W, b, l2)
    num_W = numerical_gradient(lambda W_: softmax_regression_cost(X, Y, W_, b, l2), W)
    num_b = numerical_gradient(lambda b_: softmax_regression_cost(X, Y, W, b_, l2), b)
    return relative_error(dW, num_W), relative_error(db, num_b)


@pytest.mark.parametrize("l2", [0.0, 0.7])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_softmax_gradient_matches_finite_differences(seed, l2):
    X, y, W, b, _ = problem(seed)
    for targets in (y, one_hot(y, 3)):
        err_W, err_b = softmax_params_check(X, targets, W, b, l2)
        assert err_W < TOL and err_b < TOL


@pytest.mark.parametrize("l2", [0.0, 0.7])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("cost_and_gradient", [logistic_regression_cost_and_gradient,
                                               linear_regression_cost_and_gradient])
def test_vector_model_gradient_matches_finite_differences(cost_and_gradient, seed, l2):
    # logistic regression: labels 0/1; linear regression: real targets
    X, y, _, _, rng = problem(seed, K=2)
    if cost_and_gradient is linear_regression_cost_and_gradient:
        y = rng.standard_normal(X.shape[0])
    w, b = rng.standard_normal(X.shape[1]), float(rng.standard_normal())
    _, dw, db = cost_and_gradient(X, y, w, b, l2)
    num_w = numerical_gradient(lambda w_: cost_and_gradient(X, y, w_, b, l2)[0], w)
    num_b = numerical_gradient(lambda b_: cost_and_gradient(X, y, w, b_[0], l2)[0], np.array([b]))
    assert relative_error(dw, num_w) < TOL
    assert relative_error(np.array([db]), num_b) < TOL


def test_softmax_cost_is_cross_entropy_plus_half_l2():
    # independent reference: scipy's log_softmax and the definition of the penalty
    X, y, W, b, _ = problem(3)
    l2 = 0.4
    logP = scipy_log_softmax(X @ W + b, axis=1)
    expected = -logP[np.arange(len(y)), y].mean() + 0.5 * l2 * np.sum(W**2)
    assert softmax_regression_cost(X, y, W, b, l2) == pytest.approx(expected, rel=1e-13)
    # the bias is not penalised: a huge bias changes nothing in the penalty term
    b_shift = b + 1e3
    assert softmax_regression_cost(X, y, W, b_shift, l2) == pytest.approx(expected, rel=1e-12)


def test_softmax_gradient_closed_form():
    # dW = X^T (P - Y) / m + l2 W, written out with scipy's softmax
    X, y, W, b, _ = problem(4)
    l2 = 0.3
    P = np.exp(scipy_log_softmax(X @ W + b, axis=1))
    G = (P - one_hot(y, 3)) / len(y)
    dW, db = softmax_regression_gradient(X, y, W, b, l2)
    np.testing.assert_allclose(dW, X.T @ G + l2 * W, rtol=1e-12)
    np.testing.assert_allclose(db, G.sum(axis=0), rtol=1e-12)


def test_logistic_and_linear_costs_closed_form():
    X, y, _, _, rng = problem(5, K=2)
    w, b, l2 = rng.standard_normal(X.shape[1]), 0.3, 0.2
    a = 1 / (1 + np.exp(-(X @ w + b)))
    bce = -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)) + 0.5 * l2 * w @ w
    assert logistic_regression_cost_and_gradient(X, y, w, b, l2)[0] == pytest.approx(bce, rel=1e-12)
    t = rng.standard_normal(X.shape[0])
    mse = np.mean((X @ w + b - t) ** 2) + 0.5 * l2 * w @ w
    J, dw, db = linear_regression_cost_and_gradient(X, t, w, b, l2)
    assert J == pytest.approx(mse, rel=1e-12)
    # the factor 2/m of the squared error (no 1/2 in the cost)
    np.testing.assert_allclose(dw, 2 / len(t) * X.T @ (X @ w + b - t) + l2 * w, rtol=1e-12)


def test_private_cores_are_what_the_public_functions_return():
    X, y, W, b, rng = problem(6)
    J, dW, db = _softmax_cost_grad(X, y, W, b, 0.1)
    J2, dW2, db2 = softmax_regression_cost_and_gradient(X, y, W, b, 0.1)
    assert J == J2 and np.array_equal(dW, dW2) and np.array_equal(db, db2)
    assert _softmax_cost_grad(X, y, W, b, 0.1, gradient=False) == J
    w = rng.standard_normal(X.shape[1])
    yb = (y > 0).astype(float)
    assert _logistic_cost_grad(X, yb, w, 0.5, 0.1, gradient=False) == logistic_regression_cost_and_gradient(
        X, yb, w, 0.5, 0.1)[0]
    assert _linear_cost_grad(X, yb, w, 0.5, 0.1, gradient=False) == linear_regression_cost_and_gradient(
        X, yb, w, 0.5, 0.1)[0]


def test_float32_cost_and_gradient_keep_float32():
    X, y, W, b, _ = problem(7)
    J, dW, db = softmax_regression_cost_and_gradient(X.astype(np.float32), y, W.astype(np.float32),
                                                     b.astype(np.float32))
    assert dW.dtype == np.float32 and db.dtype == np.float32
    J64, dW64, _ = softmax_regression_cost_and_gradient(X, y, W, b)
    assert J == pytest.approx(J64, rel=1e-5)
    np.testing.assert_allclose(dW, dW64, rtol=1e-4, atol=1e-6)


def test_cost_finite_for_huge_logits():
    # W scaled so that the logits are ~1e4: the shifted formulation stays finite, no warnings
    X, y, W, b, _ = problem(8)
    with np.errstate(all="raise"):
        J, dW, db = softmax_regression_cost_and_gradient(X, y, 1e4 * W, b)
    assert np.isfinite(J) and np.all(np.isfinite(dW)) and np.all(np.isfinite(db))
    Z = X @ (1e4 * W) + b
    expected = np.mean(np.max(Z, axis=1) + np.log(np.sum(np.exp(Z - Z.max(axis=1, keepdims=True)), axis=1))
                       - Z[np.arange(len(y)), y])
    assert J == pytest.approx(expected, rel=1e-12)


# --------------------------------------------------------------------------- the checking tools themselves
def test_numerical_gradient_of_known_functions():
    x = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sum(v**3), x), 3 * x**2, rtol=1e-8)
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sin(v).sum(), x), np.cos(x), rtol=1e-8)
    x2 = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(numerical_gradient(lambda M: float(np.sum(M * M)), x2), 2 * x2, atol=1e-8)
    x_before = x.copy()
    numerical_gradient(lambda v: float(v @ v), x)
    np.testing.assert_array_equal(x, x_before)  # the point is not modified


def test_gradient_check_separates_right_from_wrong():
    X, y, W, b, _ = problem(9)

    def cost(W_):
        return softmax_regression_cost(X, y, W_, b)

    right = softmax_regression_gradient(X, y, W, b)[0]
    assert gradient_check(cost, right, W) < TOL
    assert gradient_check(cost, lambda W_: softmax_regression_gradient(X, y, W_, b)[0], W) < TOL
    assert gradient_check(cost, right * len(y), W) > 0.5  # forgot the 1/m
    assert gradient_check(cost, -right, W) > 0.5  # sign error


def test_relative_error_definition():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([1.0], [-1.0]) == 1.0
    assert relative_error([1.0, 0.0], [1.1, 0.0]) == pytest.approx(0.1 / 2.1)
    assert relative_error([0.0], [0.0]) == 0.0


# --------------------------------------------------------------------------- a checker that cannot be fooled (issue 9, 1.8)
@pytest.mark.parametrize("scale", [1e-13, 1e-200, 1.0, 1e200, 1e308])
def test_relative_error_is_scale_free_and_one_for_opposite_signs(scale):
    a = np.array([1.0, -0.5, 0.25]) * scale
    assert relative_error(a, -a) == 1.0
    assert relative_error(a, a) == 0.0
    assert relative_error(a, a * (1 + 1e-6)) == pytest.approx(1e-6 / (2 + 1e-6), rel=1e-6)


def test_gradient_check_fails_a_sign_flipped_gradient_of_a_tiny_function():
    x = np.array([0.3, -1.2, 2.0])

    def f(v):
        return 1e-14 * float(np.sum(v**2))

    right = 2e-14 * x
    assert gradient_check(f, right, x) < 1e-6
    assert gradient_check(f, -right, x) > 0.99


def test_numerical_gradient_refuses_a_step_below_the_float_spacing():
    x = np.array([1e10, 1.0])
    with pytest.raises(ValueError, match=r"eps=1e-07 is below the float spacing at x\[0\] = 10000000000.0 "
                                         r"\(spacing 1.91e-06\): x \+- eps rounds to x"):
        numerical_gradient(lambda v: float(np.sum(v**2)), x, eps=1e-7)
    with pytest.raises(ValueError, match=r"at x\[1, 0\] = 1e\+17"):
        numerical_gradient(np.sum, np.array([[1.0], [1e17]]))


def test_numerical_gradient_divides_by_the_step_actually_taken():
    # x + eps and x - eps are rounded at x = 1e9 (spacing 1.2e-7): 2 * eps is not the step taken.
    x = np.array([1e9 + 0.1])
    assert numerical_gradient(lambda v: float(v[0]), x, eps=3e-7)[0] == 1.0  # f itself evaluated exactly
