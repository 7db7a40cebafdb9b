"""The three models of lecture_lib.models against independent references.

References: scikit-learn's LogisticRegression (same objective with C = 1 / (l2 m)),
numpy.linalg.lstsq / a normal-equation solve for linear regression, and L-BFGS as the reference
optimum for the gradient-descent solvers. Every test names the mistake it is there to catch.
"""

import io
import tracemalloc
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from lecture_lib import (
    LinearRegression,
    LogisticRegression,
    SoftmaxRegression,
    linear_regression_cost_and_gradient,
    logistic_regression_cost_and_gradient,
    softmax_regression_cost,
)

MODELS = [LinearRegression, LogisticRegression, SoftmaxRegression]



def make_data(kind, m=240, d=4, K=3, seed=0, dtype=np.float64):
    """Well-conditioned data: standard normal features, labels from a noisy linear rule."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, d))
    if kind == "linear":
        y = X @ rng.standard_normal(d) + 0.5 + 0.3 * rng.standard_normal(m)
    elif kind == "binary":
        y = (X @ rng.standard_normal(d) + 0.8 * rng.standard_normal(m) > 0).astype(int)
    else:
        y = np.argmax(X @ rng.standard_normal((d, K)) + 0.8 * rng.standard_normal((m, K)), axis=1)
    return X.astype(dtype), y


DATA_KIND = {LinearRegression: "linear", LogisticRegression: "binary", SoftmaxRegression: "multiclass"}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


# --------------------------------------------------------------------------- scikit-learn / numpy references
def test_softmax_regression_matches_sklearn_on_digits(digits):
    # Catches: a penalty of l2 instead of l2/2, a penalised bias, a sum instead of a mean, and a
    # wrong gradient (L-BFGS would stop elsewhere). Both solve the same strictly convex problem.
    X, y = digits
    m, l2 = X.shape[0], 1e-2
    ours = SoftmaxRegression(l2=l2, solver="lbfgs", tol=1e-10, max_iter=5000).fit(X, y)
    ref = SkLogisticRegression(C=1.0 / (l2 * m), tol=1e-10, max_iter=5000).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-5)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=0, atol=1e-4)
    assert ours.coef_.shape == (10, 64) and ours.W_.shape == (64, 10) and ours.b_.shape == (10,)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    # the recorded objective is the objective at the returned weights
    assert ours.loss_history_[-1] == pytest.approx(softmax_regression_cost(X, y, ours.W_, ours.b_, l2), rel=1e-12)


def test_binary_logistic_regression_matches_sklearn():
    X, y = make_data("binary", m=300, d=5, seed=1)
    m, l2 = X.shape[0], 0.05
    ours = LogisticRegression(l2=l2, tol=1e-10, max_iter=5000).fit(X, y)
    ref = SkLogisticRegression(C=1.0 / (l2 * m), tol=1e-10, max_iter=5000).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X), rtol=0, atol=1e-5)
    assert ours.coef_.shape == (1, 5) and ours.intercept_.shape == (1,)
    assert ours.w_.shape == (5,) and isinstance(ours.b_, float)
    np.testing.assert_array_equal(ours.coef_[0], ours.w_)


def test_linear_regression_matches_lstsq():
    # the intercept column is built here, in the test, not in the library
    X, y = make_data("linear", m=200, d=5, seed=2)
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    theta, *_ = np.linalg.lstsq(A, y, rcond=None)
    model = LinearRegression(tol=1e-12, max_iter=5000).fit(X, y)
    np.testing.assert_allclose(model.w_, theta[:-1], rtol=0, atol=1e-7)
    assert model.b_ == pytest.approx(theta[-1], abs=1e-7)
    np.testing.assert_allclose(model.predict(X), A @ theta, rtol=0, atol=1e-7)
    assert model.coef_.shape == (5,) and isinstance(model.intercept_, float)


def test_linear_regression_l2_matches_ridge():
    # (1/m)||Xw + b - y||^2 + (l2/2)||w||^2 is Ridge's ||Xw + b - y||^2 + alpha ||w||^2 with alpha = l2 m / 2
    X, y = make_data("linear", m=150, d=6, seed=3)
    l2 = 0.3
    model = LinearRegression(l2=l2, tol=1e-12, max_iter=5000).fit(X, y)
    ref = Ridge(alpha=l2 * X.shape[0] / 2).fit(X, y)
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=0, atol=1e-7)
    assert model.intercept_ == pytest.approx(ref.intercept_, abs=1e-7)


def test_two_class_softmax_equals_logistic_with_half_the_penalty():
    # At the optimum the two columns are opposite (w_1 = -w_0), so ||W||^2 = ||w||^2 / 2 for
    # w = w_1 - w_0: softmax with l2 = 2 lambda is logistic regression with lambda. Catches a
    # wrong l2 factor in either model and a decision_function that is not the log-odds.
    X, y = make_data("binary", m=200, d=3, seed=4)
    lam = 0.1
    soft = SoftmaxRegression(l2=2 * lam, tol=1e-10).fit(X, y)
    logi = LogisticRegression(l2=lam, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(soft.predict_proba(X), logi.predict_proba(X), rtol=0, atol=1e-6)
    np.testing.assert_allclose(soft.decision_function(X), logi.decision_function(X), rtol=0, atol=1e-5)
    np.testing.assert_allclose(soft.W_[:, 0], -soft.W_[:, 1], rtol=0, atol=1e-6)


# --------------------------------------------------------------------------- solvers agree
@pytest.mark.parametrize("Model", MODELS)
def test_gd_reaches_the_lbfgs_optimum(Model):
    # l2 > 0 makes the optimum unique; gd with tol=1e-9 on the gradient must land on it.
    X, y = make_data(DATA_KIND[Model], seed=5)
    ref = Model(l2=0.1, solver="lbfgs", tol=1e-12, max_iter=5000).fit(X, y)
    gd = Model(l2=0.1, solver="gd", learning_rate=0.2, tol=1e-9, max_iter=20000).fit(X, y)
    np.testing.assert_allclose(gd.coef_, ref.coef_, rtol=0, atol=1e-7)
    np.testing.assert_allclose(gd.intercept_, ref.intercept_, rtol=0, atol=1e-7)
    # with a step below 1/L plain gradient descent never increases the objective
    assert np.all(np.diff(gd.loss_history_) <= 1e-15)


@pytest.mark.parametrize("Model", MODELS)
def test_sgd_ends_near_the_lbfgs_optimum(Model):
    # A constant step leaves SGD in a neighbourhood of the optimum: stated tolerance 2e-2 on the
    # weights and 1e-3 on the objective for this problem (standardised features, l2 = 0.1).
    X, y = make_data(DATA_KIND[Model], seed=6)
    ref = Model(l2=0.1, solver="lbfgs", tol=1e-12, max_iter=5000).fit(X, y)
    sgd = Model(l2=0.1, solver="sgd", learning_rate=0.02, batch_size=16, tol=0, max_iter=60,
                random_state=0).fit(X, y)
    np.testing.assert_allclose(sgd.coef_, ref.coef_, rtol=0, atol=2e-2)
    assert sgd.loss_history_[-1] - ref.loss_history_[-1] == pytest.approx(0, abs=1e-3)
    assert sgd.loss_history_[-1] >= ref.loss_history_[-1] - 1e-12  # lbfgs found the minimum


@pytest.mark.parametrize("Model", MODELS)
def test_full_batch_sgd_is_gradient_descent(Model):
    # One batch of all m samples per epoch is exactly a gd step: catches a wrong sgd update
    # (e.g. forgetting the l2 term or the learning rate on the bias).
    X, y = make_data(DATA_KIND[Model], m=100, seed=7)
    kwargs = dict(l2=0.05, learning_rate=0.1, tol=0, max_iter=25)
    gd = Model(solver="gd", **kwargs).fit(X, y)
    sgd = Model(solver="sgd", batch_size=100, random_state=0, **kwargs).fit(X, y)
    np.testing.assert_allclose(sgd.coef_, gd.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sgd.intercept_, gd.intercept_, rtol=1e-10, atol=1e-12)


def test_gd_step_is_the_lecture_update_rule():
    # two iterations of gd by hand with the public gradient: theta <- theta - alpha * grad
    X, y = make_data("binary", m=50, d=3, seed=8)
    alpha, l2 = 0.3, 0.2
    w, b = np.zeros(3), 0.0
    for _ in range(2):
        _, dw, db = logistic_regression_cost_and_gradient(X, y, w, b, l2)
        w, b = w - alpha * dw, b - alpha * db
    model = LogisticRegression(solver="gd", learning_rate=alpha, l2=l2, tol=0, max_iter=2).fit(X, y)
    np.testing.assert_allclose(model.w_, w, rtol=1e-12)
    assert model.b_ == pytest.approx(b, rel=1e-12)


# --------------------------------------------------------------------------- fitted state and API
def test_string_labels_round_trip():
    X, y = make_data("multiclass", seed=9)
    names = np.array(["cat", "dog", "emu"])
    model = SoftmaxRegression(l2=0.01).fit(X, names[y])
    np.testing.assert_array_equal(model.classes_, names)
    numeric = SoftmaxRegression(l2=0.01).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), names[numeric.predict(X)])
    binary = LogisticRegression().fit(X, np.where(y == 0, "no", "yes"))
    assert set(binary.predict(X)) <= {"no", "yes"} and list(binary.classes_) == ["no", "yes"]
    # classes_[1] is the positive class: its probability is sigma(decision_function)
    p_yes = 1 / (1 + np.exp(-binary.decision_function(X)))
    np.testing.assert_allclose(binary.predict_proba(X)[:, 1], p_yes, rtol=1e-12)


def test_unordered_integer_labels_are_mapped():
    # labels 7, 3, 10 (not 0..K-1) must become columns 0, 1, 2 in sorted order
    X, y = make_data("multiclass", seed=10)
    labels = np.array([7, 3, 10])[y]
    model = SoftmaxRegression(l2=0.01).fit(X, labels)
    np.testing.assert_array_equal(model.classes_, [3, 7, 10])
    P = model.predict_proba(X)
    np.testing.assert_array_equal(model.predict(X), model.classes_[P.argmax(axis=1)])
    assert model.score(X, labels) > 0.7


@pytest.mark.parametrize("solver", ["gd", "sgd", "lbfgs"])
@pytest.mark.parametrize("Model", MODELS)
def test_tol_zero_runs_exactly_max_iter(Model, solver):
    X, y = make_data(DATA_KIND[Model], m=60, seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tol=0 must not warn about convergence
        model = Model(solver=solver, tol=0, max_iter=7, learning_rate=0.05, random_state=0).fit(X, y)
    assert model.n_iter_ == 7 and len(model.loss_history_) == 7


def test_tol_zero_sgd_runs_on_when_the_objective_goes_up():
    # with one sample per step the epoch objective fluctuates; tol=0 must still run every epoch
    X, y = make_data("linear", m=60, seed=11)
    model = LinearRegression(solver="sgd", batch_size=1, learning_rate=0.05, tol=0, max_iter=20,
                             random_state=0).fit(X, y)
    assert model.n_iter_ == 20 and np.any(np.diff(model.loss_history_) > 0)


def test_convergence_warning_when_max_iter_is_hit():
    X, y = make_data("multiclass", seed=12)
    for solver in ["gd", "sgd", "lbfgs"]:
        with pytest.warns(ConvergenceWarning, match="max_iter=3"):
            SoftmaxRegression(solver=solver, max_iter=3, tol=1e-12, random_state=0).fit(X, y)


def test_early_stopping_uses_tol():
    # gd stops as soon as the largest gradient entry is <= tol, before max_iter
    X, y = make_data("multiclass", seed=13)
    model = SoftmaxRegression(solver="gd", l2=0.1, learning_rate=0.5, tol=1e-3, max_iter=10000).fit(X, y)
    assert 1 < model.n_iter_ < 10000
    _, dW, db = SoftmaxRegression._cost_grad(X, y, model.W_, model.b_, 0.1)
    assert max(np.abs(dW).max(), np.abs(db).max()) <= 1e-3


@pytest.mark.parametrize("Model", MODELS)
def test_sgd_is_reproducible(Model):
    X, y = make_data(DATA_KIND[Model], seed=14)
    kw = dict(solver="sgd", learning_rate=0.05, max_iter=3, tol=0, batch_size=10)
    a = Model(random_state=42, **kw).fit(X, y)
    b = Model(random_state=42, **kw).fit(X, y)
    c = Model(random_state=43, **kw).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert a.loss_history_ == b.loss_history_
    assert not np.array_equal(a.coef_, c.coef_)  # the seed does change the sample order


@pytest.mark.parametrize("Model", MODELS)
def test_fit_returns_self_and_keeps_hyperparameters(Model):
    X, y = make_data(DATA_KIND[Model], seed=15)
    model = Model(l2=0.5, solver="gd", learning_rate=0.1, max_iter=5, tol=0, batch_size=7, verbose=0)
    params = model.get_params()
    assert model.fit(X, y) is model
    assert model.get_params() == params
    assert model.n_features_in_ == X.shape[1]


def test_softmax_fitted_attribute_layout():
    X, y = make_data("multiclass", d=4, K=3, seed=16)
    model = SoftmaxRegression(l2=0.1).fit(X, y)
    np.testing.assert_array_equal(model.coef_, model.W_.T)
    np.testing.assert_array_equal(model.intercept_, model.b_)
    Z = X @ model.W_ + model.b_
    np.testing.assert_allclose(model.decision_function(X), Z, rtol=1e-12)
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), P, rtol=1e-12)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(P), rtol=1e-12)


def test_clone_pipeline_cross_val_and_grid_search():
    X, y = make_data("multiclass", m=150, seed=17)
    model = SoftmaxRegression(l2=0.1)
    twin = clone(model)
    assert twin is not model and twin.get_params() == model.get_params()
    pipe = make_pipeline(StandardScaler(), SoftmaxRegression(l2=0.01))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.7
    grid = GridSearchCV(SoftmaxRegression(), {"l2": [1e-3, 1e-1, 10.0]}, cv=3).fit(X, y)
    assert grid.best_params_["l2"] in (1e-3, 1e-1)  # l2 = 10 shrinks the weights far too much
    reg = GridSearchCV(LinearRegression(), {"l2": [0.0, 1.0]}, cv=3).fit(*make_data("linear", seed=18))
    assert reg.best_score_ > 0.8


def test_verbose_prints_progress():
    X, y = make_data("binary", seed=19)
    out = io.StringIO()
    with redirect_stdout(out):
        LogisticRegression(solver="gd", verbose=2, tol=0, max_iter=6).fit(X, y)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and "iteration 6" in lines[-1]
    quiet = io.StringIO()
    with redirect_stdout(quiet):
        LogisticRegression(solver="gd", tol=0, max_iter=6).fit(X, y)
    assert quiet.getvalue() == ""


# --------------------------------------------------------------------------- numerics and memory
@pytest.mark.parametrize("solver", ["gd", "sgd", "lbfgs"])
def test_float32_input_stays_float32_and_agrees(solver):
    X, y = make_data("multiclass", seed=20)
    X32 = X.astype(np.float32)
    kw = dict(l2=0.1, solver=solver, learning_rate=0.2, tol=0, max_iter=30, random_state=0)
    m32 = SoftmaxRegression(**kw).fit(X32, y)
    m64 = SoftmaxRegression(**kw).fit(X, y)
    assert m32.predict_proba(X32).dtype == np.float32
    assert m32.decision_function(X32).dtype == np.float32
    np.testing.assert_allclose(m32.predict_proba(X32), m64.predict_proba(X), atol=1e-4)
    lin = LinearRegression(**kw).fit(X32, X32[:, 0] * 2.0)
    assert lin.predict(X32).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_fit_does_not_copy_X(dtype, solver):
    # A copy of X (an hstack'ed bias column, or float32 X @ float64 W) would allocate at least
    # X.nbytes; the model's own temporaries are (m, K) and (d, K), far smaller.
    rng = np.random.default_rng(21)
    X = rng.standard_normal((4000, 300)).astype(dtype)
    y = rng.integers(0, 3, size=4000)
    model = SoftmaxRegression(l2=0.1, solver=solver, tol=0, max_iter=3)
    model.fit(X[:50], y[:50])  # warm up imports and caches outside the measurement
    tracemalloc.start()
    model.fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.5 * X.nbytes, f"fit allocated {peak} bytes for X of {X.nbytes} bytes"


@pytest.mark.parametrize("Model", [LogisticRegression, SoftmaxRegression])
def test_huge_logits_give_finite_probabilities(Model):
    X, y = make_data(DATA_KIND[Model], seed=22)
    model = Model(l2=0.1).fit(X, y)
    for dtype in (np.float32, np.float64):
        X_far = (1e4 * X).astype(dtype)
        with warnings.catch_warnings(), np.errstate(all="raise"):
            warnings.simplefilter("error")
            P = model.predict_proba(X_far)
            logP = model.predict_log_proba(X_far)
        assert P.dtype == dtype and np.all(np.isfinite(P)) and np.all(np.isfinite(logP))
        np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-6)


@pytest.mark.parametrize("Model", MODELS)
def test_gd_divergence_raises_instead_of_returning_nan(Model):
    X, y = make_data(DATA_KIND[Model], seed=23)
    with pytest.raises(ValueError, match="learning_rate"):
        Model(solver="gd", learning_rate=1e6, tol=0, max_iter=200).fit(100 * X, y)


@pytest.mark.parametrize("Model", MODELS)
def test_sgd_divergence_raises(Model):
    # the classifiers' cross-entropy never overflows: their divergence is the objective blowing up
    X, y = make_data(DATA_KIND[Model], seed=24)
    with pytest.raises(ValueError, match="smaller learning_rate"):
        Model(solver="sgd", learning_rate=1e6, tol=0, max_iter=50, random_state=0).fit(100 * X, y)


def test_linear_cost_in_history_matches_public_function():
    X, y = make_data("linear", seed=25)
    model = LinearRegression(solver="gd", learning_rate=0.05, tol=0, max_iter=3, l2=0.2).fit(X, y)
    J0, *_ = linear_regression_cost_and_gradient(X, y, np.zeros(X.shape[1]), 0.0, 0.2)
    assert model.loss_history_[0] == pytest.approx(J0, rel=1e-12)
    assert J0 == pytest.approx(np.mean(y**2), rel=1e-12)  # at w = 0, b = 0 the MSE is mean(y^2)
