"""Bad input raises a ValueError/TypeError that names the argument and says what was expected."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from lecture_lib import (
    LinearRegression,
    LogisticRegression,
    SoftmaxRegression,
    binary_cross_entropy,
    binary_cross_entropy_from_probs,
    cross_entropy,
    cross_entropy_from_probs,
    entropy,
    kl_divergence,
    log_softmax,
    logsumexp,
    mean_squared_error,
    multiclass_hinge_loss,
    numerical_gradient,
    one_hot,
    sigmoid,
    softmax,
    softmax_regression_cost_and_gradient,
)

MODELS = [LinearRegression, LogisticRegression, SoftmaxRegression]
rng = np.random.default_rng(0)
X_GOOD = rng.standard_normal((12, 3))
Y_GOOD = np.array([0, 1, 2] * 4)


def targets(Model):
    return Y_GOOD % 2 if Model is LogisticRegression else Y_GOOD


# --------------------------------------------------------------------------- data given to fit/predict
@pytest.mark.parametrize("Model", MODELS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_X(Model, bad):
    X = X_GOOD.copy()
    X[2, 1] = bad
    with pytest.raises(ValueError, match=r"X contains NaN or infinity; all values must be finite"):
        Model().fit(X, targets(Model))


@pytest.mark.parametrize("Model", MODELS)
def test_X_with_wrong_dimensions(Model):
    with pytest.raises(ValueError, match=r"X must be a 2-D array; got 1-D"):
        Model().fit(X_GOOD[:, 0], targets(Model))
    with pytest.raises(ValueError, match=r"X must be a 2-D array; got 3-D"):
        Model().fit(X_GOOD[:, :, None], targets(Model))


@pytest.mark.parametrize("Model", MODELS)
def test_mismatched_lengths_of_X_and_y(Model):
    with pytest.raises(ValueError, match=r"X has 12 rows but y has 11 labels; the lengths must match"):
        Model().fit(X_GOOD, targets(Model)[:11])


@pytest.mark.parametrize("Model", MODELS)
def test_y_with_wrong_dimensions(Model):
    with pytest.raises(ValueError, match=r"y should be a 1d array"):
        Model().fit(X_GOOD, np.ones((12, 2)))


@pytest.mark.parametrize("Model", MODELS)
def test_y_missing(Model):
    with pytest.raises(ValueError, match=r"requires y to be passed"):
        Model().fit(X_GOOD, None)


@pytest.mark.parametrize("Model", [LogisticRegression, SoftmaxRegression])
def test_fewer_than_two_classes(Model):
    with pytest.raises(ValueError, match=r"y has 1 class \('a'\) but \w+ needs at least 2 classes"):
        Model().fit(X_GOOD, ["a"] * 12)


def test_binary_model_rejects_three_classes():
    with pytest.raises(ValueError, match=r"Only binary classification is supported.*got 3.*SoftmaxRegression"):
        LogisticRegression().fit(X_GOOD, Y_GOOD)


@pytest.mark.parametrize("Model", [LogisticRegression, SoftmaxRegression])
def test_continuous_targets_for_a_classifier(Model):
    with pytest.raises(ValueError, match=r"Unknown label type: 'continuous'.*y must hold discrete class labels"):
        Model().fit(X_GOOD, np.linspace(0, 1, 12))


@pytest.mark.parametrize("Model", [LogisticRegression, SoftmaxRegression])
def test_nan_in_y_for_a_classifier(Model):
    y = targets(Model).astype(float)
    y[0] = np.nan
    with pytest.raises(ValueError, match=r"y contains NaN or infinity; class labels must be finite"):
        Model().fit(X_GOOD, y)


def test_nan_in_y_for_regression():
    y = np.linspace(0, 1, 12)
    y[3] = np.nan
    with pytest.raises(ValueError, match=r"y contains NaN or infinity"):
        LinearRegression().fit(X_GOOD, y)


@pytest.mark.parametrize("Model", MODELS)
def test_empty_input(Model):
    with pytest.raises(ValueError, match=r"X is empty: 0 sample\(s\) \(shape=\(0, 3\)\) while a minimum of 1 is"):
        Model().fit(np.empty((0, 3)), np.empty(0))
    with pytest.raises(ValueError, match=r"X is empty: 0 feature\(s\) \(shape=\(12, 0\)\) while a minimum of 1"):
        Model().fit(np.empty((12, 0)), targets(Model))


@pytest.mark.parametrize("Model", MODELS)
def test_non_numeric_X(Model):
    with pytest.raises(TypeError, match=r"X must hold real numbers \(int or float\); got an array of dtype <U"):
        Model().fit(np.full((12, 3), "a"), targets(Model))
    with pytest.raises(TypeError, match=r"X must hold real numbers.*not 'dict'"):
        Model().fit(np.array([[1.0, {"a": 1}]] * 12, dtype=object), targets(Model))
    with pytest.raises(ValueError, match=r"Complex data not supported: X must hold real numbers"):
        Model().fit(X_GOOD + 1j, targets(Model))


@pytest.mark.parametrize("Model", MODELS)
def test_sparse_X(Model):
    from scipy import sparse

    with pytest.raises(TypeError, match=r"X is a scipy sparse matrix; a dense array is expected"):
        Model().fit(sparse.csr_matrix(X_GOOD), targets(Model))


@pytest.mark.parametrize("Model", MODELS)
def test_predict_before_fit(Model):
    with pytest.raises(NotFittedError, match=r"not fitted yet"):
        Model().predict(X_GOOD)


@pytest.mark.parametrize("Model", MODELS)
def test_different_feature_count_at_predict(Model):
    model = Model().fit(X_GOOD, targets(Model))
    with pytest.raises(ValueError, match=r"X has 2 features, but \w+ is expecting 3 features as input"):
        model.predict(X_GOOD[:, :2])


@pytest.mark.parametrize("Model", MODELS)
def test_nan_in_X_at_predict(Model):
    model = Model().fit(X_GOOD, targets(Model))
    X = X_GOOD.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"X contains NaN or infinity"):
        model.predict(X)


# --------------------------------------------------------------------------- hyperparameters
@pytest.mark.parametrize("Model", MODELS)
@pytest.mark.parametrize("value", [0, -0.1, np.inf])
def test_learning_rate_not_positive(Model, value):
    with pytest.raises(ValueError, match=r"learning_rate must be a finite positive number \(learning_rate > 0\)"):
        Model(learning_rate=value).fit(X_GOOD, targets(Model))


@pytest.mark.parametrize("Model", MODELS)
def test_learning_rate_not_a_number(Model):
    with pytest.raises(TypeError, match=r"learning_rate must be a positive number; got '0.1'"):
        Model(learning_rate="0.1").fit(X_GOOD, targets(Model))


@pytest.mark.parametrize("Model", MODELS)
def test_unknown_solver(Model):
    with pytest.raises(ValueError, match=r"solver must be one of \('gd', 'sgd', 'lbfgs'\); got 'adam'"):
        Model(solver="adam").fit(X_GOOD, targets(Model))


@pytest.mark.parametrize("Model", MODELS)
def test_bad_l2(Model):
    with pytest.raises(ValueError, match=r"l2 must be a finite non-negative number \(l2 >= 0\); got -1"):
        Model(l2=-1).fit(X_GOOD, targets(Model))
    with pytest.raises(ValueError, match=r"l2 must be a finite non-negative number"):
        Model(l2=np.nan).fit(X_GOOD, targets(Model))
    with pytest.raises(TypeError, match=r"l2 must be a non-negative number; got None"):
        Model(l2=None).fit(X_GOOD, targets(Model))


@pytest.mark.parametrize("Model", MODELS)
def test_bad_max_iter(Model):
    with pytest.raises(ValueError, match=r"max_iter must be a finite positive integer \(max_iter > 0\); got 0"):
        Model(max_iter=0).fit(X_GOOD, targets(Model))
    with pytest.raises(TypeError, match=r"max_iter must be a positive integer; got 10.5"):
        Model(max_iter=10.5).fit(X_GOOD, targets(Model))


@pytest.mark.parametrize("Model", MODELS)
def test_bad_batch_size(Model):
    with pytest.raises(ValueError, match=r"batch_size must be a finite positive integer \(batch_size > 0\); got -4"):
        Model(solver="sgd", batch_size=-4).fit(X_GOOD, targets(Model))
    with pytest.raises(TypeError, match=r"batch_size must be a positive integer; got 'all'"):
        Model(solver="sgd", batch_size="all").fit(X_GOOD, targets(Model))


@pytest.mark.parametrize("Model", MODELS)
def test_bad_tol_and_verbose(Model):
    with pytest.raises(ValueError, match=r"tol must be a finite non-negative number \(tol >= 0\); got -1e-05"):
        Model(tol=-1e-5).fit(X_GOOD, targets(Model))
    with pytest.raises(ValueError, match=r"verbose must be an integer >= 0"):
        Model(verbose=-1).fit(X_GOOD, targets(Model))


def test_bad_random_state():
    with pytest.raises(ValueError, match=r"cannot be used to seed"):
        SoftmaxRegression(solver="sgd", random_state="seed").fit(X_GOOD, Y_GOOD)


@pytest.mark.parametrize("Model", MODELS)
def test_divergence_names_learning_rate(Model):
    with pytest.raises(ValueError, match=r"diverged.*learning_rate=1000000.0 is too large.*smaller learning_rate") as error:
        Model(solver="gd", learning_rate=1e6, tol=0, max_iter=100).fit(100 * X_GOOD, targets(Model))
    # The advice points to the bound of chapter 4, not to an arbitrary tenth of the rate that failed.
    assert "lipschitz_bound(X, l2)" in str(error.value) and "e.g. 100000" not in str(error.value)


# --------------------------------------------------------------------------- the functions
def test_softmax_with_strings():
    with pytest.raises(TypeError, match=r"z must hold real numbers \(int or float\); got an array of dtype <U"):
        softmax(np.array(["1.0", "2.0"]))


def test_softmax_with_scalar():
    with pytest.raises(ValueError, match=r"z must be a 1-D or 2-D or .*got 0-D"):
        softmax(3.0)


# --------------------------------------------------------------------------- issue 20.3: masked logits
@pytest.mark.parametrize("function", [softmax, log_softmax, logsumexp])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_logits_reject_nan_and_plus_inf(function, bad):
    with pytest.raises(ValueError, match=r"z contains NaN or \+inf; logits must be finite, or -inf for a masked"):
        function([0.0, bad, -np.inf])
    with pytest.raises(ValueError, match=r"Z contains NaN or \+inf"):
        cross_entropy([0], [[0.0, bad]])


@pytest.mark.parametrize("function", [softmax, log_softmax, logsumexp])
def test_logits_reject_a_slice_all_masked(function):
    Z = np.array([[0.0, 1.0], [-np.inf, -np.inf]])
    with pytest.raises(ValueError, match=r"z has a slice along axis 1 whose logits are all -inf: every class is masked"):
        function(Z)
    with pytest.raises(ValueError, match=r"z has a slice along axis 0 whose logits are all -inf"):
        function(Z.T, axis=0)
    with pytest.raises(ValueError, match=r"Z has a slice along axis 1 whose logits are all -inf"):
        cross_entropy([0, 1], Z)


# --------------------------------------------------------------------------- issue 20.4: empty input
def test_logsumexp_of_no_logits():
    # scipy returns log(0) = -inf; the course raises, as for a row of masked logits
    with pytest.raises(ValueError, match=r"z has no logits along axis 0 \(shape \(0,\)\): the log of an empty sum"):
        logsumexp([])
    with pytest.raises(ValueError, match=r"z has no logits along axis 1 \(shape \(3, 0\)\)"):
        logsumexp(np.empty((3, 0)))


def test_distributions_over_no_classes():
    with pytest.raises(ValueError, match=r"p has 0 classes along axis 0 \(shape \(0,\)\): .*not a distribution"):
        entropy([])
    with pytest.raises(ValueError, match=r"q has 0 classes along axis 1"):
        kl_divergence(np.empty((0, 2)) + np.array([0.5, 0.5]), np.empty((0, 0)))
    with pytest.raises(ValueError, match=r"Z has 0 classes \(shape \(2, 0\)\)"):
        cross_entropy([0, 0], np.empty((2, 0)))
    with pytest.raises(ValueError, match=r"Z has 0 classes"):
        multiclass_hinge_loss([0, 0], np.empty((2, 0)))


LOSSES_OF_NOTHING = [
    (cross_entropy, (np.empty(0, int), np.empty((0, 3)))),
    (cross_entropy, (np.empty((0, 3)), np.empty((0, 3)))),
    (cross_entropy_from_probs, (np.empty(0, int), np.empty((0, 3)))),
    (multiclass_hinge_loss, (np.empty(0, int), np.empty((0, 3)))),
    (binary_cross_entropy, (np.empty(0), np.empty(0))),
    (binary_cross_entropy_from_probs, (np.empty(0), np.empty(0))),
    (mean_squared_error, (np.empty(0), np.empty(0))),
]


@pytest.mark.parametrize("loss, args", LOSSES_OF_NOTHING)
def test_mean_of_no_losses(loss, args):
    # PyTorch: NaN for the mean, 0 for the sum, an empty array for none (the two values below)
    with pytest.raises(ValueError, match=r"there are 0 samples \(m = 0\), and the mean of no losses is 0/0.*"
                                         r"reduction='sum'"):
        loss(*args)
    assert loss(*args, reduction="sum") == 0.0
    assert loss(*args, reduction="none").shape == (0,)


def test_softmax_with_bad_axis():
    with pytest.raises(ValueError, match=r"axis=2 is out of range for an array with 2 dimension"):
        softmax(np.zeros((2, 3)), axis=2)
    with pytest.raises(TypeError, match=r"axis must be an integer; got float"):
        logsumexp(np.zeros((2, 3)), axis=1.0)


def test_functions_reject_nan():
    with pytest.raises(ValueError, match=r"z contains NaN or infinity"):
        sigmoid([0.0, np.nan])


def test_one_hot_with_negative_labels():
    with pytest.raises(ValueError, match=r"y must hold class indices 0..K-1; found -1"):
        one_hot([0, 2, -1])


def test_one_hot_with_labels_beyond_n_classes():
    with pytest.raises(ValueError, match=r"y must hold class indices 0..2 \(K=3\); found 3"):
        one_hot([0, 3], n_classes=3)
    with pytest.raises(ValueError, match=r"n_classes must be a finite positive integer"):
        one_hot([0, 1], n_classes=0)


def test_one_hot_with_non_integer_labels():
    with pytest.raises(TypeError, match=r"y must hold integer class indices 0..K-1; got dtype float64"):
        one_hot([0.5, 1.0])
    with pytest.raises(TypeError, match=r"y must hold integer class indices"):
        one_hot(["a", "b"])


def test_cross_entropy_with_mismatched_shapes():
    Z = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"Y has 3 labels but there are 4 samples; the lengths must match"):
        cross_entropy([0, 1, 2], Z)
    with pytest.raises(ValueError, match=r"Y must have shape \(m, K\) = \(4, 3\); got \(4, 2\)"):
        cross_entropy(np.eye(2)[[0, 1, 0, 1]], Z)
    with pytest.raises(ValueError, match=r"Y must hold class indices 0..2 \(K=3\); found 5"):
        cross_entropy([0, 1, 2, 5], Z)


def test_cross_entropy_with_bad_reduction_or_one_hot():
    with pytest.raises(ValueError, match=r"reduction must be one of \('mean', 'sum', 'none'\); got 'max'"):
        cross_entropy([0, 1], np.zeros((2, 2)), reduction="max")
    with pytest.raises(ValueError, match=r"Y rows must be one-hot \(or probabilities\)"):
        cross_entropy(np.array([[1.0, 1.0], [0.0, 1.0]]), np.zeros((2, 2)))


def test_cross_entropy_from_probs_given_logits():
    with pytest.raises(ValueError, match=r"P must hold probabilities in \[0, 1\]; did you pass logits"):
        cross_entropy_from_probs([0, 1], np.array([[2.0, -1.0], [0.5, 0.5]]))


def test_binary_cross_entropy_with_bad_labels_or_lengths():
    with pytest.raises(ValueError, match=r"y must hold labels 0 or 1"):
        binary_cross_entropy([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match=r"y has 3 rows but z has 2; the lengths must match"):
        binary_cross_entropy([0, 1, 1], [0.1, 0.2])


def test_hinge_loss_with_bad_targets_shapes_or_options():
    Z = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"Y has 3 labels but there are 4 samples; the lengths must match"):
        multiclass_hinge_loss([0, 1, 2], Z)
    with pytest.raises(ValueError, match=r"Y must hold class indices 0..2 \(K=3\); found 3"):
        multiclass_hinge_loss([0, 1, 2, 3], Z)
    with pytest.raises(ValueError, match=r"Y must be class indices \(m,\) or one-hot rows .*not defined for soft"):
        multiclass_hinge_loss(np.full((4, 3), 1 / 3), Z)
    with pytest.raises(ValueError, match=r"Z must be a 2-D array; got 1-D"):
        multiclass_hinge_loss([0, 1, 2, 0], np.zeros(4))
    with pytest.raises(ValueError, match=r"Z contains NaN or infinity"):
        multiclass_hinge_loss([0], [[0.0, np.inf]])
    with pytest.raises(ValueError, match=r"kind must be one of \('weston_watkins', 'crammer_singer'\); got 'ww'"):
        multiclass_hinge_loss([0, 1, 2, 0], Z, kind="ww")
    with pytest.raises(ValueError, match=r"reduction must be one of \('mean', 'sum', 'none'\); got 'max'"):
        multiclass_hinge_loss([0, 1, 2, 0], Z, reduction="max")
    with pytest.raises(ValueError, match=r"delta must be a finite positive number \(delta > 0\); got 0"):
        multiclass_hinge_loss([0, 1, 2, 0], Z, delta=0)
    with pytest.raises(TypeError, match=r"delta must be a positive number; got '1' of type str"):
        multiclass_hinge_loss([0, 1, 2, 0], Z, delta="1")


def test_mean_squared_error_lengths():
    with pytest.raises(ValueError, match=r"y has 2 rows but y_hat has 3"):
        mean_squared_error([1.0, 2.0], [1.0, 2.0, 3.0])


def test_gradient_function_shapes():
    X = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"W must have shape \(d, K\) with d = 3 features of X; got \(2, 2\)"):
        softmax_regression_cost_and_gradient(X, [0, 1, 0, 1], np.zeros((2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match=r"b must have shape \(2,\); got \(3,\)"):
        softmax_regression_cost_and_gradient(X, [0, 1, 0, 1], np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match=r"l2 must be a finite non-negative number"):
        softmax_regression_cost_and_gradient(X, [0, 1, 0, 1], np.zeros((3, 2)), np.zeros(2), l2=-1.0)


def test_numerical_gradient_arguments():
    with pytest.raises(TypeError, match=r"f must be a callable returning a float; got list"):
        numerical_gradient([1.0], np.zeros(2))
    with pytest.raises(ValueError, match=r"eps must be a finite positive number \(eps > 0\); got 0"):
        numerical_gradient(np.sum, np.zeros(2), eps=0)


def test_finite_check_handles_overflowing_sums():
    # the fast check sums the array; a sum that overflows must fall back to the exact test
    big = np.full((2, 3), 1e308)  # finite entries whose sum is inf
    np.testing.assert_allclose(softmax(big), 1 / 3)
    big[1, 1] = np.inf
    with pytest.raises(ValueError, match=r"z contains NaN or infinity"):
        sigmoid(big)
    big[1, 1] = np.nan
    with pytest.raises(ValueError, match=r"z contains NaN or infinity"):
        sigmoid(big)


# --------------------------------------------------------------------------- ndarray subclasses (issue 9, 1.6)
def _public_calls():
    """Every public function with valid arguments: (name, function, args) and the positions of arrays."""
    import lecture_lib as ll

    rng = np.random.default_rng(6)
    X, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    y, Y, w = np.array([0, 1, 1, 0]), np.eye(2)[[0, 1, 1, 0]], rng.normal(size=3)
    z, P = rng.normal(size=(4, 2)), np.full((4, 2), 0.5)
    f = lambda v: float(np.sum(v**2))  # noqa: E731
    return [
        ("softmax", ll.softmax, (z,), (0,)), ("log_softmax", ll.log_softmax, (z,), (0,)),
        ("logsumexp", ll.logsumexp, (z,), (0,)), ("sigmoid", ll.sigmoid, (z,), (0,)),
        ("softmax_jacobian", ll.softmax_jacobian, (z,), (0,)), ("one_hot", ll.one_hot, (y,), (0,)),
        ("cross_entropy", ll.cross_entropy, (Y, z), (0, 1)),
        ("cross_entropy_from_probs", ll.cross_entropy_from_probs, (Y, P), (0, 1)),
        ("multiclass_hinge_loss", ll.multiclass_hinge_loss, (Y, z), (0, 1)),
        ("binary_cross_entropy", ll.binary_cross_entropy, (y * 1.0, z[:, 0]), (0, 1)),
        ("binary_cross_entropy_from_probs", ll.binary_cross_entropy_from_probs, (y * 1.0, P[:, 0]), (0, 1)),
        ("mean_squared_error", ll.mean_squared_error, (z[:, 0], z[:, 1]), (0, 1)),
        ("softmax_regression_cost", ll.softmax_regression_cost, (X, y, W, b), (0, 1, 2, 3)),
        ("softmax_regression_gradient", ll.softmax_regression_gradient, (X, Y, W, b), (0, 1, 2, 3)),
        ("softmax_regression_cost_and_gradient", ll.softmax_regression_cost_and_gradient, (X, y, W, b), (0, 1, 2, 3)),
        ("logistic_regression_cost_and_gradient", ll.logistic_regression_cost_and_gradient, (X, y * 1.0, w, 0.5),
         (0, 1, 2)),
        ("linear_regression_cost_and_gradient", ll.linear_regression_cost_and_gradient, (X, z[:, 0], w, 0.5),
         (0, 1, 2)),
        ("numerical_gradient", ll.numerical_gradient, (f, w), (1,)),
        ("relative_error", ll.relative_error, (w, w + 1e-3), (0, 1)),
        ("gradient_check", ll.gradient_check, (f, 2 * w, w), (1, 2)),
        ("entropy", ll.entropy, (P,), (0,)), ("kl_divergence", ll.kl_divergence, (P, P[:, ::-1]), (0, 1)),
        ("smooth_labels", ll.smooth_labels, (y, 2, 0.1), (0,)),
        ("softmax_regression_hessian", ll.softmax_regression_hessian, (X, W, b), (0, 1, 2)),
        ("lipschitz_bound", ll.lipschitz_bound, (X,), (0,)),
        ("softmax_regression_newton_step", ll.softmax_regression_newton_step, (X, y, W, b, 0.1), (0, 1, 2, 3)),
        ("top_k_accuracy", ll.top_k_accuracy, (y, z, 1), (0, 1)),
        ("precision_recall_f1", ll.precision_recall_f1, (y, 1 - y, 2), (0, 1)),
        ("fit_temperature", ll.fit_temperature, (np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0], [0.0, -1.0]]),
                                                 np.array([0, 1, 1, 0])), (0, 1)),
        ("prior_shift_bias", ll.prior_shift_bias, (b, np.array([0.5, 0.5]), np.array([0.25, 0.75])), (0, 1, 2)),
        ("to_reference_class", ll.to_reference_class, (W, b), (0, 1)),
        ("fit_shared_gaussians", ll.fit_shared_gaussians, (np.vstack([X, X**2]), np.tile(y, 2)), (0, 1)),
        ("gaussian_softmax_parameters", ll.gaussian_softmax_parameters, (np.array([0.25, 0.75]), W.T, np.eye(3) + 0.1),
         (0, 1, 2)),
        ("from_reference_class", ll.from_reference_class, (W[:, :1], b[:1]), (0, 1)),
    ]


#: Public names that take no array of the user's (classes, a helper of scikit-learn's parameters).
NOT_FUNCTIONS_OF_ARRAYS = {"LinearRegression", "LogisticRegression", "SoftmaxRegression", "sklearn_C"}


def test_every_public_function_is_called_by_the_bad_input_tests():
    """A new function in lecture_lib.__all__ must join _public_calls (np.matrix, masked arrays) and get
    its own bad-input test below."""
    import lecture_lib as ll

    called = {name for name, *_ in _public_calls()}
    missing = sorted(set(ll.__all__) - NOT_FUNCTIONS_OF_ARRAYS - called)
    assert not missing, f"public functions without bad-input calls in _public_calls: {missing}"


PUBLIC_ARGUMENTS = [(name, func, args, pos) for name, func, args, positions in _public_calls() for pos in positions]


def _matrix(a):
    """``np.matrix(a)`` without numpy's PendingDeprecationWarning about the class itself."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.asmatrix(np.atleast_2d(a))


