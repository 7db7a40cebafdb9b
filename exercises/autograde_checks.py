"""What the hidden block of every test cell runs: the part's declaration, in the notebook's process.

Students never receive this file. ``exercises/instructor.py grade`` does not use it: it runs the
same declarations (:mod:`lecture_lib.exercises`) outside the student's process, against a sandbox.
The hidden blocks of the source notebooks, which call :func:`grade`, are what nbval runs on the
solutions and what plain ``nbgrader autograde`` runs on a submission::

    import pathlib as _pl, runpy as _rp
    _rp.run_path(next(str(p / "autograde_checks.py") for p in _pl.Path.cwd().resolve().parents
                      if (p / "autograde_checks.py").is_file()))["grade"]("01_modeling", "softmax-tests", globals())

The file is found from the *parent* of the working directory: at autograde time that is
``autograded/<student>/``, where a student cannot place files. Plain nbgrader runs the student's
code and the tests in one Python process, so :func:`grade` first re-executes ``lecture_lib`` from
disk (a notebook that rebinds ``lecture_lib.softmax`` or a check changes nothing), then checks the
part with the public seeds. Pass or fail is decided with plain Python floats, never with numpy's
comparison functions, which a notebook can rebind. This is a guard against the ordinary ways of
passing a test without solving the part, not a sandbox: a student who rewrites Python's builtins
can break any in-process grader, and such a notebook needs a human look.
"""

from __future__ import annotations

import importlib

#: Token in every hidden test block, so that a leak can be found by searching for it.
CANARY = "CANARY-" + "7f3a-hidden-test"


def grade(assignment: str, grade_id: str, namespace: dict) -> int:
    """Check the part ``grade_id`` of ``assignment`` on the notebook's functions in ``namespace``.

    Returns the number of checks passed; raises ``AssertionError`` with the feedback (the mistake
    named when one explains the answer) for a wrong answer.
    """
    exercises = importlib.import_module("lecture_lib.exercises.local").fresh_library()
    local = importlib.import_module("lecture_lib.exercises.local")  # the fresh one
    part = exercises.part(assignment, grade_id)
    call = local.InProcess(namespace, part, local.np.random.default_rng)
    try:
        return exercises.framework.run(part, call)
    except AssertionError as failure:  # only the message: the traceback would quote this file
        raise AssertionError(str(failure)) from None
