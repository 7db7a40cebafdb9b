"""The models as scikit-learn citizens: weights, warm starts, streaming, and the audit's defects.

References are independent: scikit-learn's ``LogisticRegression``/``LinearRegression``/``Ridge``
with the same weights (our weighted mean objective is theirs with ``C = 1 / (l2 sum(s))``, and
``alpha = l2 sum(s) / 2`` for Ridge), repeated rows for integer weights, finite differences for
the weighted gradients, and threadpoolctl's introspection for the BLAS thread limit. Each test
names the defect (issue 9, items 1.x) or the law it checks.
"""

import threading
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import config_context
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.linear_model import Ridge
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import cross_validate
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from threadpoolctl import ThreadpoolController, threadpool_info, threadpool_limits

from lecture_lib import (
    LinearRegression,
    LogisticRegression,
    SoftmaxRegression,
    gradient_check,
    linear_regression_cost_and_gradient,
    logistic_regression_cost_and_gradient,
    sklearn_C,
    softmax_regression_cost_and_gradient,
)
from lecture_lib import _blas_threads as blas_module
from lecture_lib.gradients import _softmax_cost_grad
from test_models import make_data

MODELS = [LinearRegression, LogisticRegression, SoftmaxRegression]
KIND = {LinearRegression: "linear", LogisticRegression: "binary", SoftmaxRegression: "multiclass"}
EXACT = dict(tol=1e-10, max_iter=5000)  # L-BFGS to the optimum


def weights(m, seed=1):
    return np.random.default_rng(seed).uniform(0.1, 3.0, size=m)


def predictions(model, X):
    return model.predict(X) if isinstance(model, LinearRegression) else model.predict_proba(X)


# --------------------------------------------------------------------------- 1.1 sgd worse than its start
def test_sgd_on_raw_breast_cancer_is_not_returned_silently():
    # Old code: n_iter_=1, objective 4299 (start 0.69), accuracy 0.37, no warning.
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.raises(ValueError, match="smaller learning_rate.*scale the features"):
        LogisticRegression(solver="sgd", random_state=0).fit(X, y)


def test_sgd_stops_only_on_a_real_decrease():
    # one sample per step: the epoch objective goes up and down; the old rule J_prev - J < tol
    # stopped at the first increase
    X, y = make_data("linear", m=60, seed=11)
    tol, max_iter = 1e-4, 300
    model = LinearRegression(solver="sgd", batch_size=1, learning_rate=0.05, tol=tol, max_iter=max_iter,
                             random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    h = model.loss_history_
    assert np.any(np.diff(h) > 0)  # there were increases to stop at, wrongly
    if model.n_iter_ < max_iter:
        assert 0 <= h[-2] - h[-1] < tol


def test_sgd_ending_above_its_start_warns_with_advice():
    # pure-noise labels: the zero start is near the optimum, a large step leaves sgd above it
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 2)), rng.integers(0, 2, 40)
    with pytest.warns(ConvergenceWarning, match="above its value .* at the start.*smaller learning_rate"):
        model = LogisticRegression(solver="sgd", learning_rate=1.0, batch_size=1, tol=0, max_iter=20,
                                   random_state=0).fit(X, y)
    assert model.loss_history_[-1] > np.log(2)  # the start's objective: log 2 at w = 0, b = 0


# --------------------------------------------------------------------------- 1.4 a failed fit changes nothing
def test_failed_refit_keeps_the_previous_model():
    X, y = make_data("multiclass", K=3, seed=2)
    model = SoftmaxRegression(solver="sgd", learning_rate=0.05, tol=0, max_iter=5, random_state=0).fit(X, y)
    before = {name: np.copy(getattr(model, name)) for name in ("classes_", "W_", "b_", "coef_", "loss_history_")}
    predicted = model.predict(X)
    y4 = make_data("multiclass", K=4, seed=3)[1]
    with pytest.raises(ValueError, match="learning_rate"):
        model.set_params(learning_rate=1e6).fit(100 * X, y4)
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(model, name), value, err_msg=name)
    np.testing.assert_array_equal(model.predict(X), predicted)


@pytest.mark.parametrize("Model", MODELS)
def test_failed_first_fit_leaves_the_model_unfitted(Model):
    X, y = make_data(KIND[Model], seed=4)
    model = Model(solver="gd", learning_rate=1e6, tol=0, max_iter=200)
    with pytest.raises(ValueError, match="learning_rate"):
        model.fit(100 * X, y)
    with pytest.raises(NotFittedError):
        model.predict(X)
    assert not hasattr(model, "n_features_in_")


