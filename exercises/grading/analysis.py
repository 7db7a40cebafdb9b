"""Item analysis of a graded class: how hard each part was, whether it tells strong from weak work apart,
and which mistakes were common; written as one self-contained HTML page for the instructor.

The input is ``<course>/parts.csv``, which ``instructor.py grade`` writes: UTF-8, one row per student,
assignment and graded part (notebook order), with the columns :data:`COLUMNS`. ``status`` is one of
:data:`STATUSES`; ``points`` is empty when the part was not submitted; ``diagnosis`` is the key of the
recognised mistake (a :class:`lecture_lib.exercises.framework.Mistake`) or empty. A text cell that a
spreadsheet would take for a formula was written with a leading ``'`` (:func:`report.spreadsheet_safe`);
:func:`read_parts` removes it.

For each part of an assignment, over the ``n`` students who submitted it (a part not submitted counts
in no statistic, and is counted on its own), with ``x`` the part's points, ``M`` its maximum and
``T`` each student's total on the assignment:

- the mean points and the difficulty index ``p = mean(x) / M`` (the share of the points the class got);
- the discrimination ``r``: the Pearson correlation of ``x`` with ``T - x``, the total on the *other*
  parts (the corrected item-total correlation; for a part scored 0 or ``M``, the point-biserial
  correlation). It is undefined, and the page says why, when ``x`` or ``T - x`` does not vary or
  ``n < 3``;
- the upper-lower index ``D = (mean x over the top g - mean x over the bottom g) / M``, with ``g`` the
  nearest whole number to 27 % of ``n`` (at least 1), students ranked by ``T`` (ties in the order of their
  ids);
- the histogram of ``x``, and how many students made each diagnosed mistake, with its message.

Every string of the table (ids, titles, diagnoses) is escaped on the page; the page loads nothing and
runs no script (the Content Security Policy of the feedback pages, :data:`report.CSP`).
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import datetime
import html
import math
import re
from pathlib import Path

import numpy as np

#: The columns of ``parts.csv``, in order.
COLUMNS = ("student_id", "assignment", "part", "title", "points", "max_points", "status", "diagnosis")
GRADED, NEEDS_ATTENTION, NOT_SUBMITTED = "graded", "needs attention", "not submitted"
STATUSES = (GRADED, NEEDS_ATTENTION, NOT_SUBMITTED)
#: A cell that :func:`report.spreadsheet_safe` quoted: an apostrophe before what a spreadsheet would evaluate.
FORMULA_QUOTED = re.compile(r"'[=+\-@\t\r]")
#: The share of the class in each group of the upper-lower index (Kelley's 27 %).
GROUP_FRACTION = 0.27
#: The fewest students a correlation is computed for.
MIN_STUDENTS_R = 3
#: A histogram shows one bar per distinct score up to this many, else :data:`BINS` equal bins.
MAX_BARS, BINS = 8, 6
#: What the ``accepts-invalid`` diagnosis means (its messages name the case; the key is the framework's).
ACCEPTS_INVALID = ("accepts-invalid", "it does not refuse invalid input with a ValueError that names the problem")
CSS_FILE = Path(__file__).with_name("instructor_pages.css")


@dataclasses.dataclass(frozen=True)
class PartRow:
    """One row of ``parts.csv``; ``points`` is None when the part was not submitted."""

    student: str
    assignment: str
    part: str
    title: str
    points: float | None
    max_points: float
    status: str
    diagnosis: str


def unquoted(cell: str) -> str:
    """A cell as it was before :func:`report.spreadsheet_safe`: one leading ``'`` removed before ``= + - @``,
    a tab or a carriage return."""
    return cell[1:] if FORMULA_QUOTED.match(cell) else cell


def _number(text: str, column: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {column} must be a number, got {text[:40]!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: {column} must be a finite number, got {text[:40]!r}")
    return value


def read_parts(path: Path) -> list[PartRow]:
    """The rows of the per-part table ``path`` (``parts.csv``), checked: its header is :data:`COLUMNS`, every
    status one of :data:`STATUSES`, the points numbers (empty only when not submitted), one row per student
    and part, and one maximum per part. Raises ``ValueError`` naming the file and line of a bad row."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no per-part table (`instructor.py grade` writes it)")
    rows, seen, maxima = [], set(), {}
    with open(path, newline="", encoding="utf-8-sig") as f:  # UTF-8, with or without a byte-order mark
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or tuple(header) != COLUMNS:
            raise ValueError(f"{path}: the header must be exactly {','.join(COLUMNS)}; got {header!r}")
        for cells in reader:
            where = f"{path}, line {reader.line_num}"
            if not cells:
                continue
            if len(cells) != len(COLUMNS):
                raise ValueError(f"{where}: {len(cells)} cells where {len(COLUMNS)} are expected")
            student, assignment, part, title, points, max_points, status, diagnosis = map(unquoted, cells)
            if status not in STATUSES:
                raise ValueError(f"{where}: status must be one of {', '.join(STATUSES)}; got {status[:40]!r}")
            if not (student and assignment and part):
                raise ValueError(f"{where}: student_id, assignment and part must not be empty")
            maximum = _number(max_points, "max_points", where)
            if maximum < 0:
                raise ValueError(f"{where}: max_points must be at least 0, got {max_points!r}")
            if status == NOT_SUBMITTED:
                score = None
            elif points == "":
                raise ValueError(f"{where}: points is empty but the status is {status!r}")
            else:
                score = _number(points, "points", where)
            key = (student, assignment, part)
            if key in seen:
                raise ValueError(f"{where}: a second row for student {student[:40]!r}, part {part[:40]!r} "
                                 f"of {assignment[:40]!r}")
            seen.add(key)
            if maxima.setdefault((assignment, part), maximum) != maximum:
                raise ValueError(f"{where}: part {part[:40]!r} of {assignment[:40]!r} has max_points "
                                 f"{maximum:g} here and {maxima[assignment, part]:g} on an earlier row")
            rows.append(PartRow(student, assignment, part, title, score, maximum, status, diagnosis))
    return rows


