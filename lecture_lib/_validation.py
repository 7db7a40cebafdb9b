"""Input validators, gathered in one place.

Every public function of :mod:`lecture_lib` passes its inputs through these helpers, so a bad
argument always produces the same kind of message: the argument's name, what was expected and
what was received. Nothing here copies an array that is already of a suitable float dtype.
"""

from __future__ import annotations

import numbers

import numpy as np

#: Float dtypes kept as they are; anything else numeric is converted to float64.
FLOAT_DTYPES = (np.float32, np.float64)


def _is_sparse(a) -> bool:
    """True for a scipy sparse matrix or array, without importing scipy (~0.3 s) to find out.

    Only an object whose class comes from ``scipy.sparse`` can be one, so scipy is consulted
    (it is then imported already) only for such objects.
    """
    if not type(a).__module__.startswith("scipy.sparse"):
        return False
    from scipy import sparse

    return sparse.issparse(a)


def base_array(a, name: str):
    """Return ``a`` with ndarray subclasses replaced by a plain ndarray view (no copy).

    ``np.matrix`` is rejected: it is always 2-D (a vector becomes ``(1, n)``) and its ``*`` is a
    matrix product, so it would give wrong shapes rather than an error, and scikit-learn's
    ``check_array`` rejects it too. A masked array is rejected when an entry is masked (its
    masked values would silently be used); with no masked entry its data is used as is. Any
    other subclass (``np.memmap``, ...) is viewed as a base ndarray. Other objects pass through.
    """
    if not isinstance(a, np.ndarray) or type(a) is np.ndarray:
        return a
    if isinstance(a, np.matrix):
        raise TypeError(f"{name} is a np.matrix, which is not supported (it is always 2-D and * multiplies "
                        f"matrices); convert it to an array with np.asarray({name}).")
    if isinstance(a, np.ma.MaskedArray):
        if np.ma.is_masked(a):
            raise ValueError(f"{name} is a masked array with {int(np.ma.count_masked(a))} masked value(s); "
                             f"masks are not supported. Remove those entries or fill them "
                             f"({name}.filled(value)) first.")
        return np.ma.getdata(a).view(np.ndarray)
    return a.view(np.ndarray)


def as_float_array(a, name: str, *, ndim: int | tuple[int, ...] | None = None, allow_empty: bool = False,
                   finite: bool = True) -> np.ndarray:
    """Return ``a`` as a float32/float64 ndarray, checking dimensions and values.

    Parameters
    ----------
    a : array_like
        The value to check.
    name : str
        The argument's name, used in error messages.
    ndim : int or tuple of int, optional
        Allowed numbers of dimensions.
    allow_empty : bool
        Whether an array with zero elements is acceptable.
    finite : bool
        Whether NaN and infinity must be rejected.

    Raises
    ------
    TypeError
        If ``a`` is not numeric (strings, non-numeric objects), a sparse matrix or a ``np.matrix``.
    ValueError
        If the dimensions are wrong, the array is empty, it holds NaN/inf, it is complex
        (the message starts with scikit-learn's "Complex data not supported"), or it is a
        masked array with masked entries (see :func:`base_array`).
    """
    a = base_array(a, name)
    if type(a) is np.ndarray and a.dtype in FLOAT_DTYPES:
        arr = a
    else:
        if _is_sparse(a):
            raise TypeError(f"{name} is a scipy sparse matrix; a dense array is expected (use {name}.toarray()).")
        try:
            arr = np.asarray(a)
        except (ValueError, TypeError) as exc:  # ragged nested lists
            raise ValueError(f"{name} must be a rectangular numeric array; got {type(a).__name__}: {exc}") from None
        if np.issubdtype(arr.dtype, np.complexfloating):
            raise ValueError(f"Complex data not supported: {name} must hold real numbers; got dtype {arr.dtype}.")
        if arr.dtype == object and type(a).__module__.startswith("pandas") and hasattr(a, "to_numpy"):
            try:  # nullable columns ("Float64", "Int64") give objects; their pd.NA becomes NaN, rejected below
                arr = a.to_numpy(dtype=np.float64, na_value=np.nan)
            except (ValueError, TypeError):
                pass  # not numeric: the message below
        if arr.dtype == object:  # e.g. a list mixing ints and floats built with dtype=object
            try:
                arr = arr.astype(np.float64)
            except (ValueError, TypeError) as exc:
                raise TypeError(f"{name} must hold real numbers (int or float); an entry of the object array "
                                f"could not be converted: {exc}") from None
        if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
            raise TypeError(f"{name} must hold real numbers (int or float); got an array of dtype {arr.dtype}.")
        arr = arr.astype(arr.dtype if arr.dtype in FLOAT_DTYPES else np.float64, copy=False)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            expected = " or ".join(f"{n}-D" for n in allowed)
            hint = ""
            if allowed == (2,) and arr.ndim == 1:
                hint = (f" Reshape your data with {name}.reshape(-1, 1) if it has a single feature or "
                        f"{name}.reshape(1, -1) if it is a single sample.")
            raise ValueError(f"{name} must be a {expected} array; got {arr.ndim}-D with shape {arr.shape}.{hint}")
    if not allow_empty and arr.size == 0:
        if arr.ndim == 2:  # the wording of scikit-learn's check_array, which its estimator checks expect
            what = "sample(s)" if arr.shape[0] == 0 else "feature(s)"
            raise ValueError(f"{name} is empty: 0 {what} (shape={arr.shape}) while a minimum of 1 is required.")
        raise ValueError(f"{name} is empty (shape {arr.shape}); at least one value is needed.")
    if finite and not all_finite(arr):
        raise ValueError(f"{name} contains NaN or infinity; all values must be finite.")
    return arr