def _replaced(args, pos, value):
    return tuple(value if i == pos else a for i, a in enumerate(args))


@pytest.mark.parametrize("name, func, args, pos", PUBLIC_ARGUMENTS, ids=[f"{c[0]}-arg{c[3]}" for c in PUBLIC_ARGUMENTS])
def test_public_functions_reject_np_matrix(name, func, args, pos):
    with pytest.raises(TypeError, match=r"is a np.matrix, which is not supported.*np.asarray"):
        func(*_replaced(args, pos, _matrix(args[pos])))


@pytest.mark.parametrize("name, func, args, pos", PUBLIC_ARGUMENTS, ids=[f"{c[0]}-arg{c[3]}" for c in PUBLIC_ARGUMENTS])
def test_public_functions_reject_masked_values_and_accept_unmasked_arrays(name, func, args, pos):
    masked = np.ma.masked_array(args[pos], mask=np.zeros(np.shape(args[pos]), dtype=bool))
    masked.mask.flat[0] = True
    with pytest.raises(ValueError, match=r"is a masked array with 1 masked value\(s\); masks are not supported"):
        func(*_replaced(args, pos, masked))
    expected = func(*args)
    got = func(*_replaced(args, pos, np.ma.masked_array(args[pos])))  # nothing masked: the data itself
    for e, g in zip(expected if isinstance(expected, tuple) else (expected,), got if isinstance(got, tuple) else (got,)):
        assert type(np.asarray(g)) is np.ndarray
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("Model", MODELS)
def test_models_reject_np_matrix_and_masked_values(Model):
    with pytest.raises(TypeError, match=r"X is a np.matrix, which is not supported"):
        Model().fit(_matrix(X_GOOD), targets(Model))
    model = Model().fit(X_GOOD, targets(Model))
    with pytest.raises(TypeError, match=r"X is a np.matrix, which is not supported"):
        model.predict(_matrix(X_GOOD))
    masked = np.ma.masked_array(X_GOOD, mask=np.zeros(X_GOOD.shape, dtype=bool))
    masked[3, 1] = np.ma.masked
    with pytest.raises(ValueError, match=r"X is a masked array with \d+ masked value\(s\)"):
        Model().fit(masked, targets(Model))
    with pytest.raises(ValueError, match=r"X is a masked array with \d+ masked value\(s\)"):
        model.predict(masked)
    np.testing.assert_array_equal(model.predict(np.ma.masked_array(X_GOOD)), model.predict(X_GOOD))