# -- the statistics ------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Statistic:
    """A number of the analysis, or None with ``reason``: why it is undefined."""

    value: float | None
    reason: str = ""


def corrected_point_biserial(x, total) -> Statistic:
    """The correlation of a part's points with the total on the other parts, over the students who submitted it.

    ``x (n,)``: each student's points on the part; ``total (n,)``: their total on the whole assignment.
    Returns Pearson's ``r`` of ``x`` and ``total - x``, undefined (with the reason) for fewer than
    :data:`MIN_STUDENTS_R` students, or when either does not vary.
    """
    x, total = np.asarray(x, dtype=np.float64), np.asarray(total, dtype=np.float64)
    if x.shape != total.shape or x.ndim != 1:
        raise ValueError(f"x and total must be 1-d arrays of one length; got shapes {x.shape} and {total.shape}")
    n = x.size
    if n < MIN_STUDENTS_R:
        return Statistic(None, f"too few students ({n}; at least {MIN_STUDENTS_R})")
    rest = total - x
    if np.ptp(x) == 0:
        return Statistic(None, f"no variance: every student scored {x[0]:g} on this part")
    if np.ptp(rest) == 0:
        return Statistic(None, "no variance in the total on the other parts (or no other part)")
    dx, dr = x - x.mean(), rest - rest.mean()
    return Statistic(float(dx @ dr / math.sqrt((dx @ dx) * (dr @ dr))))


def upper_lower_index(x, total, max_points: float, fraction: float = GROUP_FRACTION) -> Statistic:
    """``D``: the part's mean share of the points in the top ``fraction`` of the students by total, minus
    that in the bottom ``fraction``.

    ``x (n,)``, ``total (n,)`` as in :func:`corrected_point_biserial`. Each group has ``g = round(fraction n)``
    students (at least 1); ties in ``total`` keep the given order (the page lists students by id).
    """
    x, total = np.asarray(x, dtype=np.float64), np.asarray(total, dtype=np.float64)
    if x.shape != total.shape or x.ndim != 1:
        raise ValueError(f"x and total must be 1-d arrays of one length; got shapes {x.shape} and {total.shape}")
    if not 0 < fraction <= 0.5:
        raise ValueError(f"fraction must lie in (0, 0.5]; got {fraction!r}")
    n = x.size
    g = max(1, math.floor(fraction * n + 0.5))
    if 2 * g > n:
        return Statistic(None, f"too few students ({n}; the two groups need at least 2)")
    if max_points <= 0:
        return Statistic(None, "the part has no points")
    if np.ptp(total) == 0:
        return Statistic(None, "every student has the same total: no upper and lower group")
    order = np.argsort(-total, kind="stable")
    return Statistic(float((x[order[:g]].mean() - x[order[-g:]].mean()) / max_points))