# --------------------------------------------------------------------------- 1.5 BLAS threads
def _blas_threads():
    return {lib["filepath"]: lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


class _Probe(SoftmaxRegression):
    """SoftmaxRegression whose cost records the BLAS thread counts at every evaluation."""

    seen = []

    @staticmethod
    def _cost_grad(*args, **kwargs):
        _Probe.seen.append(_blas_threads())
        return _softmax_cost_grad(*args, **kwargs)


def test_lbfgs_never_throttles_a_blas_that_numpy_shares(monkeypatch):
    # Simulated conda-forge/Debian/MKL layout: the BLAS lives in no wheel's own folder, so numpy
    # and scipy share it. Old code limited every BLAS outside numpy's folder, numpy's included.
    monkeypatch.setattr(blas_module, "_package_dirs", lambda package: ())
    blas_module._lbfgs_blas.cache_clear()
    try:
        assert blas_module._lbfgs_blas().lib_controllers == []
        X, y = make_data("multiclass", seed=5)
        _Probe.seen = []
        with threadpool_limits(limits=2, user_api="blas"):
            _Probe(max_iter=5, tol=0).fit(X, y)
        assert _Probe.seen and all(set(seen.values()) == {2} for seen in _Probe.seen)
    finally:
        blas_module._lbfgs_blas.cache_clear()


def test_the_limit_selects_only_scipys_own_blas():
    numpy_dirs = blas_module._package_dirs("numpy")
    for lib in blas_module._lbfgs_blas().lib_controllers:
        assert blas_module._inside(lib.filepath, blas_module._package_dirs("scipy"))
        assert not blas_module._inside(lib.filepath, numpy_dirs)


def test_interleaved_limits_restore_the_real_blas():
    # Fit A enters, fit B enters, A leaves, B leaves: with nested threadpoolctl limits B saved
    # "1 thread" on entry and restored it last, so the limit leaked. Checked on the real BLAS
    # libraries through threadpoolctl's introspection, all of them limited (so the test does not
    # depend on the wheel layout), from this thread (OpenBLAS ignores a thread count set from
    # any other thread).
    controller = ThreadpoolController().select(user_api="blas")
    with threadpool_limits(limits=2, user_api="blas"):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(blas_module, "_lbfgs_blas", lambda: controller)
            fit_a, fit_b = blas_module.scipy_blas_one_thread(), blas_module.scipy_blas_one_thread()
            fit_a.__enter__()
            fit_b.__enter__()
            assert set(_blas_threads().values()) == {1}
            fit_a.__exit__(None, None, None)
            assert set(_blas_threads().values()) == {1}  # B still runs: still limited
            fit_b.__exit__(None, None, None)
        assert set(_blas_threads().values()) == {2}  # restored once the last fit left


class _GlobalCountBLAS:
    """A BLAS whose thread count is one process-wide number, as MKL's or BLIS's, behind threadpoolctl's API."""

    def __init__(self, threads):
        self.threads = threads
        self.lock = threading.Lock()

    def limit(self, limits):
        blas, saved = self, self.threads

        class Limiter:
            def restore_original_limits(self):
                blas.threads = saved

        self.threads = limits
        return Limiter()


def test_overlapping_fits_in_two_threads_restore_the_limit(monkeypatch):
    # Two L-BFGS fits in two threads, forced to overlap as A in, B in, A out, B out.
    blas = _GlobalCountBLAS(threads=2)
    monkeypatch.setattr(blas_module, "_lbfgs_blas", lambda: blas)
    X, y = make_data("multiclass", seed=6)
    b_inside, a_finished = threading.Event(), threading.Event()
    seen, errors = [], []

    class Probe(SoftmaxRegression):
        @staticmethod
        def _cost_grad(*args, **kwargs):
            name = threading.current_thread().name
            if name == "fit-A" and not seen:
                assert b_inside.wait(30), "fit B never started"
            if name == "fit-B" and not b_inside.is_set():
                b_inside.set()
                assert a_finished.wait(30), "fit A never finished"
            seen.append((name, blas.threads))
            return _softmax_cost_grad(*args, **kwargs)

    def run():
        try:
            Probe(max_iter=3, tol=0).fit(X, y)
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    a = threading.Thread(target=run, name="fit-A")
    b = threading.Thread(target=run, name="fit-B")
    a.start()
    b.start()
    a.join(60)
    a_finished.set()
    b.join(60)
    assert not errors and not a.is_alive() and not b.is_alive()
    assert {name for name, _ in seen} == {"fit-A", "fit-B"}
    assert all(threads == 1 for _, threads in seen), seen  # limited while either fit ran
    assert blas.threads == 2  # restored once the last fit left


# --------------------------------------------------------------------------- 1.9 L-BFGS overflow
def test_lbfgs_on_overflowing_data_says_to_scale():
    # Old code: all-zero weights, n_iter_=0, and the advice to increase max_iter.
    X, y = make_data("linear", m=100, d=3, seed=7)
    with pytest.raises(ValueError, match="Scale the features.*targets") as info:
        LinearRegression().fit(X * 1e154, y * 1e200)
    assert "max_iter" not in str(info.value).split("more iterations")[0]
    with pytest.raises(ValueError, match="Scale the features"):
        LinearRegression().fit(X * 1e154, y * 1e150)  # finite start, overflowing first step


# --------------------------------------------------------------------------- 1.11 strided X
def test_strided_view_is_made_contiguous_once_and_fits_the_same():
    X, y = make_data("multiclass", m=200, d=8, seed=8)
    wide = np.repeat(X, 2, axis=1)
    view = wide[:, ::2]  # equal to X, but not contiguous
    assert not (view.flags.c_contiguous or view.flags.f_contiguous)
    _Probe.seen, layouts = [], []
    original = _Probe._cost_grad

    def record(X_, *args, **kwargs):
        layouts.append(X_.flags.c_contiguous or X_.flags.f_contiguous)
        return original(X_, *args, **kwargs)

    class Layout(_Probe):
        _cost_grad = staticmethod(record)

    strided = Layout(l2=0.1, **EXACT).fit(view, y)
    assert layouts and all(layouts)  # the cores never see the strided view
    # a view BLAS reads in place (unit stride along the rows, a leading dimension) is not copied
    rows_view, seen = np.vstack([X, X])[::2], []

    class Shares(SoftmaxRegression):
        @staticmethod
        def _cost_grad(X_, *args, **kwargs):
            seen.append(np.shares_memory(X_, rows_view))
            return _softmax_cost_grad(X_, *args, **kwargs)

    Shares(max_iter=3, tol=0).fit(rows_view, np.r_[y, y][::2])
    assert seen and all(seen)
    contiguous = SoftmaxRegression(l2=0.1, **EXACT).fit(X, y)
    np.testing.assert_allclose(strided.coef_, contiguous.coef_, rtol=0, atol=1e-9)
    fortran = SoftmaxRegression(l2=0.1, **EXACT).fit(np.asfortranarray(X), y)
    np.testing.assert_allclose(fortran.coef_, contiguous.coef_, rtol=0, atol=1e-9)


# --------------------------------------------------------------------------- sample_weight: references
@pytest.mark.parametrize("multiclass", [False, True])
def test_weighted_classifiers_match_sklearn(multiclass):
    Model = SoftmaxRegression if multiclass else LogisticRegression
    X, y = make_data("multiclass" if multiclass else "binary", seed=9)
    s, l2 = weights(len(y)), 0.05
    ours = Model(l2=l2, **EXACT).fit(X, y, sample_weight=s)
    ref = SkLogisticRegression(C=1 / (l2 * s.sum()), tol=1e-10, max_iter=5000).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-6)
    unweighted = Model(l2=l2, **EXACT).fit(X, y)
    assert np.abs(unweighted.predict_proba(X) - ours.predict_proba(X)).max() > 1e-3  # the weights mattered


