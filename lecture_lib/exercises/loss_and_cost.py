"""Exercise 3 · Loss and cost (chapter *Loss and cost*)."""

import numpy as np

import lecture_lib

from .framework import Close, Mistake, Number, Part, same

ASSIGNMENT = "03_loss_and_cost"


def one_hot_cases(rng):
    return [(rng.integers(0, 4, size=9), 6), (np.array([1]), 2), (np.array([0, 0, 0]), 3),
            (rng.integers(0, 10, size=20), 10)]


def cost_cases(rng):
    return [(rng.normal(size=(8, 5)), rng.integers(0, 5, size=8)), (rng.normal(size=(1, 3)), np.array([1])),
            (rng.normal(size=(6, 2)), rng.integers(0, 2, size=6)),
            (1e4 * rng.normal(size=(5, 4)), rng.integers(0, 4, size=5))]


def _one_hot_shifted(y, K):
    Y = np.zeros((len(y), K))
    Y[np.arange(len(y)), y - 1] = 1.0
    return Y


def _log_of_softmax(Z, y):
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(P[np.arange(len(y)), y])))


def smoothed_cases(rng):
    return [(rng.normal(size=(8, 5)), rng.integers(0, 5, size=8), 0.1), (rng.normal(size=(1, 3)), np.array([2]), 0.3),
            (rng.normal(size=(6, 2)), rng.integers(0, 2, size=6), 0.05),
            (1e4 * rng.normal(size=(5, 4)), rng.integers(0, 4, size=5), 0.2)]


def _others_only(Z, y, epsilon):
    """Smoothing that spreads epsilon over the K - 1 other classes only."""
    K = Z.shape[1]
    T = np.full(Z.shape, epsilon / (K - 1))
    T[np.arange(len(y)), y] = 1.0 - epsilon
    return float(np.mean(np.sum(T * -lecture_lib.log_softmax(Z, axis=1), axis=1)))


def _smoothed_probabilities(Z, y, epsilon):
    """Smoothing applied to the probability of the true class instead of the targets."""
    a = lecture_lib.softmax(Z, axis=1)[np.arange(len(y)), y]
    return float(-np.mean(np.log((1.0 - epsilon) * a + epsilon / Z.shape[1])))


PARTS = [
    Part("one_hot-tests", "one_hot", "One-hot labels", 1, seed=301, cases=one_hot_cases,
         reference=lecture_lib.one_hot, compare=Close(rtol=0.0, atol=0.0),
         mistakes=(Mistake("labels-shifted", "each 1 is one column off: label k goes in column k (labels are "
                           "0, ..., K-1)", wrong=_one_hot_shifted),
                   Mistake("K-from-the-data", "the number of columns comes from the labels, not from K: a class "
                           "no sample has still gets its column",
                           when=lambda Y, args, expected: (isinstance(Y, np.ndarray) and Y.ndim == 2
                                                           and Y.shape[1] != args[1]
                                                           and same(Y, lecture_lib.one_hot(args[0], Y.shape[1])))))),
    Part("cost_from_logits-tests", "cost_from_logits", "The cost from logits", 3, seed=302, cases=cost_cases,
         reference=lambda Z, y: lecture_lib.cross_entropy(y, Z), compare=Number(rtol=1e-9),
         mistakes=(Mistake("log-of-softmax", "the log of a softmax probability underflows to log(0) for large "
                           "logits: compute log-softmax as z - logsumexp(z)", wrong=_log_of_softmax),)),
    Part("smoothed_cost-tests", "smoothed_cost", "Label smoothing", 2, seed=303, cases=smoothed_cases,
         reference=lambda Z, y, epsilon: lecture_lib.cross_entropy(y, Z, label_smoothing=epsilon),
         compare=Number(rtol=1e-9),
         mistakes=(Mistake("smoothing-over-the-other-classes", "epsilon is spread over the K - 1 other classes: label "
                           "smoothing spreads it over all K classes, the true one included (epsilon / K each)",
                           wrong=_others_only),
                   Mistake("smoothed-probabilities", "it smooths the predicted probability, not the target: the "
                           "smoothed cost is the cross-entropy against the smoothed targets",
                           wrong=_smoothed_probabilities))),
]
