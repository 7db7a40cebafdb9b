"""The second red-team class: one submission per attack of issue 17, graded with honest students.

Each row of the issue is here as a submission (or as an entry of ``submitted/`` or of an inbox):

1. live HTML: student Markdown with ``<img onerror>``, ``<script>``, ``javascript:`` links and an
   image from another host; an exception whose type name is HTML;
2. malformed data: a ``grade_id`` that is a list or a dict, a lone surrogate in Markdown, a folder
   whose name is not UTF-8;
3. a student id that is a marker of hidden tests (``BEGIN SOLUTION``) or the public canary;
4. ``ptrace`` of the sandbox's init, then busy processes meant to outlive grading;
5. six children under the memory limit each but over it together, 1000 forks, a full tmpfs, 60 busy
   ``setsid`` children next to honest students;
6. exception type names that carry ``/etc/shadow`` and the hidden inputs;
7. PyTorch where the rule is numpy only;
8. student ids with ``,`` and a newline, a spreadsheet formula, terminal escape sequences;
9. links (to a source notebook, another student's work, ``/etc/shadow``, ``/dev/zero``), a FIFO,
   a folder link, in ``submitted/`` and in an inbox;
10. an oversized notebook and an oversized reply;
11. feedback withheld for a leak (the public canary in Markdown) is flagged in the gradebook.

Asserted: honest students get their grades; no attacker gets more than its answers are worth; the
run ends with every file written (``grades.csv`` as data, every feedback page with a strict CSP
and no live HTML); every attack is listed as needing attention with a reason; nothing secret
reaches any page, notebook or output; no process and no control group of the run is left.
"""

from __future__ import annotations

import csv
import html
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from lecture_lib.exercises.framework import run
from test_exercises import CANARY, EXERCISES, answers, source_notebook, submission, total_points
from test_grading_redteam import (HONEST_VALUE, MARKER, WRONG_SOFTMAX, instructor, make_course,
                                  processes_mentioning, put, scores, secrets)

sys.path.insert(0, str(EXERCISES / "grading"))
import checker  # noqa: E402
import cgroups  # noqa: E402
import hidden_tests  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800),  # the module fixture grades the class
              pytest.mark.skipif(shutil.which("bwrap") is None and not os.environ.get("CI"),
                                 reason="bubblewrap (bwrap) is not installed (in CI it must be)")]

LIMITS = ("--cell-timeout", "8", "--notebook-timeout", "60", "--memory-mb", "1024", "--cpu-seconds", "20",
          "--output-limit-kb", "512", "--wall-factor", "3")
#: The scores honest students get, alone or in any class (``test_grading_redteam`` checks them alone).
HONEST = {"honest-solved": total_points("01_modeling"), "honest-wrong-softmax": HONEST_VALUE["01_modeling"],
          "honest-blank": 0.0}
XSS = ('Harmless sentence one.\n\n<img src="x" onerror="window.__xss=1">\n\n<script>window.__xss=2</script>\n\n'
       '[click](javascript:window.__xss=3) ![pixel](http://203.0.113.9/pixel.png)\n\n'
       '<svg onload="window.__xss=4"></svg><iframe srcdoc="<script>parent.__xss=5</script>"></iframe>\n\n'
       '<a href="#" onclick="window.__xss=6">x</a><style>body{background:url(http://203.0.113.9/s)}</style>')


def _md(nb, text: str):
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(text))
    return nb


def _code(code: str) -> dict[str, str]:
    """An attacker's answers: ``code`` before a wrong softmax; the right temperature and the rest (all but the softmax's points)."""
    return {"softmax": code + "\n" + WRONG_SOFTMAX}