@pytest.mark.parametrize("class_weight", ["balanced", {0: 3.0, 2: 0.5}])
def test_class_weight_matches_sklearn(class_weight):
    X, y = make_data("multiclass", seed=10)
    keep = (y != 1) | (np.arange(len(y)) < 30)  # fewer of class 1: unbalanced
    X, y = X[keep], y[keep]
    s, l2 = weights(len(y), seed=2), 0.05
    ours = SoftmaxRegression(l2=l2, class_weight=class_weight, **EXACT).fit(X, y, sample_weight=s)
    classes = np.unique(y)
    total = (s * compute_class_weight(class_weight, classes=classes, y=y, sample_weight=s)[
        np.searchsorted(classes, y)]).sum()
    ref = SkLogisticRegression(C=1 / (l2 * total), class_weight=class_weight, tol=1e-10,
                               max_iter=5000).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-6)


# --------------------------------------------------------------------------- issue 20.5: sklearn_C
SKLEARN_C_CASES = [  # (model, K, class_weight, weighted)
    ("softmax", 3, None, False), ("softmax", 3, "balanced", False), ("softmax", 3, {0: 3.0, 2: 0.5}, True),
    ("softmax", 2, None, False), ("softmax", 2, "balanced", True),
    ("logistic", 2, None, True), ("logistic", 2, "balanced", False), ("logistic", 2, {1: 4.0}, True),
]


