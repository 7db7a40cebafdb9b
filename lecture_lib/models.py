r"""Three linear models with the scikit-learn API: linear, logistic and softmax regression.

All three fit a linear score of the features and differ only in the link and the cost:

=====================  ==========================  ===========================================
model                  scores                      per-sample loss :math:`L_i`
=====================  ==========================  ===========================================
``LinearRegression``   :math:`\hat y = Xw + b`     squared error
``LogisticRegression`` :math:`z = Xw + b`          binary cross-entropy of :math:`\sigma(z)`
``SoftmaxRegression``  :math:`Z = XW + b`          cross-entropy of :math:`\operatorname{softmax}(Z)`
=====================  ==========================  ===========================================

Each minimises the (weighted) mean loss plus an L2 penalty on the weights (never on the bias),

.. math:: J_\lambda = \frac{\sum_{i=1}^m s_i L_i}{\sum_{i=1}^m s_i} + \frac{\lambda}{2}\lVert W\rVert_F^2 ,

with ``sample_weight`` :math:`s_i \ge 0` (all 1 by default: the plain mean over the ``m``
samples). Integer weights are repeated rows and zero weights removed rows; ``class_weight``
multiplies :math:`s_i` by the weight of the class of sample ``i``, as scikit-learn does. For
the two classifiers this is exactly scikit-learn's ``LogisticRegression`` with the same weights
and the ``C`` that :func:`sklearn_C` gives (its table is the one place for the mapping:
``C = 1 / (l2 * sum(s))`` with the class weights included in ``s``, twice that for
``SoftmaxRegression`` with two classes). The formulas live
once, in the private cores of :mod:`lecture_lib.gradients` (which take the weights rescaled to
mean 1); this module only validates the input (once per ``fit``/``predict``) and runs one of
three solvers on them:

``"lbfgs"`` (default)
    ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)``. Stops when the largest entry of
    the gradient is at most ``tol`` (scipy's ``gtol``) or the objective stops decreasing
    (relative change below ``64 * eps``, as in scikit-learn). ``tol=0`` switches both tests
    off, so it runs ``max_iter`` iterations unless the line search can make no progress at
    all (machine precision). One entry of ``loss_history_`` per iteration. If the objective
    or its gradient overflows at the start (features or targets near the float64 range) it
    raises a ``ValueError`` that says to scale them: more iterations would not help.
``"gd"``
    Batch gradient descent :math:`\theta \leftarrow \theta - \alpha \nabla J_\lambda(\theta)`,
    the update rule of chapter 4. Each iteration evaluates the objective and the
    gradient at the current parameters, records the objective in ``loss_history_``, stops if
    the largest gradient entry is at most ``tol``, and otherwise takes the step.
    ``tol=0`` runs exactly ``max_iter`` iterations.
``"sgd"``
    Mini-batch stochastic gradient descent with a constant learning rate: each epoch draws a
    fresh permutation of the samples from ``check_random_state(random_state)`` and steps
    through it in batches of ``batch_size`` consecutive entries. After every epoch the full
    objective is recorded in ``loss_history_``; fitting stops when the epoch *decreased* it by
    less than ``tol`` (an epoch that increased it never stops the fit). ``tol=0`` runs exactly
    ``max_iter`` epochs. With a constant step the iterates end in a small neighbourhood of the
    optimum whose size shrinks with ``learning_rate``. If the last objective is above the
    objective at the start, a :class:`~sklearn.exceptions.ConvergenceWarning` says so and
    suggests a smaller ``learning_rate`` or scaled features.

``partial_fit`` (``solver="sgd"`` only) makes one such pass over the chunk it is given, in the
order given, so data too large for memory can be streamed chunk by chunk (e.g. slices of a
``np.memmap``). Calling it once per epoch on ``X[order]`` with ``order`` the permutations that
``fit`` would draw takes exactly the steps of ``fit(solver="sgd")``. ``warm_start=True`` makes
``fit`` start from the current weights.

The parameters start at zero (the objectives are convex, so the start does not change the
optimum). If ``gd`` or ``sgd`` diverge (the objective or the weights stop being finite, or the
objective grows above ``1e4 * max(1, J_0)`` with ``J_0`` its value at the start) ``fit`` raises
a ``ValueError`` that suggests a smaller ``learning_rate``; it never returns NaN weights.
A fit that raises leaves the model as it was (fitted attributes are written only on success;
a failed first fit leaves it unfitted). Reaching ``max_iter`` with ``tol > 0`` emits a
:class:`sklearn.exceptions.ConvergenceWarning`; pass ``tol=0`` to ask for a fixed number of
iterations without a warning.

``X`` may be float32 or float64 and is not copied by ``fit`` when BLAS can read it in place
(C or Fortran order, or a view with one unit stride such as ``X[::2]``); a view strided along
both axes (``X[:, ::2]``) is copied once, because numpy's matmul would copy it at every
product. A float32 ``X`` stays float32 and the (small) weights are cast to float32 for the
products. During L-BFGS the BLAS library that scipy ships for itself runs on one thread (see
``lecture_lib._blas_threads``); a BLAS shared with numpy is never limited. Chapters: *Modeling* (the models),
*Gradient derivation* (the solvers), *Handwritten digits* and *Comparisons* (use).
"""

from __future__ import annotations

import functools
import numbers
import warnings

import numpy as np
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._blas_threads import scipy_blas_one_thread
from ._validation import as_float_array, check_positive, check_sample_weight
from .functions import _log_softmax, _softmax
from .gradients import _linear_cost_grad, _logistic_cost_grad, _normalised_weights, _softmax_cost_grad

__all__ = ["LinearRegression", "LogisticRegression", "SoftmaxRegression", "sklearn_C"]

_SOLVERS = ("gd", "sgd", "lbfgs")


