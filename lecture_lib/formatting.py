"""Numbers for the prose: a value formatted once, shown the same by every notebook front end.

A chapter writes a number into its text with MyST's inline expression role,
``{eval}`fmt(a[0], ".4f")```. The site (myst-nb) and JupyterLab (jupyterlab-myst) both evaluate
the expression in the kernel and show its ``text/plain`` representation. A plain ``str`` would be
shown with its quotes (``'0.6590'``), so :func:`fmt` returns a :class:`Formatted`, whose every
representation is the formatted text itself.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["Formatted", "fmt"]


class Formatted:
    """A number already formatted for the prose; ``repr``, ``str`` and IPython show the text.

    Parameters
    ----------
    value : numbers.Real or str
        A Python or NumPy real scalar (or a 0-d array of one), or a text (a version, a date) shown as it is.
    spec : str
        A :ref:`format specification <python:formatspec>`, e.g. ``".4f"``, ``".1e"``, ``".0%"``, ``"g"``.

    Attributes
    ----------
    value : numbers.Real or str
        The value, unchanged (so that a hidden check can compare it).
    text : str
        ``format(value, spec)``.
    """

    __slots__ = ("value", "spec", "text")

    def __init__(self, value, spec: str = ""):
        if isinstance(value, np.ndarray) and value.ndim == 0 and np.issubdtype(value.dtype, np.number):
            value = value[()]  # a 0-d array (what some NumPy reductions return) is its scalar
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, str)):
            raise TypeError(f"value must be a real number (int, float or a NumPy scalar) or a str; "
                            f"got {type(value).__name__}")
        if not isinstance(spec, str):
            raise TypeError(f"spec must be a format specification string such as '.4f'; got {type(spec).__name__}")
        try:
            text = format(value, spec)
        except ValueError as exc:
            raise ValueError(f"spec {spec!r} is not a valid format specification for {value!r}: {exc}") from None
        self.value, self.spec, self.text = value, spec, text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self.text)

    def __eq__(self, other) -> bool:
        if isinstance(other, Formatted):
            return self.text == other.text
        if isinstance(other, str):
            return self.text == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.text)


def fmt(value, spec: str = "") -> Formatted:
    """Format ``value`` for the prose: ``fmt(0.65900114, ".4f")`` shows as ``0.6590``.

    Parameters
    ----------
    value : numbers.Real or str
        A Python or NumPy real scalar (or a 0-d array of one), or a text.
    spec : str, optional
        A format specification (default ``""``: ``str(value)``).

    Returns
    -------
    Formatted
        Shown as ``format(value, spec)`` without quotes by myst-nb, jupyterlab-myst and IPython.

    Raises
    ------
    TypeError
        If ``value`` is neither a real number nor a ``str`` (``bool`` and arrays of one or more
        dimensions are refused), or ``spec``
        is not a string.
    ValueError
        If ``spec`` is not a valid format specification for ``value``.
    """
    return Formatted(value, spec)
