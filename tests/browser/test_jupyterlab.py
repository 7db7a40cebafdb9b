"""The chapters in a real JupyterLab, driven by Chromium: what a student sees after *Run All*.

One ``jupyter lab`` server (the course's environment, 127.0.0.1, a token) serves a temporary folder with a
copy of every chapter page (``book/0*.md`` and the sections on pages of their own, from ``_toc.yml``) and of
one exercise notebook, twice: the student release (``exercise_release.ipynb``) and the same notebook with the
instructor's answers filled in (``exercise_solution.ipynb``). Each is opened by double-click in the file
browser (so the chapters must open as notebooks by default), run with *Run All*, and checked once the kernel
is idle:

- no cell of a chapter has an error output;
- every figure cell of the file shows exactly one rendered image, and the Markdown right under it is its caption;
- no rendered Markdown shows raw MyST (``{eval}``, ``{glue``, directives);
- the numbers jupyterlab-myst computed for the ``{eval}`` roles are the numbers the built site shows;
- the exercise's visible tests pass on the solution and fail on the release;
- chapter 1's self-study exercise renders as an exercise block and its solution folded until clicked
  (the same ``{exercise}``/``{solution}`` source as sphinx-exercise on the site);
- saving chapter 1 after its *Run All* (Ctrl+S) writes the file byte for byte as it is in the repository
  (``tests/test_lab_save.py`` checks every page through the contents API, as ``tools/lab_save.py`` saves).

Screenshots go to ``_build/screenshots/jupyterlab/``.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import jupytext
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from course_tools import CHAPTER_PAGES, ONE_THREAD, load_tool

from .conftest import ROOT, SCREENSHOT_DIR, SITE_DIR, require_site, save_screenshot, stop_server, unavailable

# The first test of each part starts a JupyterLab server; a chapter's Run All takes minutes on a busy machine.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(1800)]

BOOK = ROOT / "book"
CHAPTERS = CHAPTER_PAGES
#: The chapter saved with Ctrl+S after its Run All.
SAVED_CHAPTER = CHAPTERS[0]
EXERCISE = "01_modeling/softmax.ipynb"
#: Output types of a figure: the course style shows SVG (lecture_lib.plotting.style), PNG elsewhere.
IMAGE_MIMES = {"image/png", "image/svg+xml"}
#: Raw MyST that must never show in rendered Markdown.
RAW_MYST = ("{eval}", "{glue", "```{", ":::{", "{numref}", "{ref}", "{doc}", "{download}", "{math}")
#: Seconds one notebook may take to run (chapters take 10-60 s on a loaded 2-core machine).
RUN_TIMEOUT_S = 300

#: Reads the open notebook: per cell its type, outputs (type, MIME types), evaluated expressions and rendered text.
READ_NOTEBOOK = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = [];
  panel.content.widgets.forEach((widget) => {
    const model = widget.model;
    const cell = {type: model.type, text: widget.node.innerText, images: widget.node.querySelectorAll(
      '.jp-OutputArea-output img, .jp-RenderedImage img').length};
    if (model.type === 'code') {
      cell.source = model.sharedModel.getSource();
      cell.count = model.executionCount;
      cell.outputs = model.outputs.toJSON().map((o) => ({type: o.output_type, mimes: Object.keys(o.data || {}),
                                                          ename: o.ename || null, evalue: o.evalue || null}));
      cell.metadata = model.metadata;
    } else if (model.type === 'markdown') {
      // jupyterlab-myst renders into its own element next to the (hidden) editor; textContent, because
      // innerText is empty for cells scrolled out of view (content-visibility).
      const rendered = widget.node.querySelector('.jp-InputArea .myst, .jp-RenderedMarkdown');
      cell.rendered = widget.rendered && rendered ? rendered.textContent : null;
      cell.source = model.sharedModel.getSource();
      cell.expressions = (model.getMetadata('user_expressions') || []).map(
        (e) => e.result && e.result.data ? e.result.data['text/plain'] : null);
    }
    cells.push(cell);
  });
  return JSON.stringify(cells);
}"""