def as_logits(z, name: str, axis: int, *, ndim=tuple(range(1, 33))) -> tuple[np.ndarray, int]:
    """Logits ``z`` as a float array and ``axis`` normalised: finite entries, or ``-inf`` for a masked class.

    A logit of ``-inf`` is a class that is ruled out (a *mask*: probability exactly 0), as in
    scipy and PyTorch. What stays an error, with ``name`` in the message: ``NaN`` and ``+inf``
    (no probability can come from them: scipy and PyTorch return NaN), and a slice along ``axis``
    whose logits are all ``-inf`` (every class masked: softmax is 0/0). Empty arrays pass; the
    caller decides what an empty class axis means. One pass over ``z`` (its maxima along ``axis``).

    Raises
    ------
    TypeError, ValueError
        As :func:`as_float_array` (non-numeric, wrong dimensions, ...) and :func:`check_axis`.
    ValueError
        If ``z`` holds NaN or ``+inf``, or a slice along ``axis`` is all ``-inf``.
    """
    arr = as_float_array(z, name, ndim=ndim, allow_empty=True, finite=False)
    axis = check_axis(axis, arr.ndim)
    if arr.size:
        top = arr.max(axis=axis)  # NaN if the slice holds a NaN, +inf if it holds +inf
        if not np.all(top < np.inf):
            raise ValueError(f"{name} contains NaN or +inf; logits must be finite, or -inf for a masked class "
                             f"(probability 0).")
        if np.any(top == -np.inf):
            raise ValueError(f"{name} has a slice along axis {axis} whose logits are all -inf: every class is "
                             f"masked, so its probabilities are 0/0 (undefined). Leave at least one class finite.")
    return arr, axis


