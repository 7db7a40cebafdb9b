"""A class's results part by part (``exercises/grading/results.py``): the long table ``parts.csv``, the
Canvas and Moodle imports, "not submitted" apart from a submitted zero, formulas neutralised, hidden-test
text kept out, and a regrade that names whose points changed and rewrites only their files.

Most tests write hand-made results through ``instructor.py``'s own writer (no sandbox); one class run
grades a solution, a wrong answer and a student who skipped an assignment in sandboxes, makes the item
analysis and the similarity pages of that class, then regrades after a resubmission.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
sys.path.insert(0, str(EXERCISES))
sys.path.insert(0, str(EXERCISES / "grading"))

import instructor  # noqa: E402
import report  # noqa: E402
import results  # noqa: E402
from checker import PartResult, SubmissionResult  # noqa: E402

#: The two assignments of the small courses here (their release is quick).
TWO = ("01_modeling", "02_forward_pass")
TITLES = {"softmax-tests": "Part 1 · A stable softmax", "softmax_with_temperature-tests": "Part 2 · Temperature",
          "temperature_for-tests": "Part 3 · A temperature for a given confidence", "logits-tests": "Part 1 · Logits",
          "predict_proba-tests": "Part 2 · Probabilities", "predict-tests": "Part 3 · Predicted classes",
          "top_n_accuracy-tests": "Part 4 · Top-n accuracy"}
POINTS = {"softmax-tests": 3.0, "softmax_with_temperature-tests": 2.0, "temperature_for-tests": 2.0,
          "logits-tests": 1.0, "predict_proba-tests": 2.0, "predict-tests": 1.0, "top_n_accuracy-tests": 2.0}
PARTS_OF = {"01_modeling": ["softmax-tests", "softmax_with_temperature-tests", "temperature_for-tests"],
            "02_forward_pass": ["logits-tests", "predict_proba-tests", "predict-tests", "top_n_accuracy-tests"]}
NOTEBOOK = {"01_modeling": "softmax", "02_forward_pass": "forward_pass"}


def make_course(path: Path, assignments=TWO) -> Path:
    path.mkdir(parents=True)
    for name in ("nbgrader_config.py", "autograde_checks.py"):
        shutil.copy(EXERCISES / name, path / name)
    for assignment in assignments:
        shutil.copytree(EXERCISES / "source" / assignment, path / "source" / assignment,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return path


def run(course: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(EXERCISES / "instructor.py"), *args, "--course", str(course)],
                          capture_output=True, text=True, timeout=timeout)


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def table(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def gradebook(course: Path):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{course / 'gradebook.db'}", "softmax-regression")


# -- hand-made results, written by instructor.py's writer (no sandbox) -----------------------------------
def full(assignment: str) -> list[PartResult]:
    return [PartResult(p, POINTS[p], POINTS[p], "passed") for p in PARTS_OF[assignment]]


def write(course: Path, student: str, assignment: str, parts: list[PartResult], attention=()) -> list[str]:
    """Submit the release notebook for ``student`` and record ``parts`` as its grading result."""
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    name = NOTEBOOK[assignment]
    shutil.copy(course / "release" / assignment / f"{name}.ipynb", folder / f"{name}.ipynb")
    (folder / "timestamp.txt").write_text("2026-12-01 12:00:00.000000 UTC")
    result = SubmissionResult(student, assignment, name, parts, [], list(attention))
    source_nb = nbformat.read(course / "source" / assignment / f"{name}.ipynb", as_version=4)
    scanner = instructor._scanner(course, instructor._leak_needles(course))
    with gradebook(course) as gb:
        return instructor._write_results(course, folder, source_nb, result, gb, scanner)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    """alice: everything right; bob: softmax without the max shift, 02 not submitted; carol: 01 needs attention
    (its last part not graded), 02 not submitted."""
    course = make_course(tmp_path_factory.mktemp("recorded") / "course")
    released = run(course, "release")
    assert released.returncode == 0, released.stdout + released.stderr
    write(course, "alice", "01_modeling", full("01_modeling"))
    write(course, "alice", "02_forward_pass", full("02_forward_pass"))
    bob = full("01_modeling")
    bob[0] = PartResult("softmax-tests", 0.0, 3.0, "softmax overflows for large logits", "no-max-shift")
    write(course, "bob", "01_modeling", bob)
    carol = full("01_modeling")
    carol[2] = PartResult("temperature_for-tests", 0.0, 2.0, "not graded: time limit")
    assert write(course, "carol", "01_modeling", carol, ["temperature_for: time limit"])
    instructor.export(course)
    return course


def expected_rows() -> list[dict]:
    """parts.csv of :func:`recorded`, by hand."""
    def row(student, assignment, part, points, status, diagnosis=""):
        return dict(student_id=student, assignment=assignment, part=part, title=TITLES[part], points=points,
                    max_points=f"{POINTS[part]}", status=status, diagnosis=diagnosis)

    rows = []
    for part in PARTS_OF["01_modeling"]:
        rows.append(row("alice", "01_modeling", part, f"{POINTS[part]}", "graded"))
    for part in PARTS_OF["02_forward_pass"]:
        rows.append(row("alice", "02_forward_pass", part, f"{POINTS[part]}", "graded"))
    rows += [row("bob", "01_modeling", "softmax-tests", "0.0", "graded", "no-max-shift"),
             row("bob", "01_modeling", "softmax_with_temperature-tests", "2.0", "graded"),
             row("bob", "01_modeling", "temperature_for-tests", "2.0", "graded")]
    rows += [row("bob", "02_forward_pass", part, "", "not submitted") for part in PARTS_OF["02_forward_pass"]]
    rows += [row("carol", "01_modeling", "softmax-tests", "3.0", "needs attention"),
             row("carol", "01_modeling", "softmax_with_temperature-tests", "2.0", "needs attention"),
             row("carol", "01_modeling", "temperature_for-tests", "0.0", "needs attention")]
    rows += [row("carol", "02_forward_pass", part, "", "not submitted") for part in PARTS_OF["02_forward_pass"]]
    return rows


def test_the_long_table_has_a_row_per_student_assignment_and_part(recorded):
    assert read_csv(recorded / "parts.csv")[0] == ["student_id", "assignment", "part", "title", "points",
                                                   "max_points", "status", "diagnosis"]
    assert table(recorded / "parts.csv") == expected_rows()
    stored = json.loads((recorded / "autograded" / "bob" / "01_modeling" / "parts.json").read_text())
    assert stored["parts"][0] == {"part": "softmax-tests", "points": 0.0, "max_points": 3.0,
                                  "diagnosis": "no-max-shift"}


def test_not_submitted_is_an_empty_score_in_grades_csv(recorded):
    rows = {(r["student_id"], r["assignment"]): r for r in table(recorded / "grades.csv")}
    assert set(rows) == {(s, a) for s in ("alice", "bob", "carol") for a in TWO}
    assert rows["bob", "02_forward_pass"]["score"] == rows["bob", "02_forward_pass"]["raw_score"] == ""
    assert rows["bob", "02_forward_pass"]["timestamp"] == "" and rows["bob", "02_forward_pass"]["max_score"] == "6.0"
    assert rows["bob", "01_modeling"]["score"] == "4.0" and rows["alice", "02_forward_pass"]["score"] == "6.0"


def test_canvas_import_has_its_documented_layout(recorded):
    rows = read_csv(recorded / "canvas.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01_modeling", "02_forward_pass"]
    assert rows[1] == ["Points Possible", "", "", "", "", "7.0", "6.0"]
    assert rows[2:] == [["alice", "", "", "alice", "", "7.0", "6.0"], ["bob", "", "", "bob", "", "4.0", ""],
                        ["carol", "", "", "carol", "", "5.0", ""]]


def test_moodle_import_has_its_documented_layout(recorded):
    rows = read_csv(recorded / "moodle.csv")
    assert rows[0] == ["First name", "Last name", "Username", "ID number", "Email address", "01_modeling",
                       "02_forward_pass"]
    assert rows[1:] == [["", "", "alice", "", "", "7.0", "6.0"], ["", "", "bob", "", "", "4.0", ""],
                        ["", "", "carol", "", "", "5.0", ""]]


def test_export_recreates_the_csvs_with_a_roster_and_parts(recorded, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,Student,ID,SIS Login ID,Section,Username,Email address\n"
                      "bob,\"Builder, Bob\",1042,bob.b,S1,bbuilder,bob@example.org\n", encoding="utf-8")
    before = (recorded / "parts.csv").read_bytes()
    (recorded / "parts.csv").unlink()
    done = run(recorded, "export", "--roster", str(roster), "--per-part", timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 students of the gradebook are not in the roster" in done.stdout and "alice, carol" in done.stdout
    assert (recorded / "parts.csv").read_bytes() == before
    canvas = read_csv(recorded / "canvas.csv")
    assert canvas[0][5:9] == ["01_modeling", *(f"01_modeling: {TITLES[p]}" for p in PARTS_OF["01_modeling"])]
    assert canvas[1][5:9] == ["7.0", "3.0", "2.0", "2.0"]
    assert canvas[3][:9] == ["Builder, Bob", "1042", "", "bob.b", "S1", "4.0", "0.0", "2.0", "2.0"]
    assert canvas[3][9:] == ["", "", "", "", ""]  # 02: not submitted, total and parts
    moodle = read_csv(recorded / "moodle.csv")
    assert moodle[2][:6] == ["", "", "bbuilder", "", "bob@example.org", "4.0"]
    assert moodle[1][2] == "alice"  # not in the roster: the nbgrader id
    instructor.export(recorded)  # as the fixture left them


@pytest.mark.parametrize("content, problem", [
    ("id,Student\nbob,Bob\n", "no student_id column"), ("student_id,Nickname\nbob,B\n", "unknown columns"),
    ("student_id,Student\nbob,B\nbob,C\n", "listed twice")])
def test_a_bad_roster_is_refused_naming_it(tmp_path, content, problem):
    roster = tmp_path / "roster.csv"
    roster.write_text(content)
    with pytest.raises(ValueError, match=problem) as error:
        results.read_roster(roster)
    assert str(roster) in str(error.value)
    with pytest.raises(SystemExit, match="--roster"):
        instructor._roster(roster)


def test_export_without_a_gradebook_says_so(tmp_path):
    course = make_course(tmp_path / "course", ("01_modeling",))
    done = run(course, "export", timeout=120)
    assert done.returncode != 0 and "nothing was graded yet" in done.stderr and "Traceback" not in done.stderr


def test_hidden_test_text_in_a_table_deletes_it(recorded):
    path = recorded / "autograded" / "bob" / "01_modeling" / "parts.json"
    kept = path.read_text()
    stored = json.loads(kept)
    canary = next(n for n in instructor._leak_needles(recorded) if n not in report.MARKERS)
    stored["parts"][0]["diagnosis"] = f"x {canary}"
    path.write_text(json.dumps(stored))
    try:
        with pytest.raises(SystemExit, match="parts.csv"):
            instructor.export(recorded)
        assert not (recorded / "parts.csv").exists()
        assert (recorded / "grades.csv").exists()
    finally:
        path.write_text(kept)
        instructor.export(recorded)
    assert table(recorded / "parts.csv") == expected_rows()


# -- neutralised cells ------------------------------------------------------------------------------------
def test_every_csv_cell_is_data_not_a_formula(tmp_path):
    """Ids, titles, diagnoses and roster fields starting with = + - @ (and tab, CR) get a leading apostrophe in
    parts.csv, canvas.csv, moodle.csv and a regrade's table; numbers stay numbers."""
    course = tmp_path / "course"
    folder = course / "source" / "01_evil"
    folder.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("## =HYPERLINK(\"http://x\") (2 points)"),
                nbformat.v4.new_code_cell("def f():\n    pass", metadata={"nbgrader": {"solution": True,
                                                                                       "grade_id": "answer"}}),
                nbformat.v4.new_code_cell("check(f)", metadata={"nbgrader": {"grade": True, "grade_id": "@part",
                                                                              "points": 2}})]
    nbformat.write(nb, folder / "evil.ipynb")
    assert results.course_parts(course) == {"01_evil": ("evil", [results.Part("@part", '=HYPERLINK("http://x")', 2.0)])}
    rows = [dict(student_id="-1+2", assignment="01_evil", part="@part", title='=HYPERLINK("http://x")', points=0.0,
                 max_points=2.0, status="graded", diagnosis="+cmd|' /C calc'!A0")]
    student = types.SimpleNamespace(id="-1+2", first_name="=1+1", last_name="@SUM(A1)", email="\tx@y")
    fake = types.SimpleNamespace(students=[student], assignments=[types.SimpleNamespace(name="01_evil")],
                                 assignment_submissions=lambda name: [])
    roster = {"-1+2": {"Section": "\r=2", "ID number": "-5"}}
    written = {"parts.csv": results.write_csv(course / "parts.csv", results.PARTS_COLUMNS,
                                              [[r[c] for c in results.PARTS_COLUMNS] for r in rows])}
    for name, make in (("canvas.csv", results.canvas_rows), ("moodle.csv", results.moodle_rows)):
        written[name] = results.write_csv(course / name, *make(fake, course, roster, True, rows))
    regrade = results.changes({("-1+2", "@part"): 2.0}, {("-1+2", "@part"): 0.0}, "01_evil",
                              results.course_parts(course)["01_evil"][1])
    written["regrade"] = results.write_regrades(course, regrade)
    cells = {name: [c for row in read_csv(path) for c in row] for name, path in written.items()}
    for name, found in cells.items():
        assert not [c for c in found if c[:1] in ("=", "+", "-", "@", "\t", "\r")], (name, found)
    assert "'=HYPERLINK(\"http://x\")" in cells["parts.csv"] and "'+cmd|' /C calc'!A0" in cells["parts.csv"]
    assert "'-1+2" in cells["parts.csv"] and "'@part" in cells["parts.csv"] and "0.0" in cells["parts.csv"]
    assert {"'@SUM(A1), =1+1", "'-1+2", "'\r=2", "01_evil: =HYPERLINK(\"http://x\")"} <= set(cells["canvas.csv"])
    assert {"'=1+1", "'@SUM(A1)", "'-1+2", "'-5", "'\tx@y"} <= set(cells["moodle.csv"])
    assert "'=HYPERLINK(\"http://x\")" in cells["regrade"] and {"2.0", "0.0"} <= set(cells["regrade"])


