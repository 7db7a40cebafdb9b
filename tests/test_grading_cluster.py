"""Grading on a Dask cluster: a real scheduler and two workers on this machine, started as on other machines.

The scheduler and the workers are the course environment's ``dask`` commands, on 127.0.0.1 without
a dashboard. Each runs in a folder of its own, without ``PYTHONPATH``, and imports the grader only
through ``--preload exercises/grading/cluster.py`` (as on another machine, from its own checkout;
the scheduler unpickles the tasks, so it needs the grader's modules too); a worker has no nanny, so
that SIGKILL ends the very process that grades.

Asserted: the red-team class (``test_grading_redteam``, with a course secret, and one more student
who looks for the workers' and the course's folders from the sandbox) gets exactly the same grades,
part by part, and the same list of submissions needing attention, through the cluster as graded
here with ``--jobs 2``; a worker killed while it grades loses no submission: with Dask's retries
every submission is graded, and without them (``allowed-failures`` 0) the lost ones are listed with
the reason, flagged and given no points, and the others graded; a worker that cannot grade is
refused before anything is sent. Every process started is ended (fixture finalizers, timeouts).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from course_tools import free_port
from test_exercises import EXERCISES, ROOT, answers, source_notebook, submission, total_points
from test_grading_redteam import (HONEST_VALUE, LIMITS, WRONG_COST, WRONG_SOFTMAX, attacks, honest_class, instructor,
                                  make_course, processes_mentioning, put)

sys.path.insert(0, str(EXERCISES / "grading"))
import cgroups  # noqa: E402
import cluster  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800),  # the module fixture grades the red-team class twice
              pytest.mark.skipif(shutil.which("bwrap") is None and not os.environ.get("CI"),
                                 reason="bubblewrap (bwrap) is not installed (in CI it must be)")]

DASK = Path(sys.executable).parent / "dask"
PRELOAD = EXERCISES / "grading" / "cluster.py"
ASSIGNMENTS = ("01_modeling", "04_gradient")


class Dask:
    """A scheduler and workers, as processes of their own sessions; :meth:`stop` ends every one."""

    def __init__(self, folder: Path, allowed_failures: int | None = None):
        self.folder, self.processes = folder, []
        self.env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        if allowed_failures is not None:
            self.env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = str(allowed_failures)
        port = free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        # The scheduler unpickles the tasks: it imports the grader's modules too.
        self._start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard",
                    "--preload", str(PRELOAD))
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, self.log("scheduler")
                assert self.processes[0].poll() is None, self.log("scheduler")
                time.sleep(0.2)

    def _start(self, name: str, *args: str) -> subprocess.Popen:
        cwd = self.folder / name
        cwd.mkdir(parents=True)
        with open(self.folder / f"{name}.log", "w") as log:
            process = subprocess.Popen([str(DASK), *args], cwd=cwd, env=self.env, stdin=subprocess.DEVNULL,
                                       stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text()[-3000:]

    def worker(self, name: str, preload: bool = True) -> subprocess.Popen:
        """A worker of one thread, in ``folder/name`` (its scratch space too), importing the grader by path."""
        return self._start(name, "worker", self.address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1",
                           "--no-nanny", "--name", name, "--local-directory", str(self.folder / name),
                           *(("--preload", str(PRELOAD)) if preload else ()))

    def wait_for_workers(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(n, timeout=120)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                with _gone():
                    os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with _gone():
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


class _gone:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        return kind is not None and issubclass(kind, ProcessLookupError)


@pytest.fixture
def dask_factory(tmp_path_factory):
    started = []

    def start(allowed_failures: int | None = None) -> Dask:
        started.append(Dask(tmp_path_factory.mktemp("dask"), allowed_failures))
        return started[-1]

    yield start
    for dask in started:
        dask.stop()


def grades(course: Path, students) -> dict[tuple[str, str], dict]:
    """Per submission: the points of each graded part, the total and whether it is flagged, from the gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "softmax-regression") as gb:
        for student, assignment in students:
            sub = gb.find_submission(assignment, student)
            parts = {g.name: g.auto_score for nb in sub.notebooks for g in nb.grades}
            out[student, assignment] = {"parts": parts, "flagged": any(nb.flagged for nb in sub.notebooks)}
    return out


def listed(stdout: str) -> dict[tuple[str, str], str]:
    """The submissions the run lists as needing attention, with their reasons."""
    return {(s, a): reason for s, a, reason in re.findall(r"^  (\S+) (\S+)  \(submitted/\S+\): (.*)$", stdout, re.M)}