ATTACKS = {
    "attack-xss-markdown": lambda nb, solved: _md(submission(nb, solved, _code("")), XSS),
    "attack-html-exception": lambda nb, solved: submission(nb, solved, {"softmax": (
        "Evil = type('<img src=x onerror=window.__xss=7>', (Exception,), {})\n"
        "def softmax(Z, axis=-1):\n    raise Evil('<script>window.__xss=8</script>')\n")}),
    "attack-grade-id-types": lambda nb, solved: _grade_id_types(submission(nb, solved, _code(""))),
    "attack-ptrace-init": lambda nb, solved: submission(nb, solved, _code(f"""
import ctypes, subprocess, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.ptrace(16, 1, 0, 0) == 0:  # PTRACE_ATTACH to bubblewrap's init, then clear its death signal
    libc.ptrace(17, 1, 0, 0)
for _ in range(2):
    subprocess.Popen(['setsid', sys.executable, '-c', 'while True: pass', '{MARKER}'])""")),
    "attack-memory-children": lambda nb, solved: submission(nb, solved, _code("""
import os, time
children = []
for _ in range(6):
    pid = os.fork()
    if pid == 0:
        block = bytearray(300 * 1024**2)
        block[::4096] = b'x' * len(block[::4096])
        time.sleep(3)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)""")),
    "attack-thousand-forks": lambda nb, solved: submission(nb, solved, _code(f"""
import os, time
try:
    for _ in range(1000):
        if os.fork() == 0:
            os.setsid()
            os.execvp('sleep', ['sleep', '{MARKER}.7'])
except OSError:
    pass""")),
    "attack-tmpfs": lambda nb, solved: submission(nb, solved, _code("""
try:
    for i in range(1000):
        with open(f'/tmp/fill-{i}', 'wb') as f:
            f.write(b'0' * 4 * 1024**2)
except OSError:
    pass""")),
    "attack-busy-children": lambda nb, solved: submission(nb, solved, _code(f"""
import subprocess, sys
for _ in range(60):
    subprocess.Popen(['setsid', sys.executable, '-c', 'while True: pass', '{MARKER}.2'])""")),
    "attack-exception-leak": lambda nb, solved: submission(nb, solved, {"softmax": (
        "def softmax(Z, axis=-1):\n"
        "    try:\n        line = open('/etc/shadow').readline()\n"
        "    except OSError:\n        line = 'shadow unreadable '\n"
        "    raise type((line + repr(list(Z.ravel()[:3])))[:100], (Exception,), {})()\n")}),
    "attack-torch": lambda nb, solved: submission(nb, solved, {"softmax": (
        "import torch\n"
        "def softmax(Z, axis=-1):\n    return torch.softmax(torch.as_tensor(Z), dim=axis).numpy()\n")}),
    "attack-huge-notebook": lambda nb, solved: submission(nb, solved, _code("# " + "x" * 1_200_000)),
    "attack-huge-reply": lambda nb, solved: submission(nb, solved, {"softmax": (
        "import numpy as np\ndef softmax(Z, axis=-1):\n    return np.ones(3 * 10**6)\n")}),
    "attack-canary-markdown": lambda nb, solved: _md(submission(nb, solved, _code("")), f"I found {CANARY}."),
}


def _grade_id_types(nb):
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    extra = nbformat.v4.new_code_cell("x = 1")
    extra.metadata["nbgrader"] = {"grade_id": ["softmax-tests"], "grade": True, "points": 100}
    other = nbformat.v4.new_markdown_cell("lone surrogate: \ud800 here")
    other.metadata["nbgrader"] = {"grade_id": {"a": 1}, "solution": True}
    nb.cells += [extra, other]
    return nb


def _write_raw(path: Path, nb) -> None:
    """Write a notebook as JSON as it is (nbformat would refuse the lone surrogate; JSON escapes it)."""
    path.write_text(json.dumps(nb, ensure_ascii=True))


def hidden_inputs_as_text() -> set[str]:
    """The distinctive text forms of the hidden inputs of 01_modeling's parts (as the grader keeps them)."""
    import lecture_lib
    from lecture_lib.exercises import modeling

    sent = set()

    def call(name, *args, errors=None):  # right answers: every case of every part is sent
        sent.update(checker.hidden_values(args))
        if name == "temperature_for":
            return modeling.temperature_for(*args)
        z = args[0] / (args[1] if name == "softmax_with_temperature" else 1.0)
        return lecture_lib.softmax(z)

    call.raises = lambda name, *args: sent.update(checker.hidden_values(args)) or ("ValueError", "T, p")
    call.rng = hidden_tests.Seeds().rng  # the run below grades without a secret: the public seeds
    for part in hidden_tests.PARTS["01_modeling"]:
        run(part, call)
    return sent


