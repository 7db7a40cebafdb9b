"""The feedback page names each part by its title and shows the statements' math as MathML, with no script.

For every exercise: the title of each part is the ``## `` heading of the statement before the
answer cell that the part's test cell grades (checked against the heading's own "Part N" and
"(N points)"), and the feedback page of a solved submission shows those titles and renders every
``$...$`` and ``$$...$$`` as MathML: no TeX is left in its visible text, and no ``_`` of a formula
became italics. The MathML passes the sanitiser; nothing that runs or loads does.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import nbformat
import pytest

from test_exercises import answers, nbgrader_meta, submission

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "exercises" / "grading"))

import checker  # noqa: E402
import report  # noqa: E402

SOURCES = sorted((ROOT / "exercises" / "source").glob("*/*.ipynb"))


def graded_parts(nb) -> list[tuple[str, float]]:
    return [(nbgrader_meta(c)["grade_id"], nbgrader_meta(c)["points"]) for c in nb.cells if nbgrader_meta(c).get("grade")]


def visible_text(page: str) -> str:
    body = page.split("<body>", 1)[1]
    return html.unescape(re.sub(r"<[^>]+>", "", body))


def feedback_page(path: Path) -> tuple[str, nbformat.NotebookNode]:
    """The feedback page of the solution of ``path`` (full marks), as ``instructor.py grade`` writes it."""
    source_nb = nbformat.read(path, as_version=4)
    student_nb = submission(source_nb, answers(source_nb))
    parts = [checker.PartResult(grade_id, points, points, "all checks passed") for grade_id, points in graded_parts(source_nb)]
    result = checker.SubmissionResult("alice", path.parent.name, path.stem, parts, [], [])
    graded = report.autograded_notebook(source_nb, student_nb, result)
    return report.feedback_html(graded, result), source_nb


@pytest.mark.parametrize("path", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_each_part_is_titled_by_its_statement(path):
    source_nb = nbformat.read(path, as_version=4)
    titles = report.part_titles(source_nb)
    parts = graded_parts(source_nb)
    assert list(titles) == [grade_id for grade_id, _ in parts]
    headings = [line[3:] for c in source_nb.cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("## ")]
    for number, ((grade_id, points), title) in enumerate(zip(parts, titles.values()), start=1):
        assert title.startswith(f"Part {number} · ") and grade_id not in title, (grade_id, title)
        heading = next(h for h in headings if h.startswith(title))
        assert heading[len(title):] == f" ({points:g} point{'s' * (points != 1)})", (heading, points)


@pytest.mark.parametrize("path", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_feedback_shows_titles_and_math(path):
    page, source_nb = feedback_page(path)
    text = visible_text(page)
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>", page, re.S)
    assert [html.unescape(r).strip() for r in rows] == list(report.part_titles(source_nb).values())
    statements = "\n".join(c.source for c in source_nb.cells if c.cell_type == "markdown")
    formulas = re.findall(r"\$\$.+?\$\$|\$[^$\n]+\$", statements, re.S)
    assert formulas, "the statements have math"
    assert page.count("<math") >= len(formulas), "a formula is not MathML"
    left = [t for t in ("$", "\\frac", "\\sum", "\\operatorname", "\\arg", "\\") if t in text]
    assert left == [], f"TeX left in the page's text: {left}"
    own = sum(report.safe_html(c.source).count("<em>") for c in source_nb.cells if c.cell_type == "markdown")
    assert page.count("<em>") == own, "italics the statements do not have (a formula's _ read as emphasis?)"


def test_subscripts_stay_subscripts():
    page = report.safe_html(r"Here $z_k$ and $z_j$; and $$\operatorname{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}}$$")
    assert "<em>" not in page and page.count("<msub>") >= 3 and "<mfrac>" in page and 'display="block"' in page


@pytest.mark.parametrize("markdown", [
    r'$\href{javascript:alert(1)}{x}$',
    '<math><mi href="javascript:alert(1)">x</mi></math>',
    '<math><annotation-xml encoding="text/html"><script>alert(1)</script></annotation-xml></math>',
    '<math><maction actiontype="statusline" onclick="alert(1)"><mi>x</mi></maction></math>',
    '<math><mi style="background:url(http://example.org/x)" onmouseover="alert(1)">x</mi></math>',
    '<math><mtext><img src=x onerror="alert(1)"></mtext></math>',
    '<svg><math><mi><style><img src=x onerror=alert(1)></style></mi></math></svg>',
])
def test_mathml_lets_nothing_live_through(markdown):
    page = report.safe_html(markdown)
    assert not re.search(r"(?i)<(script|img|style|svg|annotation-xml|maction)\b|\son\w+=|javascript:|href=|style=", page), page
