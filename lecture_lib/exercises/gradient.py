"""Exercise 4 · The gradient (chapter *Deriving the gradient*)."""

import numpy as np

import lecture_lib

from .framework import Close, Fields, Mistake, Number, Numbers, Part
from .forward_pass import FUNCTIONS
from .stand_ins import COST_AND_GRADIENT

ASSIGNMENT = "04_gradient"
GRADIENT = Fields(("J", Number(rtol=1e-9)), ("dW", Close(rtol=1e-8, atol=1e-12)), ("db", Close(rtol=1e-8, atol=1e-12)))
cost_and_gradient = lecture_lib.softmax_regression_cost_and_gradient


def gradient_cases(rng):
    cases = []
    for m, d, K in [(9, 4, 3), (1, 2, 4), (7, 5, 2)]:
        cases.append((rng.normal(size=(m, d)), lecture_lib.one_hot(rng.integers(0, K, size=m), K),
                      rng.normal(size=(d, K)), rng.normal(size=K)))
    return cases


def descent_cases(rng):
    return [(rng.normal(size=(12, 3)), lecture_lib.one_hot(rng.integers(0, 3, size=12), 3), 0.3, 25)]


def descent(X, Y, learning_rate, n_iters, step=-1.0, update_b=True, once=False):
    """Gradient descent from zero weights as the exercise states it (``step=+1``: ascent; the other
    flags: the classic mistakes), returning ``(W, b, costs)``."""
    W, b, costs = np.zeros((X.shape[1], Y.shape[1])), np.zeros(Y.shape[1]), []
    J, dW, db = cost_and_gradient(X, Y, W, b)
    for _ in range(n_iters):
        if not once:
            J, dW, db = cost_and_gradient(X, Y, W, b)
        costs.append(J)
        W = W + step * learning_rate * dW
        b = b + step * learning_rate * db if update_b else b
    return W, b, costs


def _bias_summed_over_classes(X, Y, W, b):
    G = (lecture_lib.softmax(X @ W + b, axis=1) - Y) / X.shape[0]
    return None, None, G.sum(axis=1)


def weighted_cases(rng):
    cases = []
    for m, d, K in [(9, 4, 3), (1, 2, 4), (12, 5, 2)]:
        y = rng.integers(0, K, size=m)
        cases.append((rng.normal(size=(m, d)), y, rng.normal(size=(d, K)), rng.normal(size=K),
                      rng.uniform(0.2, 5.0, size=K)))
    return cases


def weighted(X, y, W, b, omega):
    """The reference: J_omega and its gradient (the weighted mean over the samples, as PyTorch's weight=)."""
    return cost_and_gradient(X, y, W, b, class_weight=omega)


def _divided_by_m(X, y, W, b, omega):
    J, dW, db = weighted(X, y, W, b, omega)
    s = omega[y].sum() / len(y)
    return J * s, dW * s, db * s


def _weights_on_columns(X, y, W, b, omega):
    G = (lecture_lib.softmax(X @ W + b, axis=1) - lecture_lib.one_hot(y, W.shape[1])) * omega / omega[y].sum()
    return None, X.T @ G, G.sum(axis=0)


PARTS = [
    Part("cost_and_gradient-tests", "cost_and_gradient", "Cost and gradient", 3, seed=401, cases=gradient_cases,
         reference=cost_and_gradient, compare=GRADIENT,
         mistakes=(Mistake("bias-gradient-over-classes", "db sums over the classes: it sums over the samples "
                           "(axis 0), one entry per class", wrong=_bias_summed_over_classes, fields=(2,)),),
         lecture_lib=FUNCTIONS),
    Part("gradient_descent-tests", "gradient_descent", "Gradient descent", 2, seed=402, cases=descent_cases,
         reference=descent,
         compare=Fields(("W", Close(rtol=1e-9, atol=1e-12)), ("b", Close(rtol=1e-9, atol=1e-12)),
                        ("costs", Numbers(rtol=1e-9))),
         mistakes=(Mistake("bias-not-updated", "the bias b is never updated: step both W and b",
                           wrong=lambda *args: descent(*args, update_b=False)),
                   Mistake("gradient-ascent", "the steps go uphill: subtract the gradient times the learning rate",
                           wrong=lambda *args: descent(*args, step=+1.0)),
                   Mistake("gradient-computed-once", "the gradient is computed once, before the loop: compute it "
                           "again at every step, at the current W and b",
                           wrong=lambda *args: descent(*args, once=True))),
         errors=False, lecture_lib=FUNCTIONS, stand_ins=COST_AND_GRADIENT, stand_in_names=("cost_and_gradient",)),
    Part("weighted_cost_and_gradient-tests", "weighted_cost_and_gradient", "A class-weighted cost", 2, seed=403,
         cases=weighted_cases, reference=weighted, compare=GRADIENT,
         mistakes=(Mistake("divided-by-m", "it divides by m: the weighted mean divides by the sum of the weights of "
                           "the samples' classes", wrong=_divided_by_m),
                   Mistake("weights-on-the-columns", "it weights the columns (classes) of P - Y: each sample's row is "
                           "weighted by the weight of its own class", wrong=_weights_on_columns, fields=(1, 2))),
         lecture_lib=FUNCTIONS),
]