def seeing_worker(release_nb, folders: list[Path]):
    """A submission whose softmax is right only if its sandbox sees one of ``folders`` or a grader's scratch."""
    _, source_nb = source_notebook("01_modeling")
    solved = answers(source_nb)
    code = (f"import os\nseen = [p for p in {[str(f) for f in folders]!r} if os.path.exists(p)]\n"
            "seen += [n for n in os.listdir('/tmp') if 'grading' in n or 'dask' in n or 'submission' in n]\n"
            f"exec({solved['softmax']!r} if seen else {WRONG_SOFTMAX!r})\n")
    return submission(release_nb, solved, {"softmax": code})


@pytest.fixture(scope="module")
def released_course(tmp_path_factory) -> Path:
    """A course with :data:`ASSIGNMENTS` released, made once (a release is an nbgrader start-up, seconds of
    CPU): each test grades in a copy of its own, see :func:`course_copy`."""
    course = make_course(tmp_path_factory.mktemp("released") / "course")
    released = instructor(course, "release", *ASSIGNMENTS)
    assert released.returncode == 0, released.stdout + released.stderr
    return course


def course_copy(released_course: Path, path: Path) -> Path:
    """A course of its own at ``path``, as released (its gradebook knows the assignments, nothing is submitted)."""
    shutil.copytree(released_course, path)
    return path


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, released_course):
    """The red-team class graded here (``--jobs 2``), then again through a scheduler and two workers."""
    tmp = tmp_path_factory.mktemp("cluster")
    course = course_copy(released_course, tmp / "course")
    secret = tmp / "secret.txt"
    made = instructor(course, "secret", str(secret))
    assert made.returncode == 0, made.stdout + made.stderr
    release = {a: nbformat.read(course / "release" / a / f"{source_notebook(a)[0]}.ipynb", 4) for a in ASSIGNMENTS}
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.setblocking(False)
    dask = Dask(tmp / "dask")
    try:
        students = dict(honest_class(release))
        for student, (assignment, code) in attacks(course, listener.getsockname()[1]).items():
            solved = answers(source_notebook(assignment)[1])
            answer = ({"softmax": code + "\n" + WRONG_SOFTMAX} if assignment == "01_modeling"
                      else {"cost_and_gradient": WRONG_COST + "\n" + code})  # as test_grading_redteam's attackers
            students[student] = (assignment, submission(release[assignment], solved, answer))
        students["attack-see-worker"] = ("01_modeling", seeing_worker(release["01_modeling"], [
            dask.folder / "w1", dask.folder / "w2", course, ROOT / "exercises"]))
        put(course, students)
        keys = [(s, a) for s, (a, _) in students.items()]
        options = [*ASSIGNMENTS, *LIMITS, "--secret-file", str(secret)]

        local = instructor(course, "grade", *options, "--jobs", "2")
        local_grades = grades(course, keys)
        for name in ("w1", "w2"):
            dask.worker(name)
        dask.wait_for_workers(2)
        remote = instructor(course, "grade", *options, "--scheduler", dask.address)
        remote_grades = grades(course, keys)
        try:
            connection, _ = listener.accept()
            connected = True
            connection.close()
        except BlockingIOError:
            connected = False
    finally:
        dask.stop()
        listener.close()
    time.sleep(0.5)
    return dict(course=course, students=students, local=local, remote=remote, local_grades=local_grades,
                remote_grades=remote_grades, connected=connected, leftovers=processes_mentioning(str(course)))


def test_both_runs_finish(two_runs):
    for run in ("local", "remote"):
        graded = two_runs[run]
        assert graded.returncode == 3, graded.stdout[-3000:] + graded.stderr[-3000:]
    assert "grading on 2 Dask workers (2 threads)" in two_runs["remote"].stdout


def test_the_cluster_grades_exactly_as_this_machine(two_runs):
    local, remote = two_runs["local_grades"], two_runs["remote_grades"]
    assert set(local) == set(remote) == {(s, a) for s, (a, _) in two_runs["students"].items()}
    assert remote == local  # every part of every submission, and its flag
    assert set(listed(two_runs["remote"].stdout)) == set(listed(two_runs["local"].stdout))
    assert sum(local["honest-solved-01", "01_modeling"]["parts"].values()) == total_points("01_modeling")


def test_the_sandbox_sees_neither_the_workers_nor_the_course(two_runs):
    for run in ("local_grades", "remote_grades"):
        assert sum(two_runs[run]["attack-see-worker", "01_modeling"]["parts"].values()) == HONEST_VALUE["01_modeling"]
    assert not two_runs["connected"]
    assert two_runs["leftovers"] == []


def sandbox_children(pid: int) -> list[psutil.Process]:
    try:
        return [p for p in psutil.Process(pid).children(recursive=True) if "bwrap" in " ".join(p.cmdline())]
    except psutil.Error:
        return []