# --------------------------------------------------------------------------- docstrings
_PARAMETERS_DOC = r"""
    l2 : float, default 0.0
        L2 strength :math:`\lambda \ge 0` on the weights (the bias is not penalised). The
        objective is the (weighted) mean cost plus :math:`\frac{\lambda}{2}\lVert W\rVert^2`.
    solver : {"lbfgs", "gd", "sgd"}, default "lbfgs"
        L-BFGS (fast and exact), batch gradient descent (the lecture's update rule) or
        mini-batch stochastic gradient descent. Stopping rules are in the module docstring.
    learning_rate : float, default 0.1
        Step size :math:`\alpha > 0` of ``gd`` and ``sgd`` (ignored by ``lbfgs``).
    max_iter : int, default 1000
        Maximum number of iterations (``gd``, ``lbfgs``) or epochs (``sgd``).
    tol : float, default 1e-4
        Tolerance of the stopping rule (``>= 0``); ``0`` runs ``max_iter`` iterations.
    batch_size : int, default 32
        Mini-batch size of ``sgd`` and ``partial_fit`` (ignored by the other solvers).
    random_state : int, RandomState instance or None, default None
        Seed of the sample order of ``sgd``. The other solvers, and ``partial_fit``, are
        deterministic.{class_weight}
    warm_start : bool, default False
        If True and the model is fitted, ``fit`` starts from the current weights instead of
        zero (same features, and for a classifier the same classes, are required).
    verbose : int, default 0
        If positive, print the objective every ``verbose`` iterations (epochs for ``sgd``).
"""

_CLASS_WEIGHT_DOC = r"""
    class_weight : dict, "balanced" or None, default None
        Weight of each class, multiplied into ``sample_weight``: a dict ``{label: weight}``
        (missing labels weigh 1) or ``"balanced"``, scikit-learn's
        ``compute_class_weight("balanced", ...)``: :math:`\sum_i s_i / (K \sum_{i: y_i = k} s_i)`
        for class ``k``. ``partial_fit`` accepts only a dict (the class counts of a stream
        are not known in advance), as scikit-learn's ``SGDClassifier``."""

_FITTED_DOC = r"""
    n_features_in_ : int
        Number of features ``d`` seen in ``fit``.
    n_iter_ : int
        Iterations (``gd``, ``lbfgs``) or epochs (``sgd``) run by the last ``fit``, 1 after
        ``partial_fit`` (one pass over the chunk); equals ``len(loss_history_)``.
    loss_history_ : list of float
        The objective :math:`J_\lambda` per iteration (``gd``: at the parameters before the
        step; ``lbfgs``: after the iteration) or after each epoch (``sgd``). After
        ``partial_fit``: the mean of the mini-batch objectives of the pass (each taken before
        its step; no extra pass over the chunk).
    t_ : int
        ``sgd`` and ``partial_fit`` only: number of mini-batch updates since the weights were
        last started (from zero, or by ``fit`` with ``warm_start``); ``partial_fit`` adds to it.
"""


def _with_doc(cls):
    class_weight = _CLASS_WEIGHT_DOC if issubclass(cls, ClassifierMixin) else ""
    parameters = _PARAMETERS_DOC.replace("{class_weight}", class_weight)
    cls.__doc__ = cls.__doc__.replace("{parameters}", parameters).replace("{fitted}", _FITTED_DOC)
    return cls


def _blas_readable(X):
    """Whether BLAS can take the 2-D array ``X`` without a copy: one unit stride, the other a leading dimension."""
    if X.flags.c_contiguous or X.flags.f_contiguous:
        return True
    (m, d), (s0, s1), item = X.shape, X.strides, X.itemsize
    return (s1 == item and s0 >= d * item) or (s0 == item and s1 >= m * item)


def _uses_sgd(model):
    """``partial_fit`` exists only for ``solver="sgd"`` (scikit-learn's ``available_if``)."""
    return model.solver == "sgd"


