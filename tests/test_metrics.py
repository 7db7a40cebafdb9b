"""Top-k accuracy and precision/recall/F1 against scikit-learn and hand-counted cases.

Catches: the true class counted among the "others" (k off by one), ties counted as hits or misses
instead of their expected share, sklearn's default label set (present labels only) instead of all K,
micro averaging done as a mean of per-class scores, F1 as the mean of precision and recall, a 0/0
score that is not ``zero_division``, NaN scores not left out of the macro average.
"""

import warnings

import numpy as np
import pytest
from sklearn.metrics import precision_recall_fscore_support, top_k_accuracy_score

from lecture_lib import precision_recall_f1, top_k_accuracy


def scores(seed, m=60, K=5):
    rng = np.random.default_rng(seed)
    return rng.integers(0, K, size=m), rng.standard_normal((m, K))  # continuous: no ties


@pytest.mark.filterwarnings("ignore:'k' \\(5\\) greater than or equal to 'n_classes'")  # sklearn on k = K
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_top_k_accuracy_is_sklearns_without_ties(seed, k):
    y, Z = scores(seed)
    expected = top_k_accuracy_score(y, Z, k=k, labels=np.arange(5))
    assert top_k_accuracy(y, Z, k) == pytest.approx(expected, abs=1e-15)


def test_top_1_is_the_accuracy_and_logits_equal_probabilities():
    from lecture_lib import softmax

    y, Z = scores(7)
    assert top_k_accuracy(y, Z, 1) == np.mean(Z.argmax(axis=1) == y)
    assert top_k_accuracy(y, softmax(Z), 3) == top_k_accuracy(y, Z, 3)


def test_ties_count_their_expected_share():
    # Row 0: true class 1 tied with class 2 at the top: rank 1 or 2 with probability 1/2 each.
    # Row 1: all four tied: the true class is in the top k with probability k/4.
    # Row 2: class 0 above, true class 3 tied with 1 and 2: g = 1, t = 3.
    P = np.array([[0.1, 0.4, 0.4, 0.1],
                  [0.25, 0.25, 0.25, 0.25],
                  [0.4, 0.2, 0.2, 0.2]])
    y = np.array([1, 0, 3])
    assert top_k_accuracy(y, P, 1) == pytest.approx((0.5 + 0.25 + 0.0) / 3)
    assert top_k_accuracy(y, P, 2) == pytest.approx((1.0 + 0.5 + 1 / 3) / 3)
    assert top_k_accuracy(y, P, 3) == pytest.approx((1.0 + 0.75 + 2 / 3) / 3)
    assert top_k_accuracy(y, P, 4) == 1.0
    # scikit-learn breaks the ties by class index (higher first), which is what this function avoids
    assert top_k_accuracy_score(y, P, k=1, labels=np.arange(4)) != pytest.approx(top_k_accuracy(y, P, 1))


def test_constant_scores_earn_what_guessing_earns():
    y = np.arange(10) % 5
    for k in range(1, 6):
        assert top_k_accuracy(y, np.zeros((10, 5)), k) == pytest.approx(k / 5)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("average", ["macro", "micro", None])
def test_precision_recall_f1_are_sklearns(seed, average):
    rng = np.random.default_rng(seed)
    K = 6
    y_true = rng.integers(0, K - 1, size=40)  # class 5 never occurs ...
    y_pred = np.where(rng.random(40) < 0.6, y_true, rng.integers(0, K, size=40))
    y_pred[y_pred == 3] = 2  # ... and class 3 is never predicted
    for zero_division in (0.0, 1.0, np.nan):
        got = precision_recall_f1(y_true, y_pred, K, average=average, zero_division=zero_division)
        expected = precision_recall_fscore_support(y_true, y_pred, labels=np.arange(K), average=average,
                                                   zero_division=zero_division)[:3]
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-14, atol=0)


def test_precision_recall_f1_by_hand():
    # Confusion (rows true, columns predicted): [[2, 1, 0], [0, 1, 1], [0, 0, 0]]
    y_true = [0, 0, 0, 1, 1]
    y_pred = [0, 0, 1, 1, 2]
    p, r, f = precision_recall_f1(y_true, y_pred, 3, average=None)
    np.testing.assert_allclose(p, [1.0, 0.5, 0.0])  # class 2 predicted once, wrongly
    np.testing.assert_allclose(r, [2 / 3, 0.5, 0.0])  # class 2 never occurs: 0/0 -> 0
    np.testing.assert_allclose(f, [0.8, 0.5, 0.0])
    assert precision_recall_f1(y_true, y_pred, 3, average="micro") == pytest.approx((0.6, 0.6, 0.6))
    assert precision_recall_f1(y_true, y_pred, 3, average="macro") == pytest.approx((0.5, 7 / 18, 1.3 / 3))
    _, r_nan, _ = precision_recall_f1(y_true, y_pred, 3, average=None, zero_division=np.nan)
    assert np.isnan(r_nan[2])
    assert precision_recall_f1(y_true, y_pred, 3, zero_division=np.nan)[1] == pytest.approx(7 / 12)


def test_micro_scores_equal_the_accuracy():
    y, Z = scores(3)
    y_pred = Z.argmax(axis=1)
    accuracy = np.mean(y_pred == y)
    assert precision_recall_f1(y, y_pred, 5, average="micro") == pytest.approx((accuracy,) * 3, abs=1e-15)


def test_no_warning_for_a_zero_division():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        precision_recall_f1([0, 0], [0, 0], 3, average=None)
        precision_recall_f1([0, 0], [0, 0], 3, zero_division=np.nan)
