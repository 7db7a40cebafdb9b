"""Class weights and label smoothing in the cross-entropy, its cost and its gradient.

References: torch.nn.functional.cross_entropy(weight=, label_smoothing=) and torch's autograd
(float64), central finite differences, and the identities with sample weights and soft targets.
Catches: the weighted mean divided by m instead of the sum of the true classes' weights (PyTorch
divides by the weights), the class weight applied per sample (w[y]) to the smoothed part instead
of per class, smoothing spread over K - 1 classes instead of K, a gradient missing the weights.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lecture_lib import (
    cross_entropy,
    numerical_gradient,
    smooth_labels,
    softmax_regression_cost,
    softmax_regression_cost_and_gradient,
)

CASES = [(None, 0.0), ([1.0, 3.0, 0.5, 2.0], 0.0), (None, 0.1), ([1.0, 3.0, 0.5, 2.0], 0.2), ([0, 1, 0, 5], 0.3)]


def problem(seed, m=25, d=3, K=4):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((m, d)), rng.integers(0, K, size=m), rng.standard_normal((d, K)),
            rng.standard_normal(K))


@pytest.mark.parametrize("class_weight, epsilon", CASES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_is_pytorchs(class_weight, epsilon, reduction):
    X, y, W, b = problem(0)
    Z = X @ W + b
    weight = None if class_weight is None else torch.tensor(class_weight, dtype=torch.float64)
    expected = F.cross_entropy(torch.from_numpy(Z), torch.from_numpy(y), weight=weight, label_smoothing=epsilon,
                               reduction=reduction).numpy()
    got = cross_entropy(y, Z, reduction, class_weight=class_weight, label_smoothing=epsilon)
    np.testing.assert_allclose(got, expected, rtol=1e-13)


@pytest.mark.parametrize("class_weight, epsilon", CASES)
@pytest.mark.parametrize("l2", [0.0, 0.4])
def test_cost_and_gradient_are_pytorchs_autograd(class_weight, epsilon, l2):
    X, y, W, b = problem(1)
    W_t = torch.tensor(W, requires_grad=True)
    b_t = torch.tensor(b, requires_grad=True)
    weight = None if class_weight is None else torch.tensor(class_weight, dtype=torch.float64)
    J_t = F.cross_entropy(torch.from_numpy(X) @ W_t + b_t, torch.from_numpy(y), weight=weight,
                          label_smoothing=epsilon) + 0.5 * l2 * (W_t**2).sum()
    J_t.backward()
    J, dW, db = softmax_regression_cost_and_gradient(X, y, W, b, l2, class_weight=class_weight,
                                                     label_smoothing=epsilon)
    assert J == pytest.approx(J_t.item(), rel=1e-13)
    np.testing.assert_allclose(dW, W_t.grad.numpy(), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(db, b_t.grad.numpy(), rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("class_weight, epsilon", CASES[1:])
def test_gradient_matches_finite_differences_with_sample_weights(class_weight, epsilon):
    X, y, W, b = problem(2)
    s = np.random.default_rng(2).uniform(0.2, 3.0, size=len(y))
    kwargs = dict(sample_weight=s, class_weight=class_weight, label_smoothing=epsilon)
    _, dW, db = softmax_regression_cost_and_gradient(X, y, W, b, 0.1, **kwargs)
    num_W = numerical_gradient(lambda V: softmax_regression_cost(X, y, V, b, 0.1, **kwargs), W)
    num_b = numerical_gradient(lambda c: softmax_regression_cost(X, y, W, c, 0.1, **kwargs), b)
    np.testing.assert_allclose(dW, num_W, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(db, num_b, rtol=1e-7, atol=1e-9)


def test_identities_with_sample_weights_and_soft_targets():
    X, y, W, b = problem(3)
    w = np.array([1.0, 3.0, 0.5, 2.0])
    # without smoothing, a class weight is the sample weight w[y] (scikit-learn's class_weight)
    a = softmax_regression_cost_and_gradient(X, y, W, b, class_weight=w)
    c = softmax_regression_cost_and_gradient(X, y, W, b, sample_weight=w[y])
    for u, v in zip(a, c):
        np.testing.assert_allclose(u, v, rtol=1e-13)
    # without class weights, smoothing is training on the soft targets of smooth_labels
    a = softmax_regression_cost_and_gradient(X, y, W, b, label_smoothing=0.2)
    c = softmax_regression_cost_and_gradient(X, smooth_labels(y, 4, 0.2), W, b)
    for u, v in zip(a, c):
        np.testing.assert_allclose(u, v, rtol=1e-13)
    # weights all 1 change nothing
    np.testing.assert_allclose(cross_entropy(y, X @ W + b, class_weight=np.ones(4)), cross_entropy(y, X @ W + b),
                               rtol=1e-14)


def test_weighted_targets_need_class_indices_and_positive_weight():
    X, y, W, b = problem(4)
    with pytest.raises(ValueError, match=r"class_weight and label_smoothing need class indices Y of shape \(m,\)"):
        cross_entropy(np.eye(4)[y], X @ W + b, label_smoothing=0.1)
    with pytest.raises(ValueError, match=r"class_weight and label_smoothing need class indices"):
        softmax_regression_cost(X, np.eye(4)[y], W, b, class_weight=np.ones(4))
    with pytest.raises(ValueError, match=r"class_weight must have shape \(K,\) = \(4,\)"):
        cross_entropy(y, X @ W + b, class_weight=np.ones(3))
    with pytest.raises(ValueError, match=r"class_weight must be non-negative"):
        softmax_regression_cost(X, y, W, b, class_weight=[1, -1, 1, 1])
    with pytest.raises(ValueError, match=r"label_smoothing must be between 0 and 1"):
        softmax_regression_cost(X, y, W, b, label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"class_weight gives every sample a weight of 0"):
        cross_entropy([0, 0], np.zeros((2, 3)), class_weight=[0, 1, 1])
    assert cross_entropy([0, 0], np.zeros((2, 3)), "sum", class_weight=[0, 1, 1]) == 0.0
