"""Cross-entropies, the multiclass hinge loss and the mean squared error against scikit-learn's metrics and the
definitions."""

import warnings
from fractions import Fraction

import numpy as np
import pytest
from sklearn.metrics import hinge_loss as sk_hinge_loss
from sklearn.metrics import log_loss
from sklearn.metrics import mean_squared_error as sk_mean_squared_error
from ulp import ulp_distance

from lecture_lib import (
    binary_cross_entropy,
    binary_cross_entropy_from_probs,
    cross_entropy,
    cross_entropy_from_probs,
    mean_squared_error,
    multiclass_hinge_loss,
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


# --------------------------------------------------------------------------- the multiclass hinge loss
def _hinge_loop(y, Z, delta=1.0, kind="weston_watkins"):
    """The definition, one sample and one wrong class at a time (CS231n's ``svm_loss_naive``)."""
    losses = []
    for i in range(Z.shape[0]):
        terms = [max(0.0, Z[i, l] - Z[i, y[i]] + delta) for l in range(Z.shape[1]) if l != y[i]]
        losses.append(sum(terms) if kind == "weston_watkins" else max(terms, default=0.0))
    return np.array(losses)


@pytest.mark.parametrize("kind", ["weston_watkins", "crammer_singer"])
@pytest.mark.parametrize("delta", [1.0, 0.25])
def test_hinge_matches_the_loop_and_reductions(batch, kind, delta):
    Z, y = batch
    expected = _hinge_loop(y, Z, delta, kind)
    assert (expected == 0).any() and (expected > 0).any()  # both sides of the margin are exercised
    np.testing.assert_allclose(multiclass_hinge_loss(y, Z, delta, kind, reduction="none"), expected, rtol=1e-14)
    assert multiclass_hinge_loss(y, Z, delta, kind, reduction="sum") == pytest.approx(expected.sum(), rel=1e-14)
    assert multiclass_hinge_loss(y, Z, delta, kind) == pytest.approx(expected.mean(), rel=1e-14)
    assert multiclass_hinge_loss(one_hot(y, 4), Z, delta, kind) == pytest.approx(expected.mean(), rel=1e-15)


def test_crammer_singer_hinge_matches_sklearn(batch):
    Z, y = batch
    assert multiclass_hinge_loss(y, Z, kind="crammer_singer") == pytest.approx(sk_hinge_loss(y, Z), rel=1e-14)


def test_weston_watkins_hinge_is_an_explicit_formula(batch):
    """WW = sum over all classes of max(0, z - z_y + 1), less the true class's own term, which is exactly 1."""
    Z, y = batch
    margins = np.maximum(0.0, Z - Z[np.arange(len(y)), y][:, None] + 1.0)
    np.testing.assert_allclose(multiclass_hinge_loss(y, Z, reduction="none"), margins.sum(axis=1) - 1.0,
                               rtol=1e-14, atol=1e-15)


def test_hinge_two_classes_is_the_binary_hinge():
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(50, 2))
    y = rng.integers(0, 2, size=50)
    t = 2.0 * y - 1.0  # the SVM's labels -1, +1
    binary = np.maximum(0.0, 1.0 - t * (Z[:, 1] - Z[:, 0]))
    for kind in ("weston_watkins", "crammer_singer"):
        np.testing.assert_allclose(multiclass_hinge_loss(y, Z, kind=kind, reduction="none"), binary, rtol=1e-14)


def test_hinge_is_zero_past_the_margin_while_cross_entropy_still_falls():
    Z = np.array([[3.0, 1.0, 0.5]])  # the true class 0 leads by 2 > delta = 1
    for factor in (1.0, 2.0, 4.0):
        assert multiclass_hinge_loss([0], factor * Z) == 0.0
    assert cross_entropy([0], 4 * Z) < cross_entropy([0], 2 * Z) < cross_entropy([0], Z)


def _exact_hinge(y, Z, delta, kind):
    """Each loss in exact rational arithmetic (floats are rationals), rounded once at the end."""
    out = []
    for i in range(Z.shape[0]):
        terms = [max(Fraction(0), Fraction(float(Z[i, l])) - Fraction(float(Z[i, y[i]])) + Fraction(delta))
                 for l in range(Z.shape[1]) if l != y[i]]
        out.append(float(sum(terms) if kind == "weston_watkins" else max(terms)))
    return np.array(out)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["weston_watkins", "crammer_singer"])
def test_hinge_accuracy_in_ulps(dtype, kind):
    """Within K ulps (Crammer-Singer: 2) of the exact loss, also a hair inside a margin, where a plain
    ``z_l - z_y + delta`` can lose every digit (its difference is rounded before the near-cancelling ``+ delta``)."""
    rng = np.random.default_rng(11)
    m, K = 400, 5
    y = rng.integers(0, K, size=m)
    Z = (rng.normal(size=(m, K)) * 10.0 ** rng.integers(-3, 6, size=(m, 1))).astype(dtype)
    near = np.flatnonzero(np.arange(m) % 2 == 0)  # half the rows: true score in (0, 1), a wrong one just short
    u = rng.uniform(0.05, 0.95, size=near.size).astype(dtype)  # of the margin; z_l - z_y then often rounds
    Z[near, y[near]] = u
    Z[near, (y[near] + 1) % K] = u - dtype(1.0) + rng.integers(1, 4, size=near.size) * np.finfo(dtype).eps
    exact = _exact_hinge(y, Z, 1.0, kind).astype(dtype)
    ours = multiclass_hinge_loss(y, Z, kind=kind, reduction="none")
    assert ours.dtype == dtype
    bound = K if kind == "weston_watkins" else 2
    distance = ulp_distance(ours, exact, dtype=dtype)
    assert distance.max() <= bound, (distance.max(), bound)
    naive = np.maximum(0, Z - Z[np.arange(m), y][:, None] + dtype(1.0))
    naive[np.arange(m), y] = 0
    naive = naive.sum(axis=1) if kind == "weston_watkins" else naive.max(axis=1)
    assert ulp_distance(naive, exact, dtype=dtype).max() > 1000  # the test can fail: the textbook form does
