"""The built site shows the student release of every exercise and nothing of the sources.

Reads ``_build/html`` (built by ``tools/course.py test`` before pytest runs); skipped when there
is no built site.
"""

from __future__ import annotations

import json
import re
import runpy
from pathlib import Path

import nbformat
import pytest

from test_exercises import solution_lines

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
SOURCE = ROOT / "exercises" / "source"
CANARY = runpy.run_path(str(ROOT / "exercises" / "autograde_checks.py"))["CANARY"]
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS", CANARY)

pytestmark = pytest.mark.skipif(not (SITE / "index.html").exists(),
                                reason=f"no built site in {SITE}: run `python3 tools/course.py build` first")


def site_files():
    return [p for p in SITE.rglob("*") if p.is_file() and p.suffix in {".html", ".ipynb", ".md", ".txt", ".js", ".py"}]


def all_solution_lines() -> list[str]:
    """The distinctive solution lines of every exercise source (one extractor: test_exercises')."""
    return [line for path in sorted(SOURCE.glob("*/*.ipynb")) for line in solution_lines(nbformat.read(path, 4))]


def test_no_solution_or_hidden_test_reaches_the_site():
    files = site_files()
    assert files
    lines = all_solution_lines()
    for path in files:
        text = path.read_text(errors="replace")
        for marker in MARKERS:
            assert marker not in text, f"{marker!r} is in {path.relative_to(SITE)}"
        if path.suffix == ".ipynb" and ("exercises" in path.parts or "_downloads" in path.parts):
            # the exercise notebooks students download: no solution line either (the chapters may
            # legitimately show a line such as `Z = X @ W + b`, so they are not searched for them)
            leaked = [line for line in lines if json.dumps(line)[1:-1] in text]
            assert not leaked, f"solution lines in {path.relative_to(SITE)}: {leaked[:3]}"


def test_every_exercise_has_a_page_and_a_download():
    for source in sorted(SOURCE.glob("*/*.ipynb")):
        page = SITE / "_exercises" / source.parent.name / f"{source.stem}.html"
        assert page.exists(), f"no page for {source.parent.name}: is it listed in _toc.yml?"
        text = re.sub(r"<[^>]+>", "", page.read_text())  # visible text: highlighting splits code into spans
        assert "raise NotImplementedError()" in text  # the release, not the solution
        downloads = list((SITE / "_downloads").glob(f"*/{source.name}"))
        assert downloads, f"no download of {source.name}"
        for download in downloads:
            assert all(marker not in download.read_text() for marker in MARKERS)


def test_exercise_pages_have_no_dead_launch_button():
    """The release notebooks are generated, not in the repository: a Binder link to them would 404."""
    chapter = (SITE / "book" / "01_modeling.html").read_text()
    import yaml

    if yaml.safe_load((ROOT / "_config.yml").read_text())["repository"].get("url"):
        assert "mybinder.org" in chapter  # the chapters keep theirs, so the check below can fail
    # (without repository.url no page has a launch button: tests/test_site.py checks that)
    for source in sorted(SOURCE.glob("*/*.ipynb")):
        page = SITE / "_exercises" / source.parent.name / f"{source.stem}.html"
        assert "mybinder.org" not in page.read_text(), f"{page.name} links to Binder"


def test_the_archive_holds_exactly_the_release_notebooks():
    """The exercises page links one .zip: every release notebook (as on its page's download), nothing else."""
    import html
    import zipfile

    exercises_page = (SITE / "book" / "exercises.html").read_text()
    links = [html.unescape(h) for h in re.findall(r'href="([^"]+\.zip)"', exercises_page)]
    assert len(links) == 1, f"the exercises page links {links}, not one archive"
    archive = (SITE / "book" / links[0]).resolve()
    assert archive.is_file() and archive.is_relative_to(SITE), f"the link {links[0]} leads nowhere"
    expected = {f"{p.parent.name}/{p.name}" for p in SOURCE.glob("*/*.ipynb")}
    lines = all_solution_lines()
    with zipfile.ZipFile(archive) as zf:
        assert sorted(zf.namelist()) == sorted(expected)
        for name in zf.namelist():
            text = zf.read(name).decode()
            assert "raise NotImplementedError()" in text, f"{name}: not the release"
            assert [m for m in MARKERS if m in text] == [], f"{name} holds a solution or hidden-test marker"
            assert [line for line in lines if json.dumps(line)[1:-1] in text] == [], f"{name} holds a solution line"
            downloads = list((SITE / "_downloads").glob(f"*/{Path(name).name}"))
            assert [d.read_text() for d in downloads] == [text], f"{name} differs from its page's download"
