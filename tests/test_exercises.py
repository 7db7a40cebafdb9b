"""The exercises mean something: the release leaks nothing and the grader grades right.

One class run (a session fixture) does what an instructor does, in a temporary copy of the
course and with ``exercises/instructor.py``: release every assignment, collect an inbox of
submissions per assignment, grade the class (each submission in bubblewrap sandboxes, the
points decided outside them), export ``grades.csv`` and write feedback. The class is made of

- the release as handed out (must score 0) and the solved notebook (must score full marks);
- for every graded part, the plausible wrong answers of ``tests/fixtures/exercises/mutations.py``
  (each must lose that part's points and only those);
- robustness cases: an endless loop, a process that dies in the first or the last part, an
  answer that raises, a deleted and an edited test cell, a correct answer that writes warnings
  to stderr, a student who rebinds ``np.allclose`` and friends, and one who calls
  ``lecture_lib.softmax`` instead of writing it.

The run takes a few minutes (a sandbox per submission), so the fixture is shared. The attacks
of a malicious student are in ``test_grading_redteam.py``.
"""

from __future__ import annotations

import copy
import csv
import html
import json
import linecache
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
SOURCE = EXERCISES / "source"
ASSIGNMENTS = sorted(p.name for p in SOURCE.iterdir() if p.is_dir())
CHECKS = runpy.run_path(str(EXERCISES / "autograde_checks.py"))
CANARY = CHECKS["CANARY"]
MUTATIONS = runpy.run_path(str(ROOT / "tests" / "fixtures" / "exercises" / "mutations.py"))["MUTATIONS"]
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")

# The first test that needs class_run grades the whole class, a sandbox per submission, in its setup.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


# -- reading the course ------------------------------------------------------------------------
def source_notebook(assignment: str) -> tuple[str, nbformat.NotebookNode]:
    (path,) = sorted((SOURCE / assignment).glob("*.ipynb"))
    return path.stem, nbformat.read(path, as_version=4)


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def answers(nb) -> dict[str, str]:
    """Solved answer cells by grade_id, without the solution markers (what a good student writes)."""
    return {nbgrader_meta(c)["grade_id"]: "\n".join(line for line in c.source.splitlines()
                                                   if "### BEGIN SOLUTION" not in line
                                                   and "### END SOLUTION" not in line)
            for c in nb.cells if nbgrader_meta(c).get("solution")}


def notebook_namespace(assignment: str, replace: dict[str, str] | None = None) -> dict:
    """The globals of the solved source notebook after running its code cells but the tests, in this
    process: setup cells, then the answers (``replace``: other sources for some, by grade_id). Each cell
    is registered with ``linecache``, as IPython does, so that ``inspect.getsource`` finds its functions."""
    _, nb = source_notebook(assignment)
    solved = answers(nb)
    namespace = {"__name__": "__main__"}
    for i, cell in enumerate(nb.cells):
        meta = nbgrader_meta(cell)
        if cell.cell_type != "code" or meta.get("grade"):
            continue
        source = (replace or {}).get(meta.get("grade_id"), solved.get(meta.get("grade_id"), cell.source))
        filename = f"<{assignment} cell {i}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
        exec(compile(source, filename, "exec"), namespace)
    return namespace


def total_points(assignment: str, without: str | None = None) -> float:
    """The full score of ``assignment`` (less the part ``without``), from the parts' declarations."""
    from lecture_lib.exercises import PARTS

    return float(sum(part.points for part in PARTS[assignment] if part.grade_id != without))


def max_points(nb) -> dict[str, float]:
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"])
            for c in nb.cells if nbgrader_meta(c).get("grade")}


def solution_lines(nb) -> list[str]:
    """The distinctive lines between the solution markers."""
    lines = []
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if "### BEGIN SOLUTION" in line:
                inside = True
            elif "### END SOLUTION" in line:
                inside = False
            elif inside and len(line.strip()) >= 12:
                lines.append(line.strip())
    return lines


# -- making submissions ------------------------------------------------------------------------
def submission(release_nb, solved: dict[str, str], replace: dict[str, str] | None = None):
    """The release notebook with every answer filled in: the solution unless ``replace`` says otherwise."""
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution"):
            cell.source = (replace or {}).get(grade_id, solved[grade_id])
    return nb


def _cell(nb, grade_id):
    (cell,) = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id]
    return cell


ROBUSTNESS_FIRST = "01_modeling"