def histogram(x, max_points: float) -> list[tuple[str, int]]:
    """``[(label, count)]``: one bar per distinct value of ``x`` (at most :data:`MAX_BARS`), else :data:`BINS`
    equal bins from 0 to the maximum."""
    x = np.asarray(x, dtype=np.float64)
    values, counts = np.unique(x, return_counts=True)
    if values.size <= MAX_BARS:
        return [(f"{v:g}", int(c)) for v, c in zip(values, counts)]
    edges = np.linspace(min(0.0, x.min()), max(max_points, x.max()), BINS + 1)
    counts, _ = np.histogram(x, edges)
    def short(v):  # one decimal at most: the labels must fit under their bars
        return f"{v:.1f}".rstrip("0").rstrip(".")

    return [(f"{short(lo)}–{short(hi)}", int(c)) for lo, hi, c in zip(edges[:-1], edges[1:], counts)]


def mistake_message(assignment: str, part: str, key: str) -> str | None:
    """The message the course declares for the mistake ``key`` of ``part`` (its grade_id or function), or None."""
    from lecture_lib.exercises import PARTS
    from lecture_lib.exercises.framework import FORBIDDEN, GENERAL

    own = {m.key: m.message for p in PARTS.get(assignment, ()) if part in (p.grade_id, p.function)
           for m in p.mistakes}
    return {**GENERAL, FORBIDDEN[0]: FORBIDDEN[1], ACCEPTS_INVALID[0]: ACCEPTS_INVALID[1], **own}.get(key)


@dataclasses.dataclass(frozen=True)
class PartAnalysis:
    part: str
    title: str
    max_points: float
    submitted: int
    not_submitted: int
    needs_attention: int
    mean: float | None
    difficulty: Statistic
    discrimination: Statistic
    upper_lower: Statistic
    histogram: list[tuple[str, int]]
    #: ``(key, message or None, number of students)``, most frequent first.
    mistakes: list[tuple[str, str | None, int]]


@dataclasses.dataclass(frozen=True)
class StudentResult:
    student: str
    #: The total on the parts submitted; None when nothing was submitted.
    total: float | None
    #: The rows of the parts below full marks (not submitted and needing attention included), in notebook order.
    lost: list[PartRow]


@dataclasses.dataclass(frozen=True)
class AssignmentAnalysis:
    name: str
    max_total: float
    parts: list[PartAnalysis]
    students: list[StudentResult]

    @property
    def totals(self) -> np.ndarray:
        return np.array([s.total for s in self.students if s.total is not None], dtype=np.float64)


def analyse(rows: list[PartRow], assignment: str) -> AssignmentAnalysis:
    """The item analysis of ``assignment`` from the rows of ``parts.csv`` (:func:`read_parts`)."""
    mine = [r for r in rows if r.assignment == assignment]
    if not mine:
        raise ValueError(f"assignment {assignment!r} has no row in the table")
    parts = list(dict.fromkeys(r.part for r in mine))  # notebook order: the table's
    students = sorted({r.student for r in mine})
    first = {}
    for r in mine:
        first.setdefault(r.part, r)
    column = {p: j for j, p in enumerate(parts)}
    line = {s: i for i, s in enumerate(students)}
    # S (n_students, n_parts): points, NaN where not submitted (or no row).
    S = np.full((len(students), len(parts)), np.nan)
    for r in mine:
        if r.points is not None:
            S[line[r.student], column[r.part]] = r.points
    submitted_any = ~np.isnan(S).all(axis=1)
    totals = np.nansum(S, axis=1)
    analyses = []
    for j, part in enumerate(parts):
        of_part = [r for r in mine if r.part == part]
        taken = ~np.isnan(S[:, j])
        x, total, maximum = S[taken, j], totals[taken], first[part].max_points
        mean = float(x.mean()) if x.size else None
        if mean is None:
            difficulty = Statistic(None, "nobody submitted it")
        elif maximum <= 0:
            difficulty = Statistic(None, "the part has no points")
        else:
            difficulty = Statistic(mean / maximum)
        counted = collections.Counter(r.diagnosis for r in of_part if r.diagnosis and r.status != NOT_SUBMITTED)
        mistakes = [(key, mistake_message(assignment, part, key), count)
                    for key, count in sorted(counted.items(), key=lambda kc: (-kc[1], kc[0]))]
        analyses.append(PartAnalysis(
            part=part, title=first[part].title, max_points=maximum, submitted=int(taken.sum()),
            not_submitted=sum(r.status == NOT_SUBMITTED for r in of_part) + len(students) - len(of_part),
            needs_attention=sum(r.status == NEEDS_ATTENTION for r in of_part), mean=mean, difficulty=difficulty,
            discrimination=(corrected_point_biserial(x, total) if len(parts) > 1
                            else Statistic(None, "the assignment has no other part")),
            upper_lower=upper_lower_index(x, total, maximum) if x.size else Statistic(None, "nobody submitted it"),
            histogram=histogram(x, maximum) if x.size else [], mistakes=mistakes))
    results = []
    for i, student in enumerate(students):
        lost = sorted((r for r in mine if r.student == student
                       and (r.points is None or r.points < r.max_points or r.status == NEEDS_ATTENTION)),
                      key=lambda r: column[r.part])
        results.append(StudentResult(student, float(totals[i]) if submitted_any[i] else None, lost))
    return AssignmentAnalysis(assignment, float(sum(first[p].max_points for p in parts)), analyses, results)


