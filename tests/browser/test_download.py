"""The download path: a chapter taken from the site runs in a fresh environment, as a student runs it.

The built site is served on 127.0.0.1. From each chapter's page, and each page of a chapter's section (such
as Newton's method), the test reads the install tip (the wheel link and the one ``pip install`` line),
downloads the wheel and the page's ``.ipynb`` (its download button), creates a fresh virtual environment and
runs exactly that ``pip install`` line in it (pip resolves from the machine's package index;
``requirements.txt`` is passed as constraints so the versions are the course's). Nothing of the repository is
importable in that environment: ``lecture_lib`` comes from the wheel.

The line installs JupyterLab too: each downloaded notebook is opened in that environment's JupyterLab, driven
by Chromium, and run with *Run All*. It must show what the site shows (``lab_driver.assert_chapter_as_on_the_site``:
no error, every figure with its caption, the same numbers). Screenshots go to
``_build/screenshots/jupyterlab-download/``.
"""

from __future__ import annotations

import html as html_lib
import os
import re
import shlex
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from course_tools import CHAPTER_PAGES

from .conftest import ROOT
from .lab_driver import ALL_CELLS_RENDERED, NO_NEWS, assert_chapter_as_on_the_site, lab_server, open_and_run_all

# The first test installs a fresh environment from the package index and starts its JupyterLab: far beyond the
# default 600 s timeout on a busy machine.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1800)]


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


@dataclass
class StudentEnv:
    """The fresh environment: its Python, the folder with the downloaded notebooks, the environment variables."""
    python: Path
    work: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def student_env(site_url, tmp_path_factory) -> StudentEnv:
    """Every chapter's ``.ipynb`` and the wheel downloaded from the served site, and a fresh virtual environment
    in which the pages' ``pip install`` line ran."""
    top = tmp_path_factory.mktemp("download")
    work = top / "student"
    work.mkdir()
    commands, wheels = set(), set()
    for chapter in CHAPTER_PAGES:
        page_url = urllib.parse.urljoin(site_url, f"book/{chapter.stem}.html")
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

    venv = top / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    constraints = top / "constraints.txt"
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
    return StudentEnv(python, work, env)


def test_lecture_lib_comes_from_the_wheel(student_env):
    where = subprocess.run([str(student_env.python), "-c", "import lecture_lib; print(lecture_lib.__file__)"],
                           cwd=student_env.work, env=student_env.env, capture_output=True, text=True)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).resolve().is_relative_to(student_env.python.parent.parent.resolve()), (
        f"lecture_lib came from {where.stdout.strip()}, not from the wheel installed in the fresh environment")


@pytest.fixture(scope="module")
def student_lab(student_env, tmp_path_factory):
    """The fresh environment's JupyterLab over the downloaded notebooks, every cell rendered when a notebook opens
    (:data:`~lab_driver.ALL_CELLS_RENDERED`, as in the course's JupyterLab)."""
    with lab_server(student_env.python, student_env.work, tmp_path_factory.mktemp("student-lab"),
                    student_env.env, settings={**NO_NEWS, **ALL_CELLS_RENDERED}) as lab:
        yield lab


@pytest.mark.parametrize("chapter", CHAPTER_PAGES, ids=[c.stem for c in CHAPTER_PAGES])
def test_downloaded_chapter_runs_in_jupyterlab_as_on_the_site(student_lab, lab_page, chapter):
    name = f"{chapter.stem}.ipynb"
    cells = open_and_run_all(lab_page, student_lab, name, screenshots="jupyterlab-download")
    assert_chapter_as_on_the_site(cells, chapter, name)
