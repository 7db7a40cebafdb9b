"""Entropy, KL divergence and label smoothing (lecture_lib.information) against independent references.

- ``scipy.stats.entropy`` in its one-argument (entropy) and two-argument (KL divergence) forms;
- a 200-bit mpmath evaluation of the definitions on the given floats, rounded once (``mp_reference``),
  with the error in ulps (``tests/ulp.py``);
- the identity H(p, q) = H(p) + KL(p || q) with ``cross_entropy_from_probs`` as H(p, q);
- bad input: each case raises an error that names the argument and says what was expected.
"""

import mpmath
import numpy as np
import pytest
import scipy.stats

import lecture_lib as ll
from mp_reference import to_dtype
from ulp import ulp_distance

DTYPES = (np.float64, np.float32)
#: Stated bounds, in ulps of the exact value (mpmath), for float64 and float32.
ENTROPY_ULPS = 4
KL_ULPS = 4


def _distributions(rng, m, K, dtype, alpha=0.5):
    """Seeded distributions (rows) with small entries, exact zeros and one-hot rows among them."""
    P = rng.dirichlet(np.full(K, alpha), size=m)
    P[::5, 0] = 0.0  # exact zeros
    P[1::7] = np.eye(K)[rng.integers(0, K, size=P[1::7].shape[0])]  # one-hot rows
    P[2::9, 1] *= 1e-30  # tiny probabilities
    P /= P.sum(axis=1, keepdims=True)
    return P.astype(dtype)


def _mp(v):
    return mpmath.mpf(float(v))


def ref_entropy(P):
    return [-mpmath.fsum(_mp(p) * mpmath.log(_mp(p)) for p in row if p > 0) for row in P]


def ref_kl(P, Q):
    """Per row, sum_k p_k log(p_k / q_k) - p_k + q_k on the given floats (a term is q_k where p_k = 0)."""
    return [mpmath.fsum((_mp(p) * mpmath.log(_mp(p) / _mp(q)) - _mp(p) + _mp(q)) if p > 0 else _mp(q)
                        for p, q in zip(p_row, q_row)) for p_row, q_row in zip(P, Q)]


