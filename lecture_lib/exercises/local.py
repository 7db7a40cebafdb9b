"""Checking a notebook's function in the notebook's own process.

Two of the three callers of :func:`~lecture_lib.exercises.framework.run` work here: the student's
:func:`~lecture_lib.exercises.check` and the hidden block of a notebook's test cell (plain nbgrader,
nbval). :class:`InProcess` calls the notebook's function on a copy of each input, with the part's
stand-ins for earlier parts in place and every library function the part forbids made to raise.
Code in the same process can undo any of this; the grader that counts (``exercises/grading``)
runs the student's code in a sandbox instead.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import inspect
import sys
import types
import unittest.mock
from collections.abc import Callable

import numpy as np

from .framework import FORBIDDEN, Failed, Part, Raised, raised_message

#: Packages a graded function may not use (lecture_lib only as far as its part allows).
BANNED = ("lecture_lib", "scipy", "sklearn")
#: Functions of scipy.special that do what a part asks for.
SCIPY_SPECIAL = ("softmax", "log_softmax", "logsumexp", "expit", "log_expit")
_errstate = np.errstate  # taken when this module loads, before a notebook can rebind it


class ForbiddenCall(Exception):
    """A library function the part forbids was called."""


def library_functions(part: Part) -> tuple[set[str], set[str]]:
    """``(allowed, forbidden)``: the public lecture_lib functions ``part`` may use, and the others."""
    import lecture_lib

    allowed = {name for name in lecture_lib.__all__ if name not in lecture_lib._MODELS
               and getattr(lecture_lib, name).__module__.rpartition(".")[2] in part.lecture_lib}
    return allowed, set(lecture_lib.__all__) - allowed


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _package(obj) -> str:
    module = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None)
    return module.partition(".")[0] if isinstance(module, str) else ""


def assert_own_code(function, name: str, allowed: set[str] = frozenset()) -> None:
    """``function`` and the notebook functions it calls reach none of the :data:`BANNED` packages,
    directly or through an alias, except the lecture_lib functions ``allowed``. Raises :class:`Failed`."""
    todo, seen = [function], set()
    while todo:
        f = todo.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        if not isinstance(f, types.FunctionType):
            raise Failed(f"{name} must be a function defined with def in the notebook")
        names = _names(f.__code__)
        referenced = [f.__globals__[n] for n in names if n in f.__globals__]
        for cell in f.__closure__ or ():
            with contextlib.suppress(ValueError):  # an empty cell has no contents
                referenced.append(cell.cell_contents)
        if any(n in BANNED and n not in f.__globals__ and not allowed for n in names):  # an import inside
            raise Failed(f"{name} uses a library function", FORBIDDEN[0])
        for obj in referenced:
            if isinstance(obj, types.ModuleType) and allowed and _package(obj) == "lecture_lib":
                continue  # e.g. lecture_lib.softmax allowed: forbidden() guards the rest at run time
            if _package(obj) in BANNED and getattr(obj, "__name__", None) not in allowed:
                raise Failed(f"{name} uses {_package(obj)}", FORBIDDEN[0])
            if isinstance(obj, types.FunctionType) and obj.__module__ == function.__module__:
                todo.append(obj)


def _raiser(name: str):
    def stub(*args, **kwargs):
        raise ForbiddenCall(name)
    return stub


@contextlib.contextmanager
def forbidden(names: set[str]):
    """Inside the block, the library functions ``names`` (lecture_lib's, and scipy.special's of the
    same name) raise :class:`ForbiddenCall`; this catches look-ups such as ``__import__`` that
    :func:`assert_own_code` cannot see."""
    modules = [m for m in [*sys.modules.values(), *_STALE] if isinstance(m, types.ModuleType)
               and _package(m) == "lecture_lib" and not m.__name__.startswith("lecture_lib.exercises")]
    if "scipy.special" in sys.modules:
        modules.append(sys.modules["scipy.special"])
        names = set(names) | set(SCIPY_SPECIAL)
    with contextlib.ExitStack() as stack:
        for module in modules:
            for name in names:
                if name in module.__dict__:
                    stack.enter_context(unittest.mock.patch.object(module, name, _raiser(name)))
        yield


def stand_ins(part: Part) -> dict[str, Callable]:
    """The reference functions ``part`` puts in place of earlier parts (run from its ``stand_ins`` code)."""
    if not part.stand_ins:
        return {}
    namespace = {"__name__": "stand_ins"}  # not a banned package's name
    exec(compile(part.stand_ins, f"<stand-ins of {part.grade_id}>", "exec"), namespace)
    return {name: namespace[name] for name in part.stand_in_names}


@contextlib.contextmanager
def replaced(namespace: dict, values: dict):
    """``namespace`` with ``values`` in it inside the block, as it was after."""
    missing = object()
    saved = {name: namespace.get(name, missing) for name in values}
    namespace.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


class InProcess:
    """The caller of :func:`~lecture_lib.exercises.framework.run` for a notebook's own process.

    ``namespace``: the notebook's globals; ``functions``: functions to use instead of the
    namespace's of the same name; ``rng(seed)``: the generator of the inputs.
    """

    def __init__(self, namespace: dict, part: Part, rng: Callable[[int], np.random.Generator],
                 functions: dict[str, Callable] | None = None):
        self.namespace = namespace
        self.part = part
        self.rng = rng
        self.functions = functions or {}
        self.allowed, self.forbidden = library_functions(part)
        self.stand_ins = stand_ins(part)
        self._own_code_checked = False

    def _function(self, name: str):
        function = self.functions.get(name, self.namespace.get(name))
        if not callable(function):
            raise Failed(f"{name} is not defined (did its cell run without an error?)")
        return function

    @contextlib.contextmanager
    def _guarded(self, name: str, function, errors: str | None):
        with replaced(getattr(function, "__globals__", self.namespace), self.stand_ins):
            if name == self.part.function and not self._own_code_checked:
                assert_own_code(function, name, self.allowed)
                self._own_code_checked = True
            with forbidden(self.forbidden), (_errstate(over=errors, invalid=errors, divide=errors) if errors
                                             else contextlib.nullcontext()):
                yield

    def __call__(self, name: str, *args, errors: str | None = None):
        function = self._function(name)
        args = copy.deepcopy(args)  # the function may change its inputs; the references must not see that
        with self._guarded(name, function, errors):
            try:
                return function(*args)
            except ForbiddenCall:
                raise Raised(f"{name} called a library function", "ForbiddenCall", FORBIDDEN[0]) from None
            except FloatingPointError:
                raise Raised(f"{name} overflowed, divided by zero or made a NaN", "FloatingPointError") from None
            except Exception as error:
                raise Raised(raised_message(name, type(error).__name__), type(error).__name__) from None

    def raises(self, name: str, *args):
        """``(exception name, message)`` if ``name(*args)`` raises, else None."""
        function = self._function(name)
        with self._guarded(name, function, "ignore"):
            try:
                function(*copy.deepcopy(args))
            except ForbiddenCall:
                raise Raised(f"{name} called a library function", "ForbiddenCall", FORBIDDEN[0]) from None
            except Exception as error:
                return type(error).__name__, str(error)
        return None

    def source(self, name: str) -> str | None:
        """The source of the notebook's function ``name``, if Python can find it."""
        try:
            return inspect.getsource(self._function(name))
        except (OSError, TypeError, Failed):
            return None


