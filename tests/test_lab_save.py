"""A page saved from JupyterLab is byte for byte the page in the repository (``book/authoring.md``).

One JupyterLab server, started by ``tools/lab_save.py`` with ``course.py lab``'s own command line
(:func:`course.lab_command`), serves a copy of every ``book/*.md`` page; each is read and written back
through the server's contents API (jupytext's contents manager) as JupyterLab's save does. Two pages in
an older form run in the same server as controls, so the check is seen to catch what it is for: the
kernelspec as it was written before (``display_name: Python 3``, its keys sorted) and a long ``alt:``
line, and a header key (``mystnb``) that jupytext drops unless the page's ``notebook_metadata_filter``
names it. ``tests/browser/test_jupyterlab.py`` saves a chapter with Ctrl+S in a real JupyterLab.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from course_tools import load_tool

lab_save = load_tool("lab_save")
PAGES = lab_save.pages()
#: The chapter whose older form is a control (it has a figure with a long alt text).
OLD_FORM_OF = lab_save.BOOK / "01_modeling.md"
#: A page whose header holds ``mystnb``, kept by the ``notebook_metadata_filter: mystnb`` of its header.
MYSTNB_PAGE = lab_save.BOOK / "performance.md"


def _front_matter(text: str) -> dict:
    return yaml.safe_load(text.split("---\n", 2)[1])


def _old_form(text: str) -> str:
    """``text`` with its kernelspec and its first wrapped ``alt:`` as they were written before this check."""
    old = re.sub(r"^kernelspec:\n(?:  .*\n)+", "kernelspec:\n  display_name: Python 3\n  language: python\n"
                 "  name: python3\n", text, count=1, flags=re.M)
    return re.sub(r"^(    alt: .*)((?:\n      .*)+)", lambda m: m[1] + m[2].replace("\n      ", " "), old,
                  count=1, flags=re.M)


@pytest.fixture(scope="module")
def saves(tmp_path_factory):
    """name -> (text, text after a save from JupyterLab), for every page and the two controls."""
    if not (lab_save.course.BIN / "jupyter-lab").exists():
        pytest.skip("no course environment: run `python3 tools/course.py build` first")
    texts = {page.name: page.read_text(encoding="utf-8") for page in PAGES}
    texts["control_old_form.md"] = _old_form(texts[OLD_FORM_OF.name])
    texts["control_no_filter.md"] = texts[MYSTNB_PAGE.name].replace("  notebook_metadata_filter: mystnb\n", "")
    after = lab_save.saved(texts, tmp_path_factory.mktemp("lab_save"))
    return {name: (texts[name], after[name]) for name in texts}


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_a_save_from_jupyterlab_changes_nothing(saves, page):
    before, after = saves[page.name]
    assert after == before, (f"saving {page.name} in JupyterLab rewrites it (store it in the saved form: "
                             f"python3 tools/lab_save.py {page.relative_to(lab_save.ROOT)}):\n"
                             + lab_save.diff(page, before, after))


def test_the_check_catches_the_older_form(saves):
    before, after = saves["control_old_form.md"]
    assert before != after and after == saves[OLD_FORM_OF.name][1], (
        "the save must turn the older form into the stored form:\n" + lab_save.diff(Path("old.md"), before, after))
    assert "  display_name: Python 3\n" in before and "  display_name: Python 3 (ipykernel)\n" in after


def test_a_header_key_needs_the_pages_metadata_filter(saves):
    before, after = saves["control_no_filter.md"]
    assert "mystnb" in _front_matter(before) and "mystnb" not in _front_matter(after), (
        "jupytext keeps a header key it does not know although the page does not name it in "
        "notebook_metadata_filter: book/authoring.md's rule can go")
