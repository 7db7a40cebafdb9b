"""The download path: a chapter taken from the site runs in a fresh environment, as a student would run it.

The built site is served on 127.0.0.1. From each chapter's page, and each page of a chapter's section (such
as Newton's method), the test reads the install tip (the wheel link and the one ``pip install`` line),
downloads the wheel and the page's ``.ipynb`` (its download button), creates a fresh virtual environment,
runs exactly that ``pip install`` line in it (pip resolves from the machine's package index;
``requirements.txt`` is passed as constraints so the versions are the course's), and executes every page
there with nbclient: no errors, every figure cell has its image. Nothing of the repository is importable in
that environment: ``lecture_lib`` comes from the wheel.
"""

from __future__ import annotations

import html as html_lib
import json
import os
import re
import shlex
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from course_tools import CHAPTER_PAGES

from .conftest import ROOT, SITE_DIR, StaticServer, require_site

pytestmark = [pytest.mark.browser, pytest.mark.slow]


#: Runs in the fresh environment: executes the notebooks given on the command line, prints a JSON summary.
RUNNER = r'''
import json, sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient
import lecture_lib

summary = {"lecture_lib": lecture_lib.__file__, "notebooks": {}}
for name in sys.argv[1:]:
    path = Path(name)
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    error = None
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    except Exception as exc:  # CellExecutionError carries the traceback
        error = f"{type(exc).__name__}: {exc}"[:3000]
    cells = [{"figure": bool(cell.metadata.get("mystnb", {}).get("figure")),
              "images": sum(bool({"image/png", "image/svg+xml"} & set(o.get("data", {}))) for o in cell.outputs),
              "errors": [o.get("ename") for o in cell.outputs if o.output_type == "error"]}
             for cell in nb.cells if cell.cell_type == "code"]
    summary["notebooks"][path.name] = {"error": error, "cells": cells}
print(json.dumps(summary))
'''


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def install_tip(page_html: str) -> tuple[str, str]:
    """(wheel link, pip command) from a page's 'Run this chapter yourself' (or '... page yourself') tip."""
    tip = re.search(r'<div class="[^"]*\badmonition\b[^"]*">\s*<p class="admonition-title">'
                    r'Run this (?:chapter|page) yourself</p>'
                    r'.*?</div>', page_html, re.S)
    assert tip, "no 'Run this chapter yourself' (or 'Run this page yourself') tip on the page"
    wheel = re.search(r'href="([^"]+\.whl)"', tip.group(0))
    assert wheel, "the tip does not link the wheel"
    codes = [re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", "", c))).strip()
             for c in re.findall(r"<code[^>]*>(.*?)</code>", tip.group(0), re.S)]
    commands = [c for c in codes if c.startswith("pip install ")]
    assert len(commands) == 1, f"the tip must give one pip install command, found {codes}"
    return wheel.group(1), commands[0]


def test_install_tip_parser():
    page = ('<div class="tip admonition"><p class="admonition-title">Run this chapter yourself</p><p>Get the '
            '<a href="../wheels/lecture_lib-9.8.7-py3-none-any.whl">wheel</a>: <code class="literal">'
            '<span class="pre">pip</span> <span class="pre">install</span> <span class="pre">x.whl</span></code></p></div>')
    assert install_tip(page) == ("../wheels/lecture_lib-9.8.7-py3-none-any.whl", "pip install x.whl")
    with pytest.raises(AssertionError, match="no 'Run this chapter yourself'"):
        install_tip("<p>nothing</p>")


@pytest.fixture(scope="module")
def served_site():
    require_site()
    server = StaticServer(SITE_DIR)
    yield server.url
    server.close()


# A fresh environment from the package index, then every chapter: far beyond the default 600 s timeout.
@pytest.mark.timeout(3600)
def test_downloaded_chapters_run_in_a_fresh_environment(served_site, tmp_path):
    work = tmp_path / "student"
    work.mkdir()
    commands, wheels = set(), set()
    for chapter in CHAPTER_PAGES:
        page_url = urllib.parse.urljoin(served_site, f"book/{chapter.stem}.html")
        page = _get(page_url).decode()
        wheel_href, command = install_tip(page)
        commands.add(command)
        wheels.add(urllib.parse.urljoin(page_url, wheel_href))
        download = re.search(rf'href="([^"]*_sources/book/{re.escape(chapter.stem)}\.ipynb)"', page)
        assert download, f"{chapter.stem}: no .ipynb download button"
        (work / f"{chapter.stem}.ipynb").write_bytes(_get(urllib.parse.urljoin(page_url, download.group(1))))
    assert len(wheels) == 1, f"the chapters disagree on the wheel: {wheels}"
    # The chapters share one install line; a chapter may add packages of its own (chapter 7: torch).
    # Run one line that installs everything any chapter asks for (the shared line, then the extras).
    argvs = sorted((shlex.split(c) for c in commands), key=len)
    assert all(a[:3] == argvs[0][:3] for a in argvs), f"the chapters disagree on how to install: {commands}"
    packages = list(dict.fromkeys(word for a in argvs for word in a[2:]))
    wheel_url = wheels.pop()
    (work / wheel_url.rsplit("/", 1)[1]).write_bytes(_get(wheel_url))

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("\n".join(line for line in (ROOT / "requirements.txt").read_text().splitlines()
                                     if line.strip() and not line.startswith(("#", "-"))) + "\n")
    # A student's Python writes bytecode: with PYTHONDONTWRITEBYTECODE (set on some CI machines) each chapter's
    # kernel would compile numpy, scipy, matplotlib and scikit-learn again.
    env = {key: value for key, value in os.environ.items()
           if key not in ("VIRTUAL_ENV", "PYTHONPATH", "MPLBACKEND", "PYTHONDONTWRITEBYTECODE")}
    env.update(PATH=f"{python.parent}{os.pathsep}{env.get('PATH', '')}", PYTHONNOUSERSITE="1")
    argv = ["pip", "install", *packages]
    # --no-compile: the same packages, without writing bytecode for all of them up front (torch's alone is
    # thousands of files); Python compiles what the chapters import when they import it.
    install = subprocess.run([str(python), "-m", *argv, "-q", "--disable-pip-version-check", "--no-compile",
                              "-c", str(constraints)], cwd=work, env=env, capture_output=True, text=True)
    assert install.returncode == 0, f"the chapters' pip install line failed:\n{install.stdout}\n{install.stderr}"

    (work / "runner.py").write_text(RUNNER)
    notebooks = [f"{chapter.stem}.ipynb" for chapter in CHAPTER_PAGES]
    run = subprocess.run([str(python), "runner.py", *notebooks], cwd=work, env=env, capture_output=True, text=True,
                         timeout=1800)
    assert run.returncode == 0, f"the runner failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert Path(summary["lecture_lib"]).resolve().is_relative_to(venv.resolve()), (
        f"lecture_lib came from {summary['lecture_lib']}, not from the wheel installed in the fresh environment")
    problems = []
    for name, result in summary["notebooks"].items():
        if result["error"]:
            problems.append(f"{name}: {result['error']}")
        figures = [cell for cell in result["cells"] if cell["figure"]]
        problems += [f"{name}: a figure cell produced {cell['images']} images" for cell in figures if cell["images"] != 1]
    assert not problems, "\n".join(problems)
    assert sum(cell["figure"] for result in summary["notebooks"].values() for cell in result["cells"]) >= len(
        summary["notebooks"]), "fewer figure cells than pages: the figure check would hardly look at anything"