# -- regrades, without a sandbox ----------------------------------------------------------------------------
def test_changes_name_the_parts_whose_points_changed():
    parts = [results.Part("a-tests", "Part 1", 2.0), results.Part("b-tests", "Part 2", 1.0)]
    before = {("ann", "a-tests"): 2.0, ("ann", "b-tests"): 0.0, ("ben", "a-tests"): 1.0, ("ben", "b-tests"): 1.0}
    after = {**before, ("ann", "b-tests"): 1.0, ("cy", "a-tests"): 0.0, ("cy", "b-tests"): 1.0}
    rows = results.changes(before, after, "01_x", parts)
    assert [(r["student_id"], r["part"], r["before"], r["after"]) for r in rows] == [
        ("ann", "b-tests", 0.0, 1.0), ("cy", "a-tests", "not submitted", 0.0), ("cy", "b-tests", "not submitted", 1.0)]
    assert results.changes({}, after, "01_x", parts) == []  # graded for the first time: no diff
    lines = results.regrade_lines(rows)
    assert lines[0].split() == ["student", "assignment", "part", "before", "->", "after"]
    assert lines[1].split() == ["ann", "01_x", "Part", "2", "0", "->", "1"]
    assert lines[2].endswith("not submitted -> 0")


def test_sync_folder_writes_only_what_changed(tmp_path):
    folder = tmp_path / "feedback" / "ann" / "01_x"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    assert results.sync_folder(folder, {"a.html": "page", "n.ipynb": results.notebook_text(nb)}) == ["a.html",
                                                                                                      "n.ipynb"]
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    os.utime(folder / "a.html", ns=(1, 1))
    os.utime(folder / "n.ipynb", ns=(1, 1))
    (folder / "stale.txt").write_text("old")
    again = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])  # new random cell ids
    assert again.cells[0].id != nb.cells[0].id and stamps
    assert results.sync_folder(folder, {"a.html": "page", "n.ipynb": results.notebook_text(again)}) == []
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == {"a.html": 1, "n.ipynb": 1}
    assert results.sync_folder(folder, {"a.html": "new page", "n.ipynb": results.notebook_text(again)}) == ["a.html"]
    assert (folder / "a.html").read_text() == "new page" and (folder / "n.ipynb").stat().st_mtime_ns == 1
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(folder)
    folder.symlink_to(elsewhere)  # a link in place of the folder is removed, never followed
    results.sync_folder(folder, {"a.html": "page"})
    assert not folder.is_symlink() and list(elsewhere.iterdir()) == []


