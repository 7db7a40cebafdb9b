"""What only the trusted side writes: the gradebook, the autograded notebook and the feedback.

- :func:`record` stores a :class:`~checker.SubmissionResult` in nbgrader's gradebook through
  ``nbgrader.api.Gradebook`` (student, submission, ``auto_score`` of every graded cell; the
  notebook is *flagged* when it needs attention), so that ``nbgrader export``, formgrader and
  manual grading work as with ``nbgrader autograde``;
- :func:`autograded_notebook` writes ``autograded/<student>/<assignment>/<notebook>.ipynb``
  (the student's cells, the instructor's locked cells and test cells, and each test cell's
  verdict as its output) for formgrader;
- :func:`feedback_html` renders the student's feedback without the hidden tests, and
  :class:`LeakScanner` refuses (fail closed) any feedback that contains the canary, a line of
  a hidden test or a hidden input value;
- :func:`write_grades_csv` writes nbgrader's ``grades.csv`` as data: quoted by the csv module,
  and no cell a spreadsheet would evaluate as a formula (:func:`spreadsheet_safe`, which every CSV
  of the grader uses; ``results.py`` writes the others).

Nothing a student wrote is live HTML: their Markdown is cleaned by ``nh3`` (the Ammonia
sanitiser) in the autograded notebook that formgrader renders and in the feedback page, which
also carries a Content Security Policy that allows no script, no request and no form; the only
messages are the checker's own. The math of the Markdown (``$...$``, ``$$...$$``) becomes MathML
(``latex2mathml``) before the cleaning, so the page shows it without any script; the feedback
names each part by the title of its statement in the source notebook.
"""

from __future__ import annotations

import copy
import csv
import html
import re
import warnings
from pathlib import Path

import nbformat
import nh3
import sqlalchemy.exc

from checker import SubmissionResult, nbgrader_meta

#: MathML that the math may become (what ``latex2mathml`` writes), with its presentation attributes only:
#: none takes a URL (no ``href``, ``src`` or ``xlink:href``), a style or an event handler.
MATHML_TAGS = {"math", "semantics", "annotation", "mrow", "mi", "mo", "mn", "ms", "mtext", "mspace", "msub",
               "msup", "msubsup", "mfrac", "msqrt", "mroot", "munder", "mover", "munderover", "mstyle", "mtable",
               "mtr", "mtd", "mpadded", "mphantom", "menclose", "merror", "mfenced"}
MATHML_ATTRIBUTES = {"display", "displaystyle", "mathvariant", "stretchy", "fence", "separator", "form", "lspace",
                     "rspace", "minsize", "maxsize", "symmetric", "largeop", "movablelimits", "accent", "accentunder",
                     "linethickness", "width", "height", "depth", "scriptlevel", "columnalign", "rowalign",
                     "columnspacing", "rowspacing", "columnlines", "rowlines", "frame", "columnspan", "rowspan",
                     "notation", "open", "close", "separators", "encoding"}
#: HTML that student Markdown may become: nh3's safe tags without images and image maps (they would
#: load from elsewhere), and the math as MathML.
SAFE_TAGS = (nh3.ALLOWED_TAGS - {"img", "area", "map"}) | MATHML_TAGS
SAFE_ATTRIBUTES = {**nh3.ALLOWED_ATTRIBUTES, **{tag: MATHML_ATTRIBUTES for tag in MATHML_TAGS}}
#: Math as mistune's math plugin writes it: ``\(...\)`` in a span, ``$$...$$`` in a div.
MATH_HTML = re.compile(r'<span class="math">\\\((.*?)\\\)</span>|<div class="math">\$\$(.*?)\$\$</div>', re.S)
#: Where the autograded notebook keeps the title of each part (grade_id of its test cell: title).
TITLES_KEY = "part_titles"
#: The feedback page may run no script, load nothing and submit nothing.
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
HIDDEN_BLOCK = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.S)
MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN SOLUTION", "END SOLUTION")


class LeakScanner:
    """Finds hidden-test text in a page: the canary, the markers, any distinctive hidden-test line."""

    def __init__(self, source_notebooks: list[Path], canary: str):
        self.needles = {canary, *MARKERS}
        hidden, visible = [], []
        for path in source_notebooks:
            for cell in nbformat.read(path, as_version=4).cells:
                visible.append(HIDDEN_BLOCK.sub("", cell.source))
                hidden += re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", cell.source, re.S)
        visible_text = "\n".join(visible)  # a line also in a statement, a solution or a visible test is no secret
        for block in hidden:
            for line in block.splitlines():
                line = line.strip()
                if len(line) >= 16 and line not in visible_text:
                    self.needles.add(line)

    def leaks(self, text: str, extra=()) -> list[str]:
        """The needles (and ``extra`` ones, e.g. hidden input values) found in ``text``: raw, and as
        visible text with tags removed and entities decoded."""
        shown = html.unescape(re.sub(r"<[^>]+>", "", text))
        return sorted(n for n in (*self.needles, *extra) if n in text or n in shown)