def test_other_subclasses_are_used_as_plain_arrays_without_a_copy(tmp_path):
    from lecture_lib._validation import as_float_array

    mm = np.memmap(tmp_path / "z.dat", dtype=np.float64, mode="w+", shape=(3, 2))
    mm[:] = [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    arr = as_float_array(mm, "z")
    assert type(arr) is np.ndarray and np.shares_memory(arr, mm)
    np.testing.assert_array_equal(softmax(mm), softmax(np.asarray(mm)))


# --------------------------------------------------------------------------- raw numpy warnings (issue 9, 1.7)
# Each case runs with every warning turned into an error: the value must be right, or a clear
# exception raised, and nothing may leak from numpy.
def _edge_cases():
    from lecture_lib import log_softmax, relative_error

    return {
        "softmax of +-1e308": lambda: np.testing.assert_array_equal(softmax([1e308, -1e308]), [1.0, 0.0]),
        "log_softmax of +-1e308": lambda: np.testing.assert_array_equal(  # -2e308 is beyond the float range
            log_softmax([1e308, -1e308]), [0.0, -np.inf]),
        "logsumexp of +-1e308": lambda: np.testing.assert_array_equal(logsumexp([1e308, -1e308]), 1e308),
        "cross_entropy of +-1e308": lambda: np.testing.assert_array_equal(
            cross_entropy([0, 1], [[1e308, -1e308]] * 2, reduction="none"), [0.0, np.inf]),  # the loss 2e308
        "mean_squared_error of +-1e200": lambda: np.testing.assert_array_equal(  # exact 4e400 overflows
            mean_squared_error([1e200], [-1e200]), np.inf),
        "mean_squared_error whose squares overflow": lambda: np.testing.assert_allclose(
            mean_squared_error([1e154, 0, 0, 0], [-1e154, 0, 0, 0]), 1e308, rtol=1e-15),
        "relative_error of +-1e308": lambda: np.testing.assert_array_equal(relative_error([1e308], [-1e308]), 1.0),
    }


@pytest.mark.parametrize("case", list(_edge_cases()))
def test_no_warning_and_the_right_value_at_the_edges(case):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _edge_cases()[case]()


def test_one_hot_of_a_huge_float_label_is_a_clear_error():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"y must hold class indices 0..K-1; found 1e\+20, which is not"):
            one_hot([0, 1e20])


