"""Cross-entropies and the mean squared error against scikit-learn's metrics and the definitions."""

import warnings

import numpy as np
import pytest
from sklearn.metrics import log_loss
from sklearn.metrics import mean_squared_error as sk_mean_squared_error

from lecture_lib import (
    binary_cross_entropy,
    binary_cross_entropy_from_probs,
    cross_entropy,
    cross_entropy_from_probs,
    mean_squared_error,
    one_hot,
    sigmoid,
    softmax,
)


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    Z = 3 * rng.standard_normal((20, 4))
    y = rng.integers(0, 4, size=20)
    y[:4] = np.arange(4)
    return Z, y


def test_cross_entropy_matches_sklearn_log_loss(batch):
    Z, y = batch
    P = softmax(Z)
    assert cross_entropy(y, Z) == pytest.approx(log_loss(y, P), rel=1e-12)
    assert cross_entropy_from_probs(y, P) == pytest.approx(log_loss(y, P), rel=1e-12)


def test_cross_entropy_definition_and_reductions(batch):
    Z, y = batch
    P = softmax(Z)
    losses = -np.log(P[np.arange(len(y)), y])
    np.testing.assert_allclose(cross_entropy(y, Z, reduction="none"), losses, rtol=1e-12)
    assert cross_entropy(y, Z, reduction="sum") == pytest.approx(losses.sum(), rel=1e-12)
    assert cross_entropy(y, Z) == pytest.approx(losses.mean(), rel=1e-12)


def test_indices_and_one_hot_targets_agree(batch):
    Z, y = batch
    Y = one_hot(y, 4)
    assert cross_entropy(Y, Z) == pytest.approx(cross_entropy(y, Z), rel=1e-14)
    assert cross_entropy_from_probs(Y, softmax(Z)) == pytest.approx(cross_entropy(y, Z), rel=1e-12)


def test_soft_targets(batch):
    # probability targets: L = -sum_k y_k log a_k
    Z, _ = batch
    T = softmax(np.random.default_rng(1).standard_normal(Z.shape))
    expected = -(T * np.log(softmax(Z))).sum(axis=1)
    np.testing.assert_allclose(cross_entropy(T, Z, reduction="none"), expected, rtol=1e-12)


def test_perfect_and_uniform_predictions():
    # uniform logits cost log K; a confident right answer costs ~0
    assert cross_entropy([0, 2], np.zeros((2, 3))) == pytest.approx(np.log(3), rel=1e-15)
    assert cross_entropy([1], np.array([[0.0, 50.0]])) == pytest.approx(np.exp(-50.0), rel=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_from_logits_stays_finite_where_probabilities_underflow(dtype):
    Z = np.array([[1e4, -1e4], [0.0, 0.0]], dtype=dtype)
    y = np.array([1, 0])  # the first sample's true class has probability e^(-2e4) = 0 in floating point
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        losses = cross_entropy(y, Z, reduction="none")
        P = softmax(Z)
        from_probs = cross_entropy_from_probs(y, P, reduction="none")
    assert P[0, 1] == 0.0
    assert losses.dtype == dtype
    assert losses[0] == pytest.approx(2e4, rel=1e-6) and losses[1] == pytest.approx(np.log(2), rel=1e-6)
    assert np.isinf(from_probs[0])  # log(0): the reason the course computes the loss from logits
    assert from_probs[1] == pytest.approx(np.log(2), rel=1e-6)


def test_binary_cross_entropy_matches_sklearn():
    rng = np.random.default_rng(2)
    z = 4 * rng.standard_normal(30)
    y = (rng.random(30) < 0.5).astype(int)
    expected = log_loss(y, sigmoid(z))
    assert binary_cross_entropy(y, z) == pytest.approx(expected, rel=1e-12)
    assert binary_cross_entropy_from_probs(y, sigmoid(z)) == pytest.approx(expected, rel=1e-12)


def test_binary_cross_entropy_is_two_class_cross_entropy():
    # K = 2 with logits [0, z]: softmax([0, z]) = [1 - sigma(z), sigma(z)]
    z = np.array([-3.0, 0.5, 8.0])
    y = np.array([0, 1, 1])
    Z = np.column_stack([np.zeros(3), z])
    np.testing.assert_allclose(binary_cross_entropy(y, z, reduction="none"),
                               cross_entropy(y, Z, reduction="none"), rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_huge_logits(dtype):
    z = np.array([1e4, -1e4, 1e4], dtype=dtype)
    y = np.array([1.0, 0.0, 0.0])
    with np.errstate(all="raise"):
        losses = binary_cross_entropy(y, z, reduction="none")
        from_probs = binary_cross_entropy_from_probs(y, sigmoid(z), reduction="none")
    np.testing.assert_allclose(losses, [0, 0, 1e4], atol=1e-6)
    assert np.isinf(from_probs[2]) and from_probs[0] == 0


def test_mean_squared_error_matches_sklearn():
    rng = np.random.default_rng(3)
    y, y_hat = rng.standard_normal(25), rng.standard_normal(25)
    assert mean_squared_error(y, y_hat) == pytest.approx(sk_mean_squared_error(y, y_hat), rel=1e-13)
    np.testing.assert_allclose(mean_squared_error(y, y_hat, reduction="none"), (y - y_hat) ** 2)