def record(gradebook, result: SubmissionResult, timestamp, flagged: bool) -> None:
    """Store the scores of one submission (called from the grading process only); ``flagged``: it needs
    attention (formgrader shows the flag)."""
    gradebook.update_or_create_student(result.student)
    with warnings.catch_warnings():
        # nbgrader's own add_submission triggers SQLAlchemy's autoflush notice (as in `nbgrader autograde`)
        warnings.filterwarnings("ignore", message="Object of type <Submitted", category=sqlalchemy.exc.SAWarning)
        submission = gradebook.update_or_create_submission(result.assignment, result.student, timestamp=timestamp)
    scores = {p.grade_id: p.points for p in result.parts}
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            if grade.name in scores:
                grade.auto_score = scores[grade.name]
                grade.needs_manual_grade = False
        notebook.flagged = flagged
    gradebook.db.commit()


#: The columns of nbgrader's ``grades.csv`` (its CsvExportPlugin), in its order.
CSV_COLUMNS = ("assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
               "raw_score", "late_submission_penalty", "score", "max_score")


def spreadsheet_safe(value) -> str:
    """``value`` as a CSV cell no spreadsheet evaluates: text starting with ``= + - @``, a tab or a
    carriage return gets a leading apostrophe (OWASP's advice on CSV injection); numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(float(value))
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def final_score(submission) -> float:
    """The score of a submitted assignment as nbgrader's exporter gives it: its points less the late penalty."""
    return max(0.0, submission.score - (submission.late_submission_penalty or 0.0))


def write_grades_csv(gradebook, path: Path) -> None:
    """nbgrader's ``grades.csv`` (same columns and rows), written with proper quoting and :func:`spreadsheet_safe`
    cells. Where nbgrader writes 0.0 for an assignment a student never submitted, the score cells (raw_score,
    late_submission_penalty, score) are empty, so that "not submitted" stands apart from a submitted zero."""
    from nbgrader.api import MissingEntry

    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(CSV_COLUMNS)
        for assignment in gradebook.assignments:
            for student in gradebook.students:
                row = {"assignment": assignment.name, "duedate": assignment.duedate, "student_id": student.id,
                       "last_name": student.last_name, "first_name": student.first_name,
                       "email": student.email, "max_score": assignment.max_score}
                try:
                    submission = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    row |= {"timestamp": None, "raw_score": None, "late_submission_penalty": None, "score": None}
                else:
                    row |= {"timestamp": submission.timestamp, "raw_score": submission.score,
                            "late_submission_penalty": submission.late_submission_penalty or 0.0,
                            "score": final_score(submission)}
                writer.writerow([spreadsheet_safe(row[c]) for c in CSV_COLUMNS])


def _mathml(match: re.Match) -> str:
    """One math span or div of mistune's as MathML; TeX that ``latex2mathml`` cannot read stays text."""
    from latex2mathml.converter import convert

    inline, block = match.groups()
    tex = html.unescape(inline if inline is not None else block).strip()
    try:
        mathml = convert(tex, display="inline" if inline is not None else "block")
    except Exception:  # noqa: BLE001 - any failure of the converter leaves the TeX as (escaped) text
        return html.escape(f"${tex}$" if inline is not None else f"$${tex}$$")
    # A command latex2mathml does not know (``\arg``) comes out as ``<mi>\arg</mi>``: show it upright,
    # without its backslash, as TeX shows a function name.
    return re.sub(r"<mi>\\([A-Za-z]+)</mi>", r'<mi mathvariant="normal">\1</mi>', mathml)


