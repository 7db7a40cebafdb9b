"""The item analysis (``exercises/grading/analysis.py``, ``instructor.py report``) against a hand computation.

The table :data:`TABLE` is a class of six on ``01_modeling``, four parts; s6 submitted nothing. Its
statistics were derived by hand below, and the correlations are checked once more with
``scipy.stats.pointbiserialr`` and ``numpy.corrcoef``. Then: a student who did not submit changes no
statistic; cells that ``report.spreadsheet_safe`` quoted read back as written; hostile ids, titles and
diagnoses are escaped on the page; bad tables are refused with a message naming the line.
"""

from __future__ import annotations

import csv
import html
import io
import math
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import scipy.stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "exercises" / "grading"))
sys.path.insert(0, str(ROOT / "exercises"))

import analysis  # noqa: E402
import report  # noqa: E402

from lecture_lib.exercises import PARTS  # noqa: E402
from lecture_lib.exercises.framework import GENERAL  # noqa: E402

A = "01_modeling"
P1, P2, P3, P4 = "softmax-tests", "softmax_with_temperature-tests", "temperature_for-tests", "extra-tests"
#: (student, part, points or None, max, status, diagnosis)
CLASS = [
    ("s1", P1, 2, 2, "graded", ""), ("s1", P2, 3, 3, "graded", ""), ("s1", P3, 5, 5, "graded", ""),
    ("s1", P4, 1, 1, "graded", ""),
    ("s2", P1, 2, 2, "graded", ""), ("s2", P2, 0, 3, "graded", "multiplies-by-T"), ("s2", P3, 5, 5, "graded", ""),
    ("s2", P4, 1, 1, "graded", ""),
    ("s3", P1, 0, 2, "graded", "rows-do-not-sum-to-one"), ("s3", P2, 3, 3, "graded", ""),
    ("s3", P3, 0, 5, "graded", "not-converged"), ("s3", P4, 1, 1, "graded", ""),
    ("s4", P1, 2, 2, "graded", ""), ("s4", P2, 0, 3, "needs attention", ""),
    ("s4", P3, 0, 5, "graded", "transposed"), ("s4", P4, 1, 1, "graded", ""),
    ("s5", P1, 0, 2, "graded", "rows-do-not-sum-to-one"), ("s5", P2, 3, 3, "graded", ""),
    ("s5", P3, 0, 5, "graded", "made-up-key"), ("s5", P4, 1, 1, "graded", ""),
    ("s6", P1, None, 2, "not submitted", ""), ("s6", P2, None, 3, "not submitted", ""),
    ("s6", P3, None, 5, "not submitted", ""), ("s6", P4, None, 1, "not submitted", ""),
]
TITLES = {P1: "Part 1 · A stable softmax", P2: "Part 2 · Temperature", P3: "Part 3 · A temperature for a confidence",
          P4: "Part 4 · Extra"}

# By hand. Points (s1..s5; s6 left out):   P1 (max 2)  P2 (max 3)  P3 (max 5)  P4 (max 1)  total T
#   s1                                        2           3           5           1          11
#   s2                                        2           0           5           1           8
#   s3                                        0           3           0           1           4
#   s4                                        2           0           0           1           3
#   s5                                        0           3           0           1           4
# Mean and p = mean / max:  P1 6/5 = 1.2, p 0.6;  P2 9/5 = 1.8, p 0.6;  P3 10/5 = 2, p 0.4;  P4 1, p 1.
# Corrected r = corr(x, T - x) = dx.dr / sqrt(dx.dx dr.dr), d = deviation from the mean:
#   P1: x = [2,2,0,2,0], rest = [9,6,4,1,4] (mean 4.8); dx = [.8,.8,-1.2,.8,-1.2], dr = [4.2,1.2,-.8,-3.8,-.8]
#       dx.dr = 3.36+.96+.96-3.04+.96 = 3.2; dx.dx = 4.8; dr.dr = 17.64+1.44+.64+14.44+.64 = 34.8
#       r = 3.2 / sqrt(167.04) = 0.247594...
#   P2: x = [3,0,3,0,3], rest = [8,8,1,3,1] (mean 4.2); dx = [1.2,-1.8,1.2,-1.8,1.2], dr = [3.8,3.8,-3.2,-1.2,-3.2]
#       dx.dr = 4.56-6.84-3.84+2.16-3.84 = -7.8; dx.dx = 10.8; dr.dr = 2*14.44+2*10.24+1.44 = 50.8
#       r = -7.8 / sqrt(548.64) = -0.333005...
#   P3: x = [5,5,0,0,0], rest = [6,3,4,3,4] (mean 4); dx = [3,3,-2,-2,-2], dr = [2,-1,0,-1,0]
#       dx.dr = 6-3+0+2+0 = 5; dx.dx = 30; dr.dr = 6;  r = 5 / sqrt(180) = 0.372678...
#   P4: x = [1,1,1,1,1]: no variance, r undefined.
# (P4 adds 1 to every rest of P1-P3: a constant shift, which changes no correlation.)
# Upper-lower: g = round(0.27 * 5) = 1. By T (ties in id order): s1 11, s2 8, s3 4, s5 4, s4 3:
#   top {s1}, bottom {s4}.  D = (x_s1 - x_s4) / max:  P1 (2-2)/2 = 0;  P2 (3-0)/3 = 1;  P3 (5-0)/5 = 1;  P4 0.
EXPECTED = {  # part: (mean, p, r, D)
    P1: (1.2, 0.6, 3.2 / math.sqrt(167.04), 0.0),
    P2: (1.8, 0.6, -7.8 / math.sqrt(548.64), 1.0),
    P3: (2.0, 0.4, 5 / math.sqrt(180), 1.0),
    P4: (1.0, 1.0, None, 0.0),
}


