"""Every classic mistake is named, on every path that runs a part's declaration.

The parts of the exercises are declared once (``lecture_lib/exercises``) and run three ways. For
every wrong answer of ``tests/fixtures/exercises/mutations.py`` (and for the solution), this file
runs two of them:

- the student's ``check()`` in this process: the mutated part fails with the mutation's diagnosis,
  every other part passes, the solution passes every part and is diagnosed with nothing;
- the notebook's hidden test cells, as nbval and plain ``nbgrader autograde`` run them: the source
  notebook with the wrong answer, executed in a kernel (one per exercise, its namespace reset between
  notebooks), has an error in the mutated part's test cell only, whose message names the mistake.

The third path, the sandboxed grader, is ``test_exercises.py``'s class run (the same diagnoses in
the feedback). The general mistakes and the comparisons have unit tests at the end.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import shutil

import nbformat
import numpy as np
import pytest

import lecture_lib.exercises as exercises
from course_tools import ONE_THREAD
from lecture_lib.exercises import framework
from test_exercises import ASSIGNMENTS, EXERCISES, MUTATIONS, nbgrader_meta, notebook_namespace, source_notebook

def message_of(mutation: dict) -> str:
    """The text the feedback on ``mutation`` must hold: its mistake's message (up to the first colon)."""
    part = exercises.part(mutation["assignment"], mutation["part"])
    messages = {**framework.GENERAL, "accepts-invalid": "must raise a ValueError",
                **{m.key: m.message for m in part.mistakes}}
    return messages[mutation["diagnosis"]].split(":")[0]


def self_check(assignment: str, replace: dict[str, str] | None = None) -> dict[str, framework.Failed | None]:
    """The failure (or None) of ``check()`` for each part of ``assignment``'s solved notebook."""
    namespace = notebook_namespace(assignment, replace)
    out = {}
    for part in exercises.PARTS[assignment]:
        try:
            with contextlib.redirect_stdout(io.StringIO()) as printed:
                exercises.check(namespace[part.function], exercise=int(assignment[:2]))
            assert "checks passed on practice inputs" in printed.getvalue()
            out[part.grade_id] = None
        except framework.Failed as failure:
            out[part.grade_id] = failure
    return out


def _skip_without_torch(assignment: str) -> None:
    if assignment == "07_pytorch":
        pytest.importorskip("torch")


# -- the student's check ---------------------------------------------------------------------------
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_check_passes_the_solution_with_no_diagnosis(assignment):
    _skip_without_torch(assignment)
    assert self_check(assignment) == {p.grade_id: None for p in exercises.PARTS[assignment]}


@pytest.mark.parametrize("index", range(len(MUTATIONS)),
                         ids=[f"mut{i:02d}-{m['diagnosis']}" for i, m in enumerate(MUTATIONS)])
def test_check_names_the_mistake_of_each_wrong_answer(index):
    m = MUTATIONS[index]
    _skip_without_torch(m["assignment"])
    failures = self_check(m["assignment"], {m["answer"]: m["source"]})
    assert {part for part, failure in failures.items() if failure} == {m["part"]}, m["why"]
    failure = failures[m["part"]]
    assert failure.diagnosis == m["diagnosis"], (m["why"], failure.message)
    assert "Likely mistake" in failure.message or failure.diagnosis == "accepts-invalid"


def test_every_diagnosis_of_the_fixtures_is_declared_by_its_part():
    for m in MUTATIONS:
        part = exercises.part(m["assignment"], m["part"])
        assert m["diagnosis"] in framework.diagnosis_keys(part), m


def test_every_declared_mistake_has_a_wrong_answer_that_shows_it():
    shown = {(m["assignment"], m["part"], m["diagnosis"]) for m in MUTATIONS}
    for assignment, parts in exercises.PARTS.items():
        for part in parts:
            for mistake in part.mistakes:
                assert (assignment, part.grade_id, mistake.key) in shown, (assignment, part.grade_id, mistake.key)


# -- the notebook's hidden test cells --------------------------------------------------------------
#: The kernel's environment: one BLAS/OpenMP thread, as this process has (``one_blas_thread`` in conftest.py)
#: and as the grading sandbox sets. The test problems are tiny: on a busy 2-core machine PyTorch's two threads
#: make exercise 7's L-BFGS cell (a thousand small steps) 5-10 times slower, for the same verdicts.
KERNEL_ENV = {**os.environ, **ONE_THREAD}