class _LinearModel(BaseEstimator):
    """Shared machinery: hyperparameters, validation, the three solvers and the fitted state.

    A subclass sets ``_cost_grad`` (an unchecked core from :mod:`lecture_lib.gradients` with
    signature ``(X, t, W, b, l2, gradient=True, sample_weight=None) -> (J, dW, db)``) and
    implements ``_encode_targets(y, dtype) -> (t, classes, K)``, where ``t`` is what the core
    takes as targets, ``classes`` the labels (None for regression) and ``K`` the number of
    weight columns (``None`` for a weight vector), ``_weights(s, y, classes)`` and ``_store(W, b)``.

    Nothing is written to ``self`` before a fit has succeeded: a failed fit leaves the previous
    model (or an unfitted one) intact.
    """

    _cost_grad = None

    # The fitted model is ``coef_`` and ``intercept_`` (scikit-learn's names and layouts), and
    # nothing else: prediction and warm starts read them, and the course's names (``w_``, ``b_``,
    # ``W_``) are views of them. So a user who edits or replaces ``coef_``/``intercept_`` edits the model.
    @property
    def _W(self):
        """Fitted weights in the core's layout: ``w_ (d,)`` (``SoftmaxRegression``: ``W_ (d, K)``)."""
        return self.w_

    @property
    def _b(self):
        """Fitted bias in the core's layout, a float64 array ``(1,)`` (``SoftmaxRegression``: ``(K,)``)."""
        return np.asarray(self.intercept_, dtype=np.float64).reshape(-1)

    def __init__(self, *, l2=0.0, solver="lbfgs", learning_rate=0.1, max_iter=1000, tol=1e-4,
                 batch_size=32, random_state=None, warm_start=False, verbose=0):
        self.l2 = l2
        self.solver = solver
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.batch_size = batch_size
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    # ------------------------------------------------------------------ validation
    def _check_hyperparameters(self):
        if not isinstance(self.solver, str) or self.solver not in _SOLVERS:
            raise ValueError(f"solver must be one of {_SOLVERS}; got {self.solver!r}.")
        check_positive(self.l2, "l2", allow_zero=True)
        check_positive(self.learning_rate, "learning_rate")
        check_positive(self.max_iter, "max_iter", integer=True)
        check_positive(self.tol, "tol", allow_zero=True)
        check_positive(self.batch_size, "batch_size", integer=True)
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise TypeError(f"warm_start must be True or False; got {self.warm_start!r}.")
        if not isinstance(self.verbose, numbers.Integral) or self.verbose < 0:
            raise ValueError(f"verbose must be an integer >= 0 (0 = silent); got {self.verbose!r}.")

    def _check_X(self, X, reset):
        """Validate ``X (m, d)`` once; ``reset`` records ``n_features_in_`` (fit) or checks it (predict)."""
        X_arr = as_float_array(X, "X", ndim=2)
        validate_data(self, X, reset=reset, skip_check_array=True)  # n_features_in_ (and names)
        return X_arr

    @staticmethod
    def _check_X_fit(X):
        """Validate ``X (m, d)`` for fitting, without touching ``self``.

        ``X`` is used as it is, never copied, whenever BLAS can read it in place: C or Fortran
        order, and also views with one unit stride such as ``X[::2]`` or ``X[:, :k]`` (BLAS
        takes a leading dimension). Only a view whose elements are strided along both axes
        (e.g. ``X[:, ::2]``) is copied, once, to C order: numpy's matmul would otherwise copy it
        into a contiguous buffer for each of the two products of every gradient, which made a
        fit 4-5 times slower (benchmark ``strided``).
        """
        X = as_float_array(X, "X", ndim=2)
        if not _blas_readable(X):
            X = np.ascontiguousarray(X)
        return X

    def _check_y(self, y, m):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        y = column_or_1d(y, warn=True)
        if y.shape[0] != m:
            raise ValueError(f"X has {m} rows but y has {y.shape[0]} labels; the lengths must match.")
        return y

    def _weights(self, sample_weight, y, classes, chunk=False):
        """Checked per-sample weights ``s (m,)`` (float64) or None; classifiers multiply in class weights.

        ``chunk``: a ``partial_fit`` chunk, which may hold a single class.
        """
        return check_sample_weight(sample_weight, y.shape[0])

    # ------------------------------------------------------------------ fit
    def fit(self, X, y, sample_weight=None):
        r"""Fit the model on ``X (m, d)`` and targets ``y (m,)``; returns ``self``.

        ``sample_weight (m,)``, optional, non-negative: the objective becomes the weighted mean
        :math:`\sum_i s_i L_i / \sum_i s_i + \frac{\lambda}{2}\lVert W\rVert^2` (integer weights
        are repeated rows, zero weights removed rows).
        """
        self._check_hyperparameters()
        X_in = X
        X = self._check_X_fit(X)
        y = self._check_y(y, X.shape[0])
        t, classes, K = self._encode_targets(y, X.dtype)
        s = self._weights(sample_weight, y, classes)
        sw = None if s is None else _normalised_weights(s, X.shape[0], X.dtype)
        d = X.shape[1]
        shape = (d,) if K is None else (d, K)
        theta = self._start(shape, classes, d)
        solve = {"gd": self._fit_gd, "sgd": self._fit_sgd, "lbfgs": self._fit_lbfgs}[self.solver]
        history = []
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected and reported below
            theta, updates = solve(X, t, sw, theta, shape, float(self.l2), history)
        if not np.all(np.isfinite(theta)):
            self._diverged(len(history), float("nan"))
        if self.solver == "sgd" and self.warm_start and hasattr(self, "t_"):
            updates += self.t_
        self._set_fitted(X_in, theta, shape, classes, history, updates if self.solver == "sgd" else None)
        return self

    def _start(self, shape, classes, d):
        """Flat start vector ``[W.ravel(), b]`` (float64): zero, or the current weights with ``warm_start``."""
        if self.warm_start and hasattr(self, "coef_"):
            old_classes = getattr(self, "classes_", None)
            if self.n_features_in_ != d or (classes is not None and not np.array_equal(old_classes, classes)):
                what = (f"{self.n_features_in_} features" if self.n_features_in_ != d
                        else f"classes {old_classes.tolist()}")
                raise ValueError(f"warm_start=True continues the previous fit, which had {what}; this data has "
                                 f"{d} features and classes {None if classes is None else classes.tolist()}. "
                                 f"Use warm_start=False to start from zero.")
            return self._theta(shape, current=True)
        return self._theta(shape, current=False)

    def _theta(self, shape, current):
        """Flat float64 vector ``[W.ravel(), b]``: zeros, or the fitted weights if ``current``."""
        n_w = int(np.prod(shape))
        theta = np.zeros(n_w + (1 if len(shape) == 1 else shape[1]))
        if current:
            theta[:n_w] = np.ravel(self._W)
            theta[n_w:] = self._b
        return theta

    def _set_fitted(self, X_in, theta, shape, classes, history, updates):
        """Write the fitted state, all at once, after a successful fit."""
        validate_data(self, X_in, reset=True, skip_check_array=True)  # n_features_in_ (and names)
        if classes is not None:
            self.classes_ = classes
        self.loss_history_ = history
        self.n_iter_ = len(history)
        if updates is not None:
            self.t_ = int(updates)
        elif hasattr(self, "t_"):
            del self.t_
        W, b = self._unpack(theta, shape)
        self._store(W.copy(), b.copy())

    @staticmethod
    def _unpack(theta, shape, dtype=np.float64):
        """Views ``W`` (shape ``shape``) and ``b`` of the flat vector, cast to ``dtype`` if needed."""
        n_w = int(np.prod(shape))
        W = theta[:n_w].reshape(shape)
        b = theta[n_w:]
        if dtype != theta.dtype:  # float32 X: cast the small weights, never the data
            W, b = W.astype(dtype), b.astype(dtype)
        return W, b

    def _progress(self, it, J):
        if self.verbose and it % self.verbose == 0:
            print(f"{type(self).__name__}({self.solver}): iteration {it}, objective {J:.8g}")

    def _check_divergence(self, it, J, J_start):
        """gd/sgd: stop with an error once the objective is not finite or has blown up.

        With a small enough step gradient descent never increases the objective, so a value
        above ``1e4 * max(1, J_start)`` (or NaN/inf) means the step is far too large.
        """
        if not J <= 1e4 * max(1.0, J_start):  # also true for NaN
            self._diverged(it, J)

    def _diverged(self, it, J):
        raise ValueError(
            f"{type(self).__name__} diverged with solver={self.solver!r} at iteration {it} "
            f"(objective {J}): learning_rate={self.learning_rate!r} is too large for this data. "
            f"Use a smaller learning_rate or scale the features. For the classifiers' full-batch gd, "
            f"1/L with L = lecture_lib.lipschitz_bound(X, l2) is a safe learning_rate.")

    def _not_converged(self, detail):
        warnings.warn(
            f"{type(self).__name__}(solver={self.solver!r}) stopped without meeting tol={self.tol!r} "
            f"(max_iter={self.max_iter}; {detail}). Increase max_iter, scale X, or pass tol=0 to run a "
            f"fixed number of iterations.", ConvergenceWarning, stacklevel=4)

    def _fit_gd(self, X, t, sw, theta, shape, l2, history):
        W, b = self._unpack(theta, shape)  # float64 views, updated in place
        alpha, tol, cast = self.learning_rate, self.tol, X.dtype != theta.dtype
        for it in range(1, self.max_iter + 1):
            Wc, bc = self._unpack(theta, shape, X.dtype) if cast else (W, b)
            J, dW, db = self._cost_grad(X, t, Wc, bc, l2, sample_weight=sw)
            history.append(J)
            self._check_divergence(it, J, history[0])
            self._progress(it, J)
            if tol > 0:
                g_max = max(np.abs(dW).max(), np.abs(db).max())
                if g_max <= tol:
                    return theta, it - 1
            W -= alpha * dW
            b -= alpha * db
        if tol > 0:
            self._not_converged(f"largest gradient entry {g_max:.3g}")
        return theta, self.max_iter

    def _sgd_pass(self, X, t, sw, theta, shape, l2, order, epoch):
        """One pass of mini-batch steps over ``X``; returns ``(updates, mean of the batch objectives)``.

        The batches are ``batch_size`` consecutive entries of ``order`` (``fit``: a fresh
        permutation per epoch), or consecutive rows of ``X`` itself when ``order`` is None
        (``partial_fit``: slices, so a memory-mapped chunk is read batch by batch, never gathered).
        Both take the same steps on the same rows, which makes ``partial_fit(X[order], y[order])``
        once per epoch the same computation as ``fit`` (the law tested in ``tests/test_models_*``).
        """
        W, b = self._unpack(theta, shape)
        alpha, batch, cast = self.learning_rate, self.batch_size, X.dtype != theta.dtype
        m = X.shape[0]
        J_sum, updates = 0.0, 0
        for start in range(0, m, batch):
            rows = slice(start, start + batch) if order is None else order[start:start + batch]
            Wc, bc = self._unpack(theta, shape, X.dtype) if cast else (W, b)
            J_batch, dW, db = self._cost_grad(X[rows], t[rows], Wc, bc, l2,
                                              sample_weight=None if sw is None else sw[rows])
            if not np.isfinite(J_batch):  # one batch may cost more than the mean: only NaN/inf here
                self._diverged(epoch, J_batch)
            W -= alpha * dW
            b -= alpha * db
            J_sum += J_batch * min(batch, m - start)
            updates += 1
        return updates, J_sum / m

    def _fit_sgd(self, X, t, sw, theta, shape, l2, history):
        tol = self.tol
        m = X.shape[0]
        rng = check_random_state(self.random_state)
        objective = functools.partial(self._cost_grad, X, t, l2=l2, gradient=False, sample_weight=sw)
        J_start = J_prev = objective(*self._unpack(theta, shape, X.dtype))
        updates = 0
        converged = False
        for epoch in range(1, self.max_iter + 1):
            updates += self._sgd_pass(X, t, sw, theta, shape, l2, rng.permutation(m), epoch)[0]
            J = objective(*self._unpack(theta, shape, X.dtype))
            history.append(J)
            self._check_divergence(epoch, J, J_start)
            self._progress(epoch, J)
            if tol > 0 and 0 <= J_prev - J < tol:  # a real decrease, and a small one: converged
                converged = True
                break
            J_prev = J
        if history[-1] > J_start:  # worse than the start (a blow-up above 1e4 J_start raised already)
            warnings.warn(
                f"{type(self).__name__}(solver='sgd') ended with objective {history[-1]:.6g} after {epoch} "
                f"epoch(s), above its value {J_start:.6g} at the start: the model is worse than where it "
                f"started. learning_rate={self.learning_rate!r} is too large for this data: use a smaller "
                f"learning_rate (e.g. {self.learning_rate / 10:g}) or scale the features (e.g. "
                f"sklearn.preprocessing.StandardScaler).", ConvergenceWarning, stacklevel=3)
        elif tol > 0 and not converged:
            decrease = history[-2] - history[-1] if len(history) > 1 else float("nan")
            self._not_converged(f"the last epoch decreased the objective by {decrease:.3g}")
        return theta, updates

    def _fit_lbfgs(self, X, t, sw, theta, shape, l2, history):
        n_w, dtype = int(np.prod(shape)), X.dtype
        finite = []  # whether each evaluation gave a finite objective and gradient

        def objective(theta):
            J, dW, db = self._cost_grad(X, t, *self._unpack(theta, shape, dtype), l2, sample_weight=sw)
            grad = np.empty_like(theta)
            grad[:n_w] = dW.ravel()
            grad[n_w:] = db
            finite.append(bool(np.isfinite(J) and np.all(np.isfinite(grad))))
            return J, grad

        def callback(intermediate_result):
            history.append(float(intermediate_result.fun))
            self._progress(len(history), history[-1])

        tol = float(self.tol)
        with scipy_blas_one_thread():  # scipy's BLAS on one thread; numpy's keeps its threads
            result = minimize(objective, theta, method="L-BFGS-B", jac=True, callback=callback,
                              options={"maxiter": self.max_iter, "maxfun": max(15000, 2 * self.max_iter),
                                       "maxls": 50, "gtol": tol, "ftol": 64 * np.finfo(float).eps if tol else 0.0})
        if not finite[0] or (result.nit == 0 and not result.success and not all(finite)):
            raise ValueError(
                f"{type(self).__name__}(solver='lbfgs') cannot start: the objective or its gradient "
                f"overflows float64 at the start (the largest |X| entry is {np.abs(X).max():.3g}), so L-BFGS "
                f"cannot take a step and more iterations would not help. Scale the features (e.g. "
                f"sklearn.preprocessing.StandardScaler) and, for regression, the targets (e.g. y / y.std()).")
        if tol > 0 and not result.success:
            self._not_converged(f"scipy: {result.message}")
        return result.x, result.nit

    # ------------------------------------------------------------------ partial_fit
    def _partial_fit(self, X, y, classes, sample_weight):
        """One pass of mini-batch steps over the chunk ``X (m, d)``, in the order given."""
        self._check_hyperparameters()
        first = not hasattr(self, "coef_")
        if not first:
            validate_data(self, X, reset=False, skip_check_array=True)  # same features as before
        X_in = X
        X = self._check_X_fit(X)
        y = self._check_y(y, X.shape[0])
        t, classes, K = self._encode_partial(y, classes, first, X.dtype)
        s = self._weights(sample_weight, y, classes, chunk=True)
        sw = None if s is None else s.astype(X.dtype, copy=False)  # as given: scikit-learn's SGD convention
        d = X.shape[1]
        shape = (d,) if K is None else (d, K)
        theta = self._theta(shape, current=not first)  # later calls continue from the current weights
        with np.errstate(over="ignore", invalid="ignore"):
            updates, J_mean = self._sgd_pass(X, t, sw, theta, shape, float(self.l2), None, 1)
        if not np.all(np.isfinite(theta)):
            self._diverged(1, float("nan"))
        self._progress(1, J_mean)
        self._set_fitted(X_in, theta, shape, classes, [J_mean], updates + (0 if first else getattr(self, "t_", 0)))
        return self

    def _encode_partial(self, y, classes, first, dtype):
        """Targets of a ``partial_fit`` chunk (regression: as in ``fit``)."""
        t, _, K = self._encode_targets(y, dtype)
        return t, None, K


