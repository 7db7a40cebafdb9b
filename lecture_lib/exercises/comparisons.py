"""Exercise 6 · Softmax with two classes is logistic regression (chapter *Comparisons*)."""

import math

import numpy as np

import lecture_lib

from .framework import Close, Fields, Mistake, Number, Part

ASSIGNMENT = "06_comparisons"


def sigmoid_cases(rng):
    return [(rng.normal(scale=5.0, size=(4, 3)),), (np.array([1e4, -1e4, 0.0, 30.0, -30.0]),),
            (np.array([1e4, -1e4, 3.0], dtype=np.float32),), (rng.normal(size=1),)]


def _exact(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))


def sigmoid(z):
    """The reference, one Python float at a time, in the input's dtype."""
    return np.array([_exact(v) for v in z.ravel().tolist()], dtype=z.dtype).reshape(z.shape)


def logistic_cases(rng):
    return [(rng.normal(size=(d, 2)), rng.normal(size=2)) for d in (1, 4)]


def calibration_cases(rng):
    """Validation logits of an over-confident model: large, right about three times in four."""
    cases = []
    for m, K, scale in [(200, 4, 6.0), (50, 3, 3.0), (400, 10, 10.0)]:
        y = rng.integers(0, K, size=m)
        winner = np.where(rng.random(m) < 0.75, y, rng.integers(0, K, size=m))
        Z = scale * (np.eye(K)[winner] + 0.3 * rng.normal(size=(m, K)))
        cases.append((Z, y))
    return cases


def _grid(Z, y):
    """The best T of a coarse grid (what a grid search returns)."""
    grid = np.geomspace(0.05, 20.0, 60)
    return float(grid[np.argmin([lecture_lib.cross_entropy(y, Z / T) for T in grid])])


PARTS = [
    Part("sigmoid-tests", "sigmoid", "A stable sigmoid", 2, seed=601, cases=sigmoid_cases, reference=sigmoid,
         compare=Close(rtol=1e-12, atol=1e-30, single=(1e-6, 1e-30)),
         mistakes=(Mistake("exp-overflow", "exp overflows for large |z|: compute exp only of -|z| (np.where "
                           "evaluates both of its branches, so it does not prevent the overflow)",
                           raised=("FloatingPointError",)),
                   Mistake("one-minus-sigmoid", "it returns 1 - sigmoid(z) = sigmoid(-z): the two branches are swapped",
                           wrong=lambda z: sigmoid(-z)))),
    Part("softmax_to_logistic-tests", "softmax_to_logistic", "From softmax weights to logistic weights", 2,
         seed=602, cases=logistic_cases, reference=lambda W, b: (W[:, 1] - W[:, 0], float(b[1] - b[0])),
         compare=Fields(("w", Close(rtol=1e-12, atol=1e-15)), ("c", Number(rtol=1e-12))),
         mistakes=(Mistake("bias-of-one-class", "c is the difference of the two biases, b_2 - b_1",
                           wrong=lambda W, b: (None, float(b[1])), fields=(1,)),)),
    Part("fit_temperature-tests", "fit_temperature", "Temperature scaling", 2, seed=603, cases=calibration_cases,
         reference=lambda Z, y: lecture_lib.fit_temperature(Z, y), compare=Number(rtol=1e-6),
         mistakes=(Mistake("returns-beta", "it returns beta = 1 / T: the temperature is the inverse of the factor "
                           "that multiplies the logits", wrong=lambda Z, y: 1.0 / lecture_lib.fit_temperature(Z, y)),
                   Mistake("grid-search", "it is near the best temperature but not at it (a grid?): solve "
                           "g'(beta) = 0 to full precision, for instance by bisection or Newton steps",
                           when=lambda T, args, expected: abs(float(T) / expected - 1.0) < 0.1))),
]
