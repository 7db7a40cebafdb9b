"""Comparisons of a submission's answers with references, on the trusted side.

Every function raises :class:`CheckFailed` with a message for the student's feedback. The
messages name the function and what is wrong with its answer, never a hidden input, a
reference value or the answer's values (the feedback must not carry them).
"""

from __future__ import annotations

import math

import numpy as np


class CheckFailed(AssertionError):
    """A part's answer is wrong; the message is written for the student."""


def check_array(value, name: str, shape, dtype=None) -> None:
    """``value`` is an ndarray of the given shape (and dtype)."""
    if type(value) is not np.ndarray:
        raise CheckFailed(f"{name} must return a numpy array, got {type(value).__name__}")
    if value.shape != tuple(shape):
        raise CheckFailed(f"{name} returned shape {value.shape}, expected {tuple(shape)}")
    if dtype is not None and value.dtype != np.dtype(dtype):
        raise CheckFailed(f"{name} returned dtype {value.dtype}, expected {np.dtype(dtype)}")


def assert_close(actual, expected: np.ndarray, name: str, rtol: float = 1e-7, atol: float = 1e-12,
                 check_dtype: bool = True) -> None:
    """``actual`` has ``expected``'s shape (and dtype) and equal values within ``atol + rtol |expected|``.

    NaN is never close to anything; infinities only to themselves.
    """
    check_array(actual, name, expected.shape, expected.dtype if check_dtype else None)
    a, e = actual.astype(np.float64), expected.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        close = (np.abs(a - e) <= atol + rtol * np.abs(e)) | ((a == e) & np.isinf(e))
    if not close.all():
        raise CheckFailed(f"{name} returned wrong values on a hidden input")


def assert_scalar_close(actual, expected: float, name: str, rtol: float = 1e-7, atol: float = 1e-12) -> None:
    """``actual`` is a real number (Python or numpy scalar) close to ``expected``."""
    if type(actual) is np.ndarray and actual.shape == ():
        actual = actual[()]
    if type(actual) is bool or not isinstance(actual, (int, float, np.integer, np.floating)):
        raise CheckFailed(f"{name} must return a number, got {type(actual).__name__}")
    value = float(actual)
    if not (math.isfinite(value) and abs(value - expected) <= atol + rtol * abs(expected)):
        raise CheckFailed(f"{name} returned a wrong value on a hidden input")


def check_tuple(value, name: str, n: int, what: str) -> None:
    if type(value) is not tuple or len(value) != n:
        raise CheckFailed(f"{name} must return the tuple {what}")


def check_integers(value: np.ndarray, name: str) -> None:
    if value.dtype.kind not in "iu":
        raise CheckFailed(f"{name} must return integers, got {value.dtype}")