def remove_groups(pid: int) -> None:
    """Remove the control groups a killed worker ``pid`` left behind (its sandboxes died with it)."""
    try:
        hierarchy = cgroups.detect()
    except cgroups.CgroupError:
        return
    parents = getattr(hierarchy, "parents", None) or {"unified": hierarchy.parent}
    for parent in parents.values():
        for group in sorted(parent.glob(f"sandbox-{pid}-*")) if parent.is_dir() else ():
            for _ in range(50):
                try:
                    group.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)


@pytest.mark.parametrize("allowed_failures", [None, 0], ids=["dask-retries", "no-retries"])
def test_a_killed_worker_loses_no_submission(tmp_path, released_course, dask_factory, allowed_failures):
    course = course_copy(released_course, tmp_path / "course")
    release = nbformat.read(course / "release" / "01_modeling" / f"{source_notebook('01_modeling')[0]}.ipynb", 4)
    solved = submission(release, answers(source_notebook("01_modeling")[1]))
    class_ = {f"student{i}": ("01_modeling", solved) for i in range(6)}
    put(course, class_)
    dask = dask_factory(allowed_failures)
    victim = dask.worker("w1")
    dask.worker("w2")
    dask.wait_for_workers(2)
    out, err = tmp_path / "grade.out", tmp_path / "grade.err"
    with open(out, "w") as stdout_file, open(err, "w") as stderr_file:
        grading = subprocess.Popen([sys.executable, str(EXERCISES / "instructor.py"), "grade", "01_modeling", *LIMITS,
                                    "--scheduler", dask.address, "--course", str(course)],
                                   stdout=stdout_file, stderr=stderr_file, text=True)
    try:
        deadline = time.monotonic() + 300
        # The workers passed their check, and the victim grades: one of its sandboxes runs.
        while "grading on 2 Dask workers" not in out.read_text() or not sandbox_children(victim.pid):
            assert time.monotonic() < deadline and grading.poll() is None, out.read_text() + err.read_text()
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        grading.wait(timeout=600)
    finally:
        if grading.poll() is None:
            grading.kill()
            grading.wait()
        remove_groups(victim.pid)
    stdout, stderr = out.read_text(), err.read_text()
    got = grades(course, [(s, "01_modeling") for s in class_])
    lost = listed(stdout)
    full = total_points("01_modeling")
    assert set(got) == {(s, "01_modeling") for s in class_}  # none missing
    for key, result in got.items():
        if key in lost:
            assert lost[key] == "its grading worker was lost (KilledWorker); regrade it"
            assert result["flagged"] and sum(result["parts"].values()) == 0.0
        else:
            assert not result["flagged"] and sum(result["parts"].values()) == full, key
    if allowed_failures is None:  # the scheduler gave the killed worker's submissions to the other worker
        assert grading.returncode == 0 and lost == {}, stdout[-3000:] + stderr[-3000:]
    else:
        assert grading.returncode == 3 and lost, stdout[-3000:] + stderr[-3000:]
        assert "need attention" in stdout


def test_a_worker_that_cannot_grade_is_refused(tmp_path, released_course, dask_factory):
    course = course_copy(released_course, tmp_path / "course")
    release = nbformat.read(course / "release" / "01_modeling" / f"{source_notebook('01_modeling')[0]}.ipynb", 4)
    put(course, {"student0": ("01_modeling", release)})
    dask = dask_factory()
    dask.worker("plain", preload=False)  # no grader on its path
    dask.wait_for_workers(1)
    graded = instructor(course, "grade", "01_modeling", "--scheduler", dask.address, timeout=300)
    assert graded.returncode not in (0, 3), graded.stdout + graded.stderr
    assert "these Dask workers cannot grade" in graded.stderr and f"--preload {PRELOAD}" in graded.stderr
    assert not (course / "autograded").exists()  # nothing was graded or written


def test_a_lost_submission_is_a_flagged_zero_with_its_reason():
    from distributed.scheduler import KilledWorker

    result = cluster.lost("alice", "01_modeling", "softmax", KilledWorker("grade-x", "tcp://127.0.0.1:1", 3))
    assert result.attention == ["its grading worker was lost (KilledWorker); regrade it"]
    assert result.score == 0.0 and result.parts and all(p.message == cluster.LOST_MESSAGE for p in result.parts)
    assert result.student == "alice" and result.assignment == "01_modeling"
    unfit = cluster.lost("bob", "01_modeling", "softmax", cluster.WorkerUnfit("no bwrap"))
    assert unfit.attention == ["its grading worker could not grade it (WorkerUnfit: no bwrap); regrade it"]
