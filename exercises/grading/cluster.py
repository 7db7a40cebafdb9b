"""Grade the submissions of a class on a Dask cluster: this machine by default, or a running cluster.

The instructor's process (``instructor.py grade``) reads each submitted notebook (as
:func:`checker.read_bytes` does: a regular file, size-capped) and sends it as **data** to a Dask
worker, with what the worker needs to grade it (:class:`Assignment`: the source notebook's bytes,
the limits, the course secret, how to sandbox). The worker writes the notebook into a private
scratch folder and grades it with :func:`checker.grade_submission`, in its own bubblewrap
sandboxes; the :class:`checker.SubmissionResult` (plain data) comes back, and the instructor's
process alone writes the gradebook, ``grades.csv`` and the feedback. Nothing refers to a path of
the instructor's course folder, so the workers may be other machines without a shared file system.

- :class:`Pool` ``(jobs)``: a Dask cluster inside this process (``LocalCluster(processes=False)``,
  one worker of ``jobs`` threads, no dashboard; Dask's health-check HTTP servers listen on
  127.0.0.1 only): ``jobs`` submissions graded at
  once, as ``--jobs`` always did. Threads suffice: grading a submission is mostly waiting for its
  sandbox processes, and the threads share one set of library views and one :class:`sandbox.Isolation`.
- :class:`Pool` ``(jobs, scheduler)``: the workers of a running scheduler (``--scheduler ADDRESS``),
  each checked first (:func:`check_worker`). A worker runs the course's environment from a
  checkout of the same course repository, with bubblewrap (and root, or user namespaces and a
  delegated cgroup), and imports this module by path, and so does the scheduler (it unpickles the
  tasks, which name this module's classes)::

      .venv/bin/dask scheduler --no-dashboard --preload /path/to/course/exercises/grading/cluster.py
      .venv/bin/dask worker tcp://SCHEDULER:8786 --preload /path/to/course/exercises/grading/cluster.py

  (the preload puts ``exercises/grading`` on the process's ``sys.path``; the grader's modules are
  then importable as they are in the instructor's process).

A worker that dies while it grades loses nothing: the scheduler runs its tasks again on another
worker (``distributed.scheduler.allowed-failures`` times, 3 by default), and a task that raised
is retried :data:`RETRIES` times. A submission whose task fails all the same comes back as a
result of 0 points with the reason in ``attention`` (:func:`lost`): listed as needing attention
and flagged in the gradebook, never missing.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import dataclasses
import functools
import hashlib
import importlib.util
import logging
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path


def _grader_folder() -> Path:
    """``exercises/grading`` of this course checkout: this file's folder, or, when this file is the copy that
    Dask's ``--preload`` makes in a worker's scratch folder, that of the checkout ``lecture_lib`` is installed from
    (the course environment installs it from the checkout, editable)."""
    here = Path(__file__).resolve().parent
    if (here / "checker.py").is_file():
        return here
    return Path(importlib.util.find_spec("lecture_lib").origin).resolve().parent.parent / "exercises" / "grading"


HERE = _grader_folder()
# A process that preloads this file (dask worker/scheduler --preload .../cluster.py) imports the grader's
# modules from here for as long as it runs (Dask's preload takes the file's folder off sys.path again).
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import checker  # noqa: E402
import sandbox  # noqa: E402

#: The course repository this module is part of (on a worker: the worker's own checkout).
ROOT = HERE.parent.parent
#: How often a task that raised (a worker that could not grade) is tried again, on any worker.
RETRIES = 2
#: Submissions on the cluster at once, at least (more with many worker threads: twice their number).
#: Their notebooks wait in the scheduler's memory; the rest wait in ``submitted/``.
IN_FLIGHT = 256
#: Seconds a worker has to answer its check (start a sandbox) before grading starts.
CHECK_SECONDS = 300
#: Errors of a task that mean its worker (or the connection to it) was lost, not that it could not grade.
LOST_ERRORS = frozenset({"KilledWorker", "CommClosedError", "cancelled", "CancelledError", "FutureCancelledError",
                         "TimeoutError", "OSError", "StreamClosedError"})
#: What a lost submission's student reads in the feedback, for each part.
LOST_MESSAGE = "not graded: the machine grading it failed (your instructor will grade it again)"


class WorkerUnfit(RuntimeError):
    """This worker cannot grade (its code differs from the instructor's, or it cannot start a sandbox)."""


@dataclasses.dataclass(frozen=True)
class Setup:
    """How the sandboxes of a run are isolated (the options of ``instructor.py grade``)."""

    sandboxed: bool = True
    cgroup: bool = True
    cgroup_root: str | None = None  #: a delegated cgroup v2 folder, the same path on every worker


@dataclasses.dataclass(frozen=True)
class Assignment:
    """What a worker needs to grade the submissions of one assignment (sent once per worker)."""

    name: str
    source_name: str                #: file name of the source notebook (and of each submission)
    source: bytes                   #: the source notebook: setup cells, points (never shown to a sandbox)
    limits: sandbox.Limits
    secret: bytes | None            #: the course secret: each student's hidden inputs
    setup: Setup
    hide: tuple[str, ...]           #: the instructor's course folders, hidden if the worker shares its files
    code: str                       #: :func:`code_fingerprint` of the instructor's grader


@dataclasses.dataclass(frozen=True)
class Submission:
    """One student's submission, as data: the student id and the notebook's bytes."""

    student: str
    notebook: bytes


@functools.lru_cache(maxsize=None)
def code_fingerprint() -> str:
    """SHA-256 of the grader (``exercises/grading``) and of ``lecture_lib`` (the parts, their hidden tests)."""
    digest = hashlib.sha256()
    for folder in (HERE, checker.LECTURE_LIB):
        for path in sorted(folder.rglob("*.py")):
            if "__pycache__" not in path.parts:
                digest.update(f"{path.relative_to(folder).as_posix()}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()


# --------------------------------------------------------------------------- the worker's side
class Station:
    """A process's means to grade: the library views, the sandboxes' isolation, a private scratch folder."""

    def __init__(self, views: checker.Views, isolation: sandbox.Isolation | None, scratch: Path, owned: bool):
        self.views, self.isolation, self.scratch, self.owned = views, isolation, scratch, owned

    @classmethod
    def start(cls, setup: Setup) -> "Station":
        """Views and isolation made here, checked by starting one sandbox; raises :class:`WorkerUnfit`."""
        import cgroups

        isolation = None
        if setup.sandboxed:
            if sandbox.bwrap_path() is None:
                raise WorkerUnfit(sandbox.INSTALL_HINT)
            try:
                isolation = sandbox.Isolation(setup.cgroup, Path(setup.cgroup_root) if setup.cgroup_root else None)
            except cgroups.CgroupError as error:
                raise WorkerUnfit(f"no control groups for the sandboxes: {error}") from None
        views = checker.Views()
        problem = sandbox.check_works(views.get(()), isolation) if isolation is not None else None
        if problem:
            views.close()
            raise WorkerUnfit(f"bubblewrap cannot start a sandbox: {problem}")
        station = cls(views, isolation, Path(tempfile.mkdtemp(prefix="grading-scratch-", dir=_local_directory())),
                      owned=True)
        atexit.register(station.close)
        return station

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)
        if self.owned:
            self.views.close()


_STATIONS: dict[Setup, Station] = {}
_STATIONS_LOCK = threading.Lock()


def _local_directory() -> str | None:
    """The Dask worker's own scratch folder (Dask removes those of dead workers), else the temporary folder."""
    try:
        from distributed import get_worker

        return get_worker().local_directory
    except (ImportError, ValueError):
        return None


def station(setup: Setup) -> Station:
    """This process's :class:`Station` for ``setup``, started on first use."""
    with _STATIONS_LOCK:
        if setup not in _STATIONS:
            _STATIONS[setup] = Station.start(setup)
        return _STATIONS[setup]


def check_worker(setup: Setup, code: str) -> str:
    """Raise :class:`WorkerUnfit` if this worker cannot grade as the instructor does; else describe its sandboxes."""
    if code != code_fingerprint():
        raise WorkerUnfit(f"its grader or lecture_lib differs from the instructor's (code {code_fingerprint()[:12]}, "
                          f"the instructor's {code[:12]}): check out the same version of the course on it")
    here = station(setup)
    return here.isolation.describe() if here.isolation is not None else "no sandbox (--no-sandbox)"


def _plain_name(name: str) -> str:
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise ValueError(f"not a plain file name: {name!r}")
    return name


def grade_on_worker(job: Assignment, submission: Submission) -> checker.SubmissionResult:
    """Grade one submission here: write it to a private folder, then :func:`checker.grade_submission`.

    The sandboxes see nothing of that folder, of this worker's checkout or of the instructor's course
    folders (``hide``: covered wherever a sandbox could see them).
    """
    check_worker(job.setup, job.code)
    here = station(job.setup)
    folder = Path(tempfile.mkdtemp(prefix="submission-", dir=here.scratch))
    try:
        source = folder / "source" / _plain_name(job.source_name)
        work = folder / "submitted" / _plain_name(submission.student) / _plain_name(job.name)
        for path, data in ((source, job.source), (work / job.source_name, submission.notebook)):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        hide = tuple(dict.fromkeys(Path(p) for p in (*job.hide, here.scratch, ROOT)))
        return checker.grade_submission(work, source, job.name, here.views, job.limits, hide, here.isolation,
                                        job.secret)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _hold(job: Assignment) -> Assignment:
    """A task whose result is ``job``: kept in the scheduler's graph, so it is made again if its worker is lost."""
    return job


# --------------------------------------------------------------------------- the instructor's side
def lost(student: str, assignment: str, notebook: str, error: BaseException | None) -> checker.SubmissionResult:
    """The result of a submission whose grading task failed on every try (``error``, None: cancelled)."""
    name = type(error).__name__ if error is not None else "cancelled"
    if name in LOST_ERRORS:
        reason = f"its grading worker was lost ({name}); regrade it"
    else:
        reason = f"its grading worker could not grade it ({name}: {str(error)[:300]}); regrade it"
    return checker.not_graded(student, assignment, notebook, LOST_MESSAGE, reason)


class Pool:
    """The Dask cluster of a grading run: in this process (``scheduler`` None), or a running one's workers.

    ``views`` and ``isolation`` are the instructor's (used by the local cluster's threads); ``setup``
    says how remote workers sandbox. Raises ``SystemExit`` naming every connected worker that cannot grade.
    """

    def __init__(self, jobs: int, scheduler: str | None, setup: Setup, views: checker.Views,
                 isolation: sandbox.Isolation | None):
        from distributed import Client, LocalCluster

        self.setup, self.cluster, self._local = setup, None, None
        if scheduler is None:
            # Dask's own messages (cluster start and stop) are not the instructor's business.
            logging.getLogger("distributed").setLevel(logging.ERROR)
            self._local = Station(views, isolation, Path(tempfile.mkdtemp(prefix="grading-scratch-")), owned=False)
            with _STATIONS_LOCK:
                _STATIONS[setup] = self._local
            # No dashboard; the HTTP servers Dask always starts (health checks) listen on 127.0.0.1 only.
            self.cluster = LocalCluster(n_workers=1, processes=False, threads_per_worker=jobs, memory_limit=0,
                                        dashboard_address=None, worker_dashboard_address="127.0.0.1:0",
                                        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
            self.client = Client(self.cluster, set_as_default=False)
        else:
            try:
                self.client = Client(scheduler, set_as_default=False, timeout=30)
            except (OSError, TimeoutError) as error:
                raise SystemExit(f"cannot reach the Dask scheduler {scheduler}: {error}") from None
            self._check_workers(scheduler)

    def _check_workers(self, scheduler: str) -> None:
        workers = self.client.nthreads()
        if not workers:
            print(f"note: no worker is connected to {scheduler} yet; the submissions wait for workers", flush=True)
        pending = {address: self.client.submit(check_worker, self.setup, code_fingerprint(), workers=[address],
                                               allow_other_workers=False, pure=False,
                                               key=f"grading-check-{uuid.uuid4().hex}")
                   for address in workers}
        problems, seen = [], set()
        deadline = time.monotonic() + CHECK_SECONDS
        while pending:
            alive = self.client.nthreads()
            for address, future in list(pending.items()):
                if future.done():
                    try:
                        seen.add(future.result())
                    except Exception as error:  # the worker's own message, or why it could not even run the check
                        problems.append(f"{address}: {type(error).__name__}: {error}")
                elif address not in alive:  # a worker without the grader's modules ends on its first task
                    problems.append(f"{address}: it left during its check (see its log: can it import the grader?)")
                elif time.monotonic() > deadline:
                    problems.append(f"{address}: no answer to its check in {CHECK_SECONDS} s")
                else:
                    continue
                self.client.cancel([pending.pop(address)])
            time.sleep(0.1)
        if problems:
            self.close()
            raise SystemExit("these Dask workers cannot grade (the scheduler and each worker need the course's "
                             f"environment and `--preload {HERE / 'cluster.py'}`; each worker, bubblewrap):\n  "
                             + "\n  ".join(problems))
        print(f"grading on {len(workers)} Dask workers ({sum(workers.values())} threads) of {scheduler}: "
              + "; ".join(sorted(seen)), flush=True)

    def _window(self) -> int:
        return max(IN_FLIGHT, 2 * sum(self.client.nthreads().values()))

    @contextlib.contextmanager
    def grade(self, folders: list[Path], source_path: Path, assignment: str, limits: sandbox.Limits,
              hide: tuple[Path, ...], secret: bytes | None):
        """An iterator of ``(folder, SubmissionResult)`` for ``folders``, in their order; the submissions
        go to the cluster now. Leaving the block cancels what is not graded yet."""
        from distributed import as_completed

        token = uuid.uuid4().hex
        job = Assignment(assignment, source_path.name, source_path.read_bytes(), limits, secret, self.setup,
                         tuple(str(p) for p in hide), code_fingerprint())
        held = self.client.submit(_hold, job, key=f"assignment-{assignment}-{token}", pure=False)
        running, done = {}, {}
        finished = as_completed(loop=self.client.loop)
        pending = collections.deque(enumerate(folders))
        notebook = source_path.stem

        def top_up() -> None:
            window = self._window()
            while pending and len(running) < window:
                index, folder = pending.popleft()
                student = folder.parent.name
                try:
                    data = checker.read_bytes(folder / source_path.name, checker.MAX_NOTEBOOK_BYTES)
                except checker.UnreadableNotebook as error:  # as the checker itself says it
                    done[index] = checker.not_graded(student, assignment, notebook, f"not graded: {error}",
                                                     f"not graded: {error}")
                    continue
                future = self.client.submit(grade_on_worker, held, Submission(student, data), retries=RETRIES,
                                            pure=False, key=f"grade-{assignment}-{index}-{token}")
                running[future.key] = (index, future)
                finished.add(future)

        def results():
            for index, folder in enumerate(folders):
                while index not in done:
                    future = next(finished)
                    i, _ = running.pop(future.key)
                    try:
                        done[i] = future.result()
                    except BaseException as error:  # KilledWorker, CancelledError, the worker's exception
                        if isinstance(error, (KeyboardInterrupt, SystemExit)):
                            raise
                        done[i] = lost(folders[i].parent.name, assignment, notebook, error)
                    future.release()
                    top_up()
                yield folder, done.pop(index)

        try:
            top_up()
            yield results()
        finally:
            self.client.cancel([future for _, future in running.values()] + [held])

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        if self._local is not None:
            with _STATIONS_LOCK:
                _STATIONS.pop(self.setup, None)
            self._local.close()