class _LinearClassifier(ClassifierMixin, _LinearModel):
    """Classifier part shared by the binary and the softmax model: labels and probabilities.

    Both are softmax models: the binary one scores the two classes with logits ``[0, z]``,
    so ``softmax([0, z]) = [sigma(-z), sigma(z)]``. Subclasses implement ``_class_logits`` and
    ``_targets_from_index(y_index, K, dtype) -> (t, K or None)``.
    """

    def __init__(self, *, l2=0.0, solver="lbfgs", learning_rate=0.1, max_iter=1000, tol=1e-4,
                 batch_size=32, random_state=None, class_weight=None, warm_start=False, verbose=0):
        super().__init__(l2=l2, solver=solver, learning_rate=learning_rate, max_iter=max_iter, tol=tol,
                         batch_size=batch_size, random_state=random_state, warm_start=warm_start,
                         verbose=verbose)
        self.class_weight = class_weight

    def _check_hyperparameters(self):
        super()._check_hyperparameters()
        if not (self.class_weight is None or self.class_weight == "balanced" or isinstance(self.class_weight, dict)):
            raise ValueError(f"class_weight must be None, 'balanced' or a dict {{label: weight}}; "
                             f"got {self.class_weight!r}.")

    def _weights(self, sample_weight, y, classes, chunk=False):
        """``sample_weight`` times the class weights, as scikit-learn's ``LogisticRegression`` combines them."""
        s = check_sample_weight(sample_weight, y.shape[0])
        if not chunk:
            self._check_two_weighted_classes(s, y)
        if self.class_weight is not None:
            per_class = compute_class_weight(self.class_weight, classes=classes, y=y, sample_weight=s)
            s = (np.ones(y.shape[0]) if s is None else s) * per_class[np.searchsorted(classes, y)]
            s = check_sample_weight(s, y.shape[0], name="sample_weight * class_weight")
            if not chunk:
                self._check_two_weighted_classes(s, y)
        return s

    def _check_two_weighted_classes(self, s, y):
        """Zero weights remove samples: at least two classes must keep a sample of positive weight."""
        if s is not None:
            present = np.unique(y[s > 0])
            if len(present) < 2:
                raise ValueError(f"Only 1 class ({present.tolist()[0]!r}) has samples of positive weight, but "
                                 f"{type(self).__name__} needs at least 2 classes to learn from; check "
                                 f"sample_weight and class_weight.")

    def _encode_partial(self, y, classes, first, dtype):
        """Targets of a ``partial_fit`` chunk against ``classes`` (required on the first call)."""
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit: all the labels the "
                                 "stream can hold, e.g. classes=np.unique(y_all).")
            classes = np.unique(column_or_1d(classes))
            if len(classes) < 2:
                raise ValueError(f"classes has {len(classes)} label(s) but {type(self).__name__} needs at least 2.")
        else:
            if classes is not None and not np.array_equal(np.unique(column_or_1d(classes)), self.classes_):
                raise ValueError(f"`classes={np.asarray(classes).tolist()!r}` is not the same as on the first call "
                                 f"to partial_fit, was: {self.classes_.tolist()!r}.")
            classes = self.classes_
        if self.class_weight == "balanced":
            raise ValueError("class_weight='balanced' is not supported for partial_fit: the class counts of a "
                             "stream are not known in advance. Compute them once, e.g. with "
                             "sklearn.utils.class_weight.compute_class_weight('balanced', classes=..., y=y_all), "
                             "and pass them as a dict.")
        unknown = np.setdiff1d(y, classes)
        if unknown.size:
            raise ValueError(f"y holds label(s) {unknown.tolist()!r} not in classes {classes.tolist()!r}; every "
                             f"label of the stream must be in the classes given on the first call.")
        t, K = self._targets_from_index(np.searchsorted(classes, y), len(classes), dtype)
        return t, classes, K

    @available_if(_uses_sgd)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        r"""One pass of mini-batch SGD over the chunk ``X (m, d)``, ``y (m,)``, in the given row order.

        Streams data too large for memory: call it once per chunk (e.g. slices of a
        ``np.memmap``), and once more per epoch. The first call starts from zero weights (or
        continues a ``fit``) and needs ``classes``, every label the stream holds; later calls
        must give the same classes or None. Rows are not shuffled (shuffle the data once, e.g.
        on disk); ``random_state`` is not used. ``sample_weight`` multiplies each sample's loss
        as given (scikit-learn's ``SGDClassifier`` convention; ``fit`` rescales the weights to
        mean 1, so weights of mean 1 make the two agree). Only for ``solver="sgd"``. Returns ``self``.
        """
        return self._partial_fit(X, y, classes, sample_weight)

    def _encode_targets(self, y, dtype):
        if np.issubdtype(y.dtype, np.number) and not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinity; class labels must be finite numbers or strings.")
        kind = type_of_target(y, input_name="y")
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"Unknown label type: {kind!r}. y must hold discrete class labels (integers or "
                             f"strings) for {type(self).__name__}; use LinearRegression for continuous targets.")
        classes, y_index = np.unique(y, return_inverse=True)
        K = len(classes)
        if K < 2:
            raise ValueError(f"y has 1 class ({classes.tolist()[0]!r}) but {type(self).__name__} needs at least "
                             f"2 classes to learn from.")
        t, K = self._targets_from_index(y_index, K, dtype)
        return t, classes, K

    def _logits(self, X):
        """Validated ``X`` times the weights plus the bias, in the dtype of ``X``."""
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        return X @ self._W.astype(X.dtype, copy=False) + self._b.astype(X.dtype, copy=False)

    def predict_proba(self, X):
        """Class probabilities ``P (m, K)``, columns in the order of ``classes_``; rows sum to 1."""
        return _softmax(self._class_logits(X), 1)

    def predict_log_proba(self, X):
        """``log P (m, K)`` computed from the logits (finite even where ``P`` underflows to 0)."""
        return _log_softmax(self._class_logits(X), 1)

    def predict(self, X):
        """Most probable class for each row of ``X``: ``classes_[argmax_k P[:, k]]``, shape ``(m,)``."""
        Z = self._class_logits(X)  # checks that the model is fitted
        return self.classes_[np.argmax(Z, axis=1)]