def robustness_cases(release_nb, solved) -> dict[str, nbformat.NotebookNode]:
    """Troublesome submissions of the first exercise (softmax, softmax_with_temperature)."""
    wrong_softmax = "def softmax(Z):\n    E = np.exp(Z)\n    return E / E.sum(axis=-1, keepdims=True)\n"
    cases = {
        "endless-loop": submission(release_nb, solved, {
            "softmax_with_temperature": "import time\n\ndef softmax_with_temperature(Z, T):\n"
                                        "    while True:  # never ends (sleeps, so that it does not hog a core)\n"
                                        "        time.sleep(0.05)\n"}),
        "kernel-dies": submission(release_nb, solved, {
            "softmax_with_temperature": "import os\n\ndef softmax_with_temperature(Z, T):\n    os._exit(1)\n"}),
        "first-part-dies": submission(release_nb, solved, {
            "softmax": "import os\n\ndef softmax(Z):\n    os._exit(1)\n"}),
        "raises": submission(release_nb, solved, {
            "softmax_with_temperature": "def softmax_with_temperature(Z, T):\n"
                                        "    raise RuntimeError('not done yet')\n"}),
        "warns-on-stderr": submission(release_nb, solved, {
            "softmax": "import sys, warnings\nprint('debug output', file=sys.stderr)\n"
                       "np.log(np.zeros(1))  # RuntimeWarning: divide by zero\n"
                       "warnings.warn('a warning of my own')\n\n" + solved["softmax"]}),
        "rebinds-helpers": submission(release_nb, solved, {
            "softmax": "import math, numpy.testing, lecture_lib\n"
                       "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
                       "np.array_equal = lambda *a, **k: True\nmath.isclose = lambda *a, **k: True\n"
                       "numpy.testing.assert_allclose = lambda *a, **k: None\n"
                       "np.testing.assert_array_almost_equal = lambda *a, **k: None\n"
                       "def assert_close(*a, **k):\n    return None\n\n" + wrong_softmax
                       + "lecture_lib.softmax = softmax\nlecture_lib.functions.softmax = softmax\n"}),
        "calls-the-library": submission(release_nb, solved, {
            "softmax": "import lecture_lib\n\ndef softmax(Z):\n    return lecture_lib.softmax(Z)\n"}),
        "hides-the-call": submission(release_nb, solved, {
            "softmax": "def softmax(Z):\n    return getattr(__import__('lecture' + '_lib'), 'soft' + 'max')(Z)\n"}),
    }
    deleted = submission(release_nb, solved, {"softmax": wrong_softmax})
    deleted.cells = [c for c in deleted.cells if nbgrader_meta(c).get("grade_id") != "softmax-tests"]
    cases["deleted-test-cell"] = deleted
    edited = submission(release_nb, solved, {"softmax": wrong_softmax})
    _cell(edited, "softmax-tests").source = "pass  # tests? what tests?"
    cases["edited-test-cell"] = edited
    return cases


#: For each robustness case: the parts (test grade_ids) that must score 0; all others score full.
ROBUSTNESS_LOSES = {
    "endless-loop": {"softmax_with_temperature-tests"},
    "kernel-dies": {"softmax_with_temperature-tests"},  # softmax was graded before the process died
    "first-part-dies": {"softmax-tests"},  # the next part is graded in a fresh sandbox
    "raises": {"softmax_with_temperature-tests"},
    "warns-on-stderr": set(),
    "rebinds-helpers": {"softmax-tests"},
    "calls-the-library": {"softmax-tests"},
    "hides-the-call": {"softmax-tests"},
    "deleted-test-cell": {"softmax-tests"},
    "edited-test-cell": {"softmax-tests"},
}


def mutation_student(index: int) -> str:
    m = MUTATIONS[index]
    return f"mut{index:02d}-{m['answer']}".replace("_", "-")


# -- the class run -----------------------------------------------------------------------------
class ClassRun:
    """The courses graded, their logs, exit statuses, per-part scores and exported CSV rows."""

    def __init__(self, courses, statuses, log, scores, csv_rows):
        self.courses, self.statuses, self.log, self.scores, self.csv_rows = courses, statuses, log, scores, csv_rows


def instructor(course: Path, *args: str, wait: bool = True):
    command = [sys.executable, str(EXERCISES / "instructor.py"), "--course", str(course), *args]
    if not wait:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return subprocess.run(command, capture_output=True, text=True, timeout=1800)


#: Seconds per cell and per call in the class run (the endless loop costs this much). Importing torch
#: (exercise 7) takes 6-8 s on a busy 2-core machine, so this leaves room for a loaded CI.
CELL_TIMEOUT = 15

#: The exercises whose grading trains models (digits, PyTorch's L-BFGS): the slowest to grade after the first
#: exercise, whose endless loop waits out its time limit (2 x CELL_TIMEOUT, asleep).
TRAINS_MODELS = ("05_digits", "07_pytorch")
#: The class is graded in two copies of the course at once (one per core), each with its own gradebook, split
#: so that both take about as long: the first exercise (the robustness cases, the endless loop) with the other
#: quick ones, and the exercises that train models.
GROUPS = (tuple(a for a in ASSIGNMENTS if a not in TRAINS_MODELS), TRAINS_MODELS)