@pytest.mark.parametrize("model, K, class_weight, weighted", SKLEARN_C_CASES)
def test_sklearn_C_fits_the_same_model_as_scikit_learn(model, K, class_weight, weighted):
    # Catches C = 1/(l2 m) with class weights (the weighted sum is right) and the missing factor 2
    # of SoftmaxRegression with K = 2; the fits differ visibly with either mistake (checked below).
    X, y = make_data("multiclass" if K > 2 else "binary", K=K, seed=23)
    keep = (y != 1) | (np.arange(len(y)) < 40)  # unbalanced, so class weights matter
    X, y = X[keep], y[keep]
    s = weights(len(y), seed=3) if weighted else None
    l2 = 0.05
    Ours = SoftmaxRegression if model == "softmax" else LogisticRegression
    ours = Ours(l2=l2, class_weight=class_weight, **EXACT).fit(X, y, sample_weight=s)
    C = sklearn_C(l2, y, sample_weight=s, class_weight=class_weight, model=model)
    ref = SkLogisticRegression(C=C, class_weight=class_weight, tol=1e-10, max_iter=5000).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-6)
    naive_C = 1 / (l2 * len(y))  # right only without weights ("balanced" alone keeps sum(s) = m) and K != 2
    if (model, K) == ("softmax", 2) or weighted or isinstance(class_weight, dict):
        assert abs(C / naive_C - 1) > 0.05
    if abs(C / naive_C - 1) > 0.05:
        naive = SkLogisticRegression(C=naive_C, class_weight=class_weight, tol=1e-10,
                                     max_iter=5000).fit(X, y, sample_weight=s)
        assert np.abs(naive.predict_proba(X) - ours.predict_proba(X)).max() > 1e-4  # the mapping mattered


def test_sklearn_C_bad_input():
    y = np.array([0, 1, 1, 2])
    with pytest.raises(ValueError, match="model must be one of"):
        sklearn_C(0.1, y, model="linear")
    with pytest.raises(ValueError, match="l2 must be a finite positive number"):
        sklearn_C(0.0, y)
    with pytest.raises(ValueError, match="needs at least 2 classes"):
        sklearn_C(0.1, [1, 1, 1])
    with pytest.raises(ValueError, match="Only binary classification"):
        sklearn_C(0.1, y, model="logistic")
    with pytest.raises(ValueError, match="sample_weight must have shape"):
        sklearn_C(0.1, y, sample_weight=[1.0, 2.0])


def test_balanced_is_the_sklearn_formula():
    X, y = make_data("binary", seed=11)
    y[:80] = 1  # unbalanced
    n = np.bincount(y)
    manual = {k: len(y) / (2 * n[k]) for k in (0, 1)}
    a = LogisticRegression(l2=0.1, class_weight="balanced", **EXACT).fit(X, y)
    b = LogisticRegression(l2=0.1, class_weight=manual, **EXACT).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=0, atol=1e-9)


@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_weighted_linear_regression_matches_sklearn(l2):
    X, y = make_data("linear", seed=12)
    s = weights(len(y), seed=3)
    ours = LinearRegression(l2=l2, tol=1e-12, max_iter=5000).fit(X, y, sample_weight=s)
    ref = (SkLinearRegression() if l2 == 0 else Ridge(alpha=l2 * s.sum() / 2)).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=0, atol=1e-7)
    assert ours.intercept_ == pytest.approx(ref.intercept_, abs=1e-7)


@pytest.mark.parametrize("Model", MODELS)
def test_integer_weights_are_repeated_rows(Model):
    X, y = make_data(KIND[Model], seed=13)
    s = np.random.default_rng(4).integers(0, 4, size=len(y))  # zeros remove rows
    weighted = Model(l2=0.01, **EXACT).fit(X, y, sample_weight=s)
    repeated = Model(l2=0.01, **EXACT).fit(np.repeat(X, s, axis=0), np.repeat(y, s))
    np.testing.assert_allclose(predictions(weighted, X), predictions(repeated, X), rtol=0, atol=1e-7)


@pytest.mark.parametrize("Model", MODELS)
def test_score_uses_sample_weight(Model):
    X, y = make_data(KIND[Model], seed=14)
    s = weights(len(y), seed=5)
    model = Model(l2=0.1).fit(X, y)
    metric = r2_score if Model is LinearRegression else accuracy_score
    assert model.score(X, y, sample_weight=s) == pytest.approx(metric(y, model.predict(X), sample_weight=s),
                                                               rel=1e-12)


