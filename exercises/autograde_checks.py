"""Checks shared by the hidden test cells of the exercises. Students never receive this file.

``exercises/instructor.py grade`` does not use this file: it runs the hidden tests of
``exercises/grading/hidden_tests.py`` outside the student's process, against a sandbox. The
hidden test *cells* of the source notebooks, which use these checks, are what nbval runs on the
solutions and what plain ``nbgrader autograde`` runs.

Plain nbgrader autograding runs a student's code and the tests in one Python process, so anything the
tests use from the kernel's namespace can have been replaced by the student: ``np.allclose``,
``np.testing``, an ``assert_close`` helper, ``lecture_lib.softmax`` itself. A hidden test cell
therefore loads this file afresh from disk (a new module object, not ``sys.modules``)::

    import pathlib as _pl, runpy as _rp, types as _ty
    _chk = _ty.SimpleNamespace(**_rp.run_path(next(
        str(p / "autograde_checks.py") for p in _pl.Path.cwd().resolve().parents
        if (p / "autograde_checks.py").is_file())))

and uses only what it returns:

- values are compared with plain float arithmetic on ``ndarray.tolist()`` (methods of a built-in
  type, which Python code cannot rebind), never with ``np.allclose`` or ``np.testing``;
- reference results come from ``lecture_lib`` modules re-executed from disk (:func:`reference`);
- :func:`assert_own_code` rejects a graded function that reaches the library function it is meant
  to replace (``lecture_lib``, ``scipy``, ``sklearn``), directly, through an alias or through a
  helper defined in the notebook; :func:`forbidden` makes those library functions raise while the
  student's function runs, which catches dynamic look-ups such as ``__import__``;
- :func:`trusted` wraps the reference that replaces a student's earlier answer once that answer
  has been graded, so that one wrong part costs only its own points.

The search starts at the *parent* of the working directory: at autograde time that is
``autograded/<student>/``, where a student cannot place files. This is a guard against the
ordinary ways of passing a test without solving the part, not a sandbox: a student who rewrites
Python's builtins can break any in-process grader, and such a notebook needs a human look.
"""

from __future__ import annotations

import contextlib
import importlib
import types
import unittest.mock

import numpy

#: Token in every hidden test block, so that a leak can be found by searching for it.
CANARY = "CANARY-" + "7f3a-hidden-test"

#: Packages a graded function may not use unless a part says otherwise.
BANNED = ("lecture_lib", "scipy", "sklearn")

#: lecture_lib modules re-executed by :func:`reference`, dependencies first.
_LIBRARY_MODULES = ("lecture_lib._validation", "lecture_lib.functions", "lecture_lib.losses",
                    "lecture_lib.gradients")


def reference(name: str):
    """Return ``lecture_lib``'s function ``name`` from modules re-executed from disk."""
    found = None
    for module_name in _LIBRARY_MODULES:
        module = importlib.reload(importlib.import_module(module_name))
        found = module.__dict__.get(name, found)
    if not isinstance(found, types.FunctionType):
        raise LookupError(f"lecture_lib has no function {name!r}")
    return found


def flat(value) -> list:
    """All entries of an ndarray as a flat list of Python numbers."""
    items = value.tolist()
    out, stack = [], [items]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        else:
            out.append(item)
    return out


def check_array(value, name: str, shape, dtype=None) -> None:
    """Assert that ``value`` is an ndarray of the given shape (and dtype)."""
    if type(value) is not numpy.ndarray:
        raise AssertionError(f"{name} must return a numpy array, got {type(value).__name__}")
    if value.shape != tuple(shape):
        raise AssertionError(f"{name} returned shape {value.shape}, expected {tuple(shape)}")
    if dtype is not None and value.dtype != numpy.dtype(dtype):
        raise AssertionError(f"{name} returned dtype {value.dtype}, expected {numpy.dtype(dtype)}")


def _close(u, v, rtol: float, atol: float) -> bool:
    difference = u - v if u >= v else v - u  # NaN makes both comparisons False: never "close"
    return difference <= atol + rtol * (v if v >= 0 else -v)


