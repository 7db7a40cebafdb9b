"""Exercise 5 · Handwritten digits (chapter *Handwritten digits*)."""

import math

import numpy as np

from .framework import Case, Close, Failed, Fields, Mistake, Number, Part, check_array
from .stand_ins import CONFUSION_MATRIX, STANDARDIZE

ASSIGNMENT = "05_digits"
#: lecture_lib's modules with one_hot and the cost and gradient of softmax regression.
COST_FUNCTIONS = ("functions", "losses", "gradients")
#: The held-out accuracy a trained model must reach.
ACCURACY = 0.93


def confusion_cases(rng):
    return [(rng.integers(0, K - 1, size=m), rng.integers(0, K, size=m), K) for m, K in [(40, 4), (1, 3), (25, 6)]]


def confusion(y_true, y_pred, K):
    """Counts of (true class, predicted class) pairs, with Python ints."""
    C = [[0] * K for _ in range(K)]
    for i, j in zip(y_true.tolist(), y_pred.tolist()):
        C[i][j] += 1
    return np.array(C)


def _repeated_pairs_once(y_true, y_pred, K):
    C = np.zeros((K, K), dtype=int)
    C[y_true, y_pred] += 1
    return C


def standardize_cases(rng):
    A = rng.normal(loc=3.0, scale=2.0, size=(30, 4))
    A[:, 2] = 7.0                                      # a constant feature
    B = rng.normal(loc=-1.0, scale=5.0, size=(9, 4))   # another distribution
    return [(A, B)]


def standardize(A, B):
    """The reference, with Python floats: the training set's mean and standard deviation for both."""
    columns = list(zip(*A.tolist()))
    mean = [math.fsum(col) / len(col) for col in columns]
    std = [math.sqrt(math.fsum((v - mu) ** 2 for v in col) / len(col)) for col, mu in zip(columns, mean)]
    std = [s if s > 0 else 1.0 for s in std]
    return tuple(np.array([[(v - mu) / s for v, mu, s in zip(row, mean, std)] for row in M.tolist()]) for M in (A, B))


def _own_statistics(A, B):
    def one(M):
        s = M.std(axis=0)
        s[s == 0] = 1.0
        return (M - M.mean(axis=0)) / s
    return one(A), one(B)


def _no_guard(A, B):
    return (A - A.mean(axis=0)) / A.std(axis=0), (B - A.mean(axis=0)) / A.std(axis=0)


def train_cases(rng):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    order = rng.permutation(len(y))
    train, test = order[:1300], order[1300:]
    A, B = standardize(X[train], X[test])
    return [Case((A, y[train], 10), context=(B, y[test]))]


def _accuracy(answer, B, y) -> float:
    W, b = (np.asarray(a, dtype=np.float64) for a in answer)
    scores = (B @ W + b).tolist()
    return sum(max(range(len(row)), key=row.__getitem__) == label for row, label in zip(scores, y.tolist())) / len(y)


def judge_train(answer, args, held_out) -> None:
    if type(answer) is not tuple or len(answer) != 2:
        raise Failed("train must return the tuple (W, b)")
    (A, _, K), (B, y) = args, held_out
    check_array(answer[0], "train: W", (A.shape[1], K))
    check_array(answer[1], "train: b", (K,))
    if not _accuracy(answer, B, y) >= ACCURACY:
        raise Failed(f"train: the held-out accuracy of the trained model is below {ACCURACY}")


def _cost_went_up(answer, args, held_out) -> bool:
    from lecture_lib import softmax_regression_cost

    A, y, K = args
    W, b = (np.asarray(a, dtype=np.float64) for a in answer)
    return softmax_regression_cost(A, y, W, b) > math.log(K)


def f1_cases(rng):
    """Predictions right about two times in three; some classes never predicted, one never present."""
    cases = []
    for m, K in [(60, 5), (15, 4), (40, 10)]:
        y_true = rng.integers(0, K - 1, size=m)
        y_pred = np.where(rng.random(m) < 0.65, y_true, rng.integers(0, K, size=m))
        cases.append((y_true, y_pred, K))
    return cases


def macro_f1(y_true, y_pred, K):
    """The reference: the F1 scores of the K classes averaged (0 for a class with no true and no predicted sample)."""
    from lecture_lib import precision_recall_f1

    return float(precision_recall_f1(y_true, y_pred, K, average="macro")[2])


def _mean_of_precision_and_recall(y_true, y_pred, K):
    from lecture_lib import precision_recall_f1

    precision, recall, _ = precision_recall_f1(y_true, y_pred, K, average=None)
    return float(np.mean((precision + recall) / 2))


PARTS = [
    Part("confusion_matrix-tests", "confusion_matrix", "Confusion matrix", 1, seed=501, cases=confusion_cases,
         reference=confusion, compare=Close(rtol=0.0, atol=0.0, integers=True),
         mistakes=(Mistake("repeated-pairs-counted-once", "a pair that occurs several times is counted once: "
                           "C[y_true, y_pred] += 1 adds 1 once per distinct index; np.add.at adds every time",
                           wrong=_repeated_pairs_once),)),
    Part("standardize-tests", "standardize", "Standardising the features", 2, seed=502, cases=standardize_cases,
         reference=standardize,
         compare=Fields(("X_train_std", Close(rtol=1e-9, atol=1e-12)), ("X_test_std", Close(rtol=1e-9, atol=1e-12))),
         mistakes=(Mistake("test-set-statistics", "the test set is standardised with its own mean and standard "
                           "deviation: use the training set's for both", wrong=_own_statistics, fields=(1,)),
                   Mistake("constant-feature", "a constant feature has standard deviation 0, and x / 0 is not a "
                           "number: divide such a column by 1 instead", wrong=_no_guard))),
    Part("train-tests", "train", "Train a classifier", 3, seed=503, cases=train_cases, judge=judge_train,
         mistakes=(Mistake("labels-shifted", "the model predicts the class after the right one: the labels were "
                           "shifted by one when they were encoded",
                           when=lambda answer, args, held_out: _accuracy(answer, held_out[0],
                                                                         (held_out[1] + 1) % args[2]) >= 0.5),
                   Mistake("cost-went-up", "the cost at the returned weights is above the cost of all-zero weights: "
                           "the steps go uphill (subtract the gradient)", when=_cost_went_up)),
         lecture_lib=COST_FUNCTIONS, stand_ins=STANDARDIZE, stand_in_names=("standardize",)),
    Part("macro_f1-tests", "macro_f1", "Macro-averaged F1", 2, seed=504, cases=f1_cases, reference=macro_f1,
         compare=Number(rtol=1e-12),
         mistakes=(Mistake("micro-average", "it is the micro average (over all samples, which equals the accuracy): "
                           "the macro average computes F1 per class and then averages the K scores",
                           wrong=lambda y_true, y_pred, K: float(np.mean(y_true == y_pred))),
                   Mistake("arithmetic-mean", "F1 is the harmonic mean of precision and recall, 2PR / (P + R), not "
                           "their arithmetic mean", wrong=_mean_of_precision_and_recall)),
         stand_ins=CONFUSION_MATRIX, stand_in_names=("confusion_matrix",)),
]