@pytest.fixture(scope="session")
def class_run(tmp_path_factory) -> ClassRun:
    tmp = tmp_path_factory.mktemp("exercises")
    first = tmp / "course0"
    first.mkdir()
    for name in ("nbgrader_config.py", "autograde_checks.py"):
        shutil.copy(EXERCISES / name, first / name)
    shutil.copytree(SOURCE, first / "source", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    log = []

    released = instructor(first, "release")
    log.append(released.stdout + released.stderr)
    assert released.returncode == 0, released.stdout + released.stderr
    courses = [first, tmp / "course1"]
    shutil.copytree(first, courses[1])

    owner = {}
    for course, group in zip(courses, GROUPS):
        for assignment in group:
            owner[assignment] = course
            name, source_nb = source_notebook(assignment)
            release_nb = nbformat.read(course / "release" / assignment / f"{name}.ipynb", as_version=4)
            solved = answers(source_nb)
            inbox = tmp / "inbox" / assignment
            inbox.mkdir(parents=True)
            class_ = {"as-released": release_nb, "solved": submission(release_nb, solved)}
            for i, m in enumerate(MUTATIONS):
                if m["assignment"] == assignment:
                    class_[mutation_student(i)] = submission(release_nb, solved, {m["answer"]: m["source"]})
            if assignment == ROBUSTNESS_FIRST:
                class_.update(robustness_cases(release_nb, solved))
            for student, nb in class_.items():
                nbformat.write(nb, inbox / f"{student}.ipynb")
            collected = instructor(course, "collect", assignment, str(inbox))
            log.append(collected.stdout + collected.stderr)
            assert collected.returncode == 0, collected.stdout + collected.stderr

    running = [instructor(course, "grade", *group, "--jobs", "1", "--cell-timeout", str(CELL_TIMEOUT),
                          "--wall-factor", "2", wait=False)
               for course, group in zip(courses, GROUPS)]
    statuses = []
    for process in running:
        output, _ = process.communicate(timeout=1800)
        log.append(output)
        statuses.append(process.returncode)
    (tmp / "class-run.log").write_text("\n".join(log))

    from nbgrader.api import Gradebook

    scores, rows = {}, []
    for assignment in ASSIGNMENTS:
        course = owner[assignment]
        name, _ = source_notebook(assignment)
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "softmax-regression") as gb:
            for sub in gb.assignment_submissions(assignment):
                nb = gb.find_submission_notebook(name, assignment, sub.student.id)
                scores[sub.student.id, assignment] = {g.name: g.score for g in nb.grades}
        with open(course / "grades.csv", newline="") as f:
            rows += [row for row in csv.DictReader(f) if row["assignment"] == assignment]
    return ClassRun(courses, statuses, "\n".join(log), scores, rows)


def part_scores(run: ClassRun, student: str, assignment: str) -> dict[str, float]:
    key = (student, assignment)
    assert key in run.scores, f"no grades for {key}; log:\n{run.log[-3000:]}"
    return run.scores[key]


# -- the source and the release ----------------------------------------------------------------
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_cells_are_in_nbgrader_format(assignment):
    _, nb = source_notebook(assignment)
    keys = {"grade", "grade_id", "locked", "schema_version", "solution", "task"}
    grade_ids = [nbgrader_meta(c)["grade_id"] for c in nb.cells if nbgrader_meta(c)]
    assert len(grade_ids) == len(set(grade_ids))
    tests = [c for c in nb.cells if nbgrader_meta(c).get("grade")]
    solutions = [c for c in nb.cells if nbgrader_meta(c).get("solution")]
    assert 2 <= len(tests) <= 5 and len(solutions) == len(tests)
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if not meta:
            continue
        assert set(meta) - {"points"} == keys and meta["schema_version"] == 3 and meta["task"] is False
        if meta["grade"]:  # a test cell: locked, worth points, with hidden tests that carry the canary
            assert meta["locked"] and not meta["solution"] and meta["points"] > 0
            blocks = re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", cell.source, re.S)
            assert blocks and all(CANARY in block for block in blocks)
            assert cell.source.count("### BEGIN HIDDEN TESTS") == len(blocks) == cell.source.count("### END HIDDEN")
            visible = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", cell.source, flags=re.S)
            assert CANARY not in visible and visible.strip()
        if meta["solution"]:
            assert not meta["locked"] and "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source


