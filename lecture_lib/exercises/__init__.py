"""The graded parts of the course's exercises, and :func:`check`, the student's own check.

Every graded function of every exercise is declared once, as a
:class:`~lecture_lib.exercises.framework.Part` in the module of its exercise
(:mod:`~lecture_lib.exercises.modeling` for Exercise 1, ...): its inputs, its reference, how an
answer is compared, its points and the mistakes it recognises. Three things run those declarations:

- ``check(softmax)`` in a student's notebook: the checks on practice inputs, with the same
  diagnoses as the grader, in the notebook's process;
- the hidden block of each test cell (nbval, plain ``nbgrader autograde``): the checks on the
  public grading inputs, in the notebook's process (``exercises/autograde_checks.py``);
- ``exercises/instructor.py grade``: the checks on hidden inputs drawn from the course secret and
  the student id, with the student's code in a sandbox and the comparisons outside it.

Like the whole course repository, these declarations are public: they say how inputs are drawn,
not which (the course secret decides that at grading).
"""

from __future__ import annotations

import types

import numpy as np

from . import comparisons, digits, forward_pass, gradient, loss_and_cost, modeling, pytorch
from .framework import PRACTICE, Failed, Part, run

#: The graded parts of every assignment (the folder names of ``exercises/source``), in notebook order.
PARTS: dict[str, list[Part]] = {module.ASSIGNMENT: module.PARTS for module in
                                (modeling, forward_pass, loss_and_cost, gradient, digits, comparisons, pytorch)}


def assignment_of(exercise: int | str) -> str:
    """The assignment of Exercise ``exercise`` (its number, or the assignment's name)."""
    for assignment in PARTS:
        if exercise == assignment or (type(exercise) is int and assignment.startswith(f"{exercise:02d}_")):
            return assignment
    raise ValueError(f"exercise must be one of {sorted(PARTS)} or its number 1-{len(PARTS)}; got {exercise!r}")


def find_part(function: str, exercise: int | str | None = None) -> tuple[str, Part]:
    """``(assignment, part)`` of the graded function named ``function`` (in ``exercise``, if given)."""
    assignments = [assignment_of(exercise)] if exercise is not None else list(PARTS)
    found = [(a, p) for a in assignments for p in PARTS[a] if p.function == function]
    if not found:
        raise ValueError(f"{function!r} is not a graded function" + (f" of {assignments[0]}" if exercise else ""))
    if len(found) > 1:
        raise ValueError(f"{function!r} is graded in several exercises ({', '.join(a for a, _ in found)}): "
                         f"say which, e.g. check({function}, exercise={int(found[-1][0][:2])})")
    return found[0]


def part(assignment: str, grade_id: str) -> Part:
    """The part of ``assignment`` scored by the test cell ``grade_id``."""
    for p in PARTS[assignment]:
        if p.grade_id == grade_id:
            return p
    raise LookupError(f"{assignment} has no graded part {grade_id!r}")


def practice_rng(seed: int) -> np.random.Generator:
    """The generator of a part's practice inputs: its own stream, not the grading inputs'."""
    return np.random.default_rng([seed, PRACTICE])


def check(function, exercise: int | str | None = None) -> int:
    """Check one of your exercise functions, as the grader will, on practice inputs.

    ``check(softmax)`` calls your ``softmax`` on the same kinds of inputs the grader uses (edge
    cases included) and compares the answers with the course library's. A wrong answer raises an
    ``AssertionError`` that says what is wrong and, when it recognises it, which classic mistake
    explains it. The grader runs the same checks again on inputs you have not seen. ``exercise``
    (a number) is needed only for a function name two exercises share. Returns the number of checks.
    """
    if not isinstance(function, types.FunctionType):
        raise TypeError(f"function must be one of your notebook's functions, e.g. check(softmax); "
                        f"got {type(function).__name__}")
    from .local import InProcess  # here: it imports unittest.mock, which a notebook needs only when it checks

    assignment, graded = find_part(function.__name__, exercise)
    call = InProcess(function.__globals__, graded, practice_rng, {graded.function: function})
    try:
        checks = run(graded, call)
    except Failed as failure:
        raise Failed(failure.message, failure.diagnosis, failure.field) from None
    print(f"{graded.function}: {checks} checks passed on practice inputs. The grader runs the same "
          f"checks on inputs you have not seen.")
    return checks


__all__ = ["PARTS", "Failed", "Part", "assignment_of", "check", "find_part", "part", "practice_rng", "run"]