def test_overflowing_costs_are_a_clear_error():
    import warnings

    from lecture_lib import logistic_regression_cost_and_gradient, softmax_regression_cost

    X = rng.normal(size=(5, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"logistic_regression_cost_and_gradient: the cost or gradient "
                                             r"overflows float64.*scale X"):
            logistic_regression_cost_and_gradient(X, [0, 1, 0, 1, 1], np.full(3, 1e308), 0.0)
        with pytest.raises(ValueError, match=r"softmax_regression_cost_and_gradient: the cost or gradient overflows"):
            softmax_regression_cost_and_gradient(X, [0, 1, 0, 1, 1], np.full((3, 2), 1e308), np.zeros(2))
        with pytest.raises(ValueError, match=r"softmax_regression_cost: the cost or gradient overflows float32"):
            softmax_regression_cost(X.astype(np.float32), [0, 1, 0, 1, 1], np.full((3, 2), 1e38, np.float32),
                                    np.zeros(2, np.float32))


# --------------------------------------------------------------------------- issue 19: metrics, calibration, Newton
def test_top_k_accuracy_bad_input():
    from lecture_lib import top_k_accuracy

    P = np.full((3, 4), 0.25)
    with pytest.raises(ValueError, match=r"k must be at most the number of classes K = 4; got k = 5"):
        top_k_accuracy([0, 1, 2], P, 5)
    with pytest.raises(ValueError, match=r"k must be a finite positive integer \(k > 0\); got 0"):
        top_k_accuracy([0, 1, 2], P, 0)
    with pytest.raises(TypeError, match=r"k must be a positive integer; got 1.5"):
        top_k_accuracy([0, 1, 2], P, 1.5)
    with pytest.raises(ValueError, match=r"y must hold class indices 0..3 \(K=4\); found 4"):
        top_k_accuracy([0, 1, 4], P, 1)
    with pytest.raises(ValueError, match=r"y has 2 rows but P has 3; the lengths must match"):
        top_k_accuracy([0, 1], P, 1)
    with pytest.raises(ValueError, match=r"P must be a 2-D array; got 1-D"):
        top_k_accuracy([0], [0.5, 0.5], 1)
    with pytest.raises(ValueError, match=r"P contains NaN or infinity"):
        top_k_accuracy([0], [[0.5, np.nan]], 1)


def test_precision_recall_f1_bad_input():
    from lecture_lib import precision_recall_f1

    with pytest.raises(ValueError, match=r"average must be one of \('macro', 'micro', None\); got 'weighted'"):
        precision_recall_f1([0, 1], [0, 1], 2, average="weighted")
    with pytest.raises(ValueError, match=r"zero_division must be 0.0, 1.0 or np.nan"):
        precision_recall_f1([0, 1], [0, 1], 2, zero_division="warn")
    with pytest.raises(ValueError, match=r"y_pred must hold class indices 0..1 \(K=2\); found 2"):
        precision_recall_f1([0, 1], [0, 2], 2)
    with pytest.raises(ValueError, match=r"y_true has 3 rows but y_pred has 2"):
        precision_recall_f1([0, 1, 1], [0, 1], 2)
    with pytest.raises(ValueError, match=r"K must be a finite positive integer"):
        precision_recall_f1([0, 1], [0, 1], 0)
    with pytest.raises(TypeError, match=r"y_true must hold integer class indices"):
        precision_recall_f1([0.5, 1], [0, 1], 2)


def test_fit_temperature_bad_input():
    from lecture_lib import fit_temperature

    Z = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0]])
    with pytest.raises(ValueError, match=r"Z contains NaN or \+inf"):
        fit_temperature([[np.nan, 0.0]], [0])
    with pytest.raises(ValueError, match=r"Z contains -inf \(a masked class\)"):
        fit_temperature([[-np.inf, 0.0], [0.0, 1.0]], [0, 1])
    with pytest.raises(ValueError, match=r"y has 2 rows but Z has 3"):
        fit_temperature(Z, [0, 1])
    with pytest.raises(ValueError, match=r"y must hold class indices 0..1 \(K=2\); found 2"):
        fit_temperature(Z, [0, 1, 2])
    with pytest.raises(ValueError, match=r"Z must be a 2-D array"):
        fit_temperature([1.0, 0.0], [0])
    with pytest.raises(ValueError, match=r"every true class has the top logit of its row"):
        fit_temperature(Z, [0, 1, 0])
    with pytest.raises(ValueError, match=r"max_iter must be a finite positive integer"):
        fit_temperature(Z, [1, 1, 0], max_iter=0)


