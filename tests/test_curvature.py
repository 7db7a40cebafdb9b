"""The Hessian of the softmax regression cost and the bound on its largest eigenvalue.

References: torch.autograd.functional.hessian of a cost written in torch (float64), central
finite differences of lecture_lib's own gradient, and numpy.linalg eigenvalues of the Hessian.
Catches: a missing 1/m, the pp^T term dropped or with the wrong sign, the bias block missing or
penalised, the Kronecker factors swapped (W column by column instead of row by row), the 1/2
of the bound dropped (it would still hold) or replaced by 1/4 (it would fail), the bias column
left out of the bound.
"""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from lecture_lib import (
    lipschitz_bound,
    softmax_regression_cost_and_gradient,
    softmax_regression_hessian,
)

EPS = np.finfo(np.float64).eps


def problem(seed, m=17, d=4, K=3, scale=1.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, d))
    y = rng.integers(0, K, size=m)
    return X, y, scale * rng.standard_normal((d, K)), scale * rng.standard_normal(K)


def torch_hessian(X, y, W, b, l2):
    """Hessian of the mean cross-entropy + (l2/2)||W||^2 by torch's autograd, in [W.ravel(), b] order."""
    d, K = W.shape
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)

    def cost(theta):
        W_, b_ = theta[: d * K].reshape(d, K), theta[d * K:]
        Z = X_t @ W_ + b_
        return torch.nn.functional.cross_entropy(Z, y_t) + 0.5 * l2 * (W_ * W_).sum()

    theta = torch.from_numpy(np.concatenate([W.ravel(), b]))
    return torch.autograd.functional.hessian(cost, theta).numpy()


@pytest.mark.parametrize("l2", [0.0, 0.3])
@pytest.mark.parametrize("seed, shape", [(0, (17, 4, 3)), (1, (40, 2, 5)), (2, (5, 7, 2))])
def test_hessian_matches_torch_autograd(seed, shape, l2):
    m, d, K = shape
    X, y, W, b = problem(seed, m, d, K)
    H = softmax_regression_hessian(X, W, b, l2=l2)
    H_torch = torch_hessian(X, y, W, b, l2)
    assert H.shape == (d * K + K,) * 2
    # Normwise: each entry is a mean of m products; two summation orders differ by a few eps * scale.
    assert np.abs(H - H_torch).max() <= 8 * m * EPS * np.abs(H_torch).max()


@pytest.mark.parametrize("l2", [0.0, 0.7])
@pytest.mark.parametrize("seed", [3, 4])
def test_hessian_matches_finite_differences_of_the_gradient(seed, l2):
    X, y, W, b = problem(seed)
    d, K = W.shape
    theta = np.concatenate([W.ravel(), b])

    def gradient(theta):
        _, dW, db = softmax_regression_cost_and_gradient(X, y, theta[: d * K].reshape(d, K), theta[d * K:], l2)
        return np.concatenate([dW.ravel(), db])

    h = 1e-5
    columns = [(gradient(theta + h * e) - gradient(theta - h * e)) / (2 * h) for e in np.eye(theta.size)]
    H_numerical = np.stack(columns, axis=1)
    H = softmax_regression_hessian(X, W, b, l2=l2)
    assert np.abs(H - H_numerical).max() <= 1e-8 * np.abs(H).max()  # O(h^2) truncation + rounding/h


def test_hessian_is_exactly_symmetric_and_independent_of_the_dtype_path():
    X, _, W, b = problem(5)
    H = softmax_regression_hessian(X, W, b)
    assert np.array_equal(H, H.T)
    H32 = softmax_regression_hessian(X.astype(np.float32), W, b)
    assert H32.dtype == np.float32
    assert np.abs(H32 - H).max() <= 64 * np.finfo(np.float32).eps * np.abs(H).max()


def rounding_scale(X):
    """mean_i ||x~_i||^2: no entry of a term x~ x~^T (x) diag(p) of the Hessian is larger, so rounding
    errors of the (cancelling) sums are a few eps times this, whatever the Hessian's own size."""
    return float(np.mean(np.sum(X * X, axis=1))) + 1.0