@_with_doc
class SoftmaxRegression(_LinearClassifier):
    r"""Softmax regression (multinomial logistic regression) for ``K >= 2`` classes.

    Parameters
    ----------{parameters}
    Attributes
    ----------
    classes_ : ndarray, ``(K,)``
        The sorted labels; column ``k`` of ``W_`` and of ``predict_proba`` belongs to ``classes_[k]``.
    coef_ : ndarray, ``(K, d)``
        Weights in scikit-learn's layout, row ``k`` is :math:`w_k`. With ``intercept_`` this is
        the model: prediction and ``warm_start`` read them (edit or replace them to change it).
    intercept_ : ndarray, ``(K,)``
        Biases.
    W_ : ndarray, ``(d, K)``
        ``coef_.T`` (a view, read-only attribute): the book's layout, column ``k`` is :math:`w_k`.
    b_ : ndarray, ``(K,)``
        ``intercept_`` (read-only attribute).{fitted}
    Notes
    -----
    .. math::
        Z = XW + b, \qquad P = \operatorname{softmax}(Z), \qquad
        J_\lambda(W, b) = -\frac{1}{m}\sum_{i=1}^{m}\sum_{k=1}^{K} y_k^{(i)} \log a_k^{(i)}
                          + \frac{\lambda}{2}\lVert W\rVert_F^2

    With ``l2 > 0`` this is scikit-learn's ``LogisticRegression`` with ``C = sklearn_C(l2, y)``
    (multinomial, bias not penalised; see :func:`sklearn_C`) and the minimiser is unique except for a
    constant added to every ``b_k``, which changes no probability. With ``l2 = 0`` adding the same vector to
    every column of ``W`` (and a constant to every ``b_k``) leaves ``P`` unchanged, so there is
    no unique minimiser, and on separable data the weights grow without bound. Gradient
    (chapter *Gradient derivation*): :math:`\frac{1}{m}X^\top(P - Y) + \lambda W` and
    :math:`\frac{1}{m}\sum_i (p^{(i)} - y^{(i)})`. With ``sample_weight`` :math:`s` the mean
    becomes :math:`\sum_i s_i(\cdot) / \sum_i s_i` in the cost and both gradients
    (:func:`sklearn_C` takes the weights too). Chapters: *Modeling*, *Loss and cost*,
    *Handwritten digits*.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> model = SoftmaxRegression(l2=1e-3).fit(X / 16, y)
    >>> model.W_.shape, model.predict_proba(X[:2] / 16).shape
    ((64, 10), (2, 10))
    """

    _cost_grad = staticmethod(_softmax_cost_grad)

    @staticmethod
    def _targets_from_index(y_index, K, dtype):
        return y_index, K

    def _store(self, W, b):
        self.coef_, self.intercept_ = W.T, b

    @property
    def W_(self):
        """Weights ``(d, K)``: a view of ``coef_`` (``coef_.T``)."""
        return self.coef_.T

    @property
    def b_(self):
        """Biases ``(K,)``: ``intercept_`` itself."""
        return self.intercept_

    @property
    def _W(self):
        return self.W_

    def _class_logits(self, X):
        return self._logits(X)

    def decision_function(self, X):
        r"""Logits ``Z = X W + b``, shape ``(m, K)``.

        For ``K = 2`` scikit-learn's convention is followed: the log-odds ``Z[:, 1] - Z[:, 0]``
        of ``classes_[1]``, shape ``(m,)`` (softmax of two logits is the sigmoid of their difference).
        """
        Z = self._logits(X)
        return Z[:, 1] - Z[:, 0] if Z.shape[1] == 2 else Z