def assert_close(actual, expected, name: str, rtol: float = 1e-7, atol: float = 1e-12,
                 check_dtype: bool = True) -> None:
    """Assert ``actual`` is an ndarray of ``expected``'s shape (and dtype), equal within tolerance."""
    check_array(actual, name, expected.shape, expected.dtype if check_dtype else None)
    for u, v in zip(flat(actual), flat(expected)):
        if not _close(u, v, rtol, atol):
            raise AssertionError(f"{name} returned wrong values (e.g. {u!r} where {v!r} is right)")


def assert_scalar_close(actual, expected, name: str, rtol: float = 1e-7, atol: float = 1e-12) -> None:
    """Assert ``actual`` is a real number (Python or numpy scalar) close to ``expected``."""
    if isinstance(actual, numpy.ndarray) and actual.shape == ():
        actual = actual.item()
    if isinstance(actual, bool) or not isinstance(actual, (int, float, numpy.integer, numpy.floating)):
        raise AssertionError(f"{name} must return a number, got {type(actual).__name__}")
    if not _close(float(actual), float(expected), rtol, atol):
        raise AssertionError(f"{name} returned {float(actual)!r}, which is wrong")


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _package(obj) -> str:
    module = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None)
    return module.partition(".")[0] if isinstance(module, str) else ""


def assert_own_code(func, name: str, banned=BANNED, allowed=()) -> None:
    """Assert ``func`` and the notebook functions it calls use none of the ``banned`` packages.

    ``allowed`` names functions of a banned package that a part permits (e.g. ``"softmax"`` once
    the student has written it in an earlier exercise).
    """
    todo, seen = [func], set()
    while todo:
        f = todo.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        if not isinstance(f, types.FunctionType):
            raise AssertionError(f"{name} must be a function defined with def in the notebook")
        referenced = [f.__globals__[n] for n in _names(f.__code__) if n in f.__globals__]
        for cell in f.__closure__ or ():
            with contextlib.suppress(ValueError):  # an empty cell has no contents
                referenced.append(cell.cell_contents)
        for n in _names(f.__code__):
            if n in banned and n not in f.__globals__ and not allowed:  # an import inside the function
                raise AssertionError(f"{name} must not use {n}: the point of the exercise is to write it")
        for obj in referenced:
            if isinstance(obj, types.ModuleType) and allowed and _package(obj) == "lecture_lib":
                continue  # e.g. lecture_lib.softmax allowed: forbidden() guards the rest at run time
            if _package(obj) in banned and getattr(obj, "__name__", None) not in allowed:
                raise AssertionError(f"{name} must not use {_package(obj)}: the point of the exercise "
                                     "is to write it")
            if isinstance(obj, types.FunctionType) and obj.__module__ == func.__module__:
                todo.append(obj)


def _raiser(name: str):
    def stub(*args, **kwargs):
        raise AssertionError(f"{name} from a library was called: write it yourself")
    return stub


@contextlib.contextmanager
def forbidden(*names: str):
    """Make the library functions ``names`` raise (lecture_lib and scipy.special) inside the block."""
    import lecture_lib
    modules = [lecture_lib, *(importlib.import_module(m) for m in _LIBRARY_MODULES)]
    with contextlib.suppress(ImportError):
        modules.append(importlib.import_module("scipy.special"))
    with contextlib.ExitStack() as stack:
        for module in modules:
            for n in names:
                if n in module.__dict__:
                    stack.enter_context(unittest.mock.patch.object(module, n, _raiser(n)))
        yield


def trusted(function):
    """Wrap a reference function so that it can stand in for a student's earlier answer.

    A later part's test cell rebinds, e.g., ``softmax = trusted(reference("softmax"))``: the part
    is then graded on its own, and the wrapper (defined here, not in the notebook or in a banned
    package) does not count against :func:`assert_own_code` of the functions that call it.
    """
    def stand_in(*args, **kwargs):
        return function(*args, **kwargs)
    stand_in.__name__ = stand_in.__qualname__ = getattr(function, "__name__", "stand_in")
    return stand_in
