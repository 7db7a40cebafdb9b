"""Exercise 7 · Softmax regression in PyTorch (chapter *PyTorch*)."""

import numpy as np

import lecture_lib

from .framework import Close, Failed, Fields, Mistake, Number, Part, check_array

ASSIGNMENT = "07_pytorch"
#: The packages of this exercise's sandboxes: PyTorch as well.
TORCH = ("numpy", "matplotlib", "torch")


def _classification(rng, m: int, d: int, K: int):
    """Seeded data with every class present: ``X (m, d)``, ``y (m,)`` (int64)."""
    X = rng.normal(size=(m, d))
    y = np.concatenate([np.arange(K), rng.integers(K, size=m - K)]).astype(np.int64)
    return X, y


GRADIENT = Fields(("J", Number(rtol=1e-10)), ("dW", Close(rtol=1e-9, atol=1e-12)), ("db", Close(rtol=1e-9, atol=1e-12)))


def gradient_cases(rng):
    cases = []
    for m, d, K, lam in ((40, 5, 4, 0.0), (25, 3, 2, 0.3), (7, 8, 6, 1e-3)):
        X, y = _classification(rng, m, d, K)
        cases.append((X, y, rng.normal(size=(d, K)), rng.normal(size=K), lam))
    return cases


def _cost(X, y, W, b, lam, logits=lambda Z: Z, mean=True, bias_penalty=False):
    """J_lambda with the classic mistakes as options, for the diagnoses."""
    Z = logits(X @ W + b)
    losses = lecture_lib.logsumexp(Z, axis=1) - Z[np.arange(len(y)), y]
    penalty = lam / 2 * ((W**2).sum() + ((b**2).sum() if bias_penalty else 0.0))
    return float((losses.mean() if mean else losses.sum()) + penalty), None, None


def lbfgs_cases(rng):
    """Features on scales from 0.2 to 5: an ill-conditioned cost, which a few iterations do not minimise."""
    cases = []
    for m, d, K, lam in ((60, 4, 3, 0.05), (30, 6, 5, 1e-3), (50, 8, 4, 1e-3)):
        X, y = _classification(rng, m, d, K)
        cases.append((X * np.geomspace(0.2, 5.0, d), y, K, lam))
    return cases


def optimum(X, y, K, lam) -> float:
    """The minimum of J_lambda, from lecture_lib's L-BFGS run to a tight tolerance."""
    best = lecture_lib.SoftmaxRegression(l2=lam, solver="lbfgs", tol=1e-10, max_iter=5000).fit(X, y)
    return lecture_lib.softmax_regression_cost(X, y, best.W_, best.b_, l2=lam)


def _weights(answer):
    return tuple(np.asarray(a, dtype=np.float64) for a in answer)


def judge_lbfgs(answer, args, J_star) -> None:
    X, y, K, lam = args
    if type(answer) is not tuple or len(answer) != 2:
        raise Failed("fit_lbfgs must return the tuple (W, b)")
    check_array(answer[0], "fit_lbfgs: W", (X.shape[1], K))
    check_array(answer[1], "fit_lbfgs: b", (K,))
    J = lecture_lib.softmax_regression_cost(X, y, *_weights(answer), l2=lam)
    if not abs(J - J_star) <= 1e-8 * abs(J_star):
        raise Failed("fit_lbfgs: J_lambda at the returned (W, b) is above its minimum")


def _bias_penalised(answer, args, J_star) -> bool:
    """The returned point is where the gradient of J_lambda + lambda/2 |b|^2 vanishes."""
    X, y, K, lam = args
    W, b = _weights(answer)
    _, dW, db = lecture_lib.softmax_regression_cost_and_gradient(X, y, W, b, l2=lam)
    return lam > 0 and np.abs(dW).max() < 1e-5 and np.abs(db + lam * b).max() < 1e-5 and np.abs(db).max() > 1e-5


#: The largest entry of the gradient of J_lambda beyond which a returned point is not its minimum.
STATIONARY_TOL = 1e-6


