"""A graded part, declared once, and the one procedure that checks an answer against it.

A :class:`Part` says everything about one graded function of an exercise: where its inputs come
from (a seeded generator, edge cases included), the reference answer (from ``lecture_lib``), how an
answer is compared (:class:`Close`, :class:`Number`, :class:`Numbers`, :class:`Fields`, or a
part's own ``judge``), the points, what the function may use, and the classic wrong answers it
recognises (:class:`Mistake`).
:func:`run` checks a function against a part through a *caller*, one of three:

- the sandboxed grader (``exercises/grading``): the function runs in a sandbox, the answers come
  back as data, the generator is seeded from the course secret and the student id;
- the hidden block of a notebook's test cell (plain nbgrader, nbval), in the notebook's process,
  with the public seeds (``exercises/autograde_checks.py``);
- the student's :func:`lecture_lib.exercises.check`, in the notebook's process, on practice inputs
  (the same generator with another seed).

A caller is ``call(name, *args, errors=None)``, which returns the answer of the notebook's function
``name`` or raises :class:`Raised` (with ``errors="raise"`` numpy's overflow, invalid operation and
division by zero raise ``FloatingPointError``), ``call.raises(name, *args)``, which returns
``(exception name, message)`` or None, ``call.rng(seed)``, a numpy Generator, and optionally
``call.source(name)``, the function's source code (for mistakes seen in the code).

Pass or fail is decided with plain Python floats (``ndarray.tolist()``), so a notebook that rebinds
numpy's comparison functions changes nothing. When an answer fails, :func:`run` looks for the
mistake that explains it: first the part's own :class:`Mistake` list (an answer equal to what the
mistake computes), then the mistakes of every numeric answer (:func:`general_mistake`: a wrong
dtype, inf or NaN, a transposed array, the opposite sign, a constant factor). Messages name the
function and the mistake, never an input or a value.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import numpy as np

#: Seed offset of the practice inputs of :func:`lecture_lib.exercises.check` (graded inputs use the part's seed).
PRACTICE = 1


class Failed(AssertionError):
    """An answer is wrong. ``message`` is written for the student; ``diagnosis`` is the key of the
    recognised mistake (:class:`Mistake`), or None."""

    def __init__(self, message: str, diagnosis: str | None = None, field: int | None = None):
        super().__init__(message)
        self.message = message
        self.diagnosis = diagnosis
        #: The index of the wrong item of a tuple answer (:class:`Fields`), else None.
        self.field = field


def raised_message(function: str, exception: str) -> str:
    """What a student is told when ``function`` raised ``exception`` (a type name)."""
    if exception == "NotImplementedError":
        return f"{function} is not written yet (it raises NotImplementedError): write it in its cell above"
    return f"{function} raised {exception}"


class Raised(Failed):
    """The function raised an exception; ``exception`` is its type's name, as the caller may show it."""

    def __init__(self, message: str, exception: str, diagnosis: str | None = None):
        super().__init__(message, diagnosis)
        self.exception = exception


# -- comparisons: pass or fail, with Python floats ------------------------------------------------
def _flat(value) -> list:
    """The entries of an ndarray as a flat list of Python numbers."""
    out, stack = [], [value.tolist()]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        else:
            out.append(item)
    return out


def _close(u: float, v: float, rtol: float, atol: float) -> bool:
    if u == v:  # equal, infinities included
        return True
    difference = u - v if u >= v else v - u  # NaN makes both comparisons False: never close
    return difference <= atol + rtol * (v if v >= 0 else -v)


def check_array(value, name: str, shape, dtype=None) -> None:
    """``value`` is an ndarray of the given shape (and dtype)."""
    if type(value) is not np.ndarray:
        raise Failed(f"{name} must return a numpy array, got {type(value).__name__}")
    if value.shape != tuple(shape):
        raise Failed(f"{name} returned an array of shape {value.shape}, expected {tuple(shape)}")
    if dtype is not None and value.dtype != np.dtype(dtype):
        raise Failed(f"{name} returned dtype {value.dtype} where {np.dtype(dtype)} is expected")


