"""A class's results part by part, and the files made of them: written by the trusted side only.

Where the results live:

- the **points** of every part and the "needs attention" flag are nbgrader's gradebook's (``grade`` records
  them with :func:`report.record`; formgrader and manual grading change them there);
- the **mistake** each part was diagnosed with is kept beside the autograded notebook, in
  ``autograded/<student>/<assignment>/parts.json`` (:func:`parts_json`), so it survives the grading of
  other assignments and later runs.

What is made of them (every cell through :func:`report.spreadsheet_safe`, the csv module, UTF-8):

- ``parts.csv`` (:func:`long_table`, :data:`PARTS_COLUMNS`): one row per student of the gradebook,
  assignment of ``source/`` and graded part, in notebook order. Its format is a contract: the
  item-analysis report reads it;
- ``canvas.csv`` and ``moodle.csv`` (:func:`canvas_rows`, :func:`moodle_rows`): the totals per assignment
  (and, if asked, per part) in the layouts of Canvas's gradebook import and Moodle's CSV grade import;
- ``regrades/<UTC time>.csv`` (:func:`changes`): whose points a regrade changed, part by part.

:func:`sync_folder` writes a submission's files so that a file whose content is unchanged keeps its bytes
and its modification time.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import json
import shutil
from pathlib import Path

import nbformat

import report
from checker import SubmissionResult, nbgrader_meta

#: Beside each autograded notebook: the diagnosis of every part (and the autograder's points).
PARTS_FILE = "parts.json"
#: The columns of ``parts.csv``, in order (a contract: the item-analysis report reads them).
PARTS_COLUMNS = ("student_id", "assignment", "part", "title", "points", "max_points", "status", "diagnosis")
GRADED, NEEDS_ATTENTION, NOT_SUBMITTED = "graded", "needs attention", "not submitted"
#: The columns of a regrade's table.
REGRADE_COLUMNS = ("student_id", "assignment", "part", "title", "before", "after")
#: Canvas's gradebook import: these five columns, then one per assignment; a "Points Possible" row first.
CANVAS_FIELDS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
#: Moodle's CSV grade import: columns to map the user from, then one per grade item.
MOODLE_FIELDS = ("First name", "Last name", "Username", "ID number", "Email address")
#: The columns a roster (``--roster``) may have besides ``student_id``.
ROSTER_FIELDS = CANVAS_FIELDS + MOODLE_FIELDS


@dataclasses.dataclass(frozen=True)
class Part:
    """A graded part of an assignment, as its source notebook declares it."""

    grade_id: str
    title: str
    max_points: float


def source_parts(source_nb) -> list[Part]:
    """The graded parts (test cells) of a source notebook, in notebook order, with their titles."""
    titles = report.part_titles(source_nb)
    return [Part(meta["grade_id"], titles.get(meta["grade_id"], meta["grade_id"]), float(meta.get("points", 0)))
            for meta in map(nbgrader_meta, source_nb.cells) if meta.get("grade") and meta.get("grade_id")]


def course_parts(course: Path) -> dict[str, tuple[str, list[Part]]]:
    """``{assignment: (notebook name, parts)}`` for every assignment of ``course/source``, sorted by name."""
    out = {}
    for folder in sorted(p for p in (course / "source").iterdir() if p.is_dir()):
        notebooks = sorted(folder.glob("*.ipynb"))
        if notebooks:
            out[folder.name] = (notebooks[0].stem, source_parts(nbformat.read(notebooks[0], as_version=4)))
    return out


def parts_json(result: SubmissionResult) -> str:
    """What ``parts.json`` keeps of a graded submission: per part, its points and its diagnosis."""
    parts = [{"part": p.grade_id, "points": p.points, "max_points": p.max_points, "diagnosis": p.diagnosis}
             for p in result.parts]
    return json.dumps({"student_id": result.student, "assignment": result.assignment, "parts": parts},
                      indent=1) + "\n"


def diagnoses(course: Path, student: str, assignment: str) -> dict[str, str]:
    """``{part: diagnosis}`` from a submission's ``parts.json`` (empty if there is none or it is unreadable)."""
    if "/" in student or student in (".", ".."):
        return {}
    path = course / "autograded" / student / assignment / PARTS_FILE
    try:
        if path.is_symlink() or not path.is_file():
            return {}
        stored = json.loads(path.read_text(encoding="utf-8"))
        return {p["part"]: p["diagnosis"] for p in stored["parts"] if isinstance(p.get("diagnosis"), str)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def long_table(gradebook, course: Path) -> list[dict]:
    """The rows of ``parts.csv`` (:data:`PARTS_COLUMNS`), sorted by student, assignment and notebook order.

    ``points`` is the gradebook's score of the part (a manual grade replaces the autograder's) and None when
    the assignment was not submitted; ``status`` is :data:`NEEDS_ATTENTION` for every part of a submission
    flagged in the gradebook (the ones ``grade`` lists as needing attention); ``diagnosis`` is the key of the
    mistake the part was diagnosed with, or None.
    """
    from nbgrader.api import MissingEntry

    rows = []
    assignments = course_parts(course)
    for student in sorted(s.id for s in gradebook.students):
        for assignment, (notebook, parts) in assignments.items():
            try:
                submitted = gradebook.find_submission_notebook(notebook, assignment, student)
            except MissingEntry:
                submitted = None
            if submitted is None:
                rows += [dict(student_id=student, assignment=assignment, part=p.grade_id, title=p.title, points=None,
                              max_points=p.max_points, status=NOT_SUBMITTED, diagnosis=None) for p in parts]
                continue
            scores = {g.name: g.score for g in submitted.grades}
            found = diagnoses(course, student, assignment)
            status = NEEDS_ATTENTION if submitted.flagged else GRADED
            rows += [dict(student_id=student, assignment=assignment, part=p.grade_id, title=p.title,
                          points=scores.get(p.grade_id), max_points=p.max_points,
                          status=status if p.grade_id in scores else NEEDS_ATTENTION, diagnosis=found.get(p.grade_id))
                     for p in parts]
    return rows


def write_csv(path: Path, header, rows) -> Path:
    """``rows`` (sequences of cells, after ``header``) as UTF-8 CSV, every cell :func:`report.spreadsheet_safe`."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([report.spreadsheet_safe(c) for c in header])
        writer.writerows([report.spreadsheet_safe(c) for c in row] for row in rows)
    return path


# -- LMS exports -------------------------------------------------------------------------------------------
def read_roster(path: Path) -> dict[str, dict[str, str]]:
    """``{student_id: {LMS field: value}}`` from a roster CSV: a ``student_id`` column (the nbgrader id) and
    any of :data:`ROSTER_FIELDS`. Raises ValueError naming the roster for a missing ``student_id`` column,
    an unknown column or a student listed twice."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        columns = reader.fieldnames or []
        if "student_id" not in columns:
            raise ValueError(f"roster {path}: no student_id column (the nbgrader student id); columns: {columns}")
        unknown = [c for c in columns if c != "student_id" and c not in ROSTER_FIELDS]
        if unknown:
            raise ValueError(f"roster {path}: unknown columns {unknown}; a roster may have student_id and "
                             f"{', '.join(ROSTER_FIELDS)}")
        roster = {}
        for line, row in enumerate(reader, start=2):
            student = (row.get("student_id") or "").strip()
            if student in roster:
                raise ValueError(f"roster {path}, line {line}: student_id {student!r} is listed twice")
            roster[student] = {k: (v or "").strip() for k, v in row.items() if k in ROSTER_FIELDS and v}
    return roster


def _columns(assignments: dict[str, tuple[str, list[Part]]], per_part: bool) -> list[tuple]:
    """``(column name, assignment, part or None for the total, points possible)`` of the grade columns of an
    LMS file: each assignment's total, followed by its parts if ``per_part``."""
    columns = []
    for assignment, (_, parts) in assignments.items():
        columns.append((assignment, assignment, None, sum(p.max_points for p in parts)))
        if per_part:
            columns += [(f"{assignment}: {p.title}", assignment, p.grade_id, p.max_points) for p in parts]
    return columns


def _grades(points: dict, scores: dict, student: str, columns) -> list:
    """The grade cells of one student: an assignment's total (``scores``) or a part's points (``points``,
    by student, assignment and part); None, an empty cell, where the assignment was not submitted."""
    return [scores.get((student, assignment)) if part is None else points.get((student, assignment, part))
            for _, assignment, part, _ in columns]


def _points(rows: list[dict]) -> dict:
    """``{(student, assignment, part): points}`` of the long table's ``rows``."""
    return {(r["student_id"], r["assignment"], r["part"]): r["points"] for r in rows}


def totals(gradebook) -> dict[tuple[str, str], float]:
    """``{(student, assignment): score}`` of every submission, late penalty deducted (as in grades.csv)."""
    return {(sub.student.id, assignment.name): report.final_score(sub)
            for assignment in gradebook.assignments for sub in gradebook.assignment_submissions(assignment.name)}


def canvas_rows(gradebook, course: Path, roster: dict, per_part: bool, rows: list[dict] | None = None):
    """Header and rows of Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, one column
    per assignment (and per part if ``per_part``); the first row is "Points Possible". Without a roster the
    student is named as in the gradebook and identified by the nbgrader id as SIS Login ID."""
    assignments = course_parts(course)
    points = _points(long_table(gradebook, course) if rows is None else rows)
    scores, columns = totals(gradebook), _columns(assignments, per_part)
    out = [["Points Possible", "", "", "", "", *(possible for *_, possible in columns)]]
    for student in sorted(gradebook.students, key=lambda s: s.id):
        known = roster.get(student.id, {})
        name = ", ".join(n for n in (student.last_name, student.first_name) if n) or student.id
        out.append([known.get("Student", name), known.get("ID", ""), known.get("SIS User ID", ""),
                    known.get("SIS Login ID", student.id), known.get("Section", ""),
                    *_grades(points, scores, student.id, columns)])
    return [*CANVAS_FIELDS, *(column[0] for column in columns)], out


def moodle_rows(gradebook, course: Path, roster: dict, per_part: bool, rows: list[dict] | None = None):
    """Header and rows of Moodle's CSV grade import: First name, Last name, Username, ID number, Email address
    (map the user from one of them), one column per assignment (and per part if ``per_part``) to map to a grade
    item. Without a roster, Username is the nbgrader id."""
    assignments = course_parts(course)
    points = _points(long_table(gradebook, course) if rows is None else rows)
    scores, columns = totals(gradebook), _columns(assignments, per_part)
    out = []
    for student in sorted(gradebook.students, key=lambda s: s.id):
        known = roster.get(student.id, {})
        out.append([known.get("First name", student.first_name or ""), known.get("Last name", student.last_name or ""),
                    known.get("Username", student.id), known.get("ID number", ""),
                    known.get("Email address", student.email or ""), *_grades(points, scores, student.id, columns)])
    return [*MOODLE_FIELDS, *(column[0] for column in columns)], out


def write_tables(gradebook, course: Path, roster: dict | None = None, per_part: bool = False) -> list[Path]:
    """``parts.csv``, ``canvas.csv`` and ``moodle.csv`` of ``course`` from the gradebook and the stored
    diagnoses; returns their paths."""
    rows = long_table(gradebook, course)
    paths = [write_csv(course / "parts.csv", PARTS_COLUMNS, [[r[c] for c in PARTS_COLUMNS] for r in rows])]
    for name, make in (("canvas.csv", canvas_rows), ("moodle.csv", moodle_rows)):
        header, body = make(gradebook, course, roster or {}, per_part, rows)
        paths.append(write_csv(course / name, header, body))
    return paths


# -- regrades ----------------------------------------------------------------------------------------------
def snapshot(gradebook, assignment: str) -> dict[tuple[str, str], float]:
    """``{(student, part): points}`` of every submission of ``assignment`` in the gradebook."""
    from nbgrader.api import MissingEntry

    try:
        submissions = gradebook.assignment_submissions(assignment)
    except MissingEntry:
        return {}
    return {(sub.student.id, grade.name): grade.score
            for sub in submissions for notebook in sub.notebooks for grade in notebook.grades}


def changes(before: dict, after: dict, assignment: str, parts: list[Part]) -> list[dict]:
    """The rows (:data:`REGRADE_COLUMNS`) of the parts whose points differ between two :func:`snapshot`\\ s of
    ``assignment``, by student and notebook order; a part absent from one is :data:`NOT_SUBMITTED` there.
    None when ``before`` is empty: grading for the first time changes nothing."""
    if not before:
        return []
    order = {p.grade_id: i for i, p in enumerate(parts)}
    titles = {p.grade_id: p.title for p in parts}
    keys = sorted(set(before) | set(after), key=lambda k: (k[0], order.get(k[1], len(order)), k[1]))
    return [dict(student_id=student, assignment=assignment, part=part, title=titles.get(part, part),
                 before=before.get((student, part), NOT_SUBMITTED), after=after.get((student, part), NOT_SUBMITTED))
            for student, part in keys if before.get((student, part)) != after.get((student, part))]


def regrade_lines(rows: list[dict]) -> list[str]:
    """The rows of a regrade as an aligned text table (student, assignment, part, before -> after)."""
    def text(value):
        return value if isinstance(value, str) else f"{value:g}"

    cells = [(r["student_id"], r["assignment"], r["title"], f"{text(r['before'])} -> {text(r['after'])}") for r in rows]
    widths = [max(len(c[i]) for c in [("student", "assignment", "part", "before -> after"), *cells]) for i in range(3)]
    return ["  ".join(c.ljust(w) for c, w in zip(line[:3], widths)) + "  " + line[3]
            for line in [("student", "assignment", "part", "before -> after"), *cells]]


def write_regrades(course: Path, rows: list[dict], now: datetime.datetime | None = None) -> Path:
    """``regrades/<UTC time>.csv`` with ``rows`` (:data:`REGRADE_COLUMNS`); returns its path."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    folder = course / "regrades"
    folder.mkdir(exist_ok=True)
    stamp = now.strftime("%Y-%m-%dT%H%M%SZ")
    path, n = folder / f"{stamp}.csv", 1
    while path.exists():
        n += 1
        path = folder / f"{stamp}-{n}.csv"
    return write_csv(path, REGRADE_COLUMNS, [[r[c] for c in REGRADE_COLUMNS] for r in rows])


# -- writing a submission's files --------------------------------------------------------------------------
def notebook_text(nb) -> str:
    """A notebook as ``nbformat.write`` writes it."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def _same_notebook(old: str, new: str) -> bool:
    """Two notebook texts equal but for their cells' ids (nbformat gives every new cell a random one)."""
    def without_ids(text):
        data = json.loads(text)
        for cell in data.get("cells", []):
            cell.pop("id", None)
        return data

    try:
        return without_ids(old) == without_ids(new)
    except (ValueError, AttributeError):
        return False


def remove(path: Path) -> None:
    """Remove a file, a link or a folder (with what is in it), if there is one."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def sync_folder(folder: Path, files: dict[str, str]) -> list[str]:
    """Make ``folder`` hold exactly ``files`` (``{name: text}``), writing only those whose content changed (a
    notebook: but for cell ids), so that an unchanged file keeps its bytes and modification time. A link in
    place of the folder or of a file is removed, never followed. Returns the names written."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        folder.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    for entry in folder.iterdir():
        if entry.name not in files or entry.is_symlink() or not entry.is_file():
            remove(entry)
    written = []
    for name, text in files.items():
        path = folder / name
        if path.is_file():
            old = path.read_text(encoding="utf-8", errors="replace")
            if old == text or (name.endswith(".ipynb") and _same_notebook(old, text)):
                continue
        path.write_text(text, encoding="utf-8")
        written.append(name)
    return written
