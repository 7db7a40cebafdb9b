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
]