@given(seed=st.integers(0, 2**32 - 1), K=st.integers(2, 5), d=st.integers(1, 5), scale=st.sampled_from([0.1, 1.0, 5.0]))
def test_shift_directions_are_the_null_space_and_the_rest_is_positive(seed, K, d, scale):
    """PSD; v 1^T (W) and c 1 (b) are null directions; with L2 only the bias shift stays null."""
    m = 3 * (d + 1)
    X, _, W, b = problem(seed, m, d, K, scale)
    H = softmax_regression_hessian(X, W, b)
    n = H.shape[0]
    tol = n * EPS * rounding_scale(X)
    assert np.linalg.eigvalsh(H).min() >= -tol
    rng = np.random.default_rng(seed)
    v, c = rng.standard_normal(d), rng.standard_normal()
    shift = np.concatenate([np.outer(v, np.ones(K)).ravel(), c * np.ones(K)])
    assert np.abs(H @ shift).max() <= tol * np.abs(shift).max()
    H_l2 = softmax_regression_hessian(X, W, b, l2=0.5)
    bias_shift = np.concatenate([np.zeros(d * K), np.ones(K)])
    assert np.abs(H_l2 @ bias_shift).max() <= tol
    # with L2 the W part of the shift is pushed back by exactly l2 times itself
    expected = 0.5 * np.concatenate([shift[: d * K], np.zeros(K)])
    assert np.abs(H_l2 @ shift - expected).max() <= tol * np.abs(shift).max()
    # and nothing else is null: exactly one eigenvalue at rounding level
    # (Gaussian X~ with m = 3 (d + 1) rows has full column rank)
    assert (np.linalg.eigvalsh(H_l2) <= tol).sum() == 1


@pytest.mark.parametrize("l2", [0.0, 0.25])
@pytest.mark.parametrize("seed", range(4))
def test_lipschitz_bound_holds_at_every_point_and_uses_the_bias_column(seed, l2):
    rng = np.random.default_rng(seed)
    m, d, K = 30, 3, 2
    X = rng.standard_normal((m, d)) + 2.0  # off-centre: the bias column matters
    L = lipschitz_bound(X, l2=l2)
    X_tilde = np.hstack([X, np.ones((m, 1))])
    assert L == pytest.approx(0.5 * np.linalg.norm(X_tilde, 2) ** 2 / m + l2, rel=1e-12)
    for scale in (0.0, 0.3, 3.0, 30.0):
        W, b = scale * rng.standard_normal((d, K)), scale * rng.standard_normal(K)
        top = np.linalg.eigvalsh(softmax_regression_hessian(X, W, b, l2=l2))[-1]
        assert top <= L * (1 + 1e-12)


def test_lipschitz_bound_is_sharp_for_two_balanced_classes():
    # K = 2 with p = (1/2, 1/2) everywhere (W = 0, b = 0): the largest eigenvalue is the bound itself.
    X, _, _, _ = problem(6, m=25, d=3, K=2)
    top = np.linalg.eigvalsh(softmax_regression_hessian(X, np.zeros((3, 2)), np.zeros(2)))[-1]
    assert top == pytest.approx(lipschitz_bound(X), rel=1e-12)


def test_lipschitz_bound_of_standardised_data_is_smaller():
    rng = np.random.default_rng(7)
    X = 10 + 4 * rng.standard_normal((50, 3))
    Xs = (X - X.mean(axis=0)) / X.std(axis=0)
    assert lipschitz_bound(Xs) == pytest.approx(0.5 * max(1.0, np.linalg.eigvalsh(np.corrcoef(X.T))[-1]), rel=1e-10)
    assert lipschitz_bound(Xs) < lipschitz_bound(X) / 100


# --------------------------------------------------------------------------- bad input
X_GOOD, _, W_GOOD, B_GOOD = problem(8)


@pytest.mark.parametrize("args, message", [
    ((X_GOOD[:, 0], W_GOOD, B_GOOD), r"X must be a 2-D array; got 1-D"),
    ((X_GOOD, W_GOOD[:3], B_GOOD), r"W must have shape \(d, K\) with d = 4 features of X; got \(3, 3\)"),
    ((X_GOOD, W_GOOD, B_GOOD[:2]), r"b must have shape \(3,\); got \(2,\)"),
    ((X_GOOD, W_GOOD[:, 0], B_GOOD), r"W must be a 2-D array; got 1-D"),
    ((np.where(X_GOOD > 1, np.nan, X_GOOD), W_GOOD, B_GOOD), r"X contains NaN or infinity"),
    ((X_GOOD, np.full((4, 3), 1e308), B_GOOD), r"softmax_regression_hessian: the cost or gradient overflows"),
])
def test_hessian_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        softmax_regression_hessian(*args)


def test_hessian_and_bound_reject_a_negative_or_non_numeric_l2():
    with pytest.raises(ValueError, match=r"l2 must be a finite non-negative number \(l2 >= 0\); got -1"):
        softmax_regression_hessian(X_GOOD, W_GOOD, B_GOOD, l2=-1)
    with pytest.raises(ValueError, match=r"l2 must be a finite non-negative number"):
        lipschitz_bound(X_GOOD, l2=-0.5)
    with pytest.raises(TypeError, match=r"l2 must be a non-negative number; got 'a'"):
        lipschitz_bound(X_GOOD, l2="a")