def test_prior_shift_bias_bad_input():
    from lecture_lib import prior_shift_bias

    b, pi = np.zeros(3), np.full(3, 1 / 3)
    with pytest.raises(ValueError, match=r"priors must have shape \(K,\) = \(3,\), one probability per class"):
        prior_shift_bias(b, [0.5, 0.5], pi)
    with pytest.raises(ValueError, match=r"new_priors must have shape \(K,\) = \(3,\)"):
        prior_shift_bias(b, pi, [0.25, 0.25, 0.25, 0.25])
    with pytest.raises(ValueError, match=r"new_priors must be positive .*found 0.0"):
        prior_shift_bias(b, pi, [0.5, 0.5, 0.0])
    with pytest.raises(ValueError, match=r"priors must sum to 1 \(class probabilities\); they sum to 3.0"):
        prior_shift_bias(b, [1, 1, 1], pi)
    with pytest.raises(ValueError, match=r"priors contains NaN or infinity"):
        prior_shift_bias(b, [np.nan, 0.5, 0.5], pi)
    with pytest.raises(ValueError, match=r"priors must be a 1-D array; got 2-D"):
        prior_shift_bias(b, pi[None], pi)
    with pytest.raises(ValueError, match=r"b contains NaN or infinity"):
        prior_shift_bias([0.0, np.inf, 0.0], pi, pi)
    with pytest.raises(ValueError, match=r"b must be a 1-D or .* array; got 0-D"):
        prior_shift_bias(0.0, pi, pi)
    with pytest.raises(TypeError, match=r"new_priors must hold real numbers"):
        prior_shift_bias(b, pi, ["a", "b", "c"])