@dataclasses.dataclass(frozen=True)
class Close:
    """An array of the reference's shape, equal within ``atol + rtol |reference|`` entry by entry.

    ``dtype``: the answer keeps the reference's dtype; ``integers``: the answer holds integers of
    any integer dtype; ``single``: ``(rtol, atol)`` for a float32 reference.
    """

    rtol: float = 1e-9
    atol: float = 1e-12
    dtype: bool = True
    integers: bool = False
    single: tuple[float, float] = (1e-5, 1e-7)

    def __call__(self, answer, expected: np.ndarray, name: str) -> None:
        check_array(answer, name, expected.shape, expected.dtype if self.dtype and not self.integers else None)
        if self.integers and answer.dtype.kind not in "iu":
            raise Failed(f"{name} must return integers, got {answer.dtype}")
        rtol, atol = self.single if expected.dtype == np.float32 else (self.rtol, self.atol)
        if not all(_close(u, v, rtol, atol) for u, v in zip(_flat(answer), _flat(expected))):
            raise Failed(f"{name} returned wrong values")


@dataclasses.dataclass(frozen=True)
class Number:
    """A real number (Python or numpy scalar), within ``atol + rtol |reference|``."""

    rtol: float = 1e-9
    atol: float = 1e-12

    def __call__(self, answer, expected: float, name: str) -> None:
        if type(answer) is np.ndarray and answer.shape == ():
            answer = answer[()]
        if type(answer) is bool or not isinstance(answer, (int, float, np.integer, np.floating)):
            raise Failed(f"{name} must return a number, got {type(answer).__name__}")
        if not _close(float(answer), float(expected), self.rtol, self.atol):
            raise Failed(f"{name} returned a wrong value")


@dataclasses.dataclass(frozen=True)
class Numbers:
    """A list (or tuple) of real numbers as long as the reference's, each within ``atol + rtol |reference|``."""

    rtol: float = 1e-9
    atol: float = 1e-12

    def __call__(self, answer, expected, name: str) -> None:
        if type(answer) not in (list, tuple) or not all(
                type(x) is not bool and isinstance(x, (int, float, np.integer, np.floating)) for x in answer):
            raise Failed(f"{name} must be a list of numbers")
        if len(answer) != len(expected):
            raise Failed(f"{name} holds {len(answer)} numbers where {len(expected)} are expected")
        if not all(_close(float(u), float(v), self.rtol, self.atol) for u, v in zip(answer, expected)):
            raise Failed(f"{name} holds wrong values")


@dataclasses.dataclass(frozen=True)
class Fields:
    """A tuple, its items compared one by one: ``Fields(("J", Number()), ("dW", Close()), ...)``."""

    items: tuple[tuple[str, Callable], ...]

    def __init__(self, *items: tuple[str, Callable]):
        object.__setattr__(self, "items", items)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.items)

    def __call__(self, answer, expected: tuple, name: str) -> None:
        if type(answer) is not tuple or len(answer) != len(self.items):
            raise Failed(f"{name} must return the tuple ({', '.join(self.names)})")
        for i, ((field, compare), a, e) in enumerate(zip(self.items, answer, expected)):
            try:
                compare(a, e, f"{name}: {field}")
            except Failed as failure:
                raise Failed(failure.message, failure.diagnosis, i) from None


# -- mistakes -------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Mistake:
    """A classic wrong answer and what to tell the student who gives it.

    ``wrong(*args)`` computes the answer the mistake gives (on the trusted side; numpy warnings
    silenced); an answer equal to it, NaN and infinities included, has this mistake. For a tuple
    answer, ``fields`` says which items to compare (default: all). Instead of ``wrong``, a test
    ``when(answer, args, expected) -> bool`` may recognise the mistake; ``raised`` names exception
    types that reveal it when the function raises.
    """

    key: str
    message: str
    wrong: Callable | None = None
    fields: tuple[int, ...] | None = None
    when: Callable | None = None
    raised: tuple[str, ...] = ()
    source_lacks: str | None = None

    def explains(self, answer, args: tuple, expected, source: str | None = None) -> bool:
        if self.source_lacks is not None:
            return source is not None and self.source_lacks not in source
        try:
            with np.errstate(all="ignore"):
                if self.when is not None:
                    return bool(self.when(answer, args, expected))
                if self.wrong is None:
                    return False
                wrong = self.wrong(*args)
        except (ValueError, IndexError, TypeError, ArithmeticError):  # e.g. shapes that do not broadcast
            return False
        if self.fields is not None:
            if type(answer) is not tuple or len(answer) <= max(self.fields):
                return False
            return all(same(answer[i], wrong[i]) for i in self.fields)
        return same(answer, wrong)