def test_lipschitz_bound_bad_X():
    with pytest.raises(ValueError, match=r"X must be a 2-D array; got 1-D"):
        lipschitz_bound(X_GOOD[:, 0])
    with pytest.raises(ValueError, match=r"X contains NaN or infinity"):
        lipschitz_bound(np.full((3, 2), np.inf))
    with pytest.raises(ValueError, match=r"lipschitz_bound: X\^T X overflows float64"):
        lipschitz_bound(np.full((3, 2), 1e300))


# --------------------------------------------------------------------------- the Newton step
def finite_difference_hessian(X, y, W, b, l2, h=1e-5):
    """Central differences of lecture_lib's gradient, column by column, in [W.ravel(), b] order."""
    d, K = W.shape
    theta = np.concatenate([W.ravel(), b])

    def gradient(t):
        _, dW, db = softmax_regression_cost_and_gradient(X, y, t[: d * K].reshape(d, K), t[d * K:], l2)
        return np.concatenate([dW.ravel(), db])

    H = np.empty((theta.size, theta.size))
    for q in range(theta.size):
        e = np.zeros_like(theta)
        e[q] = h
        H[:, q] = (gradient(theta + e) - gradient(theta - e)) / (2 * h)
    return 0.5 * (H + H.T)


@pytest.mark.parametrize("l2", [0.0, 0.3])
@pytest.mark.parametrize("seed", [0, 1])
def test_newton_step_is_the_least_norm_solution_of_the_finite_difference_system(seed, l2):
    from lecture_lib import softmax_regression_newton_step

    X, y, W, b = problem(seed, scale=0.3)
    d, K = W.shape
    H = finite_difference_hessian(X, y, W, b, l2)
    _, dW, db = softmax_regression_cost_and_gradient(X, y, W, b, l2)
    g = np.concatenate([dW.ravel(), db])
    # numpy.linalg: the minimum-norm least-squares solution of H step = -g (H is singular: the
    # constant added to every bias, and for l2 = 0 a vector added to every column of W)
    step = np.linalg.lstsq(H, -g, rcond=1e-8)[0]
    W_new, b_new = softmax_regression_newton_step(X, y, W, b, l2)
    np.testing.assert_allclose(W_new - W, step[: d * K].reshape(d, K), atol=1e-6)
    np.testing.assert_allclose(b_new - b, step[d * K:], atol=1e-6)
    assert abs(np.sum(b_new - b)) < 1e-10  # no move along the bias direction that changes nothing
    if l2 == 0:
        np.testing.assert_allclose((W_new - W).sum(axis=1), 0, atol=1e-10)


def test_newton_steps_reach_the_lbfgs_minimum_in_a_few_steps():
    from lecture_lib import SoftmaxRegression, softmax_regression_cost, softmax_regression_newton_step

    rng = np.random.default_rng(3)
    m, d, K = 300, 5, 4
    X = rng.standard_normal((m, d))
    y = (X @ rng.standard_normal((d, K)) + rng.gumbel(size=(m, K))).argmax(axis=1)
    l2 = 1e-2
    reference = SoftmaxRegression(l2=l2, solver="lbfgs", tol=1e-12, max_iter=10000).fit(X, y)
    J_star = softmax_regression_cost(X, y, reference.W_, reference.b_, l2)
    W, b = np.zeros((d, K)), np.zeros(K)
    gaps = []
    for _ in range(8):
        W, b = softmax_regression_newton_step(X, y, W, b, l2)
        gaps.append(softmax_regression_cost(X, y, W, b, l2) - J_star)
    assert gaps[-1] < 1e-12
    assert max(gaps[4:]) < 1e-9  # quadratic convergence: five steps are enough here
    np.testing.assert_allclose(W, reference.W_, atol=1e-5)
    np.testing.assert_allclose(b - b.mean(), reference.b_ - reference.b_.mean(), atol=1e-5)


def test_newton_step_from_the_minimum_stays_there():
    from lecture_lib import SoftmaxRegression, softmax_regression_newton_step

    X, y, _, _ = problem(4, m=60)
    fit = SoftmaxRegression(l2=0.1, tol=1e-12, max_iter=10000).fit(X, y)
    W, b = softmax_regression_newton_step(X, y, fit.W_, fit.b_, 0.1)
    np.testing.assert_allclose(W, fit.W_, atol=1e-7)
    np.testing.assert_allclose(b, fit.b_, atol=1e-7)
