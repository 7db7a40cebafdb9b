"""The instructor's pages (``instructor.py report`` and ``similarity``) in Chromium, opened from a file.

At 390 px (a phone) and 1280 px: the page is no wider than the viewport and nothing sticks out of it (wide
tables and code scroll inside their own box), it makes no request besides its own file, logs no console
error (a blocked resource would), and axe-core finds no violation at all. The pages are made from the
hand-written class of ``tests/test_grading_analysis.py``, with long and hostile ids.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .conftest import SCREENSHOT_DIR, save_screenshot, unavailable
from .test_layout import AXE, OVERFLOW_JS, run_axe

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "exercises" / "grading"))
sys.path.insert(0, str(ROOT / "tests"))

WIDTHS = (390, 1280)
LONG_ID = "a.very.long.student.login.with.no.spaces.at.all@students.example.org"


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """The item-analysis page and a similarity page, as files."""
    import analysis
    import similarity
    from test_grading_analysis import CLASS, HOSTILE, csv_text

    folder = tmp_path_factory.mktemp("instructor-pages")
    rows = [(LONG_ID if student == "s1" else student + HOSTILE[int(student[1]) % 4], *rest)
            for student, *rest in CLASS]
    (folder / "parts.csv").write_text(csv_text(rows), encoding="utf-8")
    analysis.write_report(folder / "parts.csv", folder / "report.html")
    code = "def softmax(Z):\n    return np.exp(Z - Z.max(axis=-1, keepdims=True)) / np.exp(Z - Z.max(axis=-1, " \
           "keepdims=True)).sum(axis=-1, keepdims=True)  # one long line\n"
    pair = similarity.Pair(LONG_ID, HOSTILE[0], (0.93, 0.88), (code, code), ([(0, 60)], [(0, 60)]))
    (folder / "similarity.html").write_text(
        similarity.similarity_html("01_modeling", [pair], 2, [(HOSTILE[2], "not compared: a test")], 0.5),
        encoding="utf-8")
    return {"report": folder / "report.html", "similarity": folder / "similarity.html"}


def opened(browser, path: Path, width: int, bypass_csp: bool = False):
    """A page showing ``path`` at ``width`` px, with every request and console error it made."""
    context = browser.new_context(viewport={"width": width, "height": 900}, service_workers="block",
                                  bypass_csp=bypass_csp)
    page = context.new_page()
    page.requests, page.errors = [], []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.errors.append(f"uncaught: {exc}"))
    page.goto(path.as_uri(), wait_until="load")
    return context, page


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["report", "similarity"])
def test_page_fits_loads_nothing_and_logs_no_error(browser, pages, name, width):
    context, page = opened(browser, pages[name], width)
    try:
        r = page.evaluate(OVERFLOW_JS)
        assert r["sticking"] == [], f"{name} at {width} px: elements stick out of the viewport: {r['sticking']}"
        assert r["docWidth"] <= r["viewport"], f"{name} at {width} px: the page is {r['docWidth']} px wide"
        assert page.requests == [pages[name].as_uri()], page.requests
        assert page.errors == []
        assert page.evaluate("() => document.scripts.length") == 0
        if width == 390:
            save_screenshot(page, SCREENSHOT_DIR / f"instructor-{name}@390.png")
    finally:
        context.close()


def test_wide_tables_scroll_in_their_own_box(browser, pages):
    """On a phone the parts table is wider than the column: its box scrolls, and can be reached by keyboard."""
    context, page = opened(browser, pages["report"], 390)
    try:
        boxes = page.evaluate("""() => Array.from(document.querySelectorAll('.scroll')).map(b => ({
            scrolls: b.scrollWidth > b.clientWidth + 1, overflow: getComputedStyle(b).overflowX,
            tabindex: b.getAttribute('tabindex'), name: b.getAttribute('aria-label')}))""")
        assert any(b["scrolls"] for b in boxes)
        assert all(b["overflow"] == "auto" and b["tabindex"] == "0" and b["name"] for b in boxes)
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["report", "similarity"])
def test_axe_finds_no_violation(browser, pages, name, width):
    if not AXE.is_file():
        unavailable(f"axe-core is not installed: run `npm ci` in {AXE.parents[2]} "
                    "(python3 tools/course.py test does it)")
    # The page's policy forbids every script, axe's too: this context lets the test inject it.
    context, page = opened(browser, pages[name], width, bypass_csp=True)
    try:
        violations = run_axe(page)
        assert violations == [], f"{name} at {width} px: {violations}"
    finally:
        context.close()