def same(answer, wrong, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """``answer`` equals ``wrong`` up to rounding: same kind and shape, NaN equal to NaN (diagnosis only)."""
    if isinstance(wrong, tuple):
        return type(answer) is tuple and len(answer) == len(wrong) and all(map(same, answer, wrong))
    if isinstance(wrong, list):
        return isinstance(answer, (list, tuple)) and same(np.asarray(answer, dtype=float),
                                                          np.asarray(wrong, dtype=float))
    try:
        a, w = np.asarray(answer, dtype=np.float64), np.asarray(wrong, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == w.shape and bool(np.allclose(a, w, rtol=rtol, atol=atol, equal_nan=True))


#: Mistakes any numeric answer can have, tried after a part's own (keys of :func:`general_mistake`).
GENERAL = {
    "dtype-not-kept": "the values are right but the dtype is not the input's: keep it (float32 in, float32 out)",
    "not-finite": "it gives inf or nan where the answer is a finite number: an overflow (exp of a large "
                  "number?), a log of 0 or a 0/0",
    "transposed": "the answer is the transpose of the right one: check the order of the axes",
    "sign-flipped": "the answer has the opposite sign of the right one",
    "constant-factor": "the answer is a constant multiple of the right one",
}
#: Added to ``constant-factor`` when the factor is the number of samples (or its inverse).
PER_SAMPLE = " (by the number of samples: a sum where the mean belongs, or a missing 1/m?)"


def general_mistake(answer, expected, args: tuple) -> tuple[str, str] | None:
    """``(key, message)`` of a mistake of :data:`GENERAL` that explains ``answer``, else None."""
    try:
        a = np.asarray(answer)
        e = np.asarray(expected)
        if a.dtype.kind not in "biuf" or e.dtype.kind not in "biuf" or a.size == 0 or a.size > 10**7:
            return None
        a64, e64 = a.astype(np.float64), e.astype(np.float64)
    except (TypeError, ValueError):
        return None
    with np.errstate(all="ignore"):
        if a.shape == e.shape and a.dtype != e.dtype and e.dtype.kind == "f" and same(a64, e64, 1e-5, 1e-7):
            return "dtype-not-kept", GENERAL["dtype-not-kept"]
        if a.shape == e.shape and np.isfinite(e64).all() and not np.isfinite(a64).all():
            return "not-finite", GENERAL["not-finite"]
        if a.ndim == 2 and a.shape == e.shape[::-1] and same(a64.T, e64):
            return "transposed", GENERAL["transposed"]
        if a.shape != e.shape or not np.isfinite(a64).all() or not np.any(e64):
            return None
        if same(a64, -e64):
            return "sign-flipped", GENERAL["sign-flipped"]
        c = float(np.vdot(a64, e64) / np.vdot(e64, e64))
        if abs(c - 1.0) > 1e-3 and c != 0.0 and same(a64, c * e64):
            samples = {arg.shape[0] for arg in args if isinstance(arg, np.ndarray) and arg.ndim >= 1}
            per_sample = any(math.isclose(c, m, rel_tol=1e-6) or math.isclose(c, 1 / m, rel_tol=1e-6)
                             for m in samples if m > 1)
            return "constant-factor", GENERAL["constant-factor"] + (PER_SAMPLE if per_sample else "")
    return None


# -- parts ----------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Case:
    """The arguments of one call, and ``context``: what a part's ``judge`` needs besides them (e.g. held-out data)."""

    args: tuple
    context: object = None


@dataclasses.dataclass(frozen=True)
class Invalid:
    """Arguments the function must refuse with a ``ValueError`` whose message names ``mentions``."""

    args: tuple
    mentions: str
    #: What the student is told when no ValueError comes; its key is ``accepts-invalid``.
    message: str


#: The diagnosis of a function that reaches a library the part forbids.
FORBIDDEN = ("forbidden", "it uses a library this part does not allow (write it with numpy; lecture_lib, scipy "
                          "and scikit-learn are off-limits unless the part says otherwise)")


@dataclasses.dataclass(frozen=True)
class Part:
    """One graded function of an exercise: its inputs, reference, comparison, points and mistakes.

    ``cases(rng)`` returns the calls to make, argument tuples or :class:`Case`, drawn from the numpy
    Generator ``rng`` (edge cases fixed); ``reference(*args)`` is the right answer and
    ``compare(answer, expected, name)`` raises :class:`Failed` for a wrong one. A part with a
    ``judge(answer, args, expected)`` decides by itself instead (``expected`` is the reference, or the
    case's context when there is no reference), e.g. from the accuracy of a trained model.
    ``invalid(rng)`` lists arguments the function must refuse. ``errors``: calls run with numpy's
    floating-point errors raised (no overflow, NaN or division by zero allowed).

    ``lecture_lib`` names the library modules the function may use (every other lecture_lib function,
    scipy and scikit-learn are forbidden); ``libraries``, the installed packages the grader's sandbox
    holds; ``stand_ins``, numpy-only code defining ``stand_in_names``: reference versions of earlier
    parts, which the function calls while it is checked, so that a mistake in an earlier part costs
    nothing here.
    """

    grade_id: str
    function: str
    title: str
    points: float
    seed: int
    cases: Callable[[np.random.Generator], Sequence]
    reference: Callable | None = None
    compare: Callable | None = None
    judge: Callable | None = None
    mistakes: tuple[Mistake, ...] = ()
    invalid: Callable[[np.random.Generator], Sequence[Invalid]] | None = None
    errors: bool = True
    lecture_lib: tuple[str, ...] = ()
    libraries: tuple[str, ...] = ("numpy", "matplotlib")
    stand_ins: str = ""
    stand_in_names: tuple[str, ...] = ()


def _mistake_of(part: Part, answer, args: tuple, expected, failure: Failed, source: str | None):
    """``(key, message)`` of the mistake that explains a wrong ``answer`` (None: no answer), else None."""
    if isinstance(failure, Raised) and failure.exception in ("ImportError", "ModuleNotFoundError"):
        return FORBIDDEN
    for mistake in part.mistakes:
        if isinstance(failure, Raised) and failure.exception in mistake.raised:
            return mistake.key, mistake.message
        if (answer is not None or mistake.source_lacks) and mistake.explains(answer, args, expected, source):
            return mistake.key, mistake.message
    if answer is None or expected is None or part.judge is not None:
        return None
    if failure.field is not None and type(answer) is tuple and len(answer) > failure.field:
        return general_mistake(answer[failure.field], expected[failure.field], args)
    return general_mistake(answer, expected, args)


def _diagnosed(failure: Failed, mistake: tuple[str, str] | None) -> Failed:
    if mistake is None:
        return failure
    key, message = mistake
    text = f"{failure.message}. Likely mistake: {message}."
    if isinstance(failure, Raised):
        return Raised(text, failure.exception, key)
    return Failed(text, key, failure.field)


def run(part: Part, call) -> int:
    """Check the function of ``part`` through ``call`` on every case; return the number of checks passed.

    Raises :class:`Failed` at the first wrong answer, with the diagnosis of the mistake that explains
    it when one does.
    """
    rng = call.rng(part.seed)
    source = getattr(call, "source", lambda name: None)(part.function)
    checks = 0
    for case in part.cases(rng):
        args, context = (case.args, case.context) if isinstance(case, Case) else (tuple(case), None)
        expected = part.reference(*args) if part.reference is not None else context
        answer = None
        try:
            answer = call(part.function, *args, errors="raise" if part.errors else None)
            if part.judge is not None:
                part.judge(answer, args, expected)
            else:
                part.compare(answer, expected, part.function)
        except Raised as failure:
            if failure.diagnosis is not None:
                raise
            quiet = None
            if failure.exception == "FloatingPointError":  # the answer without the error, for the diagnosis
                try:
                    quiet = call(part.function, *args, errors="ignore")
                except Failed:
                    pass
            raise _diagnosed(failure, _mistake_of(part, quiet, args, expected, failure, source)) from None
        except Failed as failure:
            if failure.diagnosis is not None:
                raise
            raise _diagnosed(failure, _mistake_of(part, answer, args, expected, failure, source)) from None
        checks += 1
    for case in part.invalid(rng) if part.invalid is not None else ():
        error = call.raises(part.function, *case.args)
        if error is None or error[0] != "ValueError":
            raise Failed(f"{part.function}: {case.message}", "accepts-invalid")
        if case.mentions not in error[1]:
            raise Failed(f"{part.function}: the ValueError's message should name {case.mentions}", "accepts-invalid")
        checks += 1
    return checks


def diagnosis_keys(part: Part) -> set[str]:
    """Every diagnosis ``part`` can give: its own mistakes, the general ones, invalid input, a forbidden library."""
    return {m.key for m in part.mistakes} | set(GENERAL) | {"accepts-invalid", FORBIDDEN[0]}