def test_weights_reach_the_model_through_cross_validate_calibration_and_routing():
    X, y = make_data("multiclass", m=150, seed=15)
    s = weights(len(y), seed=6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "estimator does not accept sample_weight"
        plain = cross_validate(SoftmaxRegression(l2=0.1), X, y, cv=3, params={"sample_weight": s})
        CalibratedClassifierCV(SoftmaxRegression(l2=0.1), cv=3).fit(X, y, sample_weight=s)
        with config_context(enable_metadata_routing=True):
            routed = cross_validate(SoftmaxRegression(l2=0.1).set_fit_request(sample_weight=True)
                                    .set_score_request(sample_weight=True), X, y, cv=3,
                                    params={"sample_weight": s})
    assert plain["test_score"].shape == routed["test_score"].shape == (3,)


@pytest.mark.parametrize("bad, match", [
    (-np.ones(120), "non-negative"),
    (np.ones(7), r"shape \(120,\)"),
    (np.zeros(120), "all zero"),
    (np.full(120, np.nan), "NaN or infinity"),
    (np.ones((120, 1)), "1-D"),
])
def test_bad_sample_weight_is_named(bad, match):
    X, y = make_data("multiclass", m=120, seed=16)
    with pytest.raises(ValueError, match=match) as info:
        SoftmaxRegression().fit(X, y, sample_weight=bad)
    assert "sample_weight" in str(info.value)


def test_weights_leaving_one_class_are_an_error():
    X, y = make_data("binary", seed=17)
    with pytest.raises(ValueError, match="Only 1 class"):
        LogisticRegression().fit(X, y, sample_weight=(y == 1).astype(float))
    with pytest.raises(ValueError, match="class_weight must be"):
        LogisticRegression(class_weight="auto").fit(X, y)


# --------------------------------------------------------------------------- weighted costs and gradients
def _weighted_cases(seed=18):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((30, 4))
    s = rng.uniform(0.0, 3.0, size=30)
    y_lin, y_bin = rng.standard_normal(30), rng.integers(0, 2, 30).astype(float)
    y_cls = rng.integers(0, 3, 30)
    w, W, b = rng.standard_normal(4), rng.standard_normal((4, 3)), rng.standard_normal(3)
    return {
        "linear": (lambda p, sw=s: linear_regression_cost_and_gradient(X, y_lin, p[:4], p[4], 0.1, sw),
                   np.r_[w, 0.3], X, y_lin, s),
        "logistic": (lambda p, sw=s: logistic_regression_cost_and_gradient(X, y_bin, p[:4], p[4], 0.1, sw),
                     np.r_[w, 0.3], X, y_bin, s),
        "softmax": (lambda p, sw=s: softmax_regression_cost_and_gradient(X, y_cls, p[:12].reshape(4, 3), p[12:],
                                                                        0.1, sw),
                    np.r_[W.ravel(), b], X, y_cls, s),
    }


@pytest.mark.parametrize("case", ["linear", "logistic", "softmax"])
def test_weighted_gradients_match_finite_differences(case):
    f, p, *_ = _weighted_cases()[case]

    def grad(p):
        _, dW, db = f(p)
        return np.r_[np.ravel(dW), np.ravel(db)]

    assert gradient_check(lambda p: f(p)[0], grad, p) < 1e-7


@pytest.mark.parametrize("case", ["linear", "logistic", "softmax"])
def test_weighted_cost_is_the_weighted_mean(case):
    f, p, X, y, s = _weighted_cases()[case]
    J_w = f(p)[0]
    J_each = np.array([f(p, np.eye(len(y))[i] + 0.0)[0] for i in range(len(y))])  # one sample at a time
    assert J_w == pytest.approx(np.dot(s, J_each) / s.sum(), rel=1e-12)
    J_ones, J_none = f(p, np.ones(len(y)))[0], f(p, None)[0]
    assert J_ones == pytest.approx(J_none, rel=1e-14)


@settings(max_examples=40)
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(2, 30), K=st.integers(2, 5))
def test_weights_of_two_are_duplicated_rows(seed, m, K):
    # Law: weight 2 on a row = the row twice (costs and gradients, any data)
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((m, 3)), rng.integers(0, K, m)
    W, b = rng.standard_normal((3, K)), rng.standard_normal(K)
    twice = rng.random(m) < 0.5
    s = np.where(twice, 2.0, 1.0)
    rows = np.r_[np.arange(m), np.flatnonzero(twice)]
    weighted = softmax_regression_cost_and_gradient(X, y, W, b, 0.1, sample_weight=s)
    duplicated = softmax_regression_cost_and_gradient(X[rows], y[rows], W, b, 0.1)
    for a, r in zip(weighted, duplicated):
        np.testing.assert_allclose(a, r, rtol=1e-12, atol=1e-14)


@settings(max_examples=15)
@given(seed=st.integers(0, 2**32 - 1))
def test_model_weights_of_two_are_duplicated_rows(seed):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((40, 3)), rng.integers(0, 3, 40)
    s = np.where(rng.random(40) < 0.5, 2, 1)
    a = SoftmaxRegression(l2=0.05, **EXACT).fit(X, y, sample_weight=s)
    b = SoftmaxRegression(l2=0.05, **EXACT).fit(np.repeat(X, s, axis=0), np.repeat(y, s))
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=0, atol=1e-7)


