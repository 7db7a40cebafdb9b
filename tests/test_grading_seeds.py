"""Hidden inputs an open repository does not reveal: drawn from a course secret and the student id.

- :class:`hidden_tests.Seeds` gives the public seeds without a secret, and with one a generator per
  student and seed that is the same on every regrade and differs between students;
- every part's check, run on the reference solution in this process (the solved source notebook's
  answers, the part's stand-ins), passes with the inputs of many students: a secret never makes an
  honest answer fail;
- ``instructor.py secret`` writes a secret only you can read, outside the repository, and
  ``grade --secret-file`` grades with it (full marks for the solution, as with the public seeds).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from lecture_lib.exercises.framework import Failed, run
from lecture_lib.exercises.local import InProcess
from test_exercises import ASSIGNMENTS, EXERCISES, answers, notebook_namespace, source_notebook, total_points

sys.path.insert(0, str(EXERCISES / "grading"))
import hidden_tests  # noqa: E402

SECRET = b"0123456789abcdef0123456789abcdef-test-only"


def test_without_a_secret_the_public_seeds():
    assert np.array_equal(hidden_tests.Seeds().rng(101).normal(size=5), np.random.default_rng(101).normal(size=5))
    assert np.array_equal(hidden_tests.Seeds(None, "ada").rng(101).normal(size=5),
                          hidden_tests.Seeds(None, "bob").rng(101).normal(size=5))


def test_with_a_secret_each_student_has_inputs_of_their_own():
    draw = lambda student, seed=101: hidden_tests.Seeds(SECRET, student).rng(seed).normal(size=5)  # noqa: E731
    assert np.array_equal(draw("ada"), draw("ada"))  # a regrade sees the same inputs
    assert not np.array_equal(draw("ada"), draw("bob"))
    assert not np.array_equal(draw("ada"), draw("ada", 102))
    assert not np.array_equal(draw("ada"), np.random.default_rng(101).normal(size=5))
    other = hidden_tests.Seeds(SECRET[::-1], "ada").rng(101).normal(size=5)
    assert not np.array_equal(draw("ada"), other)


class Recording(InProcess):
    """The in-process caller on the solved notebook, keeping the inputs it sends."""

    def __init__(self, assignment: str, part, seeds: hidden_tests.Seeds):
        super().__init__(notebook_namespace(assignment), part, seeds.rng)
        self.inputs = []

    def __call__(self, name, *args, errors=None):
        self.inputs.append(args)
        return super().__call__(name, *args, errors=errors)

    def raises(self, name, *args):
        self.inputs.append(args)
        return super().raises(name, *args)


def _first_inputs(assignment: str, seeds) -> list:
    part = hidden_tests.PARTS[assignment][0]
    call = Recording(assignment, part, seeds)
    run(part, call)
    return call.inputs


@pytest.mark.parametrize("assignment", ["01_modeling", "04_gradient"])
def test_the_inputs_sent_depend_on_secret_and_student(assignment):
    def same(a, b):
        return all(np.array_equal(np.asarray(u), np.asarray(v)) for x, y in zip(a, b) for u, v in zip(x, y))

    public = _first_inputs(assignment, hidden_tests.Seeds())
    ada, ada_again = (_first_inputs(assignment, hidden_tests.Seeds(SECRET, "ada")) for _ in range(2))
    bob = _first_inputs(assignment, hidden_tests.Seeds(SECRET, "bob"))
    assert same(ada, ada_again) and not same(ada, bob) and not same(ada, public)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_solution_passes_with_every_student_inputs(assignment):
    if assignment == "07_pytorch":
        pytest.importorskip("torch")
    for student in ("ada", "bob", "chen"):
        for part in hidden_tests.PARTS[assignment]:
            try:
                run(part, Recording(assignment, part, hidden_tests.Seeds(SECRET, student)))
            except Failed as failure:
                pytest.fail(f"{assignment} {part.grade_id} fails the solution for {student}: {failure}")


def test_secret_is_made_private_and_outside_the_repository(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text((EXERCISES / "nbgrader_config.py").read_text())
    run = lambda *args: subprocess.run([sys.executable, str(EXERCISES / "instructor.py"), *args, "--course",  # noqa: E731
                                        str(course)], capture_output=True, text=True, timeout=120)
    made = run("secret", str(tmp_path / "keys" / "course.secret"))
    assert made.returncode == 0, made.stderr
    mode = (tmp_path / "keys" / "course.secret").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600 and len((tmp_path / "keys" / "course.secret").read_text().strip()) == 64
    again = run("secret", str(tmp_path / "keys" / "course.secret"))
    assert again.returncode != 0 and "exists already" in again.stderr
    inside = run("secret", str(EXERCISES / "course.secret"))
    assert inside.returncode != 0 and "inside the course repository" in inside.stderr
    assert not (EXERCISES / "course.secret").exists()


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 and not os.environ.get("CI"), reason="grading as root (as CI does)")
def test_grade_with_a_secret_gives_the_solution_full_marks(tmp_path):
    from test_grading_redteam import make_course, put, scores
    from test_exercises import submission

    course = make_course(tmp_path / "course")
    release = subprocess.run([sys.executable, str(EXERCISES / "instructor.py"), "release", "01_modeling",
                              "--course", str(course)], capture_output=True, text=True, timeout=300)
    assert release.returncode == 0, release.stderr
    name, source_nb = source_notebook("01_modeling")
    released = nbformat.read(course / "release" / "01_modeling" / f"{name}.ipynb", 4)
    put(course, {"ada": ("01_modeling", submission(released, answers(source_nb)))})
    secret = tmp_path / "course.secret"
    secret.write_text(SECRET.decode())
    graded = subprocess.run([sys.executable, str(EXERCISES / "instructor.py"), "grade", "01_modeling", "--secret-file",
                             str(secret), "--course", str(course)], capture_output=True, text=True, timeout=600)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert "no course secret" not in graded.stderr
    assert scores(course)["ada", "01_modeling"] == total_points("01_modeling")
