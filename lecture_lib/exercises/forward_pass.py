"""Exercise 2 · The forward pass (chapter *The forward pass*)."""

import dataclasses

import numpy as np

import lecture_lib

from .framework import Close, Mistake, Number, Part
from .modeling import NO_MAX_SHIFT
from .stand_ins import LOGITS, PREDICT_PROBA

ASSIGNMENT = "02_forward_pass"
#: lecture_lib's module with softmax, log_softmax, logsumexp and one_hot: parts after Exercise 1 may use it.
FUNCTIONS = ("functions",)


def _model(rng, m, d, K, scale=1.0):
    return rng.normal(size=(m, d)), scale * rng.normal(size=(d, K)), rng.normal(size=K)


def logits_cases(rng):  # the square case first: a bias added along the wrong axis still broadcasts there
    return [_model(rng, m, d, K) for m, d, K in [(3, 3, 3), (6, 3, 4), (1, 2, 3), (5, 4, 5)]]


def predict_proba_cases(rng):
    return [_model(rng, 6, 3, 4), _model(rng, 1, 2, 2), _model(rng, 4, 4, 4, scale=1e4)]


def predict_cases(rng):
    return [_model(rng, m, d, K) for m, d, K in [(3, 3, 3), (7, 3, 4), (1, 2, 5), (5, 4, 2)]]


def _predict(X, W, b):
    """Index of the largest logit of each row (the first on a tie), with Python's max."""
    return np.array([max(range(len(row)), key=row.__getitem__) for row in (X @ W + b).tolist()])


def top_n_cases(rng):
    cases = []
    for m, d, K, n in [(30, 3, 5, 2), (12, 4, 4, 1), (1, 2, 3, 2), (20, 5, 6, 6), (25, 3, 10, 3)]:
        X, W, b = _model(rng, m, d, K)
        cases.append((X, W, b, rng.integers(0, K, size=m), n))
    return cases


def top_n_accuracy(X, W, b, y, n):
    """The reference: the share of samples whose class is among the n most probable."""
    return lecture_lib.top_k_accuracy(y, lecture_lib.softmax(X @ W + b, axis=1), n)


def _smallest_n(X, W, b, y, n):
    order = np.argsort(X @ W + b, axis=1)[:, :n]
    return float(np.mean([label in row for row, label in zip(order.tolist(), y.tolist())]))


PARTS = [
    Part("logits-tests", "logits", "Logits", 1, seed=201, cases=logits_cases,
         reference=lambda X, W, b: np.einsum("ij,jk->ik", X, W) + b[np.newaxis, :],
         compare=Close(rtol=1e-10, atol=1e-12),
         mistakes=(Mistake("no-bias", "the bias b is missing: Z = X W + b", wrong=lambda X, W, b: X @ W),
                   Mistake("bias-as-a-column", "the bias is added along the wrong axis: b has one entry per "
                           "class, so it is added to every row (b[np.newaxis, :])",
                           wrong=lambda X, W, b: X @ W + b[:, np.newaxis]))),
    Part("predict_proba-tests", "predict_proba", "Probabilities", 2, seed=202, cases=predict_proba_cases,
         reference=lambda X, W, b: lecture_lib.softmax(X @ W + b, axis=1), compare=Close(rtol=1e-9, atol=1e-14),
         mistakes=(Mistake("softmax-over-samples", "the softmax runs over the samples (axis 0): it must run over "
                           "the classes, so that each row sums to one",
                           wrong=lambda X, W, b: lecture_lib.softmax(X @ W + b, axis=0)),
                   dataclasses.replace(NO_MAX_SHIFT, wrong=lambda X, W, b: NO_MAX_SHIFT.wrong(X @ W + b, axis=1))),
         lecture_lib=FUNCTIONS, stand_ins=LOGITS, stand_in_names=("logits",)),
    Part("predict-tests", "predict", "Predicted classes", 1, seed=203, cases=predict_cases, reference=_predict,
         compare=Close(rtol=0.0, atol=0.0, integers=True),
         mistakes=(Mistake("argmax-over-samples", "the argmax runs over the samples (axis 0): take it over the "
                           "classes, one class per sample",
                           wrong=lambda X, W, b: np.argmax(lecture_lib.softmax(X @ W + b, axis=1), axis=0)),
                   Mistake("classes-from-one", "the classes are numbered from 1: they are 0, ..., K-1 "
                           "(column k of P is class k)", wrong=lambda X, W, b: _predict(X, W, b) + 1),
                   Mistake("probability-not-class", "it returns the largest probability, not its class: "
                           "use argmax", wrong=lambda X, W, b: lecture_lib.softmax(X @ W + b, axis=1).max(axis=1))),
         lecture_lib=FUNCTIONS, stand_ins=PREDICT_PROBA, stand_in_names=("logits", "predict_proba")),
    Part("top_n_accuracy-tests", "top_n_accuracy", "Top-n accuracy", 2, seed=204, cases=top_n_cases,
         reference=top_n_accuracy, compare=Number(rtol=1e-12),
         mistakes=(Mistake("least-probable-classes", "it takes the n least probable classes: np.argsort sorts in "
                           "increasing order, so the n most probable are the last n", wrong=_smallest_n),),
         lecture_lib=FUNCTIONS, stand_ins=PREDICT_PROBA, stand_in_names=("logits", "predict_proba")),
]