def csv_text(rows=CLASS, titles=TITLES, assignment=A, header=analysis.COLUMNS) -> str:
    """``rows`` as ``grade`` writes parts.csv: the csv module, :func:`report.spreadsheet_safe` on every cell."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for student, part, points, maximum, status, diagnosis in rows:
        writer.writerow([report.spreadsheet_safe(v) for v in
                         (student, assignment, part, titles[part], points, maximum, status, diagnosis)])
    return out.getvalue()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "parts.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def analysed(tmp_path):
    return analysis.analyse(analysis.read_parts(write(tmp_path, csv_text())), A)


def test_statistics_match_the_hand_computation(analysed):
    assert [p.part for p in analysed.parts] == [P1, P2, P3, P4]  # the table's order
    for p in analysed.parts:
        mean, difficulty, r, d = EXPECTED[p.part]
        assert (p.submitted, p.not_submitted) == (5, 1)
        assert p.mean == pytest.approx(mean, abs=1e-12)
        assert p.difficulty.value == pytest.approx(difficulty, abs=1e-12)
        assert p.upper_lower.value == pytest.approx(d, abs=1e-12)
        if r is None:
            assert p.discrimination.value is None and "no variance" in p.discrimination.reason
        else:
            assert p.discrimination.value == pytest.approx(r, rel=1e-12)
    assert [p.needs_attention for p in analysed.parts] == [0, 1, 0, 0]
    assert analysed.parts[0].histogram == [("0", 2), ("2", 3)]
    assert sorted(analysed.totals.tolist()) == [3, 4, 4, 8, 11]
    assert analysed.max_total == 11


def test_correlations_agree_with_scipy_and_numpy(analysed):
    """The same r from scipy's point-biserial correlation (P1-P3 are scored 0 or max) and from numpy."""
    S = np.array([[2, 3, 5, 1], [2, 0, 5, 1], [0, 3, 0, 1], [2, 0, 0, 1], [0, 3, 0, 1]], dtype=float)
    rest = S.sum(axis=1, keepdims=True) - S
    for j, p in enumerate(analysed.parts[:3]):
        assert p.discrimination.value == pytest.approx(np.corrcoef(S[:, j], rest[:, j])[0, 1], rel=1e-10)
        assert p.discrimination.value == pytest.approx(scipy.stats.pointbiserialr(S[:, j] > 0, rest[:, j])[0],
                                                       rel=1e-10)


def test_mistakes_are_counted_with_their_declared_messages(analysed):
    declared = {m.key: m.message for p in PARTS[A] for m in p.mistakes}
    by_part = {p.part: p.mistakes for p in analysed.parts}
    assert by_part[P1] == [("rows-do-not-sum-to-one", declared["rows-do-not-sum-to-one"], 2)]
    assert by_part[P2] == [("multiplies-by-T", declared["multiplies-by-T"], 1)]
    assert by_part[P3] == [("made-up-key", None, 1), ("not-converged", declared["not-converged"], 1),
                           ("transposed", GENERAL["transposed"], 1)]
    assert by_part[P4] == []


