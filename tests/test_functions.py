"""sigmoid, softmax, log_softmax, logsumexp, softmax_jacobian and one_hot.

Worked numbers of the seed documents are recomputed with ``math.exp`` (an independent float
computation); the laws of the softmax are property-tested with hypothesis; scipy.special is
the reference for softmax and logsumexp.
"""

import math
import warnings

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import lecture_lib as ll
from lecture_lib import log_softmax, logsumexp, numerical_gradient, one_hot, sigmoid, softmax, softmax_jacobian

# The seeds' worked examples (slides 003, overview 000). Inputs only: the outputs are computed.
SIGMOID_EXAMPLE = dict(w=2.0, b=1.0, x=1.0)
THREE_CLASS_EXAMPLE = dict(w=[2.0, 3.0, 5.0], b=[1.0, 1.0, 1.0], x=1.0)
TEN_LOGITS = [2.1, -0.5, 0.8, 1.2, -1.1, 3.0, 0.3, -0.2, 1.5, 0.1]

settings.register_profile("lecture_lib", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("lecture_lib")


def logits(max_K=8, max_m=4, bound=30.0):
    """Batches of moderate logits, shape (m, K) with K >= 2."""
    return st.tuples(st.integers(1, max_m), st.integers(2, max_K)).flatmap(
        lambda shape: arrays(np.float64, shape, elements=st.floats(-bound, bound)))


# --------------------------------------------------------------------------- worked numbers of the seeds
def test_slides_sigmoid_example():
    p = SIGMOID_EXAMPLE
    z = p["w"] * p["x"] + p["b"]
    assert z == 3.0
    a = float(sigmoid(z))
    assert a == pytest.approx(1 / (1 + math.exp(-3.0)), rel=1e-15)
    assert round(a, 4) == 0.9526 and round(1 - a, 4) == 0.0474  # the slides' rounded values


def test_slides_three_class_example():
    p = THREE_CLASS_EXAMPLE
    z = np.array(p["w"]) * p["x"] + np.array(p["b"])
    np.testing.assert_array_equal(z, [3.0, 4.0, 6.0])
    a = softmax(z)
    total = sum(math.exp(v) for v in z)
    np.testing.assert_allclose(a, [math.exp(v) / total for v in z], rtol=1e-15)
    # rounding (not the slides' truncation 0.1141, 0.8437) to four places
    np.testing.assert_array_equal(np.round(a, 4), [0.0420, 0.1142, 0.8438])


def test_overview_ten_logit_example():
    z = np.array(TEN_LOGITS)
    exps = [math.exp(v) for v in TEN_LOGITS]
    total = math.fsum(exps)
    p = softmax(z)
    np.testing.assert_allclose(p, [e / total for e in exps], rtol=1e-14)
    assert round(total, 2) == 42.49  # the seed's 28.45 is wrong
    assert round(p[0], 3) == 0.192  # the seed's 0.287 is wrong
    assert int(np.argmax(p)) == 5  # the largest logit, 3.0, is digit 5 (the seed says 0)
    assert float(logsumexp(z)) == pytest.approx(math.log(total), rel=1e-15)


# --------------------------------------------------------------------------- properties
@given(logits())
def test_probabilities_sum_to_one_and_lie_in_0_1(Z):
    P = softmax(Z)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(P > 0) and np.all(P <= 1)  # moderate logits: no underflow to 0


@given(logits(bound=1e4))
def test_extreme_logits_still_give_probabilities(Z):
    with np.errstate(all="raise"):
        P = softmax(Z)
    assert np.all(P >= 0) and np.all(P <= 1)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)


@given(logits(), st.floats(-1e3, 1e3))
def test_shift_invariance(Z, c):
    np.testing.assert_allclose(softmax(Z + c), softmax(Z), rtol=1e-9, atol=1e-300)


@given(logits())
def test_argmax_is_preserved(Z):
    P = softmax(Z)
    # ties in Z stay ties in P only up to rounding, so compare the values at the argmax
    np.testing.assert_array_equal(P[np.arange(len(Z)), Z.argmax(axis=1)], P.max(axis=1))


@given(st.floats(-50, 50), st.floats(-50, 50))
def test_softmax_of_two_logits_is_sigmoid_of_difference(z0, z1):
    p = softmax(np.array([z0, z1]))
    assert p[1] == pytest.approx(float(sigmoid(z1 - z0)), rel=1e-12, abs=1e-300)


@given(logits(bound=100))
def test_log_softmax_is_log_of_softmax(Z):
    P = softmax(Z)
    finite = P > 0
    np.testing.assert_allclose(log_softmax(Z)[finite], np.log(P[finite]), rtol=1e-12, atol=1e-12)