# --------------------------------------------------------------------------- warm_start
@pytest.mark.parametrize("Model", MODELS)
def test_warm_start_continues_from_the_fitted_weights(Model):
    X, y = make_data(KIND[Model], seed=19)
    model = Model(l2=0.1, warm_start=True, tol=1e-8).fit(X, y)
    cold_iterations = model.n_iter_
    coef = np.copy(model.coef_)
    model.fit(X, y)  # already at the optimum
    assert model.n_iter_ < cold_iterations
    np.testing.assert_allclose(model.coef_, coef, rtol=0, atol=1e-7)
    # gd with warm_start: two fits of 5 iterations are one fit of 10
    gd = dict(l2=0.1, solver="gd", learning_rate=0.1, tol=0)
    twice = Model(warm_start=True, max_iter=5, **gd).fit(X, y).fit(X, y)
    once = Model(max_iter=10, **gd).fit(X, y)
    np.testing.assert_allclose(twice.coef_, once.coef_, rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------- issue 20.1: the public attributes are the model
@pytest.mark.parametrize("Model", MODELS)
def test_coef_and_intercept_are_the_model(Model):
    # Old code: LogisticRegression's intercept_ was a copy and prediction read a private float, so
    # zeroing coef_ and intercept_ left decision_function at -0.44 (scikit-learn's: 0).
    X, y = make_data(KIND[Model], seed=21)
    model = Model(l2=0.1).fit(X, y)
    sk = {LinearRegression: SkLinearRegression, LogisticRegression: SkLogisticRegression,
          SoftmaxRegression: SkLogisticRegression}[Model]().fit(X, y)
    scores = model.predict if Model is LinearRegression else model.decision_function
    sk_scores = sk.predict if Model is LinearRegression else sk.decision_function
    # edited in place (where the attribute is an array), as scikit-learn users do
    model.coef_[...] = 0
    sk.coef_[...] = 0
    if Model is LinearRegression:
        model.intercept_ = sk.intercept_ = 0.0
    else:
        model.intercept_[...] = 0
        sk.intercept_[...] = 0
    np.testing.assert_array_equal(scores(X), 0.0)
    np.testing.assert_array_equal(sk_scores(X), 0.0)
    # replaced: the book's names follow, and so do prediction and the start of a warm fit
    rng = np.random.default_rng(0)
    model.coef_ = rng.standard_normal(np.shape(model.coef_))
    model.intercept_ = (rng.standard_normal(np.shape(model.intercept_)) if Model is not LinearRegression
                        else float(rng.standard_normal()))
    if Model is SoftmaxRegression:
        np.testing.assert_array_equal(model.W_, model.coef_.T)
        np.testing.assert_array_equal(model.b_, model.intercept_)
        expected = X @ model.coef_.T + model.intercept_
    else:
        w = np.ravel(model.coef_)
        b = float(np.ravel(model.intercept_)[0])
        np.testing.assert_array_equal(model.w_, w)
        assert model.b_ == b
        expected = X @ w + b
    if Model is SoftmaxRegression and expected.shape[1] == 2:
        expected = expected[:, 1] - expected[:, 0]
    np.testing.assert_allclose(scores(X), expected, rtol=1e-12, atol=1e-12)
    # warm start reads the public attributes: one gd step from them is the gradient step from them
    model.set_params(warm_start=True, solver="gd", max_iter=1, tol=0, learning_rate=0.1)
    W0 = np.copy(model.coef_)
    b0 = np.copy(model.intercept_)
    model.fit(X, y)
    theta0 = np.ravel(W0.T if Model is SoftmaxRegression else W0)
    cost_grad = {LinearRegression: linear_regression_cost_and_gradient,
                 LogisticRegression: logistic_regression_cost_and_gradient,
                 SoftmaxRegression: softmax_regression_cost_and_gradient}[Model]
    W_start = W0.T if Model is SoftmaxRegression else np.ravel(W0)
    b_start = b0 if Model is SoftmaxRegression else float(np.ravel(b0)[0])
    _, dW, db = cost_grad(X, y if Model is not SoftmaxRegression else np.searchsorted(model.classes_, y),
                          W_start, b_start, l2=0.1)
    np.testing.assert_allclose(np.ravel(model.coef_.T if Model is SoftmaxRegression else model.coef_),
                               theta0 - 0.1 * np.ravel(dW), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.ravel(model.intercept_), np.ravel(b_start) - 0.1 * np.ravel(db),
                               rtol=1e-10, atol=1e-12)


def test_warm_start_with_other_classes_or_features_is_an_error():
    X, y = make_data("multiclass", K=3, seed=20)
    model = SoftmaxRegression(warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="warm_start=True.*classes"):
        model.fit(X, np.where(y == 2, 3, y))
    with pytest.raises(ValueError, match="warm_start=True.*features"):
        model.fit(X[:, :2], y)
    with pytest.raises(TypeError, match="warm_start must be True or False"):
        SoftmaxRegression(warm_start="yes").fit(X, y)


# --------------------------------------------------------------------------- partial_fit
def _epochs_by_partial_fit(model, X, y, seed, epochs, chunk, **kwargs):
    """The sample order of ``fit(solver="sgd", random_state=seed)``: one permutation per epoch."""
    rng = check_random_state(seed)
    for _ in range(epochs):
        order = rng.permutation(X.shape[0])
        Xo, yo = X[order], y[order]
        for start in range(0, X.shape[0], chunk):
            model.partial_fit(Xo[start:start + chunk], yo[start:start + chunk], **kwargs)
    return model


@settings(max_examples=25)
@given(seed=st.integers(0, 2**32 - 1), epochs=st.integers(1, 4), batch=st.integers(1, 16),
       chunk_batches=st.integers(1, 5), model_index=st.integers(0, 2))
def test_partial_fit_once_per_epoch_is_sgd_with_the_same_order(seed, epochs, batch, chunk_batches, model_index):
    # Law: fit(solver="sgd") draws one permutation per epoch from check_random_state(random_state)
    # and steps through it in batches; partial_fit steps through its rows in the order given.
    # So partial_fit on the permuted data, in chunks of whole batches, takes exactly the same
    # steps. (Same arithmetic on the same rows; compared to rounding, not bit for bit.)
    Model = MODELS[model_index]
    X, y = make_data(KIND[Model], m=60, seed=seed % 1000)
    kw = dict(l2=0.05, solver="sgd", learning_rate=0.02, batch_size=batch)
    fitted = Model(tol=0, max_iter=epochs, random_state=seed, **kw).fit(X, y)
    extra = {} if Model is LinearRegression else {"classes": np.unique(y)}
    streamed = _epochs_by_partial_fit(Model(**kw), X, y, seed, epochs, batch * chunk_batches, **extra)
    np.testing.assert_allclose(streamed.coef_, fitted.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(streamed.intercept_, fitted.intercept_, rtol=1e-10, atol=1e-12)
    assert streamed.t_ == fitted.t_ == epochs * -(-60 // batch)


def test_partial_fit_follows_sklearn_conventions():
    X, y = make_data("multiclass", m=90, seed=21)
    model = SoftmaxRegression(solver="sgd", batch_size=10, learning_rate=0.05)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X, y)
    with pytest.raises(NotFittedError):
        model.predict(X)
    model.partial_fit(X[:30], y[:30], classes=[0, 1, 2])
    assert model.n_iter_ == 1 and model.t_ == 3 and len(model.loss_history_) == 1
    model.partial_fit(X[30:], y[30:])
    assert model.n_iter_ == 1 and model.t_ == 9  # t_ counts every update since the start
    model.partial_fit(X[:5], y[:5], classes=np.array([2, 1, 0]))  # the same classes, any order
    with pytest.raises(ValueError, match="is not the same as on the first call"):
        model.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"label\(s\) \[7\] not in classes"):
        model.partial_fit(X[:2], np.array([0, 7]))
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[:, :2], y)
    with pytest.raises(ValueError, match="'balanced' is not supported for partial_fit"):
        SoftmaxRegression(solver="sgd", class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])
    assert not hasattr(SoftmaxRegression(solver="lbfgs"), "partial_fit")
    # fit restarts; partial_fit then continues from fit's weights
    refit = SoftmaxRegression(solver="sgd", tol=0, max_iter=2, random_state=0).fit(X, y)
    coef = np.copy(refit.coef_)
    refit.partial_fit(X, y)
    assert refit.t_ == 2 * 3 + 3 and not np.array_equal(refit.coef_, coef)