def run_source_notebooks(tmp_path, assignment: str, variants: dict[str, dict[str, str]]) -> dict[str, dict]:
    """Execute the source notebook once per variant (answers replaced by grade_id), as nbval does, in one
    kernel whose namespace is reset between variants; for each variant, each test cell's error text or None."""
    from nbclient import NotebookClient

    course = tmp_path / "course"
    folder = course / "source" / assignment
    folder.mkdir(parents=True)
    shutil.copy(EXERCISES / "autograde_checks.py", course / "autograde_checks.py")
    _, source = source_notebook(assignment)
    client = NotebookClient(source, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    results = {}
    with client.setup_kernel(env=KERNEL_ENV):
        for name, replace in variants.items():
            nb = copy.deepcopy(source)
            for cell in nb.cells:
                grade_id = nbgrader_meta(cell).get("grade_id")
                if nbgrader_meta(cell).get("solution") and grade_id in replace:
                    cell.source = replace[grade_id]
            client.nb = nb
            client.execute_cell(nbformat.v4.new_code_cell("%reset -f"), 0)
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            results[name] = {}
            for cell in nb.cells:
                if nbgrader_meta(cell).get("grade"):
                    error = [o for o in cell.outputs if o.output_type == "error"]
                    results[name][nbgrader_meta(cell)["grade_id"]] = \
                        f"{error[0].ename}: {error[0].evalue}" if error else None
    return results


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hidden_cells_fail_the_wrong_part_and_name_the_mistake(tmp_path, assignment):
    """The solution passes every test cell; each wrong answer fails its part's cell only, with its diagnosis."""
    _skip_without_torch(assignment)
    mutations = {f"mut{i:02d}": m for i, m in enumerate(MUTATIONS) if m["assignment"] == assignment}
    results = run_source_notebooks(tmp_path, assignment, {"solved": {}, **{
        name: {m["answer"]: m["source"]} for name, m in mutations.items()}})
    assert set(results.pop("solved").values()) == {None}
    wrong = []
    for name, errors in results.items():
        m = mutations[name]
        failed = {part for part, error in errors.items() if error}
        error = errors.get(m["part"]) or ""
        if failed != {m["part"]} or not (error.startswith("AssertionError: ") and message_of(m) in error):
            wrong.append((name, m["why"], errors))
    assert not wrong, wrong


# -- the pieces --------------------------------------------------------------------------------------
@pytest.mark.parametrize("answer, key", [
    (np.array([[1.0, 2.0]], dtype=np.float32), "dtype-not-kept"),
    (np.array([[np.inf, 2.0]]), "not-finite"),
    (np.array([[1.0], [2.0]]), "transposed"),
    (np.array([[-1.0, -2.0]]), "sign-flipped"),
    (np.array([[3.0, 6.0]]), "constant-factor"),
    (np.array([[1.0, 2.5]]), None),
])
def test_general_mistakes(answer, key):
    found = framework.general_mistake(answer, np.array([[1.0, 2.0]]), ())
    assert (found and found[0]) == key


def test_a_factor_of_the_number_of_samples_is_named():
    X = np.ones((7, 3))
    assert framework.PER_SAMPLE in framework.general_mistake(np.array([7.0, 14.0]), np.array([1.0, 2.0]), (X,))[1]
    assert framework.PER_SAMPLE not in framework.general_mistake(np.array([3.0, 6.0]), np.array([1.0, 2.0]), (X,))[1]


def test_the_comparison_ignores_a_rebound_numpy(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isclose", lambda *a, **k: np.True_)
    with pytest.raises(framework.Failed, match="wrong values"):
        framework.Close()(np.array([1.0, 2.0]), np.array([1.0, 2.5]), "f")
    with pytest.raises(framework.Failed, match="wrong values"):
        framework.Close()(np.array([np.nan]), np.array([1.0]), "f")
    framework.Close()(np.array([np.inf, 1.0]), np.array([np.inf, 1.0 + 1e-12]), "f")


@pytest.mark.parametrize("answer, message", [
    ([1.0, 2.0], "must return a numpy array, got list"),
    (np.ones(3), r"shape \(3,\), expected \(2,\)"),
    (np.ones(2, dtype=np.float32), "dtype float32 where float64"),
])
def test_the_comparison_says_what_is_wrong(answer, message):
    with pytest.raises(framework.Failed, match=message):
        framework.Close()(answer, np.ones(2), "f")


def test_fields_name_the_wrong_item():
    compare = framework.Fields(("J", framework.Number()), ("dW", framework.Close()))
    with pytest.raises(framework.Failed, match=r"must return the tuple \(J, dW\)"):
        compare([1.0, np.ones(2)], (1.0, np.ones(2)), "f")
    with pytest.raises(framework.Failed, match="f: dW returned wrong values") as failure:
        compare((1.0, np.zeros(2)), (1.0, np.ones(2)), "f")
    assert failure.value.field == 1


def test_the_hidden_cells_use_a_fresh_library(monkeypatch):
    """A notebook that rebinds lecture_lib's functions changes nothing for the hidden cells' checks."""
    import sys

    import lecture_lib.functions
    from lecture_lib.exercises import local

    monkeypatch.setattr(lecture_lib.functions, "softmax", lambda Z, axis=-1: Z)
    saved = dict(sys.modules)
    try:
        fresh = local.fresh_library()
        assert sys.modules["lecture_lib.functions"] is not lecture_lib.functions
        assert sys.modules["lecture_lib.functions"].softmax(np.zeros(2)).tolist() == [0.5, 0.5]
        assert fresh.part("01_modeling", "softmax-tests").reference(np.zeros(2)).tolist() == [0.5, 0.5]
    finally:  # this process goes on with the modules it had
        sys.modules.clear()
        sys.modules.update(saved)


def test_the_stale_modules_do_not_grow_with_the_hidden_cells():
    """Each hidden cell replaces lecture_lib; the modules kept for the guard are the notebook's first ones
    and the last replaced, not one more copy of lecture_lib per cell of a long kernel."""
    import sys

    import lecture_lib.functions

    saved = dict(sys.modules)
    try:
        sizes = []
        for _ in range(4):  # four hidden cells in one kernel
            sys.modules["lecture_lib.exercises.local"].fresh_library()
            local = sys.modules["lecture_lib.exercises.local"]
            sizes.append(len(local._STALE))
            assert lecture_lib.functions in local._STALE  # the notebook's own stay guarded
            assert sys.modules["lecture_lib.functions"] not in local._STALE  # the fresh ones are in sys.modules
        assert sizes[0] < sizes[1] == sizes[2] == sizes[3], sizes
    finally:  # this process goes on with the modules it had
        sys.modules.clear()
        sys.modules.update(saved)


@pytest.mark.parametrize("source", [
    "import lecture_lib\ndef softmax(Z):\n    return lecture_lib.softmax(Z)\n",
    "from scipy.special import softmax as s\ndef softmax(Z):\n    return s(Z, axis=-1)\n",
    "def softmax(Z):\n    return getattr(__import__('lecture' + '_lib'), 'soft' + 'max')(Z)\n",
])
def test_a_library_call_is_named_as_forbidden(source):
    failures = self_check("01_modeling", {"softmax": source})
    assert failures["softmax-tests"].diagnosis == "forbidden"


def test_check_refuses_what_is_not_a_notebook_function():
    with pytest.raises(TypeError, match="function must be one of your notebook's functions"):
        exercises.check(np.exp)
    with pytest.raises(ValueError, match="is graded in several exercises"):
        exercises.check(notebook_namespace("04_gradient")["cost_and_gradient"])
    with pytest.raises(ValueError, match="exercise must be one of"):
        exercises.check(notebook_namespace("01_modeling")["softmax"], exercise=9)


def test_check_uses_stand_ins_for_earlier_parts():
    """A wrong softmax costs only its own part: the temperature is checked with the reference softmax."""
    failures = self_check("01_modeling", {"softmax": "def softmax(Z):\n    return Z\n"})
    assert failures["softmax_with_temperature-tests"] is None
    namespace = notebook_namespace("01_modeling", {"softmax": "def softmax(Z):\n    return Z\n"})
    exercises.check(namespace["softmax_with_temperature"])
    assert namespace["softmax"](np.ones(2)).tolist() == [1.0, 1.0]  # the student's own is back afterwards


def test_lbfgs_not_converged_names_only_a_point_off_the_minimum():
    """not-converged is the gradient of J_lambda at the returned point, not a catch-all: not said at the minimum."""
    import lecture_lib

    part = exercises.part("07_pytorch", "fit_lbfgs-tests")
    mistake = next(m for m in part.mistakes if m.key == "not-converged")
    X, y, K, lam = part.cases(np.random.default_rng(part.seed))[0]
    best = lecture_lib.SoftmaxRegression(l2=lam, solver="lbfgs", tol=1e-10, max_iter=5000).fit(X, y)
    assert not mistake.explains((best.W_, best.b_), (X, y, K, lam), None)
    assert mistake.explains((np.zeros_like(best.W_), np.zeros_like(best.b_)), (X, y, K, lam), None)
