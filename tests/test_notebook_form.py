"""The chapter form's helpers: ``lecture_lib.formatting``, ``tools/notebook_pages.py``, the JupyterLab settings
written by ``tools/course.py``, and what the built site makes of the chapters (numbers, captions, no raw roles).

The site checks read ``_build/html`` (or ``COURSE_SITE_DIR``); without a built site they are skipped, except
on CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from lecture_lib.formatting import Formatted, fmt

ROOT = Path(__file__).resolve().parent.parent
SITE_DIR = Path(os.environ.get("COURSE_SITE_DIR", ROOT / "_build" / "html")).resolve()
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_chapters import NOTEBOOK_PAGES, _cells  # noqa: E402


def _load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- lecture_lib.formatting ---


@pytest.mark.parametrize(("value", "spec", "text"), [
    (0.6590011388859679, ".4f", "0.6590"), (np.float64(1.234e-15), ".1e", "1.2e-15"), (np.float32(0.5), ".0%", "50%"),
    (1000, "", "1000"), (np.array(2.5), ".2f", "2.50"), (np.int64(12345), ",", "12,345"), (100.0, "g", "100"), ("OpenBLAS 0.3.29", "", "OpenBLAS 0.3.29"),
])
def test_fmt_shows_the_formatted_text_everywhere(value, spec, text):
    shown = fmt(value, spec)
    assert isinstance(shown, Formatted)
    assert str(shown) == repr(shown) == text
    assert shown == text and (shown.value is value or value.ndim == 0 and shown.value == value[()])
    from IPython.lib.pretty import pretty

    assert pretty(shown) == text  # what IPython's text/plain shows (myst-nb and jupyterlab-myst render that)
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(shown)
    assert data == {"text/plain": text}, "one representation only: both renderers show the same text"


@pytest.mark.parametrize(("value", "spec", "error", "match"), [
    (True, "", TypeError, "value must be a real number"),
    (np.array([0.5]), ".2f", TypeError, "value must be a real number .* got ndarray"),
    (np.array(True), "", TypeError, "got ndarray"), (np.bool_(True), "", TypeError, "got bool"),
    ([0.5], "", TypeError, "got list"),
    (0.5, 4, TypeError, "spec must be a format specification"),
    (0.5, ".4q", ValueError, "spec '.4q' is not a valid format specification"),
    ("text", ".2f", ValueError, "spec '.2f' is not a valid"),
])
def test_fmt_rejects_bad_input(value, spec, error, match):
    with pytest.raises(error, match=match):
        fmt(value, spec)


# --- tools/notebook_pages.py: the repository setting ---


def test_no_repository_turns_off_every_button_that_links_to_it():
    pages = _load_tool("notebook_pages")
    configured = {"repository_url": "", "use_repository_button": True, "use_multitoc_numbering": True,
                  "launch_buttons": {"notebook_interface": "jupyterlab", "binderhub_url": "https://mybinder.org",
                                     "colab_url": "https://colab.research.google.com", "thebe": True}}
    options = pages.repository_settings(configured)
    assert "repository_url" not in options
    assert not options["use_repository_button"] and not options["use_issues_button"]
    assert not options["use_edit_page_button"]
    assert options["launch_buttons"] == {"notebook_interface": "jupyterlab"}
    assert options["use_multitoc_numbering"] is True
    assert configured["launch_buttons"]["binderhub_url"], "the configuration itself is not changed"


def test_a_repository_turns_the_buttons_on():
    pages = _load_tool("notebook_pages")
    configured = {"repository_url": "https://github.com/org/course",
                  "launch_buttons": {"notebook_interface": "jupyterlab", "binderhub_url": "https://mybinder.org"}}
    options = pages.repository_settings(configured)
    assert options["repository_url"] == "https://github.com/org/course"
    assert options["use_repository_button"] and options["use_issues_button"]
    assert options["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert pages.repository_settings({**configured, "use_issues_button": False})["use_issues_button"] is False


# --- tools/course.py: JupyterLab opens chapters as notebooks ---


def test_lab_settings_open_markdown_as_notebooks(tmp_path):
    course = _load_tool("course")
    path = tmp_path / "settings" / "overrides.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}))
    course.write_lab_settings(path)
    settings = json.loads(path.read_text())
    viewers = settings["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers == {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}
    assert settings["@jupyterlab/notebook-extension:tracker"] == {"windowingMode": "none"}, (
        "every Markdown cell must render (and so evaluate its {eval}s) on Run All")
    assert settings["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}, "other settings kept"
    assert course.LAB_OVERRIDES_FILE == ROOT / ".venv" / "share" / "jupyter" / "lab" / "settings" / "overrides.json"


# --- what the site shows ---


def _site_page(chapter: Path) -> str:
    page = SITE_DIR / "book" / f"{chapter.stem}.html"
    if not page.is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"no built site in {SITE_DIR} (CI=true)", pytrace=False)
        pytest.skip(f"no built site in {SITE_DIR}: run `python3 tools/course.py build`")
    return page.read_text(encoding="utf-8")


@pytest.mark.parametrize("chapter", NOTEBOOK_PAGES, ids=[c.stem for c in NOTEBOOK_PAGES])
def test_site_shows_numbers_and_captioned_figures(chapter):
    html = _site_page(chapter)
    prose = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)  # the page's text, not its code
    text = re.sub(r"<[^>]+>", "", prose)
    for raw in ("{eval}", "{glue", "fmt(", "**Figure.**", ":::{"):
        assert raw not in text, f"{chapter.stem}: raw {raw!r} on the page"
    assert "output text_plain" in html or not re.search(r"\{eval\}", chapter.read_text()), "no evaluated number"
    assert not re.search(r"<span class=\"output text_plain\">'", html), f"{chapter.stem}: a number shown with quotes"
    figure_cells = [cell for cell in _cells(chapter.read_text(encoding="utf-8")) if cell.figure]
    figures = re.findall(r"<figure[^>]*id=\"(fig-[^\"]+)\".*?</figure>", html, re.S)
    assert figures == [cell.figure["name"] for cell in figure_cells], f"{chapter.stem}: figures on the page"
    for block in re.findall(r"<figure.*?</figure>", html, re.S):
        assert "<figcaption" in block and "<img" in block, f"{chapter.stem}: a figure without image or caption"