# -- a class graded in sandboxes, then regraded -------------------------------------------------------------
needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None and not os.environ.get("CI"),
                                 reason="bubblewrap (bwrap) is not installed (in CI it must be)")
LIMITS = ("--cell-timeout", "15", "--wall-factor", "2", "--jobs", "2")


@pytest.fixture(scope="module")
def regraded(tmp_path_factory):
    """solved: both assignments right; wrong: softmax without the max shift, 02 not submitted. Graded, then
    wrong resubmits a fixed 01 and 01 is graded again."""
    from test_exercises import MUTATIONS, answers, source_notebook, submission

    course = make_course(tmp_path_factory.mktemp("regrade") / "course")
    assert run(course, "release").returncode == 0
    wrong = next(m for m in MUTATIONS if m["diagnosis"] == "no-max-shift" and m["assignment"] == "01_modeling")
    notebooks = {}
    for assignment in TWO:
        name, source_nb = source_notebook(assignment)
        release = nbformat.read(course / "release" / assignment / f"{name}.ipynb", as_version=4)
        notebooks[assignment] = (name, release, answers(source_nb))

    def put(student, assignment, nb, when):
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{notebooks[assignment][0]}.ipynb")
        (folder / "timestamp.txt").write_text(f"2026-12-0{when} 12:00:00.000000 UTC")

    for assignment in TWO:
        _, release, solved = notebooks[assignment]
        put("solved", assignment, submission(release, solved), 1)
    _, release, solved = notebooks["01_modeling"]
    put("wrong", "01_modeling", submission(release, solved, {wrong["answer"]: wrong["source"]}), 1)
    first = run(course, "grade", *LIMITS)
    # The instructor's pages of the class as first graded (they read parts.csv and submitted/; nothing is run).
    pages = {"report": run(course, "report", timeout=300),
             **{a: run(course, "similarity", a, timeout=300) for a in TWO}}
    html_of = {name: (course / ("report.html" if name == "report" else f"similarity_{name}.html")).read_text()
               for name in pages}
    files = sorted(p for p in (course / "feedback").rglob("*") if p.is_file()) + \
        sorted(p for p in (course / "autograded").rglob("*") if p.is_file())
    kept = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    csvs = {name: (course / name).read_text() for name in ("parts.csv", "canvas.csv", "moodle.csv")}
    first_regrades = (course / "regrades").exists()
    put("wrong", "01_modeling", submission(release, solved), 2)  # the resubmission: fixed
    second = run(course, "grade", "01_modeling", *LIMITS)
    resubmitted = run(course, "similarity", "01_modeling", timeout=300)
    html_of["resubmitted"] = (course / "similarity_01_modeling.html").read_text()
    return types.SimpleNamespace(course=course, first=first, second=second, kept=kept, first_csvs=csvs,
                                 first_regrades=first_regrades, pages={**pages, "resubmitted": resubmitted},
                                 html=html_of)


