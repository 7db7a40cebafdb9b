"""The hidden tests of every exercise, on the trusted side only.

For each assignment, :data:`PARTS` lists its graded parts in notebook order. A part names

- ``grade_id``: the nbgrader test cell it scores (its points come from the source notebook);
- ``function``: the function of the notebook it grades;
- ``lecture_lib``: the lecture_lib modules the part's sandbox may see (``()``: none at all);
- ``libraries``: the installed libraries the part's sandbox sees (numpy and matplotlib unless
  the part uses another, as the PyTorch exercise does); scipy, scikit-learn, PyTorch and every
  other package are absent otherwise: what a part forbids is absent, not patched;
- ``stand_ins``: numpy-only code defining reference versions of earlier parts, run in the
  sandbox before this part's calls so that a mistake in an earlier part costs no points here;
- ``check(call)``: draws the hidden inputs from the generator ``call.rng(seed)`` (:class:`Seeds`:
  the public seed, or one drawn from the course secret and the student id), sends them with
  ``call(name, *args)`` (which returns the sandbox's answer as plain data) and compares the
  answers with references computed here, from ``lecture_lib``; it raises
  :class:`~compare.CheckFailed` for a wrong answer.

The same hidden tests are in the source notebooks' hidden test cells (for nbval and for plain
``nbgrader autograde``); ``tests/test_grading.py`` checks that both agree on the parts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import math
from collections.abc import Callable

import numpy as np

import lecture_lib
from sandbox import BASE_LIBRARIES
from compare import (CheckFailed, assert_close, assert_scalar_close, check_array, check_integers,
                     check_tuple)


@dataclasses.dataclass(frozen=True)
class Part:
    grade_id: str
    function: str
    check: Callable
    lecture_lib: tuple[str, ...] = ()
    libraries: tuple[str, ...] = BASE_LIBRARIES
    stand_ins: str = ""
    stand_in_names: tuple[str, ...] = ()


class Seeds:
    """The random generators of the hidden inputs of one submission.

    Without a secret, ``rng(seed)`` is ``numpy.random.default_rng(seed)``: the public seeds written in
    this file, the same for every student (and for anyone who reads the repository). With the course
    secret (bytes the instructor keeps outside the repository), the seed is
    HMAC-SHA256(secret, student id, public seed): each student gets inputs of their own, which nobody
    without the secret can compute, and the same student gets the same inputs on a regrade.
    """

    def __init__(self, secret: bytes | None = None, student: str = ""):
        self.secret = secret
        self.student = student

    def rng(self, seed: int) -> np.random.Generator:
        if self.secret is None:
            return np.random.default_rng(seed)
        message = f"{self.student}\0{seed}".encode()
        return np.random.default_rng(int.from_bytes(hmac.new(self.secret, message, hashlib.sha256).digest(), "big"))


def expect_value_error(call, name: str, *args, mentions: str) -> None:
    """``name(*args)`` must raise a ValueError whose message mentions ``mentions``."""
    error = call.raises(name, *args)
    if error is None or error[0] != "ValueError":
        raise CheckFailed(f"{name} must raise a ValueError for an invalid argument")
    if mentions not in error[1]:
        raise CheckFailed(f"the ValueError's message should name {mentions}")


# -- stand-ins: numpy only (the sandbox may have no lecture_lib) --------------------------------
SOFTMAX = '''
import numpy as _np
def softmax(Z, axis=-1):
    Z = _np.asarray(Z)
    E = _np.exp(Z - Z.max(axis=axis, keepdims=True))
    return E / E.sum(axis=axis, keepdims=True)
'''
LOGITS = '''
def logits(X, W, b):
    return X @ W + b
'''
PREDICT_PROBA = SOFTMAX + LOGITS + '''
def predict_proba(X, W, b):
    return softmax(X @ W + b, axis=1)
'''
COST_AND_GRADIENT = SOFTMAX + '''
def cost_and_gradient(X, Y, W, b):
    Z = X @ W + b
    c = Z.max(axis=1, keepdims=True)
    log_P = Z - c - _np.log(_np.exp(Z - c).sum(axis=1, keepdims=True))
    G = (softmax(Z, axis=1) - Y) / X.shape[0]
    return float(-(Y * log_P).sum() / X.shape[0]), X.T @ G, G.sum(axis=0)
'''
STANDARDIZE = '''
def standardize(A, B):
    mean, std = A.mean(axis=0), A.std(axis=0)
    std[std == 0] = 1.0
    return (A - mean) / std, (B - mean) / std
'''


# -- 01_modeling ---------------------------------------------------------------------------------
def check_softmax(call):
    rng = call.rng(101)
    cases = [rng.normal(size=(7, 4)), rng.normal(scale=30.0, size=5),
             np.array([[1e4, -1e4, 0.0], [-1e4, 1.0 - 1e4, -1e4]]), rng.normal(size=(1, 2)),
             (rng.normal(size=(6, 3)) * 1e4).astype(np.float32), np.array([[5.0, 5.0, 5.0]])]
    for z in cases:
        single = z.dtype == np.float32
        assert_close(call("softmax", z, errors="raise"), lecture_lib.softmax(z), "softmax",
                     rtol=1e-5 if single else 1e-9, atol=1e-7 if single else 1e-14)


def check_softmax_with_temperature(call):
    rng = call.rng(102)
    cases = [(rng.normal(size=(5, 4)), 0.5), (rng.normal(size=(5, 4)), 3.0),
             (rng.normal(size=6), 1e-3), (rng.normal(size=(2, 3)).astype(np.float32), 7.0)]
    for z, t in cases:
        assert_close(call("softmax_with_temperature", z, t, errors="raise"), lecture_lib.softmax(z / t),
                     "softmax_with_temperature", rtol=1e-5 if z.dtype == np.float32 else 1e-9, atol=1e-7)
    for t in (0.0, -2.0):
        expect_value_error(call, "softmax_with_temperature", cases[0][0], t, mentions="T")


# -- 02_forward_pass -----------------------------------------------------------------------------
def check_logits(call):
    rng = call.rng(201)
    for m, d, k in [(6, 3, 4), (1, 2, 3), (5, 4, 5), (3, 3, 3)]:
        X, W, b = rng.normal(size=(m, d)), rng.normal(size=(d, k)), rng.normal(size=k)
        expected = np.einsum("ij,jk->ik", X, W) + b[np.newaxis, :]
        assert_close(call("logits", X, W, b), expected, "logits", rtol=1e-10, atol=1e-12)


def check_predict_proba(call):
    rng = call.rng(202)
    cases = [(rng.normal(size=(6, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)),
             (rng.normal(size=(1, 2)), rng.normal(size=(2, 2)), rng.normal(size=2)),
             (rng.normal(size=(4, 4)), 1e4 * rng.normal(size=(4, 4)), rng.normal(size=4))]
    for X, W, b in cases:
        assert_close(call("predict_proba", X, W, b, errors="raise"), lecture_lib.softmax(X @ W + b, axis=1),
                     "predict_proba", rtol=1e-9, atol=1e-14)


def check_predict(call):
    rng = call.rng(203)
    for m, d, k in [(7, 3, 4), (1, 2, 5), (5, 4, 2), (3, 3, 3)]:
        X, W, b = rng.normal(size=(m, d)), rng.normal(size=(d, k)), rng.normal(size=k)
        y = call("predict", X, W, b)
        check_array(y, "predict", (m,))
        check_integers(y, "predict")
        expected = np.array([max(range(k), key=row.__getitem__) for row in (X @ W + b).tolist()])
        assert_close(y, expected, "predict", rtol=0.0, atol=0.0, check_dtype=False)


# -- 03_loss_and_cost ----------------------------------------------------------------------------
def check_one_hot(call):
    rng = call.rng(301)
    for y, k in [(rng.integers(0, 4, size=9), 6), (np.array([1]), 2), (np.array([0, 0, 0]), 3),
                 (rng.integers(0, 10, size=20), 10)]:
        expected = np.array([[1.0 if j == label else 0.0 for j in range(k)] for label in y.tolist()])
        assert_close(call("one_hot", y, k), expected, "one_hot", rtol=0.0, atol=0.0)


def check_cost_from_logits(call):
    rng = call.rng(302)
    cases = [(rng.normal(size=(8, 5)), rng.integers(0, 5, size=8)), (rng.normal(size=(1, 3)), np.array([1])),
             (rng.normal(size=(6, 2)), rng.integers(0, 2, size=6)),
             (1e4 * rng.normal(size=(5, 4)), rng.integers(0, 4, size=5))]
    for z, y in cases:
        assert_scalar_close(call("cost_from_logits", z, y, errors="raise"), lecture_lib.cross_entropy(y, z),
                            "cost_from_logits", rtol=1e-9)


# -- 04_gradient ---------------------------------------------------------------------------------
def check_cost_and_gradient(call):
    rng = call.rng(401)
    cases = []
    for m, d, k in [(9, 4, 3), (1, 2, 4), (7, 5, 2)]:
        cases.append((rng.normal(size=(m, d)), lecture_lib.one_hot(rng.integers(0, k, size=m), k),
                      rng.normal(size=(d, k)), rng.normal(size=k)))
    ref = lecture_lib.softmax_regression_cost_and_gradient
    for X, Y, W, b in cases:
        J, dW, db = ref(X, Y, W, b)
        numeric_W = lecture_lib.numerical_gradient(lambda W_: ref(X, Y, W_, b)[0], W)
        numeric_b = lecture_lib.numerical_gradient(lambda b_: ref(X, Y, W, b_)[0], b)
        out = call("cost_and_gradient", X, Y, W, b)
        check_tuple(out, "cost_and_gradient", 3, "(J, dW, db)")
        assert_scalar_close(out[0], J, "J", rtol=1e-9)
        assert_close(out[1], dW, "dW", rtol=1e-8, atol=1e-12)
        assert_close(out[2], db, "db", rtol=1e-8, atol=1e-12)
        assert_close(out[1], numeric_W, "dW against finite differences", rtol=1e-5, atol=1e-8)
        assert_close(out[2], numeric_b, "db against finite differences", rtol=1e-5, atol=1e-8)


def check_gradient_descent(call):
    rng = call.rng(402)
    X = rng.normal(size=(12, 3))
    Y = lecture_lib.one_hot(rng.integers(0, 3, size=12), 3)
    W, b, costs = np.zeros((3, 3)), np.zeros(3), []
    for _ in range(25):
        J, dW, db = lecture_lib.softmax_regression_cost_and_gradient(X, Y, W, b)
        costs.append(J)
        W, b = W - 0.3 * dW, b - 0.3 * db
    out = call("gradient_descent", X, Y, 0.3, 25)
    check_tuple(out, "gradient_descent", 3, "(W, b, costs)")
    assert_close(out[0], W, "W", rtol=1e-9, atol=1e-12)
    assert_close(out[1], b, "b", rtol=1e-9, atol=1e-12)
    got = out[2]
    if type(got) not in (list, tuple) or not all(isinstance(c, (int, float, np.number)) for c in got):
        raise CheckFailed("costs must be a list of numbers")
    assert_close(np.array([float(c) for c in got]), np.array(costs), "costs", rtol=1e-9)


# -- 05_digits -----------------------------------------------------------------------------------
def check_confusion_matrix(call):
    rng = call.rng(501)
    for m, k in [(40, 4), (1, 3), (25, 6)]:
        t, p = rng.integers(0, k - 1, size=m), rng.integers(0, k, size=m)
        expected = [[0] * k for _ in range(k)]
        for i, j in zip(t.tolist(), p.tolist()):
            expected[i][j] += 1
        C = call("confusion_matrix", t, p, k)
        check_array(C, "confusion_matrix", (k, k))
        check_integers(C, "confusion_matrix")
        assert_close(C, np.array(expected), "confusion_matrix", rtol=0.0, atol=0.0, check_dtype=False)


def _standardize(A, B):
    mean, std = A.mean(axis=0), A.std(axis=0)
    std[std == 0] = 1.0
    return (A - mean) / std, (B - mean) / std


def check_standardize(call):
    rng = call.rng(502)
    A = rng.normal(loc=3.0, scale=2.0, size=(30, 4))
    A[:, 2] = 7.0                                      # a constant feature
    B = rng.normal(loc=-1.0, scale=5.0, size=(9, 4))   # another distribution
    mean = [sum(col) / len(col) for col in zip(*A.tolist())]
    std = [(sum((v - mu) ** 2 for v in col) / len(col)) ** 0.5 for col, mu in zip(zip(*A.tolist()), mean)]
    std = [s if s > 0 else 1.0 for s in std]
    scale = lambda M: np.array([[(v - mu) / s for v, mu, s in zip(row, mean, std)] for row in M.tolist()])  # noqa: E731
    out = call("standardize", A, B, errors="raise")
    check_tuple(out, "standardize", 2, "(X_train_std, X_test_std)")
    assert_close(out[0], scale(A), "X_train_std", rtol=1e-9, atol=1e-12)
    assert_close(out[1], scale(B), "X_test_std", rtol=1e-9, atol=1e-12)


def check_train(call):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    order = call.rng(503).permutation(len(y))
    train, test = order[:1300], order[1300:]
    A, B = _standardize(X[train], X[test])
    out = call("train", A, y[train], 10)
    check_tuple(out, "train", 2, "(W, b)")
    check_array(out[0], "W", (64, 10))
    check_array(out[1], "b", (10,))
    scores = (B @ out[0].astype(np.float64) + out[1].astype(np.float64)).tolist()
    right = sum(max(range(10), key=row.__getitem__) == label for row, label in zip(scores, y[test].tolist()))
    if not right >= 0.93 * len(test):
        raise CheckFailed("the held-out accuracy of the trained model is below 0.93")


# -- 06_comparisons ------------------------------------------------------------------------------
def check_sigmoid(call):
    rng = call.rng(601)
    cases = [rng.normal(scale=5.0, size=(4, 3)), np.array([1e4, -1e4, 0.0, 30.0, -30.0]),
             np.array([1e4, -1e4, 3.0], dtype=np.float32), rng.normal(size=1)]
    exact = lambda v: 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))  # noqa: E731
    for z in cases:
        expected = np.array([exact(v) for v in z.ravel().tolist()], dtype=z.dtype).reshape(z.shape)
        assert_close(call("sigmoid", z, errors="raise"), expected, "sigmoid",
                     rtol=1e-6 if z.dtype == np.float32 else 1e-12, atol=1e-30)


def check_softmax_to_logistic(call):
    rng = call.rng(602)
    for d in (1, 4):
        X, W, b = rng.normal(size=(8, d)), rng.normal(size=(d, 2)), rng.normal(size=2)
        out = call("softmax_to_logistic", W, b)
        check_tuple(out, "softmax_to_logistic", 2, "(w, c)")
        check_array(out[0], "w", (d,))
        assert_scalar_close(out[1], float(b[1] - b[0]), "c", rtol=1e-12)
        with np.errstate(all="ignore"):
            logistic = lecture_lib.sigmoid(X @ out[0].astype(np.float64) + float(out[1]))
        assert_close(logistic, lecture_lib.softmax(X @ W + b)[:, 1], "sigmoid(X @ w + c)", rtol=1e-9, atol=1e-14)


# -- 07_pytorch ----------------------------------------------------------------------------------
def _classification(rng, m: int, d: int, K: int):
    """Seeded data with every class present: ``X (m, d)``, ``y (m,)`` (int64)."""
    X = rng.normal(size=(m, d))
    y = np.concatenate([np.arange(K), rng.integers(K, size=m - K)]).astype(np.int64)
    return X, y


def check_cost_and_gradient_torch(call):
    rng = call.rng(701)
    for m, d, K, lam in ((40, 5, 4, 0.0), (25, 3, 2, 0.3), (7, 8, 6, 1e-3)):
        X, y = _classification(rng, m, d, K)
        W, b = rng.normal(size=(d, K)), rng.normal(size=K)
        out = call("cost_and_gradient", X, y, W, b, lam)
        check_tuple(out, "cost_and_gradient", 3, "(J, dW, db)")
        J, dW, db = lecture_lib.softmax_regression_cost_and_gradient(X, y, W, b, l2=lam)
        assert_scalar_close(out[0], J, "J", rtol=1e-10)
        assert_close(out[1], dW, "dW", rtol=1e-9, atol=1e-12)
        assert_close(out[2], db, "db", rtol=1e-9, atol=1e-12)


def check_fit_lbfgs(call):
    rng = call.rng(702)
    for m, d, K, lam in ((60, 4, 3, 0.05), (30, 6, 5, 1e-3)):
        X, y = _classification(rng, m, d, K)
        out = call("fit_lbfgs", X, y, K, lam)
        check_tuple(out, "fit_lbfgs", 2, "(W, b)")
        check_array(out[0], "W", (d, K))
        check_array(out[1], "b", (K,))
        best = lecture_lib.SoftmaxRegression(l2=lam, solver="lbfgs", tol=1e-10, max_iter=5000).fit(X, y)
        J_star = lecture_lib.softmax_regression_cost(X, y, best.W_, best.b_, l2=lam)
        J = lecture_lib.softmax_regression_cost(X, y, out[0].astype(np.float64), out[1].astype(np.float64), l2=lam)
        assert_scalar_close(J, J_star, "J_lambda(W, b)", rtol=1e-8)


#: lecture_lib's modules that hold softmax, log_softmax, logsumexp and one_hot (and the validation they use).
FUNCTIONS = ("functions",)
#: ... and the cross-entropy and the cost and gradient of softmax regression.
COST_FUNCTIONS = ("functions", "losses", "gradients")

#: The libraries of the PyTorch exercise's sandboxes.
TORCH = (*BASE_LIBRARIES, "torch")

PARTS: dict[str, list[Part]] = {
    "01_modeling": [
        Part("softmax-tests", "softmax", check_softmax),
        Part("softmax_with_temperature-tests", "softmax_with_temperature", check_softmax_with_temperature,
             stand_ins=SOFTMAX, stand_in_names=("softmax",)),
    ],
    "02_forward_pass": [
        Part("logits-tests", "logits", check_logits),
        Part("predict_proba-tests", "predict_proba", check_predict_proba, lecture_lib=FUNCTIONS,
             stand_ins=LOGITS, stand_in_names=("logits",)),
        Part("predict-tests", "predict", check_predict, lecture_lib=FUNCTIONS,
             stand_ins=PREDICT_PROBA, stand_in_names=("logits", "predict_proba")),
    ],
    "03_loss_and_cost": [
        Part("one_hot-tests", "one_hot", check_one_hot),
        Part("cost_from_logits-tests", "cost_from_logits", check_cost_from_logits),
    ],
    "04_gradient": [
        Part("cost_and_gradient-tests", "cost_and_gradient", check_cost_and_gradient, lecture_lib=FUNCTIONS),
        Part("gradient_descent-tests", "gradient_descent", check_gradient_descent, lecture_lib=FUNCTIONS,
             stand_ins=COST_AND_GRADIENT, stand_in_names=("cost_and_gradient",)),
    ],
    "05_digits": [
        Part("confusion_matrix-tests", "confusion_matrix", check_confusion_matrix),
        Part("standardize-tests", "standardize", check_standardize),
        Part("train-tests", "train", check_train, lecture_lib=COST_FUNCTIONS,
             stand_ins=STANDARDIZE, stand_in_names=("standardize",)),
    ],
    "06_comparisons": [
        Part("sigmoid-tests", "sigmoid", check_sigmoid),
        Part("softmax_to_logistic-tests", "softmax_to_logistic", check_softmax_to_logistic),
    ],
    "07_pytorch": [  # PyTorch is in these sandboxes; lecture_lib is not
        Part("cost_and_gradient-tests", "cost_and_gradient", check_cost_and_gradient_torch, libraries=TORCH),
        Part("fit_lbfgs-tests", "fit_lbfgs", check_fit_lbfgs, libraries=TORCH),
    ],
}