class _Tags(html.parser.HTMLParser):
    """Every tag and attribute of a page, to look for live HTML."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def live_html(page: str) -> list[str]:
    """What in ``page`` a browser would run or load: scripts, frames, images, handlers, javascript: URLs."""
    parser = _Tags()
    parser.feed(page)
    bad = []
    for tag, attrs in parser.found:
        if tag in ("script", "iframe", "img", "svg", "object", "embed", "link", "base", "form", "frame"):
            bad.append(tag)
        bad += [f"{tag}[{a}]" for a in attrs if a.lower().startswith("on")]
        bad += [f"{tag}[{a}]" for a, v in attrs.items() if v and "javascript:" in v.replace(" ", "").lower()]
        if tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
            bad.append("meta refresh")
    return bad


def sandbox_groups(pid: int) -> list[Path]:
    """Control groups of the sandboxes of the grading process ``pid`` that exist now."""
    try:
        hierarchy = cgroups.detect()
    except cgroups.CgroupError:
        return []
    parents = getattr(hierarchy, "parents", None) or {"unified": hierarchy.parent}
    return sorted(p for parent in parents.values() if parent.is_dir() for p in parent.glob(f"sandbox-{pid}-*"))


@pytest.fixture(scope="module")
def red_team(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("redteam2")
    course = make_course(tmp / "course")
    released = instructor(course, "release", "01_modeling")
    assert released.returncode == 0, released.stdout + released.stderr
    name, source_nb = source_notebook("01_modeling")
    release = nbformat.read(course / "release" / "01_modeling" / f"{name}.ipynb", 4)
    solved = answers(source_nb)
    honest = {"honest-solved": submission(release, solved),
              "honest-wrong-softmax": submission(release, solved, {"softmax": WRONG_SOFTMAX}),
              "honest-blank": release}
    put(course, {s: ("01_modeling", nb) for s, nb in honest.items()})
    attackers = {s: make(release, solved) for s, make in ATTACKS.items()}
    for student, nb in attackers.items():
        folder = course / "submitted" / student / "01_modeling"
        folder.mkdir(parents=True)
        _write_raw(folder / f"{name}.ipynb", nb)
        (folder / "timestamp.txt").write_text("2026-12-01 12:00:00.000000 UTC")
    # Entries of submitted/ that are not gradable as they are (rows 2, 3, 8 and 9 of the issue).
    submitted = course / "submitted"
    odd = {"BEGIN SOLUTION": None, CANARY: None, "eve,\nalice,01_modeling": None, '=HYPERLINK("x")': None,
           "\x1b[2K\x1b[1Aclear": None}
    for student in odd:
        folder = submitted / student / "01_modeling"
        folder.mkdir(parents=True)
        nbformat.write(honest["honest-solved"], folder / f"{name}.ipynb")
    os.makedirs(os.fsencode(submitted) + b"/not-utf8-\xff/01_modeling")
    nbformat.write(honest["honest-solved"], os.fsdecode(os.fsencode(submitted) + b"/not-utf8-\xff/01_modeling/")
                   + f"{name}.ipynb")
    links = {"attack-link-source": course / "source" / "01_modeling" / f"{name}.ipynb",
             "attack-link-other": submitted / "honest-solved" / "01_modeling" / f"{name}.ipynb",
             "attack-link-shadow": Path("/etc/shadow"), "attack-link-zero": Path("/dev/zero")}
    for student, target in links.items():
        folder = submitted / student / "01_modeling"
        folder.mkdir(parents=True)
        (folder / f"{name}.ipynb").symlink_to(target)
    fifo = submitted / "attack-fifo" / "01_modeling"
    fifo.mkdir(parents=True)
    os.mkfifo(fifo / f"{name}.ipynb")
    (submitted / "attack-folder-link").symlink_to(submitted / "honest-solved")
    shadow_line = Path("/etc/shadow").read_text().splitlines()[0] if os.access("/etc/shadow", os.R_OK) else None

    process = subprocess.Popen([sys.executable, str(EXERCISES / "instructor.py"), "grade", "01_modeling", *LIMITS,
                                "--jobs", "2", "--course", str(course)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    stdout, stderr = process.communicate(timeout=900)
    graded = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    time.sleep(0.5)  # the kernel tears a PID namespace down right after its init dies
    return dict(course=course, graded=graded, attackers=attackers, odd=odd, links=links,
                shadow_line=shadow_line, leftovers=processes_mentioning(MARKER), groups=sandbox_groups(process.pid))


def test_the_run_finishes_and_writes_every_file(red_team):  # a hang is bounded by pytest-timeout
    graded, course = red_team["graded"], red_team["course"]
    assert graded.returncode == 3, graded.stdout[-3000:] + graded.stderr[-3000:]
    got = scores(course)
    for student in [*HONEST, *red_team["attackers"]]:
        assert (student, "01_modeling") in got, student
        assert (course / "autograded" / student / "01_modeling").is_dir(), student
    for student in HONEST:
        assert (course / "feedback" / student / "01_modeling" / "softmax.html").is_file()


def test_honest_students_get_their_grades(red_team):
    got = scores(red_team["course"])
    for student, score in HONEST.items():
        assert got[student, "01_modeling"] == score, student


def test_no_attacker_scores_above_its_answers(red_team):
    got = scores(red_team["course"])
    for student in red_team["attackers"]:
        assert got[student, "01_modeling"] <= HONEST_VALUE["01_modeling"], student
    for student in [*red_team["links"], "attack-fifo"]:  # a valid id, no notebook to read: 0 points
        assert got[student, "01_modeling"] == 0.0
    for student in [*red_team["odd"], "attack-folder-link"]:  # an id that is not valid: not graded at all
        assert all(s != student for s, _ in got)


def test_every_attack_is_listed_with_a_reason(red_team):
    out = red_team["graded"].stdout.split("need attention")[-1]
    expected = {
        "attack-grade-id-types": "metadata", "attack-memory-children": "memory", "attack-huge-notebook": "characters",
        "attack-huge-reply": "reply was larger", "attack-canary-markdown": "WITHHELD",
        "attack-link-source": "symbolic link", "attack-link-other": "symbolic link",
        "attack-link-shadow": "symbolic link", "attack-link-zero": "symbolic link",
        "attack-fifo": "not a regular file", "attack-folder-link": "not a folder",
        "not-utf8-\\udcff": "not valid",
        "eve,\\nalice,01_modeling": "not valid", '=HYPERLINK("x")': "not valid",
        "\\x1b[2K\\x1b[1Aclear": "not valid",
    }
    lines = out.splitlines()
    for student, reason in expected.items():
        mine = [line for line in lines if line.startswith(f"  {student} 01_modeling")]
        assert mine, f"{student!r} not listed:\n{out[-3000:]}"
        assert reason is None or reason in mine[0], mine[0]
    # "BEGIN SOLUTION" and the canary: listed, but their names are not printed
    reserved = [line for line in lines if line.startswith("  [a name with a reserved word] 01_modeling")]
    assert len(reserved) == 2 and all("reserved for hidden tests" in line for line in reserved)
    for student in HONEST:
        assert not any(line.startswith(f"  {student} ") for line in lines)


def test_terminal_output_and_csv_are_data(red_team):
    graded, course = red_team["graded"], red_team["course"]
    for text in (graded.stdout, graded.stderr.replace("\r", "")):
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\x9b]", text.replace("\n", "")), "control characters"
    text = (course / "grades.csv").read_text()
    rows = list(csv.reader(text.splitlines()))
    assert rows[0][:4] == ["assignment", "duedate", "timestamp", "student_id"]
    assert len({len(r) for r in rows}) == 1
    for row in rows[1:]:
        assert checker_id(row[3]), row
        assert not any(cell[:1] in ("=", "+", "-", "@") for cell in row), row
    assert "alice" not in {row[3] for row in rows}


def checker_id(student: str) -> bool:
    sys.path.insert(0, str(EXERCISES))
    import instructor as instructor_module

    return bool(instructor_module.STUDENT_ID.fullmatch(student))


def test_no_page_or_notebook_holds_live_html(red_team):
    course = red_team["course"]
    pages = sorted((course / "feedback").rglob("*.html"))
    assert len(pages) >= len(HONEST) + 5
    for page in pages:
        text = page.read_text()
        assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'' in text
        assert live_html(text) == [], page
    for path in sorted((course / "autograded").rglob("*.ipynb")):
        for cell in nbformat.read(path, 4).cells:
            if cell.cell_type != "code":
                assert live_html(cell.source) == [], (path, cell.source[:300])
            assert not any(o.get("output_type") in ("display_data", "execute_result") for o in cell.get("outputs", []))
    xss = (course / "feedback" / "attack-xss-markdown" / "01_modeling" / "softmax.html").read_text()
    assert "Harmless sentence one." in xss  # cleaned, not dropped wholesale
    raised = (course / "feedback" / "attack-html-exception" / "01_modeling" / "softmax.html").read_text()
    assert checker.OTHER_EXCEPTION in raised


def test_nothing_secret_reaches_any_output(red_team):
    course, graded = red_team["course"], red_team["graded"]
    texts = {"stdout": graded.stdout, "stderr": graded.stderr, "grades.csv": (course / "grades.csv").read_text()}
    texts |= {str(p.relative_to(course)): p.read_text() for p in sorted((course / "feedback").rglob("*.html"))}
    texts |= {str(p.relative_to(course)): p.read_text() for p in sorted((course / "autograded").rglob("*.ipynb"))}
    # the autograded notebooks are the instructor's (with the test cells); nothing else may hold a secret
    private = hidden_inputs_as_text() | ({red_team["shadow_line"][:20]} if red_team["shadow_line"] else set())
    for name, text in texts.items():
        shown = html.unescape(re.sub(r"<[^>]+>", "", text)) if name.endswith(".html") else text
        for needle in private | (set() if name.endswith(".ipynb") else set(secrets())):
            assert needle not in text and needle not in shown, f"{needle!r} in {name}"
    leak = (course / "feedback" / "attack-exception-leak" / "01_modeling" / "softmax.html").read_text()
    assert checker.OTHER_EXCEPTION in leak  # the code's own text is shown; its exception's name is not


def test_withheld_feedback_is_flagged_in_the_gradebook(red_team):
    from nbgrader.api import Gradebook

    course = red_team["course"]
    assert not (course / "feedback" / "attack-canary-markdown").exists()
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "softmax-regression") as gb:
        assert all(nb.flagged for nb in gb.find_submission("01_modeling", "attack-canary-markdown").notebooks)
        assert not any(nb.flagged for nb in gb.find_submission("01_modeling", "honest-solved").notebooks)


def test_nothing_of_the_run_is_left(red_team):
    assert red_team["leftovers"] == []
    assert red_team["groups"] == []


def test_collect_refuses_what_is_not_a_plain_notebook(tmp_path):
    course = make_course(tmp_path / "course")
    assert instructor(course, "release", "01_modeling").returncode == 0
    name, source_nb = source_notebook("01_modeling")
    release = course / "release" / "01_modeling" / f"{name}.ipynb"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(release, inbox / "alice.ipynb")
    (inbox / "bob.ipynb").symlink_to(course / "source" / "01_modeling" / f"{name}.ipynb")
    (inbox / "carol.ipynb").symlink_to("/etc/shadow")
    (inbox / "dave.ipynb").symlink_to("/dev/zero")
    os.mkfifo(inbox / "erin.ipynb")
    (inbox / "frank").mkdir()
    (inbox / "frank" / f"{name}.ipynb").symlink_to(release)
    with open(inbox / "grace.ipynb", "wb") as f:  # sparse: larger than the cap, no disk used
        f.truncate(checker.MAX_NOTEBOOK_BYTES + 1)
    for odd in ("eve,\nalice.ipynb", '=HYPERLINK("x").ipynb', "\x1b[2Jwipe.ipynb", "BEGIN SOLUTION.ipynb",
                f"{CANARY}.ipynb"):
        shutil.copy(release, inbox / odd)
    (inbox / "heidi").symlink_to(inbox / "frank")
    result = instructor(course, "collect", "01_modeling", str(inbox), timeout=120)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["alice"]
    assert "collected 1 submissions" in result.stdout and "refused 12 entries" in result.stdout
    assert "\x1b" not in result.stdout and "\\x1b[2Jwipe.ipynb" in result.stdout
    for reason in ("symbolic link", "not a regular file", "larger than", "not valid", "reserved"):
        assert reason in result.stdout, reason
    missing = instructor(course, "collect", "01_modeling", str(tmp_path / "no-such-inbox"), timeout=120)
    assert missing.returncode != 0 and "is not a folder" in missing.stderr and "Traceback" not in missing.stderr


def test_spreadsheet_cells_are_never_formulas():
    sys.path.insert(0, str(EXERCISES / "grading"))
    import report

    assert [report.spreadsheet_safe(v) for v in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "ada", 5, 2.5, None)] == \
        ["'=1+1", "'+1", "'-2", "'@SUM(A1)", "'\tx", "ada", "5.0", "2.5", ""]
    assert np.isfinite(float(report.spreadsheet_safe(-3.0)))  # numbers keep their sign