@given(logits(bound=1e4), st.booleans())
def test_logsumexp_matches_scipy(Z, keepdims):
    # LSE is computed to a few ulps of the shift c = max z (plus 1): that is its absolute accuracy.
    # Near LSE = 0 (e.g. LSE(0, -8) = 3.35e-4) scipy's log1p form keeps more relative digits;
    # ours matches log(sum(softmax terms)) exactly, which predict_log_proba must agree with.
    ours = logsumexp(Z, axis=1, keepdims=keepdims)
    scale = 1 + np.abs(Z).max()
    np.testing.assert_allclose(ours, scipy.special.logsumexp(Z, axis=1, keepdims=keepdims), rtol=1e-13,
                               atol=4 * np.finfo(float).eps * scale)
    np.testing.assert_allclose(logsumexp(Z, axis=0), scipy.special.logsumexp(Z, axis=0), rtol=1e-13,
                               atol=4 * np.finfo(float).eps * scale)


@given(logits(bound=1e4))
def test_softmax_matches_scipy(Z):
    np.testing.assert_allclose(softmax(Z), scipy.special.softmax(Z, axis=1), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(softmax(Z, axis=0), scipy.special.softmax(Z, axis=0), rtol=1e-12, atol=1e-300)


@given(arrays(np.float64, st.integers(2, 6), elements=st.floats(-10, 10)))
def test_jacobian_matches_finite_differences(z):
    J = softmax_jacobian(z)
    for i in range(len(z)):  # row i is the gradient of a_i
        num = numerical_gradient(lambda v, i=i: float(softmax(v)[i]), z)
        np.testing.assert_allclose(J[i], num, atol=1e-8)


@given(logits(bound=20))
def test_jacobian_is_diag_a_minus_a_a_transpose(Z):
    J = softmax_jacobian(Z)
    for row, z in enumerate(Z):
        a = scipy.special.softmax(z)
        np.testing.assert_allclose(J[row], np.diag(a) - np.outer(a, a), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(J.sum(axis=-1), 0, atol=1e-15)  # each row sums to zero


@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-700, 700)))
def test_sigmoid_matches_scipy_expit(z):
    np.testing.assert_allclose(sigmoid(z), scipy.special.expit(z), rtol=1e-14, atol=1e-300)


# --------------------------------------------------------------------------- numerics and dtypes
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_logits_are_finite_without_warnings(dtype):
    Z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4 - 1, 5e3]], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        P, logP, lse = softmax(Z), log_softmax(Z), logsumexp(Z)
        a = sigmoid(Z)
    for out in (P, logP, lse, a):
        assert out.dtype == dtype and np.all(np.isfinite(out))
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_allclose(P[1], 1 / 3, rtol=1e-6)  # all equal logits: uniform
    assert logP[0, 1] == pytest.approx(-2e4, rel=1e-6)  # log of a probability that underflows to 0
    assert P[0, 1] == 0.0
    np.testing.assert_array_equal(a[0], [1, 0, 0.5])


@pytest.mark.parametrize("f", [softmax, log_softmax, logsumexp, sigmoid, softmax_jacobian])
def test_float32_in_float32_out(f):
    z = np.array([[0.5, -1.0, 2.0]], dtype=np.float32)
    assert f(z).dtype == np.float32
    assert f(z.astype(np.float64)).dtype == np.float64


def test_integer_logits_become_float64():
    assert softmax([1, 2, 3]).dtype == np.float64


def test_softmax_does_not_modify_its_input():
    z = np.array([1.0, 2.0, 3.0])
    softmax(z), log_softmax(z), logsumexp(z)
    np.testing.assert_array_equal(z, [1.0, 2.0, 3.0])


# --------------------------------------------------------------------------- one_hot
def test_one_hot_definition():
    Y = one_hot([2, 0, 1, 2])
    np.testing.assert_array_equal(Y, np.eye(3)[[2, 0, 1, 2]])
    assert one_hot([0, 1], n_classes=4).shape == (2, 4)
    assert one_hot([1.0, 0.0]).dtype == np.float64  # integral floats are accepted
    assert one_hot([1, 0], dtype=np.float32).dtype == np.float32


# --------------------------------------------------------------------------- issue 20.4: empty batches
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_empty_batches_have_the_shapes_of_scipy_and_torch(dtype):
    import scipy.special
    import scipy.stats
    import torch

    none = np.empty((0, 3), dtype=dtype)
    for ours, theirs in [(ll.softmax(none), scipy.special.softmax(none, axis=1)),
                         (ll.log_softmax(none), scipy.special.log_softmax(none, axis=1)),
                         (ll.logsumexp(none), scipy.special.logsumexp(none, axis=1)),
                         (ll.logsumexp(none, keepdims=True), scipy.special.logsumexp(none, axis=1, keepdims=True)),
                         (ll.entropy(none), scipy.stats.entropy(none, axis=1)),
                         (ll.softmax(none.T), torch.softmax(torch.from_numpy(none.T), dim=1).numpy()),
                         (ll.log_softmax(none.T), torch.log_softmax(torch.from_numpy(none.T), dim=1).numpy())]:
        assert ours.shape == theirs.shape and ours.dtype == dtype
    labels = torch.empty(0, dtype=torch.long)
    for reduction in ("sum", "none"):
        theirs = torch.nn.functional.cross_entropy(torch.from_numpy(none), labels, reduction=reduction).numpy()
        ours = ll.cross_entropy(np.empty(0, int), none, reduction=reduction)
        assert np.shape(ours) == theirs.shape and np.all(ours == theirs)