def fresh_library() -> types.ModuleType:
    """``lecture_lib.exercises`` imported afresh from disk, with all of lecture_lib: new module objects,
    which a notebook has not changed (for the hidden test cells, which run in the student's process).
    The notebook keeps the module objects it imported; the library functions a part forbids are
    made to raise in those too."""
    replaced = [sys.modules.pop(key) for key in list(sys.modules)
                if key == "lecture_lib" or key.startswith("lecture_lib.")]
    importlib.invalidate_caches()
    fresh = importlib.import_module("lecture_lib.exercises.local")
    fresh._NOTEBOOK = _NOTEBOOK or replaced
    fresh._STALE = list({id(m): m for m in [*fresh._NOTEBOOK, *replaced]}.values())
    return importlib.import_module("lecture_lib.exercises")


#: lecture_lib's modules as the notebook imported them first, before :func:`fresh_library` replaced them.
_NOTEBOOK: list[types.ModuleType] = []
#: The modules a notebook may hold besides those in ``sys.modules``, whose forbidden functions
#: :func:`forbidden` guards too: :data:`_NOTEBOOK` and those the last :func:`fresh_library` replaced
#: (a notebook that imports lecture_lib after a hidden cell gets these). Replaced at every hidden cell,
#: not extended: it holds at most two copies of lecture_lib however many cells a kernel runs.
_STALE: list[types.ModuleType] = []