def test_students_lose_points_where_the_table_says(analysed):
    students = {s.student: s for s in analysed.students}
    assert students["s1"].total == 11 and students["s1"].lost == []
    assert [(r.part, r.diagnosis) for r in students["s3"].lost] == [(P1, "rows-do-not-sum-to-one"),
                                                                     (P3, "not-converged")]
    assert [r.part for r in students["s4"].lost] == [P2, P3]  # P2 needs attention (0 points)
    assert students["s6"].total is None and [r.status for r in students["s6"].lost] == ["not submitted"] * 4


def test_a_byte_order_mark_is_read_as_utf8(tmp_path):
    """A table saved with a BOM (as spreadsheets save UTF-8 CSV) reads the same."""
    (tmp_path / "bom").mkdir()
    path = tmp_path / "bom" / "parts.csv"
    path.write_text(csv_text(), encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert analysis.read_parts(path) == analysis.read_parts(write(tmp_path, csv_text()))


def test_not_submitted_changes_no_statistic(tmp_path):
    """Without s6's rows, every statistic is the same; s6 is only counted as not submitted."""
    without = analysis.analyse(analysis.read_parts(write(tmp_path, csv_text([r for r in CLASS if r[0] != "s6"]))), A)
    with_s6 = analysis.analyse(analysis.read_parts(write(tmp_path, csv_text())), A)
    for a, b in zip(without.parts, with_s6.parts):
        assert (a.mean, a.difficulty, a.discrimination, a.upper_lower, a.histogram, a.mistakes) == (
            b.mean, b.difficulty, b.discrimination, b.upper_lower, b.histogram, b.mistakes)
        assert (a.not_submitted, b.not_submitted) == (0, 1)


def test_a_part_not_submitted_by_one_student_leaves_them_out_of_that_part(tmp_path):
    """s5 did not submit P3: P3's statistics are over s1-s4; s5's total (for the other parts) lacks P3."""
    rows = [r if r[:2] != ("s5", P3) else ("s5", P3, None, 5, "not submitted", "") for r in CLASS]
    a = analysis.analyse(analysis.read_parts(write(tmp_path, csv_text(rows))), A)
    p3 = a.parts[2]
    assert (p3.submitted, p3.not_submitted) == (4, 2)
    assert p3.mean == pytest.approx(10 / 4)
    S = np.array([[2, 3, 5, 1], [2, 0, 5, 1], [0, 3, 0, 1], [2, 0, 0, 1], [0, 3, np.nan, 1]])
    total = np.nansum(S, axis=1)
    x, rest = S[:4, 2], total[:4] - S[:4, 2]
    assert p3.discrimination.value == pytest.approx(np.corrcoef(x, rest)[0, 1], rel=1e-10)
    # P1 still has five students, and s5's total is 4 - 0 = 4 without P3 (it was 0 points anyway).
    assert a.parts[0].submitted == 5


def test_undefined_statistics_say_why():
    assert analysis.corrected_point_biserial([1, 0], [3, 2]).reason.startswith("too few students (2")
    assert "no variance" in analysis.corrected_point_biserial([1, 1, 1], [3, 2, 1]).reason
    assert "other parts" in analysis.corrected_point_biserial([1, 0, 1], [2, 1, 2]).reason  # rest = [1, 1, 1]
    assert analysis.upper_lower_index([1], [1], 1).reason.startswith("too few students (1")
    assert "same total" in analysis.upper_lower_index([1, 0, 1], [2, 2, 2], 1).reason


def test_upper_lower_groups_are_27_percent():
    # n = 8: g = round(2.16) = 2. Top by total: x = 1, 1 (mean 1); bottom: x = 1, 0 (mean 0.5). D = 0.5 / 1.
    x, total = [1, 1, 0, 1, 0, 0, 1, 0], [9, 8, 7, 6, 5, 4, 3, 2]
    assert analysis.upper_lower_index(x, total, 1).value == pytest.approx(0.5)
    # n = 11: g = round(2.97) = 3. Top: 2, 2, 0 (of max 2: mean share 2/3); bottom: 0, 2, 0 (1/3). D = 1/3.
    x, total = [2, 2, 0, 2, 2, 0, 0, 2, 0, 2, 0], [20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10]
    assert analysis.upper_lower_index(x, total, 2).value == pytest.approx(1 / 3)


def test_histograms_bar_each_score_or_bin_many():
    assert analysis.histogram([0, 3, 3, 1.5], 3) == [("0", 1), ("1.5", 1), ("3", 2)]
    # 20 distinct scores 0, 0.5, ..., 9.5 of 10: six bins of width 10/6, closed on the right at the last.
    assert analysis.histogram(np.arange(20) / 2, 10) == [("0–1.7", 4), ("1.7–3.3", 3), ("3.3–5", 3), ("5–6.7", 4),
                                                        ("6.7–8.3", 3), ("8.3–10", 3)]


def test_one_part_assignment_has_no_discrimination(tmp_path):
    rows = [r for r in CLASS if r[1] == P1]
    a = analysis.analyse(analysis.read_parts(write(tmp_path, csv_text(rows))), A)
    assert a.parts[0].discrimination.value is None
    assert "no other part" in a.parts[0].discrimination.reason


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)", "\tx", "\rx",
                                   "plain 'text", "'plain"])
