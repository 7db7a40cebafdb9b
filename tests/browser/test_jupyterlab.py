"""A chapter and an exercise in the course's JupyterLab, driven by Chromium: what a student sees after *Run All*.

One ``jupyter lab`` server (the course's environment, 127.0.0.1, a token) serves a temporary folder with a
copy of chapter 1 (MyST Markdown, as in the repository) and of one exercise notebook, twice: the student
release (``exercise_release.ipynb``) and the same notebook with the instructor's answers filled in
(``exercise_solution.ipynb``). Each is opened by double-click in the file browser (so the chapters must open as
notebooks by default, with jupytext), run with *Run All*, and checked once the kernel is idle:

- the chapter shows what the site shows (``lab_driver.assert_chapter_as_on_the_site``: no error, every figure
  with its caption, no raw MyST, the numbers of its ``{eval}`` roles); ``test_download.py`` checks every
  chapter so, downloaded from the site into a fresh environment;
- saving the chapter after its *Run All* (Ctrl+S) writes the file byte for byte as it is in the repository
  (``tests/test_lab_save.py`` checks every page through the contents API, as ``tools/lab_save.py`` saves);
- the exercise's visible tests pass on the solution and fail on the release;
- chapter 1's self-study exercise renders as an exercise block and its solution folded until clicked
  (the same ``{exercise}``/``{solution}`` source as sphinx-exercise on the site).

Screenshots go to ``_build/screenshots/jupyterlab/``.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

from course_tools import CHAPTER_PAGES, load_tool

from .conftest import ROOT, require_site, unavailable
from .lab_driver import assert_chapter_as_on_the_site, lab_server, open_and_run_all, open_notebook

# The first test starts a JupyterLab server; a chapter's Run All takes minutes on a busy machine.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(1800)]

BOOK = ROOT / "book"
#: The chapter run and saved with Ctrl+S.
SAVED_CHAPTER = CHAPTER_PAGES[0]
EXERCISE = "01_modeling/softmax.ipynb"


def _solution_notebook(release: Path, source: Path) -> dict:
    """The release notebook with each answer cell replaced by the instructor's answer (same grade_id)."""
    answers = {}
    for cell in json.loads(source.read_text())["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            answers[meta["grade_id"]] = cell["source"]
    nb = json.loads(release.read_text())
    replaced = 0
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if cell["metadata"].get("nbgrader", {}).get("solution") and grade_id in answers:
            cell["source"] = answers[grade_id]
            replaced += 1
    assert replaced, f"no answer cell of {release} found in {source}"
    return nb


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 over a copy of chapter 1 and one exercise; yields (url, token, folder)."""
    require_site()  # the numbers are compared with the built site (which also generated the release)
    settings = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    if not settings.is_file() or "Jupytext Notebook" not in settings.read_text():
        unavailable(f"{settings} does not make chapters open as notebooks: run `python3 tools/course.py lab` "
                    "or `python3 tools/course.py build` once (they write it)")
    release = ROOT / "_exercises" / EXERCISE
    if not release.is_file():
        unavailable(f"no student release {release}: `python3 tools/course.py build` generates it")
    work = tmp_path_factory.mktemp("jupyterlab")
    root = work / "course"
    root.mkdir()
    shutil.copy2(SAVED_CHAPTER, root / SAVED_CHAPTER.name)
    for config in reversed(load_tool("lab_save").config_files()):  # jupytext's settings for the chapters, if any
        shutil.copy2(config, root / config.name)
    shutil.copy2(release, root / "exercise_release.ipynb")
    solution = _solution_notebook(release, ROOT / "exercises" / "source" / EXERCISE)
    (root / "exercise_solution.ipynb").write_text(json.dumps(solution, indent=1))
    with lab_server(Path(sys.executable), root, work, dict(os.environ)) as server:
        yield server


def test_chapter_runs_in_jupyterlab_as_on_the_site_and_saves_unchanged(lab, lab_page):
    cells = open_and_run_all(lab_page, lab, SAVED_CHAPTER.name)
    assert_chapter_as_on_the_site(cells, SAVED_CHAPTER, SAVED_CHAPTER.name)
    assert_saving_keeps_the_file(lab_page, lab, SAVED_CHAPTER)


def assert_saving_keeps_the_file(page, lab, chapter: Path) -> None:
    """Ctrl+S on the open notebook (run, so with outputs and evaluated {eval}s) rewrites the chapter's copy
    with the same bytes as the repository's chapter."""
    copy = lab[2] / chapter.name
    before = copy.stat().st_mtime_ns
    page.evaluate("() => window.jupyterapp.shell.currentWidget.content.node.focus()")
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=60_000)
    deadline = time.monotonic() + 30
    while copy.stat().st_mtime_ns == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert copy.stat().st_mtime_ns != before, f"Ctrl+S did not save {chapter.name}"
    saved, stored = copy.read_bytes(), chapter.read_bytes()
    assert saved == stored, (f"saving {chapter.name} in JupyterLab rewrites it (python3 tools/lab_save.py "
                             f"book/{chapter.name} stores it in the saved form):\n" + "".join(difflib.unified_diff(
                                 stored.decode().splitlines(True), saved.decode().splitlines(True), n=1)))