@_with_doc
class LogisticRegression(_LinearClassifier):
    r"""Binary logistic regression: :math:`P(y = \text{classes\_}[1] \mid x) = \sigma(w^\top x + b)`.

    Parameters
    ----------{parameters}
    Attributes
    ----------
    classes_ : ndarray, ``(2,)``
        The two labels; ``classes_[1]`` is the positive class.
    coef_ : ndarray, ``(1, d)``
        Weights as a row (scikit-learn's layout). With ``intercept_`` this is the model:
        prediction and ``warm_start`` read them (edit or replace them to change it).
    intercept_ : ndarray, ``(1,)``
        ``[b]``, the bias.
    w_ : ndarray, ``(d,)``
        ``coef_[0]`` (a view, read-only attribute).
    b_ : float
        ``intercept_[0]`` (read-only attribute).{fitted}
    Notes
    -----
    .. math::
        z = Xw + b, \qquad a = \sigma(z), \qquad
        J_\lambda(w, b) = -\frac{1}{m}\sum_{i=1}^{m}\left[y^{(i)}\log a^{(i)}
                          + (1-y^{(i)})\log(1-a^{(i)})\right] + \frac{\lambda}{2}\lVert w\rVert^2

    This is softmax regression with ``K = 2`` and the first class's logit fixed at 0, and with
    ``l2 > 0`` scikit-learn's ``LogisticRegression`` with
    ``C = sklearn_C(l2, y, model="logistic")`` (see :func:`sklearn_C`, also for the weights).
    Gradient: :math:`\frac{1}{m}X^\top(a - y) + \lambda w`,
    with weights :math:`X^\top(s \odot (a - y)) / \sum_i s_i + \lambda w`. Chapters: *Modeling*,
    *Comparisons*.
    """

    _cost_grad = staticmethod(_logistic_cost_grad)

    def _targets_from_index(self, y_index, K, dtype):
        if K != 2:
            raise ValueError(f"Only binary classification is supported. {type(self).__name__} needs y with "
                             f"exactly 2 classes; got {K}. Use SoftmaxRegression for K > 2 classes.")
        return y_index.astype(dtype), None

    def _store(self, w, b):
        self.coef_, self.intercept_ = w[None, :], b

    @property
    def w_(self):
        """Weights ``(d,)``: a view of ``coef_`` (``coef_[0]``)."""
        return self.coef_[0]

    @property
    def b_(self):
        """Bias, a float: ``intercept_[0]``."""
        return float(self.intercept_[0])

    def decision_function(self, X):
        """Logit ``z = X w + b`` of ``classes_[1]``, shape ``(m,)``."""
        return self._logits(X)

    def _class_logits(self, X):
        z = self._logits(X)
        Z = np.zeros((z.shape[0], 2), dtype=z.dtype)
        Z[:, 1] = z
        return Z

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags


@_with_doc
class LinearRegression(RegressorMixin, _LinearModel):
    r"""Linear regression by minimising the mean squared error (plus an optional L2 penalty).

    Parameters
    ----------{parameters}
    Attributes
    ----------
    coef_ : ndarray, ``(d,)``
        Weights (scikit-learn's layout). With ``intercept_`` this is the model: ``predict`` and
        ``warm_start`` read them (edit or replace them to change it).
    intercept_ : float
        Bias.
    w_ : ndarray, ``(d,)``
        ``coef_`` (read-only attribute).
    b_ : float
        ``intercept_`` (read-only attribute).{fitted}
    Notes
    -----
    .. math::
        \hat y = Xw + b, \qquad
        J_\lambda(w, b) = \frac{1}{m}\sum_{i=1}^{m}\left(\hat y^{(i)} - y^{(i)}\right)^2
                          + \frac{\lambda}{2}\lVert w\rVert^2

    No factor 1/2 in the mean squared error, so the gradient is
    :math:`\frac{2}{m}X^\top(\hat y - y) + \lambda w`. With ``l2 = 0`` the minimiser is the
    least-squares solution (``numpy.linalg.lstsq`` on ``[X, 1]``). With ``sample_weight``
    :math:`s` the mean becomes :math:`\sum_i s_i(\hat y^{(i)} - y^{(i)})^2 / \sum_i s_i`: weighted
    least squares (scikit-learn's ``LinearRegression`` with the same ``sample_weight``), or with
    ``l2 > 0`` scikit-learn's ``Ridge(alpha=l2 * sum(s) / 2)``. Chapter: *Comparisons*.
    """

    _cost_grad = staticmethod(_linear_cost_grad)

    def _encode_targets(self, y, dtype):
        y = as_float_array(y, "y", ndim=1)
        return y.astype(dtype, copy=False), None, None

    @available_if(_uses_sgd)
    def partial_fit(self, X, y, sample_weight=None):
        r"""One pass of mini-batch SGD over the chunk ``X (m, d)``, ``y (m,)``, in the given row order.

        Streams data too large for memory: call it once per chunk (e.g. slices of a
        ``np.memmap``), and once more per epoch. Rows are not shuffled (shuffle the data once);
        ``random_state`` is not used. ``sample_weight`` multiplies each sample's loss as given
        (scikit-learn's SGD convention). Only for ``solver="sgd"``. Returns ``self``.
        """
        return self._partial_fit(X, y, None, sample_weight)

    def _store(self, w, b):
        self.coef_, self.intercept_ = w, float(b[0])

    @property
    def w_(self):
        """Weights ``(d,)``: ``coef_`` itself."""
        return self.coef_

    @property
    def b_(self):
        """Bias, a float: ``intercept_``."""
        return float(self.intercept_)

    def predict(self, X):
        """Predictions ``y_hat = X w + b``, shape ``(m,)``, in the dtype of ``X``."""
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        return X @ self._W.astype(X.dtype, copy=False) + X.dtype.type(self._b[0])


