"""JupyterLab driven by Chromium, for the browser tests that run the chapters as a student does.

A server on 127.0.0.1 (:func:`lab_server`), a notebook opened by double-click in the file browser and run with
*Run All* (:func:`open_and_run_all`), what the notebook then shows (:data:`READ_NOTEBOOK`), and the checks
every chapter must pass there (:func:`assert_chapter_as_on_the_site`). Two tests use them:
``test_jupyterlab.py`` (the repository's chapter and an exercise, in the course's environment) and
``test_download.py`` (every chapter downloaded from the site, in a fresh environment made from the install line
its page gives).
"""

from __future__ import annotations

import contextlib
import html as html_lib
import json
import os
import re
import secrets
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import jupytext
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from course_tools import ONE_THREAD, free_port

from .conftest import SCREENSHOT_DIR, SITE_DIR, save_screenshot, stop_server

#: Output types of a figure: the course style shows SVG (lecture_lib.plotting.style), PNG elsewhere.
IMAGE_MIMES = {"image/png", "image/svg+xml"}
#: Raw MyST that must never show in rendered Markdown.
RAW_MYST = ("{eval}", "{glue", "```{", ":::{", "{numref}", "{ref}", "{doc}", "{download}", "{math}")
#: Seconds one notebook may take to run (chapters take 10-60 s on a loaded 2-core machine).
RUN_TIMEOUT_S = 300
#: A user setting of every test server (in its own settings folder): no "get notified about Jupyter news?" toast
#: over the screenshots.
NO_NEWS = {"@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"}}
#: Every cell rendered when a notebook opens, as the course's ``lab`` task sets it in the course's environment
#: (tools/course.py, LAB_OVERRIDES): jupyterlab-myst evaluates a Markdown cell's {eval} roles only once the cell
#: is rendered. A fresh environment has no such setting; its server gets it as a user setting.
ALL_CELLS_RENDERED = {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"}}

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

#: Closes every document in the main area as it is (a notebook that ran is "dirty": its save dialog is
#: skipped), and shuts down every kernel.
CLOSE_ALL = """async () => {
  const app = window.jupyterapp;
  for (const widget of Array.from(app.shell.widgets('main'))) {
    if (widget.context) { widget.context.model.dirty = false; }
    widget.close();
  }
  await app.serviceManager.sessions.shutdownAll();
}"""


@contextlib.contextmanager
def lab_server(python: Path, root: Path, work: Path, env: dict[str, str],
               settings: dict[str, dict] = NO_NEWS) -> Iterator[tuple[str, str, Path]]:
    """``python -m jupyterlab`` (the JupyterLab of ``python``'s environment) on 127.0.0.1 with a token, serving
    ``root``; its configuration, runtime files, user ``settings`` and workspaces in ``work``.

    ``env`` is the server's environment (its kernels inherit it), to which the paths above are added, and one
    BLAS thread unless ``env`` says otherwise, as the site's build had (tools/course.py): the numbers compared
    with the site's come from the same arithmetic, also when pytest runs on its own.
    Yields ``(url, token, root)``; the server stops on exit.
    """
    for name, values in settings.items():
        path = work / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = {**ONE_THREAD, **env, "JUPYTER_CONFIG_DIR": str(work / "config"), "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(work / "user-settings"), "JUPYTERLAB_WORKSPACES_DIR": str(work / "ws"),
           "PATH": f"{python.parent}{os.pathsep}{env.get('PATH', '')}", "PYTHONNOUSERSITE": "1"}
    env.pop("MPLBACKEND", None)
    cmd = [str(python), "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log_path = work / "jupyterlab.log"
    with open(log_path, "w") as log:
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
                        pytest.fail(f"jupyter lab did not start:\n{log_path.read_text()[-3000:]}")
                    time.sleep(0.5)
            yield url, token, root
        finally:
            stop_server(server)


def open_notebook(page, lab, name: str) -> None:
    """Open ``name`` by double-click in the file browser and wait until it is a notebook with an idle kernel.

    The first time, JupyterLab loads with a reset workspace; then each notebook is closed and its kernel shut
    down before the next opens (one kernel at a time), in the same page: loading JupyterLab again would take
    seconds per notebook.
    """
    url, token, _ = lab
    if not page.url.startswith(f"{url}/lab"):
        page.goto(f"{url}/lab?reset&token={token}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.serviceManager", timeout=120_000)
    page.evaluate(CLOSE_ALL)
    # (JupyterLab shows its launcher in an empty main area.)
    page.wait_for_function("() => !Array.from(window.jupyterapp.shell.widgets('main')).some((w) => w.context)",
                           timeout=30_000)
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


def open_and_run_all(page, lab, name: str, screenshots: str = "jupyterlab") -> list[dict]:
    """Open ``name`` by double-click in the file browser, Run All, wait for the kernel; return the cells.
    Screenshots go to ``<screenshots folder>/<screenshots>/``."""
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
    folder = SCREENSHOT_DIR / screenshots
    save_screenshot(page, folder / f"{Path(name).stem}.png", full_page=False)
    image = page.locator(".jp-Notebook .jp-OutputArea-output img").first
    if image.count():
        image.scroll_into_view_if_needed()
        save_screenshot(page, folder / f"{Path(name).stem}-figure.png", full_page=False)
    return json.loads(page.evaluate(READ_NOTEBOOK))


def site_numbers(chapter: Path) -> list[str]:
    """The values of the chapter's {eval} roles as the built site shows them, in page order."""
    page = (SITE_DIR / "book" / f"{chapter.stem}.html").read_text(encoding="utf-8")
    return [html_lib.unescape(v) for v in re.findall(r'<span class="output text_plain">(.*?)</span>', page, re.S)]


def assert_chapter_as_on_the_site(cells: list[dict], chapter: Path, name: str) -> None:
    """What a chapter (``chapter``: its source in ``book/``) shows after *Run All* in JupyterLab, as ``cells``
    (:data:`READ_NOTEBOOK`) of the notebook ``name``:

    - no cell has an error output, and every code cell ran;
    - every figure cell (as many as in the source) shows exactly one image, and the Markdown right under it is
      its caption ("Figure. ...");
    - every Markdown cell is rendered, and none shows raw MyST;
    - the values jupyterlab-myst computed for the ``{eval}`` roles are the numbers the built site shows, and
      each is displayed.
    """
    code = [c for c in cells if c["type"] == "code"]
    errors = [(c["source"].splitlines()[0], o["ename"]) for c in code for o in c["outputs"] if o["type"] == "error"]
    assert not errors, f"{name}: cells with errors: {errors}"
    assert all(c["count"] for c in code), f"{name}: not every code cell ran"

    figure_cells = [i for i, c in enumerate(cells)
                    if c["type"] == "code" and (c["metadata"].get("mystnb") or {}).get("figure")]
    in_source = sum(bool((c.metadata.get("mystnb") or {}).get("figure")) for c in jupytext.read(chapter).cells)
    assert len(figure_cells) == in_source, f"{name}: {len(figure_cells)} figure cells, {in_source} in {chapter.name}"
    for i in figure_cells:
        images = [o for o in cells[i]["outputs"] if set(o["mimes"]) & IMAGE_MIMES]
        first = cells[i]["source"].splitlines()[-1]
        assert len(images) == 1 and cells[i]["images"] == 1, (
            f"{name}: figure cell {first!r} shows {cells[i]['images']} images")
        after = cells[i + 1]
        assert after["type"] == "markdown" and (after["rendered"] or "").lstrip().startswith("Figure."), (
            f"{name}: no caption under the figure of {first!r}")
    all_images = sum(c["images"] for c in code)
    assert all_images == len(figure_cells), f"{name}: {all_images} images for {len(figure_cells)} figures"

    markdown = [c for c in cells if c["type"] == "markdown"]
    unrendered = [c["source"][:80] for c in markdown if c["rendered"] is None]
    assert not unrendered, f"{name}: Markdown cells not rendered: {unrendered}"
    raw = sorted({token for c in markdown for token in RAW_MYST if token in c["rendered"]})
    assert not raw, f"{name}: raw MyST in the rendered Markdown: {raw}"

    numbers = [value for c in markdown for value in c["expressions"]]
    expected = site_numbers(chapter)
    assert None not in numbers, f"{name}: an {{eval}} expression failed in JupyterLab"
    assert numbers == expected, f"{name}: JupyterLab shows {numbers}, the site {expected}"
    shown = "\n".join(c["rendered"] for c in markdown)
    missing = [value for value in numbers if value not in shown]
    assert not missing, f"{name}: computed but not displayed: {missing}"