def test_every_part_has_two_wrong_answers():
    for assignment in ASSIGNMENTS:
        _, nb = source_notebook(assignment)
        for part in max_points(nb):
            n = sum(m["assignment"] == assignment and m["part"] == part for m in MUTATIONS)
            assert n >= 2, f"{assignment}/{part} has {n} mutation fixtures"


def test_release_has_no_solutions_or_hidden_tests(class_run):
    for assignment in ASSIGNMENTS:
        name, source_nb = source_notebook(assignment)
        text = (class_run.courses[0] / "release" / assignment / f"{name}.ipynb").read_text()
        for marker in (*MARKERS, CANARY, "_chk."):
            assert marker not in text, f"{marker!r} leaked into the release of {assignment}"
        for line in solution_lines(source_nb):
            assert json.dumps(line)[1:-1] not in text, f"solution line {line!r} leaked into {assignment}"
        assert text.count("raise NotImplementedError()") == len(max_points(source_nb))


# -- grading -----------------------------------------------------------------------------------
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_scores_zero_and_solution_full_marks(class_run, assignment):
    _, nb = source_notebook(assignment)
    assert part_scores(class_run, "as-released", assignment) == {part: 0.0 for part in max_points(nb)}
    assert part_scores(class_run, "solved", assignment) == max_points(nb)


@pytest.mark.parametrize("index", range(len(MUTATIONS)), ids=[mutation_student(i) for i in range(len(MUTATIONS))])
def test_wrong_answer_loses_its_part_only(class_run, index):
    m = MUTATIONS[index]
    _, nb = source_notebook(m["assignment"])
    expected = {**max_points(nb), m["part"]: 0.0}
    assert part_scores(class_run, mutation_student(index), m["assignment"]) == expected, m["why"]
    # the feedback names the mistake (test_exercise_diagnoses.py: the same on the other paths)
    from test_exercise_diagnoses import message_of

    (page,) = [p for course in class_run.courses
               for p in (course / "feedback" / mutation_student(index) / m["assignment"]).glob("*.html")]
    assert html.escape(message_of(m), quote=False) in page.read_text(), (m["why"], page)


@pytest.mark.parametrize("case", sorted(ROBUSTNESS_LOSES))
def test_troublesome_submission_is_graded_fairly(class_run, case):
    _, nb = source_notebook(ROBUSTNESS_FIRST)
    full = max_points(nb)
    loses = set(full) if ROBUSTNESS_LOSES[case] == "all" else ROBUSTNESS_LOSES[case]
    expected = {part: 0.0 if part in loses else points for part, points in full.items()}
    assert part_scores(class_run, case, ROBUSTNESS_FIRST) == expected


def test_class_run_reports_the_submissions_that_need_attention(class_run):
    assert class_run.statuses == [3, 0], class_run.log[-3000:]
    listed = dict(((student, assignment), reason) for student, assignment, reason
                  in re.findall(r"^  (\S+) (\S+)  \(submitted/\S+\): (.*)$", class_run.log, re.M))
    assert set(listed) == {("kernel-dies", ROBUSTNESS_FIRST), ("endless-loop", ROBUSTNESS_FIRST),
                           ("first-part-dies", ROBUSTNESS_FIRST), ("rebinds-helpers", ROBUSTNESS_FIRST)}
    # a cell that raised is listed with its points unchanged (it rebinds lecture_lib.functions, absent there)
    assert "cells raised errors when it ran (AttributeError); points are unchanged" in listed["rebinds-helpers", ROBUSTNESS_FIRST]
    assert "process ended" in listed["kernel-dies", ROBUSTNESS_FIRST]
    assert "time limit" in listed["endless-loop", ROBUSTNESS_FIRST]


def test_export_keeps_a_row_for_every_submission(class_run):
    submitted = {(p.parent.name, p.name) for course in class_run.courses
                 for p in (course / "submitted").glob("*/*") if p.is_dir()}
    rows = {(r["student_id"], r["assignment"]): r for r in class_run.csv_rows}
    assert submitted <= set(rows)
    for student, assignment in submitted:
        assert float(rows[student, assignment]["score"]) == sum(part_scores(class_run, student, assignment).values())


def test_feedback_is_written_without_hidden_tests(class_run):
    pages = [p for course in class_run.courses for p in sorted((course / "feedback").glob("*/*/*.html"))]
    graded = [p for course in class_run.courses for p in (course / "autograded").glob("*/*/*.ipynb")]
    assert len(pages) == len(graded) > 40
    for page in pages:
        html = page.read_text()
        for marker in (*MARKERS, CANARY, "_chk"):
            assert marker not in html, f"{marker!r} in {page}"
    loop = (class_run.courses[0] / "feedback" / "endless-loop" / ROBUSTNESS_FIRST / "softmax.html").read_text()
    assert "time limit" in loop