@pytest.mark.slow
@pytest.mark.timeout(1200)
@needs_bwrap
def test_a_graded_class_has_its_long_table(regraded):
    assert regraded.first.returncode == 0, regraded.first.stdout[-3000:] + regraded.first.stderr[-3000:]
    assert "Points changed" not in regraded.first.stdout  # graded for the first time: no diff
    assert not regraded.first_regrades
    rows = list(csv.DictReader(io.StringIO(regraded.first_csvs["parts.csv"])))
    got = [(r["student_id"], r["assignment"], r["part"], r["points"], r["status"], r["diagnosis"]) for r in rows]
    assert got == [("solved", a, p, f"{POINTS[p]}", "graded", "") for a in TWO for p in PARTS_OF[a]] + [
        ("wrong", "01_modeling", "softmax-tests", "0.0", "graded", "no-max-shift"),
        ("wrong", "01_modeling", "softmax_with_temperature-tests", "2.0", "graded", ""),
        ("wrong", "01_modeling", "temperature_for-tests", "2.0", "graded", "")] + [
        ("wrong", "02_forward_pass", p, "", "not submitted", "") for p in PARTS_OF["02_forward_pass"]]
    assert list(csv.reader(io.StringIO(regraded.first_csvs["canvas.csv"])))[2:] == [
        ["solved", "", "", "solved", "", "7.0", "6.0"], ["wrong", "", "", "wrong", "", "4.0", ""]]