def all_finite(arr: np.ndarray) -> bool:
    """True if the float array ``arr`` holds no NaN or infinity, without an ``arr``-sized temporary.

    NaN and infinity propagate into a sum, so a finite sum proves every entry finite; only a sum
    that overflows (entries near the float maximum) needs the entry-by-entry check, whose boolean
    temporary would otherwise cost 1/8 of a float64 ``X`` (1/4 of a float32 one) on every call.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(arr.sum()):
            return True
    return bool(np.isfinite(arr).all())


def check_axis(axis: int, ndim: int, name: str = "axis") -> int:
    """Return ``axis`` normalised to ``0 <= axis < ndim``."""
    if not isinstance(axis, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {type(axis).__name__}.")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}={axis} is out of range for an array with {ndim} dimension(s).")
    return int(axis) % ndim


def check_class_indices(y, name: str, n_classes: int | None = None, allow_empty: bool = False) -> np.ndarray:
    """Check integer class indices ``0 <= y < K`` and return them as an int array of shape ``(m,)``.

    With ``allow_empty``, ``m = 0`` labels are accepted (as an empty ``intp`` array).
    """
    arr = np.asarray(base_array(y, name))
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class indices of shape (m,); got shape {arr.shape}.")
    if arr.size == 0:
        if allow_empty:
            return arr.astype(np.intp)
        raise ValueError(f"{name} is empty; at least one label is needed.")
    if np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        if np.abs(arr).max() > 2.0**53:  # beyond the integers a float holds exactly (and near intp's limit)
            raise ValueError(f"{name} must hold class indices 0..K-1; found {np.abs(arr).max():g}, "
                             f"which is not a usable class index.")
        arr = arr.astype(np.intp)
    if not np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
        raise TypeError(f"{name} must hold integer class indices 0..K-1; got dtype {arr.dtype}.")
    if arr.min() < 0:
        raise ValueError(f"{name} must hold class indices 0..K-1; found {arr.min()}.")
    if n_classes is not None and arr.max() >= n_classes:
        raise ValueError(f"{name} must hold class indices 0..{n_classes - 1} (K={n_classes}); found {arr.max()}.")
    return arr


def check_targets(Y, name: str, m: int, K: int) -> np.ndarray:
    """Check classification targets for ``m`` samples and ``K`` classes.

    Accepts class indices of shape ``(m,)`` (returned as ints) or a one-hot / probability
    matrix of shape ``(m, K)`` whose rows are non-negative and sum to one; ``m = 0`` is accepted.
    """
    arr = np.asarray(base_array(Y, name))
    if arr.ndim == 1:
        if arr.shape[0] != m:
            raise ValueError(f"{name} has {arr.shape[0]} labels but there are {m} samples; the lengths must match.")
        return check_class_indices(arr, name, K, allow_empty=True)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be class indices (m,) or a one-hot matrix (m, K); got shape {arr.shape}.")
    arr = as_float_array(arr, name, allow_empty=True)
    if arr.shape != (m, K):
        raise ValueError(f"{name} must have shape (m, K) = ({m}, {K}); got {arr.shape}.")
    if (arr.size and arr.min() < 0) or not np.allclose(arr.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError(f"{name} rows must be one-hot (or probabilities): non-negative and summing to 1.")
    return arr


def check_same_length(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    """Raise if ``a`` and ``b`` do not have the same number of rows."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"{name_a} has {a.shape[0]} rows but {name_b} has {b.shape[0]}; the lengths must match.")


def check_shape(a: np.ndarray, name: str, shape: tuple[int, ...]) -> None:
    """Raise if ``a.shape`` differs from ``shape``; the message spells out both."""
    if a.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}; got {a.shape}.")


def check_positive(value, name: str, *, integer: bool = False, allow_zero: bool = False) -> None:
    """Raise if ``value`` is not a (strictly) positive real number (or integer).

    With ``allow_zero=True`` the test is ``value >= 0`` instead of ``value > 0``. NaN and
    infinity are rejected; ``bool`` is not accepted as a number.
    """
    kind = numbers.Integral if integer else numbers.Real
    what = ("non-negative " if allow_zero else "positive ") + ("integer" if integer else "number")
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} must be a {what}; got {value!r} of type {type(value).__name__}.")
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite {what} ({name} {bound}); got {value!r}.")


def check_sample_weight(sample_weight, m: int, name: str = "sample_weight") -> np.ndarray | None:
    """Check per-sample weights for ``m`` samples: None, a number (the same for every sample) or ``(m,)``.

    Returns None for None, otherwise a new float64 array of shape ``(m,)`` (the input is never
    modified). The weights must be finite and non-negative with a positive sum.
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Real) and not isinstance(sample_weight, bool):
        sample_weight = np.full(m, float(sample_weight))
    arr = as_float_array(sample_weight, name, ndim=1, allow_empty=True).astype(np.float64)
    if arr.shape != (m,):
        raise ValueError(f"{name} must have shape ({m},), one weight per sample; got shape {arr.shape}.")
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} must be non-negative; found {arr.min()!r}.")
    if not arr.sum() > 0:
        raise ValueError(f"{name} are all zero: at least one sample weight must be positive.")
    return arr
