"""The data-only protocol between the sandboxed runner and the trusted checker.

One message is one line of JSON. Values cross the boundary as plain data, never as pickles:

- ``None``, ``bool``, ``int``, ``float`` (NaN and infinities as JSON's ``NaN``/``Infinity``), ``str``;
- ``{"ndarray": nested list, "dtype": "float64", "shape": [m, K]}`` for a numpy array;
- ``{"scalar": number, "dtype": "float32"}`` for a numpy scalar;
- ``{"tuple": [...]}`` and plain lists;
- ``{"object": "TypeName"}`` for anything else (the checker sees a value of the wrong type).

This module is imported on both sides of the boundary: :func:`encode` in the sandbox (whose
answers are only ever data to check), :func:`decode` on the trusted side, which validates every
size and type and raises :class:`WireError` on anything malformed.
"""

from __future__ import annotations

import json
import math

#: dtypes an array or a scalar may have on the wire.
DTYPES = ("float64", "float32", "float16", "int64", "int32", "int16", "int8",
          "uint64", "uint32", "uint16", "uint8", "bool")
MAX_DEPTH = 8
MAX_STRING = 2000


class WireError(ValueError):
    """A message that is not valid protocol data."""


def encode(value, depth: int = 0):
    """A JSON-able form of ``value`` (used inside the sandbox)."""
    import numpy

    if depth > MAX_DEPTH:
        return {"object": "too deeply nested"}
    if value is None or type(value) in (bool, int, float):
        return value
    if type(value) is str:
        return value[:MAX_STRING]
    if type(value) is numpy.ndarray:
        if value.dtype.name not in DTYPES:
            return {"object": f"ndarray of {value.dtype.name}"}
        return {"ndarray": numpy.ndarray.tolist(value), "dtype": value.dtype.name, "shape": list(value.shape)}
    if isinstance(value, numpy.generic) and value.dtype.name in DTYPES:
        return {"scalar": value.item(), "dtype": value.dtype.name}
    if type(value) is tuple:
        return {"tuple": [encode(v, depth + 1) for v in value]}
    if type(value) is list:
        return [encode(v, depth + 1) for v in value]
    return {"object": type(value).__name__[:100]}


def dumps(message: dict) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


class Opaque:
    """Stands for a value the sandbox could not send as data: it is of no type a check accepts."""

    def __init__(self, type_name: str):
        self.type_name = str(type_name)[:100]

    def __repr__(self):
        return f"<{self.type_name}>"


def _shape(nested, depth: int):
    """The shape of a rectangular nested list of numbers, or WireError."""
    if depth == 0:
        if type(nested) not in (bool, int, float):
            raise WireError("array entries must be numbers")
        return ()
    if type(nested) is not list:
        raise WireError("array is not rectangular")
    inner = {_shape(item, depth - 1) for item in nested}
    if len(inner) > 1:
        raise WireError("array is not rectangular")
    return (len(nested), *(inner.pop() if inner else (0,) * (depth - 1)))


def decode(obj, max_items: int, depth: int = 0):
    """The value sent as ``obj``; raises :class:`WireError` if it breaks the protocol or a limit."""
    import numpy

    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if obj is None or type(obj) in (bool, int, float):
        return obj
    if type(obj) is str:
        return obj[:MAX_STRING]
    if type(obj) is list:
        if len(obj) > max_items:
            raise WireError("list too long")
        return [decode(v, max_items, depth + 1) for v in obj]
    if type(obj) is not dict or len(obj) not in (1, 2, 3):
        raise WireError("unknown value")
    if set(obj) == {"tuple"} and type(obj["tuple"]) is list and len(obj["tuple"]) <= 64:
        return tuple(decode(v, max_items, depth + 1) for v in obj["tuple"])
    if set(obj) == {"object"}:
        return Opaque(obj["object"])
    if set(obj) == {"scalar", "dtype"} and obj["dtype"] in DTYPES and type(obj["scalar"]) in (bool, int, float):
        try:
            return numpy.array(obj["scalar"], dtype=obj["dtype"])[()]
        except (OverflowError, ValueError) as error:
            raise WireError(f"bad scalar: {error}") from None
    if set(obj) == {"ndarray", "dtype", "shape"} and obj["dtype"] in DTYPES:
        shape = obj["shape"]
        if (type(shape) is not list or len(shape) > MAX_DEPTH
                or not all(type(n) is int and 0 <= n <= max_items for n in shape)
                or math.prod(shape) > max_items):
            raise WireError("bad array shape")
        if math.prod(shape) == 0:  # an empty array: its nested list cannot carry the shape
            return numpy.zeros(shape, dtype=obj["dtype"])
        if tuple(shape) != _shape(obj["ndarray"], len(shape)):
            raise WireError("array data does not match its shape")
        try:
            return numpy.array(obj["ndarray"], dtype=obj["dtype"]).reshape(shape)
        except (OverflowError, ValueError) as error:
            raise WireError(f"bad array: {error}") from None
    raise WireError("unknown value")