def _rounded(values, dtype):
    return np.array([to_dtype(v, dtype) for v in values], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("K", [2, 3, 10, 100])
def test_entropy_within_a_few_ulps_of_mpmath(dtype, K):
    P = _distributions(np.random.default_rng(K), 60, K, dtype)
    H = ll.entropy(P)
    assert H.dtype == dtype and H.shape == (60,)
    reference = _rounded(ref_entropy(P), dtype)
    assert ulp_distance(H, reference, dtype=dtype).max() <= ENTROPY_ULPS


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("K", [2, 3, 10, 100])
def test_kl_divergence_within_a_few_ulps_of_mpmath(dtype, K):
    rng = np.random.default_rng(100 + K)
    P = _distributions(rng, 60, K, dtype)
    Q = _distributions(rng, 60, K, dtype, alpha=2.0)
    Q = np.where(P > 0, np.maximum(Q, np.finfo(dtype).tiny), Q)  # finite divergences (inf: below)
    Q /= Q.sum(axis=1, keepdims=True)
    D = ll.kl_divergence(P, Q)
    assert D.dtype == dtype and D.shape == (60,)
    assert ulp_distance(D, _rounded(ref_kl(P, Q), dtype), dtype=dtype).max() <= KL_ULPS


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gap", [0.4, 1e-1, 1e-4, 1e-7, 1e-12])
def test_kl_divergence_of_close_distributions(dtype, gap):
    """p and q close (label smoothing, a model near its target): still a few ulps, and never negative.

    sum_k p_k log(p_k / q_k) evaluated as written loses every digit here (its terms cancel).
    """
    rng = np.random.default_rng(7)
    Q = _distributions(rng, 40, 5, np.float64, alpha=3.0)
    Q[:, 0] = np.maximum(Q[:, 0], 0.05)
    Q /= Q.sum(axis=1, keepdims=True)
    P = Q * (1 + gap * rng.uniform(-1, 1, size=Q.shape))
    P /= P.sum(axis=1, keepdims=True)
    P, Q = P.astype(dtype), Q.astype(dtype)
    D = ll.kl_divergence(P, Q)
    assert (D >= 0).all()
    assert ulp_distance(D, _rounded(ref_kl(P, Q), dtype), dtype=dtype).max() <= KL_ULPS


def test_entropy_agrees_with_scipy():
    P = _distributions(np.random.default_rng(1), 50, 7, np.float64)  # float64: scipy normalises its input
    assert ulp_distance(ll.entropy(P), scipy.stats.entropy(P, axis=1)).max() <= ENTROPY_ULPS
    assert ulp_distance(ll.entropy(P[3]), scipy.stats.entropy(P[3])).max() <= ENTROPY_ULPS


def test_kl_divergence_agrees_with_scipy():
    rng = np.random.default_rng(2)
    P = _distributions(rng, 50, 7, np.float64)
    Q = _distributions(rng, 50, 7, np.float64, alpha=3.0)
    expected = scipy.stats.entropy(P, Q, axis=1)
    D = ll.kl_divergence(P, Q)
    finite = np.isfinite(expected)
    assert (~finite).any() and (np.isinf(D) == ~finite).all()  # inf exactly where q_k = 0 < p_k, as scipy
    assert np.allclose(D[finite], expected[finite], rtol=1e-13, atol=0)  # scipy: p log(p/q), so not ulps
    assert ll.kl_divergence(P[0], Q[0]) == pytest.approx(scipy.stats.entropy(P[0], Q[0]), rel=1e-13)


def test_the_class_axis_can_be_any_axis():
    rng = np.random.default_rng(3)
    P = _distributions(rng, 12, 4, np.float64)
    Q = _distributions(rng, 12, 4, np.float64, alpha=5.0)
    assert np.array_equal(ll.entropy(P.T, axis=0), ll.entropy(P))
    assert np.array_equal(ll.kl_divergence(P.T, Q.T, axis=0), ll.kl_divergence(P, Q))
    batch = P.reshape(3, 4, 4)
    assert ll.entropy(batch).shape == (3, 4)
    assert np.allclose(ll.entropy(batch, axis=-1), scipy.stats.entropy(batch, axis=-1), rtol=1e-15)


def test_cross_entropy_is_entropy_plus_kl():
    """H(p, q) = H(p) + KL(p || q), with cross_entropy_from_probs as H(p, q)."""
    rng = np.random.default_rng(4)
    P = _distributions(rng, 30, 6, np.float64)
    Q = _distributions(rng, 30, 6, np.float64, alpha=4.0)
    Q = np.maximum(Q, 1e-300)
    Q /= Q.sum(axis=1, keepdims=True)
    H_pq = ll.cross_entropy_from_probs(P, Q, reduction="none")
    assert np.allclose(H_pq, ll.entropy(P) + ll.kl_divergence(P, Q), rtol=1e-13, atol=1e-15)


def test_laws():
    """Gibbs' inequality, zero for equal arguments, the bounds of the entropy, no symmetry."""
    rng = np.random.default_rng(5)
    K = 8
    P = _distributions(rng, 200, K, np.float64)
    Q = np.roll(P, 1, axis=0)
    with np.errstate(divide="ignore"):
        D = ll.kl_divergence(P, Q)
    assert (D >= 0).all() and (ll.kl_divergence(P, P) == 0).all()
    H = ll.entropy(P)
    assert (H >= 0).all() and (H <= np.log(K) * (1 + 1e-15)).all()
    assert ll.entropy(np.full(K, 1 / K)) == pytest.approx(np.log(K), rel=1e-15)
    assert ll.entropy(np.eye(K)).max() == 0.0  # one-hot: no surprise
    with np.errstate(divide="ignore"):
        D_reverse = ll.kl_divergence(Q, P)
    finite = np.isfinite(D) & np.isfinite(D_reverse)
    assert np.abs(D[finite] - D_reverse[finite]).max() > 0.1  # KL is not symmetric


def test_infinite_divergence_without_warning():
    with np.errstate(all="raise"):
        assert ll.kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf
        assert ll.kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(np.log(2), rel=1e-15)
        assert ll.entropy([1.0, 0.0, 0.0]) == 0.0


@pytest.mark.parametrize("epsilon", [0.0, 0.1, 1.0])
def test_smooth_labels(epsilon):
    y, K = np.array([0, 2, 1, 2]), 3
    Y = ll.smooth_labels(y, K, epsilon)
    expected = np.array([[(1 - epsilon) * (k == t) + epsilon / K for k in range(K)] for t in y])
    assert np.allclose(Y, expected, rtol=1e-15, atol=0)
    assert np.allclose(Y.sum(axis=1), 1, rtol=0, atol=1e-15)
    assert ll.entropy(Y) == pytest.approx(scipy.stats.entropy(Y, axis=1), rel=1e-14, abs=0)


def test_the_gradient_of_the_cost_is_p_minus_smoothed_targets():
    """Chapter 4's note: (P - Y) / m is the gradient for any target rows that sum to one."""
    rng = np.random.default_rng(6)
    m, d, K = 7, 3, 4
    X, W, b = rng.normal(size=(m, d)), rng.normal(size=(d, K)), rng.normal(size=K)
    Y = ll.smooth_labels(rng.integers(0, K, size=m), K, 0.2)
    _, dW, db = ll.softmax_regression_cost_and_gradient(X, Y, W, b)
    numeric = ll.numerical_gradient(lambda w: ll.softmax_regression_cost(X, Y, w.reshape(d, K), b), W.ravel())
    assert ll.relative_error(dW.ravel(), numeric) < 1e-7
    assert np.allclose(dW, X.T @ (ll.softmax(X @ W + b) - Y) / m, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("func", [ll.entropy, lambda p: ll.kl_divergence(p, [0.5, 0.5])])
def test_p_must_be_a_distribution(func):
    with pytest.raises(ValueError, match=r"p must hold probabilities, all >= 0; found -0\.5"):
        func([1.5, -0.5])
    with pytest.raises(ValueError, match=r"p must sum to 1 along axis 0 \(a probability distribution over its 2 "
                                         r"entries\); a sum is off by 2\. Did you pass logits"):
        func([2.0, 1.0])
    with pytest.raises(ValueError, match=r"p contains NaN or infinity"):
        func([np.nan, 1.0])
    with pytest.raises(TypeError, match=r"p must hold real numbers"):
        func(["a", "b"])


def test_q_must_be_a_distribution_of_the_same_shape():
    with pytest.raises(ValueError, match=r"q must sum to 1 along axis 0"):
        ll.kl_divergence([0.5, 0.5], [0.5, 0.6])
    with pytest.raises(ValueError, match=r"q must hold probabilities, all >= 0"):
        ll.kl_divergence([0.5, 0.5], [1.5, -0.5])
    with pytest.raises(ValueError, match=r"p and q must have the same shape .* p \(2,\) and q \(3,\)"):
        ll.kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5])


def test_scalar_empty_and_axis():
    with pytest.raises(ValueError, match=r"p must be a distribution over K classes.*got a scalar"):
        ll.entropy(1.0)
    with pytest.raises(ValueError, match=r"p has 0 classes along axis 0"):
        ll.entropy([])
    with pytest.raises(ValueError, match=r"axis=2 is out of range"):
        ll.entropy(np.full((2, 2), 0.5), axis=2)
    with pytest.raises(TypeError, match=r"axis must be an integer"):
        ll.entropy([0.5, 0.5], axis=0.5)


def test_smooth_labels_bad_input():
    with pytest.raises(ValueError, match=r"epsilon must be between 0 and 1"):
        ll.smooth_labels([0, 1], 2, 1.5)
    with pytest.raises(ValueError, match=r"epsilon must be a finite non-negative number"):
        ll.smooth_labels([0, 1], 2, -0.1)
    with pytest.raises(TypeError, match=r"n_classes must be a positive integer"):
        ll.smooth_labels([0, 1], 2.0, 0.1)
    with pytest.raises(ValueError, match=r"y must hold class indices 0\.\.1 \(K=2\); found 2"):
        ll.smooth_labels([0, 2], 2, 0.1)