def safe_html(markdown: str) -> str:
    """Markdown (with ``$`` math) rendered to HTML by mistune, the math to MathML, then cleaned by nh3:
    no script, event handler, style, frame, form, image or ``javascript:`` link survives, whatever the input."""
    import mistune

    rendered = mistune.create_markdown(escape=False, plugins=["math", "table", "strikethrough"])(markdown)
    rendered = MATH_HTML.sub(_mathml, rendered)
    return nh3.clean(rendered, tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow")


def part_titles(source_nb) -> dict[str, str]:
    """``{grade_id of a test cell: the title of its part}``: the ``## `` heading of the Markdown statement
    before the answer cell that the test cell grades, without its "(N points)"."""
    titles, heading, answer_heading = {}, None, None
    for cell in source_nb.cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("## "):
                    heading = re.sub(r"\s*\(\d+(\.\d+)? points?\)\s*$", "", line[3:]).strip()
        elif meta.get("solution"):
            answer_heading = heading
        elif meta.get("grade") and meta.get("grade_id"):
            titles[meta["grade_id"]] = answer_heading or meta["grade_id"]
    return titles


def _verdict(part) -> dict:
    if part.points == part.max_points:
        return nbformat.v4.new_output("stream", name="stdout", text=f"Passed: {part.points:g} / {part.max_points:g}\n")
    return nbformat.v4.new_output("error", ename="Failed", evalue=part.message,
                                  traceback=[f"Failed ({part.points:g} / {part.max_points:g}): {part.message}"])


def autograded_notebook(source_nb, student_nb, result: SubmissionResult):
    """The graded notebook: the student's cells, the source's locked and test cells, verdicts as outputs."""
    source_cells = {nbgrader_meta(c)["grade_id"]: c for c in source_nb.cells if nbgrader_meta(c).get("locked")}
    answer_cells = {nbgrader_meta(c)["grade_id"]: dict(nbgrader_meta(c)) for c in source_nb.cells
                    if nbgrader_meta(c).get("solution")}
    parts = {p.grade_id: p for p in result.parts}
    nb = nbformat.v4.new_notebook(metadata=copy.deepcopy(source_nb.metadata))
    nb.metadata[TITLES_KEY] = part_titles(source_nb)
    seen = set()
    for cell in student_nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in source_cells:
            if grade_id in seen:
                continue
            new = copy.deepcopy(source_cells[grade_id])
            seen.add(grade_id)
        elif cell.get("cell_type") == "code" and isinstance(cell.get("source"), str):
            new = nbformat.v4.new_code_cell(cell.source)  # shown as code, never run or rendered as HTML
        elif cell.get("cell_type") in ("markdown", "raw") and isinstance(cell.get("source"), str):
            # The student's text, as cleaned HTML (a Markdown cell may hold HTML): formgrader renders it.
            new = nbformat.v4.new_markdown_cell(safe_html(cell.source))
            if grade_id in answer_cells:  # the answer cell keeps its identity (the source's metadata)
                new.metadata["nbgrader"] = copy.deepcopy(answer_cells[grade_id])
        else:
            continue
        if new.cell_type == "code":
            new.outputs = [_verdict(parts[grade_id])] if grade_id in parts else []
            new.execution_count = None
        nb.cells.append(new)
    for grade_id, cell in source_cells.items():  # a deleted locked cell comes back, at the end
        if grade_id not in seen:
            new = copy.deepcopy(cell)
            if new.cell_type == "code":
                new.outputs = [_verdict(parts[grade_id])] if grade_id in parts else []
            nb.cells.append(new)
    return nb


def _plain(text: str) -> str:
    """``text`` as literal Markdown text in a table cell: no markup, emphasis or math of its own."""
    return re.sub(r"([\\`*_\[\]$|~])", r"\\\1", html.escape(str(text)))


def feedback_notebook(autograded_nb, result: SubmissionResult):
    """The autograded notebook without hidden tests, with the scores on top, each part named by its title."""
    nb = copy.deepcopy(autograded_nb)
    titles = autograded_nb.metadata.get(TITLES_KEY, {})
    for cell in nb.cells:
        cell.source = HIDDEN_BLOCK.sub("", cell.source)
    lines = [f"# Feedback: {result.assignment}", "",
             f"**Score: {result.score:g} / {sum(p.max_points for p in result.parts):g}**", "",
             "| Part | Points | |", "| --- | --- | --- |"]
    for part in result.parts:
        title = _plain(titles.get(part.grade_id, part.grade_id))
        lines.append(f"| {title} | {part.points:g} / {part.max_points:g} | "
                     f"{html.escape(part.message).replace('|', '/')} |")
    if result.cell_errors:
        lines += ["", "Cells of your notebook that raised an error when it was graded: "
                  + ", ".join(f"`{e}`" for e in result.cell_errors) + "."]
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("\n".join(lines)))
    return nb


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
pre { background: #f6f8fa; padding: .75rem; overflow-x: auto; border-radius: 4px; }
.output pre { background: #fff; border-left: 4px solid #2da44e; }
.output.failed pre { border-left-color: #cf222e; background: #fff5f5; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .25rem .5rem; }
"""


def _code_html(source: str) -> str:
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    return highlight(source, PythonLexer(), HtmlFormatter(nowrap=True))


def feedback_html(autograded_nb, result: SubmissionResult) -> str:
    """A self-contained HTML page of the feedback notebook: markdown, code, and the verdicts.

    The only outputs are the verdicts the checker wrote; nothing the student's code printed or
    returned is shown (it ran on hidden inputs).
    """
    from pygments.formatters import HtmlFormatter

    nb = feedback_notebook(autograded_nb, result)
    body = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            body.append(f'<div class="markdown">{safe_html(cell.source)}</div>')
        elif cell.cell_type == "code":
            body.append(f'<div class="code"><pre class="highlight">{_code_html(cell.source)}</pre></div>')
            for output in cell.get("outputs", []):
                failed = output.get("output_type") == "error"
                text = output["traceback"][0] if failed else output.get("text", "")
                body.append(f'<div class="output{" failed" if failed else ""}"><pre>{html.escape(text)}</pre></div>')
    title = html.escape(f"{result.assignment}: feedback for {result.student}")
    css = STYLE + HtmlFormatter().get_style_defs(".highlight")
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{title}</title>\n'
            f"<style>{css}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")