def test_partial_fit_streams_a_memmap(tmp_path):
    X, y = make_data("binary", m=400, seed=22)
    path = tmp_path / "X.f64"
    stored = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape)
    stored[:] = X
    stored.flush()
    del stored
    disk = np.memmap(path, dtype=np.float64, mode="r", shape=X.shape)
    streamed = LogisticRegression(solver="sgd", batch_size=20, learning_rate=0.1)
    memory = LogisticRegression(solver="sgd", batch_size=20, learning_rate=0.1)
    for start in range(0, 400, 100):
        streamed.partial_fit(disk[start:start + 100], y[start:start + 100], classes=[0, 1])
        memory.partial_fit(X[start:start + 100], y[start:start + 100], classes=[0, 1])
    np.testing.assert_allclose(streamed.coef_, memory.coef_, rtol=1e-12)
    assert streamed.score(X, y) > 0.8


def test_partial_fit_chunk_may_hold_one_class_and_weights():
    # a stream's chunk can hold a single class; the weights multiply the per-sample steps as given
    X, y = make_data("binary", m=60, seed=23)
    model = LogisticRegression(solver="sgd", batch_size=60, learning_rate=0.1, class_weight={1: 2.0})
    ones = y == 1
    model.partial_fit(X[ones], y[ones], classes=[0, 1], sample_weight=np.full(ones.sum(), 0.5))
    reference = LogisticRegression(solver="sgd", batch_size=60, learning_rate=0.1)
    reference.partial_fit(X[ones], y[ones], classes=[0, 1])  # 0.5 * 2.0 = weight 1 on every row
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-12)