def test_exercise_visible_tests_pass_on_the_solution(lab, lab_page):
    cells = open_and_run_all(lab_page, lab, "exercise_solution.ipynb")
    code = [c for c in cells if c["type"] == "code"]
    errors = [(c["source"].splitlines()[0], o["ename"]) for c in code for o in c["outputs"] if o["type"] == "error"]
    assert not errors, f"visible tests fail on the instructor's answers: {errors}"
    tests = [c for c in code if (c["metadata"].get("nbgrader") or {}).get("grade")]
    assert tests and all(c["count"] for c in tests), "the visible test cells did not run"


def test_exercise_visible_tests_fail_on_the_release(lab, lab_page):
    cells = open_and_run_all(lab_page, lab, "exercise_release.ipynb")
    code = [c for c in cells if c["type"] == "code"]
    assert code[0]["count"] and not code[0]["outputs"], "the setup cell runs cleanly (the notebook is ready to work)"
    failed = [c for c in code if any(o["type"] == "error" for o in c["outputs"])]
    assert failed, "the release passes its own tests: the answers are not removed"
    first = failed[0]
    assert (first["metadata"].get("nbgrader") or {}).get("grade"), "the first failure must be a test cell"
    # the cell's check calls the stub: it says the function is not written yet
    assert any("is not written yet (it raises NotImplementedError)" in o["evalue"]
               for o in first["outputs"] if o["type"] == "error"), first["outputs"]


#: The exercise blocks and folded blocks jupyterlab-myst rendered in the open notebook's Markdown cells.
EXERCISE_BLOCKS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const shown = (el) => !!el && el.checkVisibility() && el.getBoundingClientRect().height > 0;
  const blocks = {exercises: [], folded: []};
  panel.content.widgets.forEach((widget) => {
    if (widget.model.type !== 'markdown' || !widget.rendered) return;
    widget.node.querySelectorAll('.myst aside.myst-exercise, .myst .myst-exercise').forEach((el) => {
      blocks.exercises.push({id: el.id, cls: el.className.split(' ')[0], tag: el.tagName.toLowerCase(),
                             title: (el.querySelector('.myst-exercise-title') || el).textContent.trim().slice(0, 80)});
    });
    widget.node.querySelectorAll('.myst details').forEach((el) => {
      const summary = el.querySelector(':scope > summary');
      const body = Array.from(el.children).filter((c) => c.tagName !== 'SUMMARY');
      blocks.folded.push({cls: el.className.split(' ')[0], open: el.open, id: el.id,
                          summary: summary ? summary.textContent.trim().slice(0, 80) : null,
                          bodyShown: body.some(shown), text: body.map((c) => c.textContent).join(' ').slice(0, 60)});
    });
  });
  return blocks;
}"""


def test_exercise_block_and_folded_solution_in_jupyterlab(lab, lab_page):
    """Chapter 1's {exercise} renders as an exercise block, and its {solution} (``:class: dropdown``) as a
    folded block: closed, its body hidden, until its summary is clicked."""
    open_notebook(lab_page, lab, "01_modeling.md")
    lab_page.wait_for_function("() => document.querySelector('.jp-Notebook .myst .myst-exercise')", timeout=60_000)
    blocks = lab_page.evaluate(EXERCISE_BLOCKS)
    labels = re.findall(r"^`{3,}\{exercise\}[^\n]*\n:label: (\S+)$", (BOOK / "01_modeling.md").read_text(), re.M)
    assert labels, "chapter 1 has no {exercise} block"
    exercises = [b for b in blocks["exercises"] if b["tag"] == "aside"]
    assert [(b["id"], b["title"]) for b in exercises] == [(label, f"Exercise {n}") for n, label in
                                                         enumerate(labels, 1)], (
        f"chapter 1's exercises are not rendered as exercise blocks: {blocks}")
    solutions = [b for b in blocks["folded"] if b["summary"] and b["summary"].startswith("Solution to Exercise")]
    assert [b["summary"].replace("\xa0", " ") for b in solutions] == [
        f"Solution to Exercise {n}" for n in range(1, len(labels) + 1)], (
        f"chapter 1's solutions are not rendered as folded blocks: {blocks}")
    for solution in solutions:
        assert not solution["open"] and not solution["bodyShown"], f"a solution starts open: {solution}"
    summary = lab_page.locator(".jp-Notebook .myst details > summary", has_text="Solution to Exercise").first
    summary.scroll_into_view_if_needed()
    summary.click()
    opened = [b for b in lab_page.evaluate(EXERCISE_BLOCKS)["folded"] if b["summary"] == solutions[0]["summary"]]
    assert opened and opened[0]["open"] and opened[0]["bodyShown"], f"a click does not open the solution: {opened}"
    assert opened[0]["text"].startswith("Divide the numerator")