#: True once the open notebook's kernel is idle and no cell is queued or running ("[*]").
RUN_FINISHED = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.sessionContext || !panel.sessionContext.session) return false;
  const kernel = panel.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  return !panel.content.widgets.some((w) => w.model.type === 'code' && w.promptNode &&
                                             w.promptNode.textContent.includes('*'));
}"""


#: True once every Markdown cell with {eval} roles shows the value of each (jupyterlab-myst evaluates them in the
#: kernel after the cell runs, and renders the cell again).
EXPRESSIONS_SHOWN = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets.every((widget) => {
    const model = widget.model;
    if (model.type !== 'markdown') return true;
    const wanted = (model.sharedModel.getSource().match(/\\{eval\\}`/g) || []).length;
    if (!wanted) return true;
    const values = (model.getMetadata('user_expressions') || []).map(
      (e) => e.result && e.result.data ? e.result.data['text/plain'] : null);
    const rendered = widget.node.querySelector('.jp-InputArea .myst, .jp-RenderedMarkdown');
    const text = rendered ? rendered.textContent : '';
    return values.length === wanted && values.every((v) => v !== null && text.includes(v));
  });
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    """A JupyterLab server on 127.0.0.1 over a copy of the chapters and one exercise; yields (url, token, folder)."""
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
    for chapter in CHAPTERS:
        shutil.copy2(chapter, root / chapter.name)
    for config in reversed(load_tool("lab_save").config_files()):  # jupytext's settings for the chapters, if any
        shutil.copy2(config, root / config.name)
    shutil.copy2(release, root / "exercise_release.ipynb")
    solution = _solution_notebook(release, ROOT / "exercises" / "source" / EXERCISE)
    (root / "exercise_solution.ipynb").write_text(json.dumps(solution, indent=1))
    port, token = _free_port(), secrets.token_hex(16)
    # A user setting of this server only: no "get notified about Jupyter news?" toast over the screenshots.
    notification = work / "user-settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false"}))
    # One BLAS thread unless the environment says otherwise, as the site's build had (tools/course.py): the
    # numbers compared with the site's then come from the same arithmetic, also when pytest runs on its own.
    env = {**ONE_THREAD, **os.environ, "JUPYTER_CONFIG_DIR": str(work / "config"), "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(work / "user-settings"), "JUPYTERLAB_WORKSPACES_DIR": str(work / "ws"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONNOUSERSITE": "1"}
    env.pop("MPLBACKEND", None)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(work / "jupyterlab.log", "w")
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not start:\n{(work / 'jupyterlab.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield url, token, root
    finally:
        stop_server(server)
        log.close()


def open_notebook(page, lab, name: str) -> None:
    """Open ``name`` by double-click in the file browser and wait until it is a notebook with an idle kernel."""
    url, token, _ = lab
    page.goto(f"{url}/lab?reset&token={token}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.serviceManager", timeout=120_000)
    page.evaluate("() => window.jupyterapp.serviceManager.sessions.shutdownAll()")  # one kernel at a time
    item = page.locator(".jp-DirListing-item", has=page.locator(".jp-DirListing-itemText", has_text=re.compile(
        rf"^{re.escape(name)}$")))
    item.wait_for(timeout=120_000)
    item.dblclick()
    page.wait_for_function(f"""() => {{ const w = window.jupyterapp.shell.currentWidget;
        return w && w.context && w.context.path === {json.dumps(name)} && w.content && w.content.widgets
               && w.content.widgets.length > 0 && w.sessionContext && w.sessionContext.session
               && w.sessionContext.session.kernel && w.sessionContext.session.kernel.status === 'idle'; }}""",
                           timeout=120_000)
    classes = page.evaluate("() => window.jupyterapp.shell.currentWidget.node.className")
    assert "jp-NotebookPanel" in classes, f"{name} did not open as a notebook ({classes})"


def open_and_run_all(page, lab, name: str) -> list[dict]:
    """Open ``name`` by double-click in the file browser, Run All, wait for the kernel; return the cells."""
    open_notebook(page, lab, name)
    # The command's promise settles when the last cell has run; then the kernel may still be evaluating the
    # Markdown cells' expressions.
    page.evaluate("""() => { window.courseRunAll = 'running';
        window.jupyterapp.commands.execute('notebook:run-all-cells').then(
          () => { window.courseRunAll = 'done'; }, () => { window.courseRunAll = 'failed'; }); }""")
    page.wait_for_function(f"() => window.courseRunAll !== 'running' && ({RUN_FINISHED})()",
                           timeout=RUN_TIMEOUT_S * 1000, polling=200)
    try:
        page.wait_for_function(EXPRESSIONS_SHOWN, timeout=30_000, polling=200)
    except PlaywrightTimeout:
        pass  # the test's assertions say which expression is missing
    folder = SCREENSHOT_DIR / "jupyterlab"
    save_screenshot(page, folder / f"{Path(name).stem}.png", full_page=False)
    image = page.locator(".jp-Notebook .jp-OutputArea-output img").first
    if image.count():
        image.scroll_into_view_if_needed()
        save_screenshot(page, folder / f"{Path(name).stem}-figure.png", full_page=False)
    return json.loads(page.evaluate(READ_NOTEBOOK))


def site_numbers(chapter: Path) -> list[str]:
    """The values of the chapter's {eval} roles as the built site shows them, in page order."""
    html = (SITE_DIR / "book" / f"{chapter.stem}.html").read_text(encoding="utf-8")
    import html as html_lib

    return [html_lib.unescape(v) for v in re.findall(r'<span class="output text_plain">(.*?)</span>', html, re.S)]