def _not_converged(answer, args, J_star) -> bool:
    """The gradient of J_lambda at the returned (W, b) is not zero: the optimiser stopped before the minimum."""
    X, y, K, lam = args
    _, dW, db = lecture_lib.softmax_regression_cost_and_gradient(X, y, *_weights(answer), l2=lam)
    return max(np.abs(dW).max(), np.abs(db).max()) > STATIONARY_TOL


def weighted_cases(rng):
    cases = []
    for m, d, K, epsilon in ((40, 5, 4, 0.1), (25, 3, 2, 0.2), (9, 6, 6, 0.05)):
        X, y = _classification(rng, m, d, K)
        cases.append((X, y, rng.normal(size=(d, K)), rng.normal(size=K), rng.uniform(0.2, 5.0, size=K), epsilon))
    return cases


def weighted_smoothed(X, y, W, b, omega, epsilon):
    """The reference: the cost with class weights and label smoothing as PyTorch defines them, and its gradient."""
    return lecture_lib.softmax_regression_cost_and_gradient(X, y, W, b, class_weight=omega, label_smoothing=epsilon)


def _weighted_by_hand(X, y, W, b, omega, epsilon):
    """Per-sample smoothed losses times the weight of the sample's class, averaged over m."""
    losses = lecture_lib.cross_entropy(y, X @ W + b, reduction="none", label_smoothing=epsilon)
    return float(np.mean(omega[y] * losses)), None, None


PARTS = [
    Part("cost_and_gradient-tests", "cost_and_gradient", "The cost and its gradient by autograd", 2, seed=701,
         cases=gradient_cases,
         reference=lambda X, y, W, b, lam: lecture_lib.softmax_regression_cost_and_gradient(X, y, W, b, l2=lam),
         compare=GRADIENT,
         mistakes=(Mistake("softmax-before-the-loss", "cross_entropy takes logits and applies log-softmax itself: "
                           "a softmax before it computes another function",
                           wrong=lambda *args: _cost(*args, logits=lambda Z: lecture_lib.softmax(Z, axis=1)),
                           fields=(0,)),
                   Mistake("sum-instead-of-mean", "the cost sums the losses where the mean belongs (reduction='sum')",
                           wrong=lambda *args: _cost(*args, mean=False), fields=(0,)),
                   Mistake("bias-penalised", "the penalty includes the bias: J_lambda penalises W only",
                           wrong=lambda *args: _cost(*args, bias_penalty=True), fields=(0,))),
         libraries=TORCH),
    Part("fit_lbfgs-tests", "fit_lbfgs", "The optimum with L-BFGS", 2, seed=702, cases=lbfgs_cases, reference=optimum,
         judge=judge_lbfgs,
         mistakes=(Mistake("bias-penalised", "the returned point minimises a cost that penalises the bias too: "
                           "J_lambda penalises W only", when=_bias_penalised),
                   Mistake("no-zero-grad", "the closure does not call optimizer.zero_grad(): each backward() adds "
                           "its gradient to the previous ones", source_lacks="zero_grad"),
                   Mistake("not-converged", "L-BFGS stopped before the minimum: its defaults run 20 iterations "
                           "without a line search (raise max_iter, use line_search_fn='strong_wolfe')",
                           when=_not_converged)),
         libraries=TORCH),
    Part("weighted_smoothed_cost-tests", "weighted_smoothed_cost", "Class weights and label smoothing", 2,
         seed=703, cases=weighted_cases, reference=weighted_smoothed,
         compare=GRADIENT,
         mistakes=(Mistake("weighted-by-hand", "the weighted losses are averaged over m: F.cross_entropy(weight=...) "
                           "divides by the sum of the samples' class weights", wrong=_weighted_by_hand, fields=(0,)),
                   Mistake("no-smoothing", "label smoothing is missing: pass label_smoothing=epsilon",
                           wrong=lambda X, y, W, b, omega, epsilon: weighted_smoothed(X, y, W, b, omega, 0.0),
                           fields=(0,))),
         libraries=TORCH),
]