def test_formula_quoted_cells_read_back(tmp_path, value):
    """Whatever spreadsheet_safe wrote comes back as it was (the one added apostrophe removed)."""
    rows = [(value, P1, 1, 2, "graded", value)]
    (row,) = analysis.read_parts(write(tmp_path, csv_text(rows, titles={P1: value})))
    assert (row.student, row.title, row.diagnosis) == (value, value, value)
    assert row.points == 1.0 and row.max_points == 2.0


HOSTILE = ['<script>alert("id")</script>', '"onload="alert(1)', "<img src=x onerror=alert(2)>", "a&b<i>"]


def test_hostile_strings_are_escaped(tmp_path):
    """Hostile student ids, assignment, part ids, titles and diagnoses are text on the page, never markup."""
    rows = [(f"{student}{HOSTILE[int(student[1]) % 4]}", part + (HOSTILE[1] if part == P4 else ""), points, maximum,
             status, HOSTILE[2] if diagnosis else "") for student, part, points, maximum, status, diagnosis in CLASS]
    titles = {part + (HOSTILE[1] if part == P4 else ""): HOSTILE[k] for k, part in enumerate(TITLES)}
    path = write(tmp_path, csv_text(rows, titles, assignment=f"A{HOSTILE[0]}"))
    out = tmp_path / "report.html"
    analysis.write_report(path, out)
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<i>" not in page
    assert '"onload=' not in page
    for text in HOSTILE:
        assert html.escape(text, quote=True) in page
    tags, attributes = parsed(page)
    assert tags <= OUR_TAGS, tags - OUR_TAGS
    assert not [a for a in attributes if a.startswith("on")]
    assert f'content="{report.CSP}"' in page


def svg_of(page: str, label_id: str) -> str:
    """The inline ``<svg>`` element named by the ``<title id=label_id>`` it holds."""
    match = re.search(rf'<svg [^>]*aria-labelledby="{label_id}".*?</svg>', page, re.S)
    assert match, f"no chart named {label_id}"
    return match[0]


def test_charts_are_matplotlib_svg_with_escaped_text(tmp_path):
    """The histograms are matplotlib's SVG, inlined: a title with markup is text inside the chart (escaped,
    not parsed as mathtext), the chart is an image named by its description of every bar, and it carries
    no prolog, no script, no size of its own, no external reference and no id another chart also uses."""
    hostile = '<script>alert("t")</script> costs $5 & $x^'
    titles = {**TITLES, P1: hostile}
    out = tmp_path / "report.html"
    analysis.write_report(write(tmp_path, csv_text(titles=titles)), out)
    page = out.read_text(encoding="utf-8")
    svg = svg_of(page, "assignment-1-part-1-chart")
    assert "Created with matplotlib" not in page and "<?xml" not in page and "<!DOCTYPE svg" not in page
    texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)
    assert html.escape(hostile, quote=True) in texts  # one line (44 characters at most), drawn as written
    assert "points" in texts and {"0", "2"} <= set(texts) and "3" in texts  # the axis, the scores, a count
    title = re.search(r'<title id="assignment-1-part-1-chart">([^<]*)</title>', svg)[1]
    assert html.unescape(title) == (f"Bar chart of the points on {hostile}: 2 scored 0; 3 scored 2.")
    assert re.match(r'<svg [^>]*role="img"', svg) and not re.match(r'<svg [^>]*\b(width|height)=', svg)
    assert "<style" not in svg and "<script" not in svg.lower() and "http" not in svg.replace(
        'xmlns="http://www.w3.org/2000/svg"', "").replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "")
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    for ref in re.findall(r'(?:url\(#|href="#)([^")]+)', svg):  # clip paths and tick marks stay resolvable
        assert ref.startswith("assignment-1-part-1-chart-") and f'id="{ref}"' in svg
    # The totals' chart and the four parts': five, each its own; the same table gives the same page (but its date).
    assert len(re.findall(r'<svg [^>]*role="img"', page)) == 5
    again = tmp_path / "again.html"
    analysis.write_report(write(tmp_path, csv_text(titles=titles)), again)
    made = re.compile(r"Made [0-9-]+ [0-9:]+ UTC")
    assert made.sub("", again.read_text(encoding="utf-8")) == made.sub("", page)