@pytest.fixture(scope="module")
def lab_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapter_runs_in_jupyterlab_as_on_the_site(lab, lab_page, chapter):
    cells = open_and_run_all(lab_page, lab, chapter.name)
    code = [c for c in cells if c["type"] == "code"]
    errors = [(c["source"].splitlines()[0], o["ename"]) for c in code for o in c["outputs"] if o["type"] == "error"]
    assert not errors, f"{chapter.name}: cells with errors: {errors}"
    assert all(c["count"] for c in code), f"{chapter.name}: not every code cell ran"

    figure_cells = [i for i, c in enumerate(cells) if c["type"] == "code" and (c["metadata"].get("mystnb") or {}).get("figure")]
    in_source = sum(bool((c.metadata.get("mystnb") or {}).get("figure")) for c in jupytext.read(chapter).cells)
    assert len(figure_cells) == in_source, f"{chapter.name}: {len(figure_cells)} figure cells, {in_source} in the file"
    for i in figure_cells:
        images = [o for o in cells[i]["outputs"] if set(o["mimes"]) & IMAGE_MIMES]
        first = cells[i]["source"].splitlines()[-1]
        assert len(images) == 1 and cells[i]["images"] == 1, f"{chapter.name}: figure cell {first!r} shows {cells[i]['images']} images"
        after = cells[i + 1]
        assert after["type"] == "markdown" and (after["rendered"] or "").lstrip().startswith("Figure."), (
            f"{chapter.name}: no caption under the figure of {first!r}")
    all_images = sum(c["images"] for c in code)
    assert all_images == len(figure_cells), f"{chapter.name}: {all_images} images for {len(figure_cells)} figures"

    markdown = [c for c in cells if c["type"] == "markdown"]
    unrendered = [c["source"][:80] for c in markdown if c["rendered"] is None]
    assert not unrendered, f"{chapter.name}: Markdown cells not rendered: {unrendered}"
    raw = sorted({token for c in markdown for token in RAW_MYST if token in c["rendered"]})
    assert not raw, f"{chapter.name}: raw MyST in the rendered Markdown: {raw}"

    numbers = [value for c in markdown for value in c["expressions"]]
    expected = site_numbers(chapter)
    assert None not in numbers, f"{chapter.name}: an {{eval}} expression failed in JupyterLab"
    assert numbers == expected, f"{chapter.name}: JupyterLab shows {numbers}, the site {expected}"
    shown = "\n".join(c["rendered"] for c in markdown)
    missing = [value for value in numbers if value not in shown]
    assert not missing, f"{chapter.name}: computed but not displayed: {missing}"
    if chapter == SAVED_CHAPTER:
        assert_saving_keeps_the_file(lab_page, lab, chapter)


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