def between(page: str, start: str, end: str) -> str:
    """The part of ``page`` from the first ``start`` to the next ``end`` (or the end of the page)."""
    assert start in page, start
    rest = page[page.index(start):]
    return rest[:rest.index(end, len(start))] if end in rest[len(start):] else rest


def parts_table(section: str) -> dict[str, list[str]]:
    """The table of parts of an assignment's section of the report: {title (as on the page): [its cells]}."""
    body = between(between(section, "<caption>Parts of ", "</table>"), "<tbody>", "</tbody>")
    return {row[0]: row[1:] for row in (re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr)
                                        for tr in re.findall(r"<tr>(.*?)</tr>", body))}


@pytest.mark.slow
@pytest.mark.timeout(1200)
@needs_bwrap
def test_report_and_similarity_of_the_graded_class(regraded):
    """``report`` and ``similarity`` on the class as first graded: every part by its title, wrong's mistake
    counted under its part with the message the course declares, wrong counted as not submitting 02, and the
    answers compared (two of wrong's three answers are the solution's: the pair is listed, below 100 %)."""
    from lecture_lib.exercises import PARTS

    for name, done in regraded.pages.items():
        assert done.returncode == 0, (name, done.stdout[-2000:] + done.stderr[-2000:])
    page = regraded.html["report"]
    sections = {a: between(page, f'<h2 id="assignment-{k}">{a}</h2>', "</section>") for k, a in enumerate(TWO, 1)}
    for assignment, section in sections.items():
        parts = PARTS_OF[assignment]
        for k, part in enumerate(parts, start=1):
            assert f'<h3 id="assignment-{TWO.index(assignment) + 1}-part-{k}">{html.escape(TITLES[part])} ' in section
        cells = parts_table(section)
        assert list(cells) == [html.escape(TITLES[p]) for p in parts]
        # Columns: p, r, D, mean / max, submitted, needs attention, not submitted.
        expected = ("2", "0", "0") if assignment == "01_modeling" else ("1", "0", "1")
        assert all(tuple(row[4:]) == expected for row in cells.values()), cells
    assert "<p>1 of 2 students submitted it;" in sections["02_forward_pass"]
    assert sections["02_forward_pass"].count("not submitted</li>") == 4  # wrong's four parts

    message = {m.key: m.message for p in PARTS["01_modeling"] for m in p.mistakes}["no-max-shift"]
    first, *others = [between(sections["01_modeling"], f'<h3 id="assignment-1-part-{k}">', "<h3")
                      for k in range(1, 4)]
    mistakes = between(first, "<caption>Mistakes recognised on", "</table>")
    assert (f'<tr><th scope="row"><code>no-max-shift</code></th><td>{html.escape(message)}</td>'
            '<td class="number">1</td></tr>') in mistakes, mistakes
    assert all("<p>No recognised mistake.</p>" in other for other in others)
    assert parts_table(sections["01_modeling"])[html.escape(TITLES["softmax-tests"])][3] == "1.50 / 3"

    first_pages = {a: regraded.html[a] for a in TWO}
    assert "2 submissions of 01_modeling compared; 1 pairs" in regraded.pages["01_modeling"].stdout
    shares = [float(s) / 100 for s in re.findall(r'<td class="number">(\d+)%</td>', first_pages["01_modeling"])]
    assert len(shares) == 2 and all(0.5 <= s < 1 for s in shares), shares  # softmax differs: not all of it
    assert "<p>1 submissions compared" in first_pages["02_forward_pass"]  # wrong submitted no 02: nobody to pair
    assert "No pair reaches 50%." in first_pages["02_forward_pass"] and "<mark>" not in first_pages["02_forward_pass"]
    # After the resubmission, wrong's answers are the solution's: all of each in the other.
    assert re.findall(r'<td class="number">(\d+)%</td>', regraded.html["resubmitted"]) == ["100", "100"]