@pytest.mark.parametrize("Model", MODELS)
def test_every_solver_minimises_the_weighted_objective(Model):
    # gd lands on the weighted L-BFGS optimum; sgd rescales the weights to mean 1 over the data,
    # so a constant weight changes nothing, and it ends nearer the weighted optimum than the
    # unweighted one. Catches a solver that drops, mis-slices or forgets to rescale the weights.
    X, y = make_data(KIND[Model], seed=24)
    s = np.where(X[:, 0] > 0, 4.0, 0.5)  # weights that move the optimum
    ref = Model(l2=0.1, tol=1e-12, max_iter=5000).fit(X, y, sample_weight=s)
    gd = Model(l2=0.1, solver="gd", learning_rate=0.2, tol=1e-9, max_iter=20000).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(gd.coef_, ref.coef_, rtol=0, atol=1e-7)
    kw = dict(l2=0.1, solver="sgd", learning_rate=0.02, batch_size=16, tol=0, max_iter=100, random_state=0)
    np.testing.assert_allclose(Model(**kw).fit(X, y, sample_weight=np.full(len(y), 7.0)).coef_,
                               Model(**kw).fit(X, y).coef_, rtol=1e-12, atol=1e-14)
    sgd = Model(**kw).fit(X, y, sample_weight=s)
    unweighted = Model(l2=0.1, tol=1e-12, max_iter=5000).fit(X, y)
    assert np.linalg.norm(sgd.coef_ - ref.coef_) < np.linalg.norm(sgd.coef_ - unweighted.coef_)


# --------------------------------------------------------------------------- issue 20.6: pandas input
@pytest.mark.parametrize("Model", MODELS)
def test_dataframe_and_series_input_as_scikit_learn(Model):
    pd = pytest.importorskip("pandas", reason="pandas is pinned in requirements.txt")
    X, y = make_data(KIND[Model], seed=24)
    columns = ["pixel_a", "pixel_b", "pixel_c", "pixel_d"]
    frame = pd.DataFrame(X, columns=columns)
    labels = pd.Series(y, name="target")
    if Model is not LinearRegression:  # string labels in a pandas string column
        labels = pd.Series(np.array(["cat", "dog", "eel"])[y], dtype="string")
    ours = Model(l2=0.1).fit(frame, labels, sample_weight=pd.Series(weights(len(y))))
    sk = {LinearRegression: SkLinearRegression, LogisticRegression: SkLogisticRegression,
          SoftmaxRegression: SkLogisticRegression}[Model]().fit(frame, labels)
    np.testing.assert_array_equal(ours.feature_names_in_, sk.feature_names_in_)
    assert ours.n_features_in_ == sk.n_features_in_ == 4
    if Model is not LinearRegression:
        np.testing.assert_array_equal(ours.classes_, sk.classes_)
    # the same fit as on the arrays (a frame's values are column-major: BLAS may round differently)
    plain = Model(l2=0.1).fit(X, np.asarray(labels), sample_weight=weights(len(y)))
    np.testing.assert_allclose(ours.coef_, plain.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(predictions(ours, frame), predictions(plain, X), rtol=1e-9, atol=1e-12)
    # the columns are checked by name, as scikit-learn does; a frame with other names is an error
    for estimator in (ours, sk):
        with pytest.raises(ValueError, match="The feature names should match those that were passed during fit"):
            estimator.predict(frame[columns[::-1]])
        with pytest.warns(UserWarning, match="X does not have valid feature names"):
            estimator.predict(X)
    # float32 frames stay float32; nullable columns work, and their missing values are named
    small = Model(l2=0.1).fit(frame.astype(np.float32), labels)
    out = small.predict(frame.astype(np.float32)) if Model is LinearRegression else small.predict_proba(
        frame.astype(np.float32))
    assert out.dtype == np.float32
    nullable = frame.astype("Float64")
    np.testing.assert_allclose(Model(l2=0.1).fit(nullable, labels).coef_, Model(l2=0.1).fit(frame, labels).coef_,
                               rtol=1e-9, atol=1e-12)
    nullable.iloc[3, 1] = pd.NA
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        Model(l2=0.1).fit(nullable, labels)