def test_reference_class_bad_input():
    from lecture_lib import from_reference_class, to_reference_class

    W, b = np.zeros((3, 4)), np.zeros(4)
    with pytest.raises(ValueError, match=r"reference must be a class index 0..3 \(K = 4 columns of W\); got 4"):
        to_reference_class(W, b, 4)
    with pytest.raises(TypeError, match=r"reference must be an integer class index; got 1.0"):
        to_reference_class(W, b, 1.0)
    with pytest.raises(ValueError, match=r"W must have K >= 2 columns"):
        to_reference_class(W[:, :1], b[:1])
    with pytest.raises(ValueError, match=r"b must have shape \(4,\); got \(3,\)"):
        to_reference_class(W, b[:3])
    with pytest.raises(ValueError, match=r"c must have shape \(3,\); got \(4,\)"):
        from_reference_class(W[:, :3], b)
    with pytest.raises(ValueError, match=r"reference must be a class index 0..3 \(K = 4: the 3 columns of V"):
        from_reference_class(W[:, :3], b[:3], reference=-1)
    with pytest.raises(ValueError, match=r"V contains NaN or infinity"):
        from_reference_class(np.full((3, 3), np.inf), b[:3])


def test_newton_step_bad_input():
    from lecture_lib import softmax_regression_newton_step

    X = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"W must have shape \(d, K\) with d = 3 features of X; got \(2, 2\)"):
        softmax_regression_newton_step(X, [0, 1, 0, 1], np.zeros((2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match=r"Y has 3 labels but there are 4 samples"):
        softmax_regression_newton_step(X, [0, 1, 0], np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match=r"l2 must be a finite non-negative number"):
        softmax_regression_newton_step(X, [0, 1, 0, 1], np.zeros((3, 2)), np.zeros(2), l2=-1.0)
    with pytest.raises(ValueError, match=r"softmax_regression_newton_step: the cost or gradient overflows"):
        softmax_regression_newton_step(X + 1, [0, 1, 0, 1], np.full((3, 2), 1e308), np.zeros(2))