def test_a_long_title_is_wrapped_in_the_chart():
    long = "Part 9 · " + "a very long part title " * 6 + "averylongwordwithoutanyspaceatallthatgoesonandon"
    lines = analysis.figure_title(long).split("\n")
    assert len(lines) == analysis.TITLE_LINES and lines[-1].endswith("…")
    assert all(len(line) <= analysis.TITLE_WIDTH for line in lines)
    assert analysis.figure_title("Part 1 · Short") == "Part 1 · Short"


#: The elements the report and similarity pages are made of.
OUR_TAGS = {"html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "p", "nav", "ul", "li", "a",
            "strong", "em", "var", "section", "div", "table", "caption", "thead", "tbody", "tr", "th", "td", "span",
            "code", "pre", "mark", "figure", "figcaption",
            # matplotlib's SVG charts (analysis.bar_chart_svg); the parser lowercases clipPath
            "svg", "g", "path", "defs", "clippath", "rect", "use", "text"}


def parsed(page: str) -> tuple[set[str], set[str]]:
    """The element names and attribute names of ``page``, as a browser's tokenizer sees them."""
    tags, attributes = set(), set()

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.add(tag)
            attributes.update(name for name, _ in attrs)

    Collect().feed(page)
    return tags, attributes


@pytest.mark.parametrize("change, message", [
    (lambda t: t.replace("student_id,", "student,", 1), "header must be exactly"),
    (lambda t: t.replace(",graded,", ",done,", 1), "status must be one of"),
    (lambda t: t.replace("s1,01_modeling,softmax-tests,Part 1 · A stable softmax,2.0,", "s1,01_modeling,softmax-tests,"
                         "Part 1 · A stable softmax,,", 1), "points is empty"),
    (lambda t: t.replace(",2.0,2.0,graded", ",two,2.0,graded", 1), "points must be a number"),
    (lambda t: t.replace(",2.0,2.0,graded", ",2.0,nan,graded", 1), "max_points must be a finite number"),
    (lambda t: t + t.splitlines()[1] + "\n", "a second row"),
    (lambda t: t.replace("s2,01_modeling,softmax-tests,Part 1 · A stable softmax,2.0,2.0",
                         "s2,01_modeling,softmax-tests,Part 1 · A stable softmax,2.0,4.0", 1), "has max_points 4"),
    (lambda t: t + "s9,01_modeling\n", "2 cells where 8"),
])
def test_bad_tables_are_refused_naming_the_line(tmp_path, change, message):
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        analysis.read_parts(write(tmp_path, change(csv_text())))
    assert "parts.csv" in str(error.value)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="x and total"):
        analysis.corrected_point_biserial([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="fraction"):
        analysis.upper_lower_index([1, 0], [1, 0], 1, fraction=0.6)
    with pytest.raises(FileNotFoundError, match="instructor.py grade"):
        analysis.read_parts(Path("/nonexistent/parts.csv"))


def test_instructor_report_command(tmp_path):
    """``instructor.py report`` writes report.html from parts.csv, for the assignments named; an unknown one is
    refused by name."""
    import instructor

    (tmp_path / "nbgrader_config.py").write_text("")
    write(tmp_path, csv_text() + csv_text(assignment="02_forward_pass").split("\n", 1)[1])
    assert instructor.main(["--course", str(tmp_path), "report", A]) == 0
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"<h2 id=\"assignment-1\">{A}</h2>" in page and "02_forward_pass" not in page
    out = tmp_path / "both.html"
    assert instructor.main(["report", "--course", str(tmp_path), "--out", str(out)]) == 0
    assert "02_forward_pass" in out.read_text(encoding="utf-8")
    with pytest.raises(SystemExit, match="'03_loss_and_cost' is not in"):
        instructor.main(["--course", str(tmp_path), "report", "03_loss_and_cost"])


def test_the_instructor_guide_states_the_constants_in_use():
    guide = (ROOT / "book" / "instructor_guide.md").read_text(encoding="utf-8")
    assert f"the {analysis.GROUP_FRACTION:.0%} of the students".replace("%", " %") in guide
    assert analysis.MIN_STUDENTS_R == 3 and "fewer than three students" in guide