# -- the page ------------------------------------------------------------------------------------
def escape(text) -> str:
    return html.escape(str(text), quote=True)


def page(title: str, body: str) -> str:
    """A self-contained HTML page: the instructor pages' style sheet inlined, the feedback pages' Content
    Security Policy (no script, no request), ``body`` (HTML, already escaped) in ``<main>``."""
    from report import CSP

    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)}</title>\n<style>\n{CSS_FILE.read_text(encoding='utf-8')}</style>\n</head>\n"
            f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n")


def table(label: str, head: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    """A table in a box that scrolls sideways by itself (keyboard-focusable, named ``label``); the cells
    are HTML (escaped by the caller), ``numeric`` the columns aligned right."""
    def cls(j):
        return ' class="number"' if j in numeric else ""

    th = "".join(f'<th scope="col"{cls(j)}>{h}</th>' for j, h in enumerate(head))
    body = "".join("<tr>" + "".join(f'<th scope="row">{c}</th>' if j == 0 else f"<td{cls(j)}>{c}</td>"
                                    for j, c in enumerate(row)) + "</tr>\n" for row in rows)
    return (f'<div class="scroll" role="region" aria-label="{escape(label)}" tabindex="0">\n<table>\n'
            f"<caption>{escape(label)}</caption>\n<thead><tr>{th}</tr></thead>\n<tbody>\n{body}</tbody>\n"
            "</table>\n</div>\n")


#: The size of a histogram in inches: drawn at its natural size (1 pt = 4/3 px) it is 384 px wide, the
#: ``max-width`` of a figure in ``instructor_pages.css``; on a phone it shrinks with the column.
FIGURE_SIZE = (4.0, 2.4)
#: The longest line of a figure's title, in characters, and how many lines it may take.
TITLE_WIDTH, TITLE_LINES = 44, 2
_SVG_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.S)
_SVG_STYLE = re.compile(r"\s*<defs>\s*<style[^>]*>.*?</style>\s*</defs>", re.S)
_SVG_SIZE = re.compile(r'<svg ([^>]*?)width="[^"]*" height="[^"]*" ')
_GROUP_ID = re.compile(r'<g id="[^"]*"')
_SVG_ID = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')
_SVG_TEXT = re.compile(r"(<text\b[^>]*>)([^<]*)(?=</text>)")


def figure_title(text: str) -> str:
    """``text`` on at most :data:`TITLE_LINES` lines of :data:`TITLE_WIDTH` characters (an ellipsis if cut)."""
    import textwrap

    return "\n".join(textwrap.wrap(" ".join(str(text).split()), TITLE_WIDTH, max_lines=TITLE_LINES,
                                    placeholder=" …"))