def sklearn_C(l2, y, *, sample_weight=None, class_weight=None, model="softmax"):
    r"""The ``C`` of scikit-learn's ``LogisticRegression`` that fits the same model as ours with ``l2``.

    The one place where the course maps its penalty :math:`\lambda` (``l2``) to scikit-learn's
    ``C``; every other docstring points here.

    Parameters
    ----------
    l2 : float
        Our L2 strength :math:`\lambda > 0` (with :math:`\lambda = 0` neither model is penalised:
        scikit-learn's ``penalty=None``).
    y : array_like, ``(m,)``
        The class labels the models are fitted on.
    sample_weight : array_like ``(m,)``, optional
        The ``sample_weight`` passed to both ``fit``.
    class_weight : dict, "balanced" or None
        The ``class_weight`` given to both models.
    model : {"softmax", "logistic"}
        Our :class:`SoftmaxRegression` or :class:`LogisticRegression`.

    Returns
    -------
    C : float
        Fit ``sklearn.linear_model.LogisticRegression(C=C, class_weight=class_weight)`` with the
        same ``sample_weight``: same probabilities, same ``predict``.

    Raises
    ------
    ValueError
        If ``l2`` is not a finite number > 0, ``model`` is unknown, or ``y``, ``sample_weight``
        or ``class_weight`` would be rejected by ``fit`` (fewer than 2 classes, ...).

    Notes
    -----
    Ours minimises :math:`\sum_i s_i L_i / S + \frac{\lambda}{2}\lVert W\rVert^2` and
    scikit-learn :math:`C \sum_i s_i L_i + \frac{1}{2}\lVert W\rVert^2`, with
    :math:`s_i` = ``sample_weight`` times the weight of the class of sample :math:`i` (1 if not given)
    and :math:`S = \sum_i s_i` (``m`` without weights). Dividing ours by :math:`\lambda`:

    ==========================================  ========================================
    our model                                   scikit-learn's ``C``
    ==========================================  ========================================
    ``LogisticRegression(l2)``                  :math:`1 / (\lambda S)`
    ``SoftmaxRegression(l2)``, :math:`K \ge 3`  :math:`1 / (\lambda S)`
    ``SoftmaxRegression(l2)``, :math:`K = 2`    :math:`2 / (\lambda S)`
    ``LinearRegression(l2)``                    ``Ridge(alpha=l2 * S / 2)`` (no ``C``)
    ==========================================  ========================================

    With ``class_weight``, :math:`S` is the *weighted* sum, not ``m``. For :math:`K = 2`
    scikit-learn fits one weight vector :math:`w = w_2 - w_1`, while ours penalises both columns;
    at the optimum :math:`w_1 = -w_2 = -w/2`, so our penalty is :math:`\frac{\lambda}{2}\cdot 2
    \lVert w/2\rVert^2 = \frac{\lambda/2}{2}\lVert w\rVert^2`: half the strength, twice the ``C``.
    Chapter: *Comparisons*.

    Examples
    --------
    >>> y = [0, 1, 1, 2]
    >>> sklearn_C(0.5, y), sklearn_C(0.5, [0, 1, 1, 1]), sklearn_C(0.5, [0, 1, 1, 1], model="logistic")
    (0.5, 1.0, 0.5)
    """
    models = {"softmax": SoftmaxRegression, "logistic": LogisticRegression}
    if not isinstance(model, str) or model not in models:
        raise ValueError(f"model must be one of {tuple(models)}; got {model!r}.")
    check_positive(l2, "l2")
    estimator = models[model](l2=l2, class_weight=class_weight)
    estimator._check_hyperparameters()
    y = np.asarray(y)
    y = estimator._check_y(y, y.shape[0] if y.ndim else 1)
    _, classes, _ = estimator._encode_targets(y, np.float64)
    s = estimator._weights(sample_weight, y, classes)  # the very weights fit uses
    total = float(y.shape[0] if s is None else s.sum())
    factor = 2.0 if model == "softmax" and len(classes) == 2 else 1.0
    return factor / (float(l2) * total)