@pytest.mark.slow
@pytest.mark.timeout(1200)
@needs_bwrap
def test_a_regrade_names_the_changed_part_and_rewrites_only_its_files(regraded):
    course, second = regraded.course, regraded.second
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    (saved,) = sorted((course / "regrades").glob("*.csv"))
    assert read_csv(saved) == [["student_id", "assignment", "part", "title", "before", "after"],
                               ["wrong", "01_modeling", "softmax-tests", TITLES["softmax-tests"], "0.0", "3.0"]]
    shown = second.stdout.split("Points changed by this regrade (1 part;")[1].splitlines()[1:3]
    assert shown[0].split() == ["student", "assignment", "part", "before", "->", "after"]
    assert shown[1].split()[:2] == ["wrong", "01_modeling"] and shown[1].endswith("0 -> 3")
    for path, (data, mtime) in regraded.kept.items():
        if "/wrong/01_modeling/" in str(path):  # the resubmission's feedback, notebook, parts.json, timestamp
            assert path.read_bytes() != data, path
        else:  # everyone else's, regraded with the same results: untouched
            assert (path.read_bytes(), path.stat().st_mtime_ns) == (data, mtime), path
    stored = json.loads((course / "autograded" / "wrong" / "01_modeling" / "parts.json").read_text())
    assert [p["diagnosis"] for p in stored["parts"]] == [None, None, None]
    rows = {(r["student_id"], r["assignment"], r["part"]): r for r in table(course / "parts.csv")}
    assert rows["wrong", "01_modeling", "softmax-tests"]["points"] == "3.0"
    assert rows["wrong", "02_forward_pass", "logits-tests"]["status"] == "not submitted"  # kept across runs
    assert rows["solved", "02_forward_pass", "logits-tests"]["points"] == "1.0"


@pytest.mark.slow
@pytest.mark.timeout(1200)
@needs_bwrap
def test_no_hidden_test_text_in_any_csv(regraded):
    from test_grading_redteam import secrets

    course = regraded.course
    paths = [course / n for n in ("grades.csv", "parts.csv", "canvas.csv", "moodle.csv")]
    paths += sorted((course / "regrades").glob("*.csv"))
    scanner = instructor._scanner(course, instructor._leak_needles(course))
    for path in paths:
        text = path.read_text()
        assert scanner.leaks(text) == [], path
        assert not [s for s in secrets() if s in text], path