def bar_chart_svg(bars: list[tuple[str, int]], title: str, axis: str, label_id: str, description: str) -> str:
    """An SVG bar chart of ``[(label, count)]`` drawn by matplotlib in the course's style, each count written
    above its bar, ready to be inlined in a page.

    ``title`` is drawn above the chart and ``axis`` under the labels, as text (never parsed as mathtext,
    escaped by matplotlib's SVG writer). The chart is an image named by its first child, a ``<title>``
    with the id ``label_id`` holding ``description`` (the bars in words, for screen readers). Every other id is
    prefixed with ``label_id`` too, so several charts can share a page. The SVG has no size of its own (the page
    sizes it from its ``viewBox``), no XML prolog, no style sheet, no script and no external reference; the
    same bars give the same bytes.
    """
    import io

    import matplotlib as mpl
    from matplotlib.figure import Figure

    from lecture_lib.plotting import COURSE_STYLE, PALETTE

    style = {**COURSE_STYLE, "svg.fonttype": "none", "svg.hashsalt": label_id,
             "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]}
    with mpl.rc_context(style):
        fig = Figure(figsize=FIGURE_SIZE, layout="constrained")  # no pyplot: nothing global is left behind
        ax = fig.add_subplot()
        labels, counts = [label for label, _ in bars], [count for _, count in bars]
        drawn = ax.bar(range(len(bars)), counts, width=0.7, color=PALETTE[0])
        ax.bar_label(drawn, padding=2)
        ax.set_xticks(range(len(bars)), labels)
        ax.set_ylim(0, max(counts, default=0) * 1.18 or 1)
        ax.set_yticks([])
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel(axis, parse_math=False)
        ax.set_title(figure_title(title), parse_math=False)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = _SVG_PROLOG.sub("", buffer.getvalue(), count=1)  # XML declaration, DOCTYPE, matplotlib's comment
    svg = _SVG_STYLE.sub("", svg, count=1)  # its "* {stroke-linejoin}" rule would apply to the whole page
    svg = _GROUP_ID.sub("<g", svg)  # the groups' ids ("figure_1", "axes_1") are never referred to
    svg = _SVG_ID.sub(lambda m: f"{m[1]}{label_id}-{m[2]}", svg)  # clip paths and tick marks: unique per chart
    # matplotlib escapes & < > in text; quotes too, as everywhere on the page (html.escape's quote=True)
    svg = _SVG_TEXT.sub(lambda m: m[1] + m[2].replace('"', "&quot;").replace("'", "&#x27;"), svg)
    svg, sized = _SVG_SIZE.subn(rf'<svg \1role="img" aria-labelledby="{label_id}" ', svg, count=1)
    if not sized:
        raise RuntimeError("matplotlib's SVG has no width and height to replace: check its version")
    opening = svg.index(">") + 1
    return f'{svg[:opening]}\n<title id="{label_id}">{escape(description)}</title>{svg[opening:]}'.rstrip() + "\n"


def _figure(bars: list[tuple[str, int]], title: str, what: str, axis: str, label_id: str) -> str:
    counts = "; ".join(f"{count} scored {label}" for label, count in bars)
    description = f"Bar chart of {what}: {counts}."
    return (f"<figure>\n{bar_chart_svg(bars, title, axis, label_id, description)}"
            f"<figcaption>{escape(what[:1].upper() + what[1:])}: how many students scored each value "
            f"(the number above each bar).</figcaption>\n</figure>\n")


def shown(statistic: Statistic, digits: int = 2) -> str:
    """A statistic as a table cell: its value, or "—" with the reason it is undefined."""
    if statistic.value is None:
        return f'—<span class="why">({escape(statistic.reason)})</span>'
    return f"{statistic.value:.{digits}f}".replace("-", "\N{MINUS SIGN}")


HOW_TO_READ = """<h2 id="how-to-read">How to read this</h2>
<p>Each part counts only the students who submitted it; those who did not are counted apart and left out
of every statistic. The <strong>difficulty index</strong> <var>p</var> is the mean points divided by the
part's maximum: the share of the points the class got (higher is easier). The <strong>discrimination</strong>
<var>r</var> is the correlation between a student's points on the part and their total on the
<em>other</em> parts of the assignment (the corrected point-biserial correlation): it is high when the
students who did well elsewhere also did well here. The <strong>upper–lower index</strong> <var>D</var> is
the mean share of the part's points in the top 27&nbsp;% of the students by total, minus that in the bottom
27&nbsp;%. A "—" means the number is undefined, and says why (for instance, everyone scored the same).</p>
<p>Conventional rules of thumb from classical test theory, not laws: a part with <var>p</var> below 0.3 is
hard and one above 0.9 is easy; a part with <var>r</var> or <var>D</var> below 0.2 is worth a look (an
ambiguous statement, a check that rejects good answers, or a skill the rest does not test), and a negative
value even more so. With a few dozen students or fewer these numbers move a lot from one class to the next:
read them together with the mistakes below and the students' notebooks.</p>
"""


def _lost_cell(rows: list[PartRow], assignment: str) -> str:
    if not rows:
        return "full marks"
    items = []
    for r in rows:
        score = "not submitted" if r.points is None else f"{r.points:g} / {r.max_points:g}"
        text = f"{escape(r.title or r.part)}: {score}"
        if r.status == NEEDS_ATTENTION:
            text += " (needs attention)"
        if r.diagnosis:
            message = mistake_message(assignment, r.part, r.diagnosis)
            text += f" — <code>{escape(r.diagnosis)}</code>" + (f": {escape(message)}" if message else "")
        items.append(f"<li>{text}</li>")
    return '<ul class="lost">' + "".join(items) + "</ul>"


def assignment_html(a: AssignmentAnalysis, anchor: str) -> str:
    """The section of one assignment: its parts' statistics, each part's histogram and mistakes, its students."""
    name = escape(a.name)
    totals = a.totals
    out = [f'<section aria-labelledby="{anchor}">\n<h2 id="{anchor}">{name}</h2>',
           f"<p>{len(totals)} of {len(a.students)} students submitted it; out of {a.max_total:g} points, "
           + (f"their mean total is {totals.mean():.2f} (median {np.median(totals):g})." if totals.size
              else "nobody has a total.") + "</p>"]
    rows = [[escape(p.title or p.part), shown(p.difficulty), shown(p.discrimination), shown(p.upper_lower),
             ("—" if p.mean is None else f"{p.mean:.2f}") + f" / {p.max_points:g}", str(p.submitted),
             str(p.needs_attention), str(p.not_submitted)] for p in a.parts]
    out.append(table(f"Parts of {a.name}", ["Part", "p (difficulty)", "r (discrimination)", "D (upper–lower)",
                                            "Mean / max", "Submitted", "Needs attention", "Not submitted"],
                     rows, numeric=set(range(1, 8))))
    if totals.size:
        out.append(_figure(histogram(totals, a.max_total), f"Totals on {a.name}", f"the totals on {a.name}",
                           "total points", f"{anchor}-totals-chart"))
    for k, p in enumerate(a.parts, start=1):
        out.append(f'<h3 id="{anchor}-part-{k}">{escape(p.title or p.part)} <span class="note">'
                   f"(<code>{escape(p.part)}</code>, {p.max_points:g} points)</span></h3>")
        if p.histogram:
            out.append(_figure(p.histogram, p.title or p.part, f"the points on {p.title or p.part}", "points",
                               f"{anchor}-part-{k}-chart"))
        if p.mistakes:
            out.append(table(f"Mistakes recognised on {p.title or p.part} ({a.name})",
                             ["Mistake", "What it is", "Students"],
                             [[f"<code>{escape(key)}</code>",
                               escape(message) if message else '<span class="note">no message declared</span>',
                               str(count)] for key, message, count in p.mistakes], numeric={2}))
        else:
            out.append("<p>No recognised mistake.</p>")
    out.append(f'<h3 id="{anchor}-students">Students</h3>')
    out.append(table(f"Students of {a.name}", ["Student", "Total", "Parts below full marks"],
                     [[escape(s.student), "—" if s.total is None else f"{s.total:g} / {a.max_total:g}",
                       _lost_cell(s.lost, a.name)] for s in a.students], numeric={1}))
    out.append("</section>")
    return "\n".join(out)


def report_html(analyses: list[AssignmentAnalysis], now: datetime.datetime | None = None) -> str:
    """The item-analysis page of ``analyses`` (one section per assignment)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    anchors = [f"assignment-{i}" for i in range(1, len(analyses) + 1)]
    contents = "".join(f'<li><a href="#{anchor}">{escape(a.name)}</a></li>' for a, anchor in zip(analyses, anchors))
    body = [f"<h1>Item analysis</h1>\n<p class=\"note\">Made {now:%Y-%m-%d %H:%M} UTC from <code>parts.csv</code>. "
            "Every number is computed from that table.</p>",
            f'<nav aria-label="Assignments"><ul><li><a href="#how-to-read">How to read this</a></li>{contents}'
            "</ul></nav>", HOW_TO_READ]
    body += [assignment_html(a, anchor) for a, anchor in zip(analyses, anchors)]
    return page("Item analysis", "\n".join(body))


def write_report(parts_csv: Path, out: Path, assignments: list[str] | None = None) -> list[AssignmentAnalysis]:
    """Read ``parts_csv``, analyse ``assignments`` (default: every one in the table, in its order) and write
    the page to ``out``. Raises ``ValueError`` for an assignment the table does not hold."""
    rows = read_parts(parts_csv)
    available = list(dict.fromkeys(r.assignment for r in rows))
    for name in assignments or ():
        if name not in available:
            raise ValueError(f"assignment {name!r} is not in {parts_csv}; it holds {available}")
    analyses = [analyse(rows, name) for name in (assignments or available)]
    Path(out).write_text(report_html(analyses), encoding="utf-8")
    return analyses
