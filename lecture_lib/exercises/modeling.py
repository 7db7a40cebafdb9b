"""Exercise 1 · Softmax with a temperature (chapter *Modeling*)."""

import math

import numpy as np

import lecture_lib

from .framework import Close, Failed, Invalid, Mistake, Part
from .stand_ins import SOFTMAX

ASSIGNMENT = "01_modeling"


def _naive_softmax(Z, axis=-1):
    E = np.exp(Z)
    return E / E.sum(axis=axis, keepdims=True)


def _rows_do_not_sum_to_one(P, args, expected) -> bool:
    sums = np.asarray(P, dtype=np.float64).sum(axis=-1)
    return bool(np.all(np.isfinite(sums))) and not np.allclose(sums, 1.0, atol=1e-6)


NO_MAX_SHIFT = Mistake("no-max-shift", "exp overflows for large logits: subtract each row's maximum first "
                       "(softmax(z - c) = softmax(z) for every constant c)", wrong=_naive_softmax)
ROWS_DO_NOT_SUM_TO_ONE = Mistake("rows-do-not-sum-to-one", "the rows of the answer do not sum to one: "
                                 "divide each row by its own sum", when=_rows_do_not_sum_to_one)


def softmax_cases(rng):
    return [(rng.normal(size=(7, 4)),),                                   # a batch
            (rng.normal(scale=30.0, size=5),),                            # one sample
            (np.array([[1e4, -1e4, 0.0], [-1e4, 1.0 - 1e4, -1e4]]),),     # huge logits, rows far apart
            (rng.normal(size=(1, 2)),),                                   # one sample in a batch, K = 2
            ((rng.normal(size=(6, 3)) * 1e4).astype(np.float32),),       # float32, huge
            (np.array([[5.0, 5.0, 5.0]]),)]                               # ties


def temperature_cases(rng):
    return [(rng.normal(size=(5, 4)), 0.5), (rng.normal(size=(5, 4)), 3.0),
            (rng.normal(size=6), 1e-3), (rng.normal(size=(2, 3)).astype(np.float32), 7.0)]


def temperature_invalid(rng):
    Z = rng.normal(size=(3, 4))
    return [Invalid((Z, T), "T", "a temperature T <= 0 (T = 0 included) must raise a ValueError that names T")
            for T in (0.0, -2.0)]


def confidence(z, T) -> float:
    """The largest probability of ``softmax(z / T)``."""
    return float(lecture_lib.softmax(z / T).max())


def temperature_for(z, p) -> float:
    """The reference: the T with ``confidence(z, T) = p``, by bisection on log T (the confidence falls
    from 1 to 1/K as T grows, when z has one largest entry)."""
    lo, hi = 1.0, 1.0
    while confidence(z, lo) < p:
        lo /= 2.0
    while confidence(z, hi) > p:
        hi *= 2.0
    for _ in range(200):
        middle = math.sqrt(lo * hi)
        lo, hi = (middle, hi) if confidence(z, middle) > p else (lo, middle)
    return math.sqrt(lo * hi)


def target_cases(rng):
    """Logits with one largest entry, and a target between 1/K and 1 (near both ends too)."""
    cases = []
    for K, scale, where in [(4, 1.0, 0.5), (2, 3.0, 0.9), (6, 50.0, 0.02), (3, 1.0, 0.999), (5, 1e3, 0.3)]:
        z = scale * rng.normal(size=K)
        cases.append((z, 1.0 / K + where * (1.0 - 1.0 / K)))
    return cases


def target_invalid(rng):
    z = rng.normal(size=4)
    return [Invalid((z, p), "p", "a confidence p outside (1/K, 1) must raise a ValueError that names p")
            for p in (1.0, 0.25, 0.1)]


def judge_temperature(T, args, expected) -> None:
    z, p = args
    if type(T) is bool or not isinstance(T, (int, float, np.integer, np.floating)) or not T > 0:
        raise Failed("temperature_for must return a positive number")
    if not abs(confidence(z, float(T)) - p) <= 1e-9:
        raise Failed("temperature_for: the largest probability of softmax(z / T) is not p at the returned T")


PARTS = [
    Part("softmax-tests", "softmax", "A stable softmax", 3, seed=101, cases=softmax_cases,
         reference=lecture_lib.softmax, compare=Close(rtol=1e-9, atol=1e-14),
         mistakes=(
             Mistake("wrong-axis", "it normalises along the wrong axis: softmax works along the last axis, "
                     "so that every row sums to one", wrong=lambda Z: lecture_lib.softmax(Z, axis=0)),
             NO_MAX_SHIFT,
             Mistake("one-max-for-the-batch", "it subtracts one maximum for the whole batch, so rows far "
                     "below it underflow to 0/0: subtract each row's own maximum (keepdims=True)",
                     wrong=lambda Z: np.exp(Z - Z.max()) / np.exp(Z - Z.max()).sum(axis=-1, keepdims=True)),
             ROWS_DO_NOT_SUM_TO_ONE)),
    Part("softmax_with_temperature-tests", "softmax_with_temperature", "Temperature", 2, seed=102,
         cases=temperature_cases, reference=lambda Z, T: lecture_lib.softmax(Z / T),
         compare=Close(rtol=1e-9, atol=1e-7), invalid=temperature_invalid,
         mistakes=(Mistake("multiplies-by-T", "it multiplies the logits by T: divide them by T",
                           wrong=lambda Z, T: lecture_lib.softmax(Z * T)),),
         stand_ins=SOFTMAX,
         stand_in_names=("softmax",)),
    Part("temperature_for-tests", "temperature_for", "A temperature for a given confidence", 2, seed=103,
         cases=target_cases, judge=judge_temperature, invalid=target_invalid,
         mistakes=(Mistake("inverse-temperature", "the confidence is p when the logits are multiplied by your T: the "
                           "temperature divides the logits (a larger T, a flatter softmax)",
                           when=lambda T, args, _: abs(confidence(args[0], 1.0 / float(T)) - args[1]) <= 1e-6),
                   Mistake("not-converged", "the confidence at your T is close to p but not equal: go on halving the "
                           "bracket until it is tight (bisection on log T needs about 100 steps for full precision)",
                           when=lambda T, args, _: abs(confidence(args[0], float(T)) - args[1]) <= 1e-2)),
         stand_ins=SOFTMAX, stand_in_names=("softmax",)),
]
