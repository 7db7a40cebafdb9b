"""The instructor's formgrader (issue 22, item 5): ``python3 tools/course.py formgrader`` shows a graded class.

A copy of the course grades a class of two for ``01_modeling`` with ``exercises/instructor.py grade``:
``ada`` answers every part rightly, ``bob`` gives a wrong softmax. Then the instructor's command,
``python3 tools/course.py formgrader --course <copy>``, started from the repository root
(:func:`formgrader.running_formgrader`), serves formgrader; in Chromium, logged in with the token, the
instructor goes from the start page to *Manual Grading*, the assignment, its notebook and ``bob``'s
submission, whose page shows every graded test cell of the notebook (its ``grade_id``) with the score
the grader gave and the cell's points. Nothing is written in the repository: its root and
``exercises/`` gain no file (formgrader started in the wrong folder used to leave a ``gradebook.db``).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from .conftest import unavailable
from .formgrader import log_in, running_formgrader, submission_notebook_id

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1800)]  # grading, then formgrader

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "01_modeling"
#: The class: who submits, and the answers they get wrong (grade_id of the answer cell: source).
WRONG_PART = "softmax-tests"
#: Grader limits (the submissions are small).
LIMITS = ("--cell-timeout", "15", "--notebook-timeout", "120", "--memory-mb", "2048", "--cpu-seconds", "60")
#: Milliseconds any page or table may take on a busy machine.
LOAD_TIMEOUT_MS = 120_000


def files_of(folder: Path) -> set[str]:
    """The names of the files (not folders) directly in ``folder``."""
    return {p.name for p in folder.iterdir() if not p.is_dir()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A copy of the course with ``ada``'s and ``bob``'s submissions of :data:`ASSIGNMENT`, graded."""
    from test_exercises import answers, source_notebook, submission
    from test_grading_redteam import WRONG_SOFTMAX, instructor, make_course, put

    if shutil.which("bwrap") is None:
        unavailable("bubblewrap (bwrap) is not installed: apt-get install bubblewrap (the grader's sandbox)")
    course = make_course(tmp_path_factory.mktemp("formgrader-class") / "course")
    released = instructor(course, "release", ASSIGNMENT)
    assert released.returncode == 0, released.stdout + released.stderr
    name, source_nb = source_notebook(ASSIGNMENT)
    release_nb = nbformat.read(course / "release" / ASSIGNMENT / f"{name}.ipynb", 4)
    solved = answers(source_nb)
    put(course, {"ada": (ASSIGNMENT, submission(release_nb, solved)),
                 "bob": (ASSIGNMENT, submission(release_nb, solved, {"softmax": WRONG_SOFTMAX}))})
    result = instructor(course, "grade", ASSIGNMENT, *LIMITS, "--jobs", "1")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    points = {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
              for c in source_nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    return dict(course=course, notebook=name, points=points)


@pytest.fixture(scope="module")
def formgrader(graded, tmp_path_factory):
    """``course.py formgrader`` on the graded copy: its address, token and log, and ``before``: the files of
    the repository's root and ``exercises/`` before it started."""
    before = {folder: files_of(folder) for folder in (ROOT, ROOT / "exercises")}
    with running_formgrader(graded["course"], tmp_path_factory.mktemp("formgrader")) as server:
        yield dict(server._asdict(), before=before)


@pytest.fixture(scope="module")
def walk(graded, formgrader, browser):
    """The instructor's way to ``bob``'s submission, page by page: what each page showed."""
    url, token = formgrader["url"], formgrader["token"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(LOAD_TIMEOUT_MS)
    seen = {}
    try:
        log_in(page, url, token, then="/")  # the command's start page: formgrader
        page.wait_for_load_state("load")
        seen["start"] = page.url
        page.click("text=Manual Grading")
        page.wait_for_selector(f"#main-table a:text-is('{ASSIGNMENT}')")
        row = page.locator("#main-table tr", has=page.locator(f"a:text-is('{ASSIGNMENT}')"))
        seen["assignment submissions"] = row.locator(".num-submissions").inner_text()
        page.click(f"#main-table a:text-is('{ASSIGNMENT}')")
        page.wait_for_selector(f"#main-table a:text-is('{graded['notebook']}')")
        page.click(f"#main-table a:text-is('{graded['notebook']}')")
        sid = submission_notebook_id(graded["course"], ASSIGNMENT, graded["notebook"], "bob")
        link = f"#main-table a[href$='/formgrader/submissions/{sid}']"
        page.wait_for_selector(link)
        seen["submissions"] = page.locator("#main-table a[href*='/formgrader/submissions/']").count()
        page.locator(link).first.click()
        page.wait_for_selector(".nbgrader_cell input.score")
        # formgrader fills each cell's score in from its API: the grader's as the placeholder, an
        # instructor's own (none yet) as the value
        page.wait_for_function("() => [...document.querySelectorAll('.nbgrader_cell input.score')]"
                               ".every(i => (i.value || i.placeholder) !== '')")
        seen["submission url"] = page.url
        seen["parts"] = page.eval_on_selector_all(
            ".nbgrader_cell .panel-heading",
            "hs => hs.map(h => ({label: (h.querySelector('.nbgrader-label') || {}).textContent || '',"
            " score: (i => i && (i.value || i.placeholder))(h.querySelector('input.score')), text: h.textContent}))")
    finally:
        context.close()
    return seen


def test_the_command_opens_formgrader(walk):
    assert re.search(r"/formgrader(/|$)", walk["start"]), f"course.py formgrader opens {walk['start']}"


def test_the_assignment_lists_the_graded_class(graded, walk):
    count = walk["assignment submissions"].strip()
    assert count == "2", f"the gradebook lists {count!r} submissions of {ASSIGNMENT}"
    assert walk["submissions"] >= 2, "both submissions are listed on the notebook's page"


def test_the_submission_shows_each_part_with_its_score_and_points(graded, walk):
    parts = {p["label"].strip(): p for p in walk["parts"] if p["label"].strip() in graded["points"]}
    assert set(parts) == set(graded["points"]), f"graded cells on bob's page: {[p['label'] for p in walk['parts']]}"
    for grade_id, points in graded["points"].items():
        expected = 0.0 if grade_id == WRONG_PART else points
        assert float(parts[grade_id]["score"]) == expected, (grade_id, parts[grade_id])
        assert re.search(rf"/\s*{points:g}(\.0+)?\b", parts[grade_id]["text"]), (grade_id, parts[grade_id]["text"])


def test_formgrader_writes_nothing_in_the_repository(graded, formgrader, walk):
    """The gradebook formgrader uses is the course copy's; the repository's root and exercises/ gain no file."""
    log = formgrader["log"].read_text(errors="replace")
    assert "not a subdirectory of the notebook server root" not in log, log[-3000:]
    assert (graded["course"] / "gradebook.db").is_file()
    for folder, names in formgrader["before"].items():
        now = files_of(folder)
        assert now <= names, f"formgrader wrote {sorted(now - names)} in {folder}"

