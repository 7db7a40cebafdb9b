#!/usr/bin/env python3
"""The instructor's workflow for the exercises, on top of nbgrader (see the book's Instructor guide).

    python exercises/instructor.py release [ASSIGNMENT ...]   # student versions into release/
    python exercises/instructor.py collect ASSIGNMENT INBOX   # INBOX/<student>.ipynb -> submitted/
    python exercises/instructor.py grade [ASSIGNMENT ...]     # sandboxed grading, grades.csv, feedback/

Every command takes ``--course DIR`` (default: this folder), before or after the command, to
work on a copy of the course. Plain nbgrader commands work on the same folder; this wrapper adds
what a class run needs:

- ``release`` and ``grade`` loop over every assignment in ``source/`` by default;
- ``collect`` takes the folder of files an LMS hands out (one notebook per student, named after
  the student, or one folder per student) and records each file's time as the submission time;
- ``grade`` runs each submission's code in bubblewrap sandboxes (``grading/sandbox.py``) and
  decides the points outside them (``grading/checker.py``, with the hidden tests of
  ``grading/hidden_tests.py``), ``--jobs`` submissions at once; then only this process writes
  the gradebook (through nbgrader's API), ``autograded/``, ``grades.csv`` (nbgrader's exporter)
  and the feedback (scanned for hidden-test text first). A submission that loops, dies, floods
  its output or breaks the protocol costs only itself and is listed as needing attention.
  Without bubblewrap ``grade`` refuses; ``--no-sandbox`` is a loudly warned opt-out.

Exit status: 0 when every submission was graded, 3 when some need attention (the CSV and the
feedback are complete all the same), anything else when grading itself failed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import importlib.util
import os
import runpy
import shutil
import sys
import time
from pathlib import Path

# jsonschema (under nbformat) builds ~40 parsers for its optional IRI format checker at import:
# seconds of start-up for a check nbformat never uses. Without it, jsonschema skips that format.
sys.modules.setdefault("rfc3987_syntax", None)
# Run with a Python that lacks the course's packages (the system python3), say how to run it, not a traceback.
_MISSING = [name for name in ("nbformat", "nbgrader") if importlib.util.find_spec(name) is None]
if _MISSING:
    sys.exit(f"{' and '.join(_MISSING)} not installed in {sys.executable}: run this with the course's environment, "
             f"{Path(__file__).resolve().parent.parent / '.venv' / 'bin' / 'python'} exercises/instructor.py ... "
             "(python3 tools/course.py build creates it)")
import nbformat  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "grading"))  # the trusted grader: checker, report, sandbox
NEEDS_A_LOOK = 3


def _env() -> dict[str, str]:
    # nbgrader calls the ``alembic`` executable when it creates the gradebook: put ours on PATH.
    bindir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}


def assignments(course: Path, names: list[str]) -> list[str]:
    """The assignments named, or every folder in ``source/``."""
    available = sorted(p.name for p in (course / "source").iterdir() if p.is_dir())
    for name in names:
        if name not in available:
            raise SystemExit(f"unknown assignment {name!r}; expected one of {available}")
    return names or available


def _config(course: Path):
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()


def release(course: Path, names: list[str]) -> None:
    """``nbgrader generate_assignment`` for each assignment, in this process (one start-up for all)."""
    from nbgrader.apps import NbGraderAPI

    os.environ.update(PATH=_env()["PATH"])
    api = NbGraderAPI(config=_config(course))
    for assignment in assignments(course, names):
        print(f"+ nbgrader generate_assignment {assignment} --force", flush=True)
        result = api.generate_assignment(assignment, force=True)
        print(result["log"], end="", flush=True)
        if not result["success"]:
            raise SystemExit(f"nbgrader generate_assignment {assignment} failed:\n{result['error']}")


def collect(course: Path, assignment: str, inbox: Path) -> list[str]:
    """Copy ``inbox/<student>.ipynb`` or ``inbox/<student>/*.ipynb`` into ``submitted/``."""
    (assignment,) = assignments(course, [assignment])
    notebooks = sorted(p.stem for p in (course / "release" / assignment).glob("*.ipynb"))
    if not notebooks:
        raise SystemExit(f"release/{assignment} has no notebook: run `release {assignment}` first")
    students = []
    for entry in sorted(inbox.iterdir()):
        files = [entry] if entry.suffix == ".ipynb" else sorted(entry.glob("*.ipynb")) if entry.is_dir() else []
        if not files:
            print(f"skipping {entry.name}: not a notebook or a folder of notebooks")
            continue
        student = entry.stem if entry.is_file() else entry.name
        dest = course / "submitted" / student / assignment
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        for file in files:
            # A single file takes the assignment's notebook name whatever the student called it.
            name = f"{notebooks[0]}.ipynb" if entry.is_file() and len(notebooks) == 1 else file.name
            shutil.copyfile(file, dest / name)
        submitted = max(f.stat().st_mtime for f in files)
        stamp = datetime.datetime.fromtimestamp(submitted, tz=datetime.timezone.utc)
        (dest / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
        students.append(student)
    print(f"collected {len(students)} submissions of {assignment}")
    return students


class Progress:
    """A progress bar with the class's ETA, on stderr."""

    def __init__(self, total: int, label: str):
        self.total, self.label, self.done, self.start = total, label, 0, time.monotonic()
        self.show()

    def show(self) -> None:
        elapsed = time.monotonic() - self.start
        eta = elapsed / self.done * (self.total - self.done) if self.done else None
        width = 30
        bar = "#" * round(width * self.done / max(self.total, 1))
        eta_text = f"ETA {_clock(eta)}" if eta is not None else "ETA --:--"
        end = "\n" if self.done == self.total else ""
        print(f"\r{self.label} [{bar:<{width}}] {self.done}/{self.total}  {_clock(elapsed)} elapsed, {eta_text} ",
              end=end, file=sys.stderr, flush=True)

    def step(self) -> None:
        self.done += 1
        self.show()


def _clock(seconds: float) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def _timestamp(folder: Path):
    from nbgrader.utils import parse_utc

    path = folder / "timestamp.txt"
    try:
        return parse_utc(path.read_text().strip()) if path.is_file() else None
    except (ValueError, OverflowError):
        return None


def _ensure_in_gradebook(course: Path, assignment: str) -> None:
    """The gradebook knows an assignment's graded cells once it was released: release it if not."""
    from nbgrader.api import Gradebook, MissingEntry

    config = _config(course)
    with Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id) as gradebook:
        try:
            gradebook.find_assignment(assignment)
            return
        except MissingEntry:
            pass
    release(course, [assignment])


def grade(course: Path, names: list[str], jobs: int, limits, no_sandbox: bool = False) -> int:
    """Grade every submission of the assignments in sandboxes; write the gradebook, grades.csv, feedback."""
    import checker
    import report
    import sandbox
    from nbgrader.api import Gradebook

    if no_sandbox:
        print("WARNING: --no-sandbox: the students' code runs WITHOUT isolation, as you, with access to your "
              "files, the course folder, the gradebook and the network, and the libraries a part forbids are "
              "NOT removed. Use this only on a trusted single-user machine.", file=sys.stderr, flush=True)
    elif sandbox.bwrap_path() is None:
        raise SystemExit(sandbox.INSTALL_HINT)
    names = assignments(course, names)
    os.environ.update(PATH=_env()["PATH"])  # nbgrader runs `alembic` when it creates a gradebook
    config = _config(course)
    checks = course / "autograde_checks.py"
    canary = runpy.run_path(str(checks if checks.is_file() else HERE / "autograde_checks.py"))["CANARY"]
    scanner = report.LeakScanner(sorted((course / "source").glob("*/*.ipynb")), canary)
    hide = tuple(dict.fromkeys(p for p in (course, ROOT) if p.is_dir()))
    views = checker.Views()
    if not no_sandbox:
        problem = sandbox.check_works(views.get(()), checker.LECTURE_LIB)
        if problem:
            views.close()
            raise SystemExit(f"bubblewrap cannot start a sandbox on this machine: {problem}\n"
                             "(it needs unprivileged user namespaces, or root)")
    attention: list[tuple[str, str, list[str]]] = []
    graded = 0
    try:
        for assignment in names:
            folders = sorted(p for p in (course / "submitted").glob(f"*/{assignment}") if p.is_dir())
            if not folders:
                print(f"{assignment}: no submissions, nothing to grade")
                continue
            (source_path,) = sorted((course / "source" / assignment).glob("*.ipynb"))
            source_nb = nbformat.read(source_path, as_version=4)
            with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
                # The sandboxes start at once; the gradebook is opened (or made) while they run.
                futures = [pool.submit(checker.grade_submission, folder, source_path, assignment, views, limits,
                                       hide, no_sandbox) for folder in folders]
                progress = Progress(len(folders), f"grading {assignment}")
                _ensure_in_gradebook(course, assignment)
                gradebook = Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id)
                try:
                    for folder, future in zip(folders, futures):
                        result = future.result()
                        problems = _write_results(course, folder, source_nb, result, gradebook, scanner)
                        if problems:
                            attention.append((result.student, assignment, problems))
                        graded += 1
                        progress.step()
                finally:
                    gradebook.close()
    finally:
        views.close()
    if graded:
        export(course)
        leaked = scanner.leaks((course / "grades.csv").read_text())
        if leaked:
            (course / "grades.csv").unlink()
            raise SystemExit(f"grades.csv contained hidden-test text ({leaked[:3]}); it was deleted")
    print(f"grades: {course / 'grades.csv'}; feedback: {course / 'feedback'}")
    if attention:
        print("These submissions need attention (points were given only for what ran; flagged in the gradebook):")
        for student, assignment, problems in attention:
            print(f"  {student} {assignment}  (submitted/{student}/{assignment}): " + "; ".join(problems))
        return NEEDS_A_LOOK
    return 0


def export(course: Path) -> None:
    """``nbgrader export --to grades.csv``, in this process (nbgrader's CSV plugin, its gradebook)."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins.export import CsvExportPlugin

    print(f"+ nbgrader export --to {course / 'grades.csv'}", flush=True)
    config = _config(course)
    plugin = CsvExportPlugin()
    plugin.to = str(course / "grades.csv")
    with Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id) as gradebook:
        plugin.export(gradebook)


def _write_results(course: Path, folder: Path, source_nb, result, gradebook, scanner) -> list[str]:
    """Gradebook, autograded notebook and feedback of one submission; returns what needs attention."""
    import checker
    import report

    problems = list(result.attention)
    student, assignment = result.student, result.assignment
    autograded = course / "autograded" / student / assignment
    feedback = course / "feedback" / student / assignment
    for old in (autograded, feedback):
        if old.exists():
            shutil.rmtree(old)
    autograded.mkdir(parents=True)
    try:
        student_nb = checker.read_notebook(folder / f"{result.notebook}.ipynb")
    except Exception:
        student_nb = nbformat.v4.new_notebook()
    graded_nb = report.autograded_notebook(source_nb, student_nb, result)
    nbformat.write(graded_nb, autograded / f"{result.notebook}.ipynb")
    timestamp = _timestamp(folder)
    if (folder / "timestamp.txt").is_file():
        shutil.copyfile(folder / "timestamp.txt", autograded / "timestamp.txt")
    report.record(gradebook, result, timestamp)
    page = report.feedback_html(graded_nb, result)
    leaked = scanner.leaks(page)
    if leaked:
        problems.append("feedback WITHHELD: it contained hidden-test text; write it by hand")
    else:
        feedback.mkdir(parents=True)
        (feedback / f"{result.notebook}.html").write_text(page)
    return problems


def _limits(args):
    import sandbox

    return sandbox.Limits(memory_bytes=args.memory_mb * 1024**2, cpu_seconds=args.cpu_seconds,
                          cell_seconds=args.cell_timeout, notebook_seconds=args.notebook_timeout,
                          output_bytes=args.output_limit_kb * 1024)


def main(argv: list[str] | None = None) -> int:
    # --course may come before or after the command: the sub-commands take it too.
    course_option = argparse.ArgumentParser(add_help=False)
    course_option.add_argument("--course", type=Path, default=argparse.SUPPRESS,
                               help="course folder (default: this folder)")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], parents=[course_option])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("release", help="generate the student versions", parents=[course_option]).add_argument(
        "assignments", nargs="*")
    p = commands.add_parser("collect", help="copy an inbox of submissions into submitted/", parents=[course_option])
    p.add_argument("assignment")
    p.add_argument("inbox", type=Path)
    p = commands.add_parser("grade", help="grade in sandboxes, export grades.csv, write feedback",
                            parents=[course_option])
    p.add_argument("assignments", nargs="*")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="submissions graded at once (default: the number of cores, %(default)s)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run the students' code without isolation (a trusted single-user machine only)")
    p.add_argument("--cell-timeout", type=float, default=30.0, help="seconds per cell and per call (default 30)")
    p.add_argument("--notebook-timeout", type=float, default=300.0,
                   help="seconds per notebook and sandbox (default 300)")
    p.add_argument("--memory-mb", type=int, default=2048, help="address space per sandbox (default 2048 MiB)")
    p.add_argument("--cpu-seconds", type=int, default=120, help="CPU time per sandbox (default 120 s)")
    p.add_argument("--output-limit-kb", type=int, default=4096,
                   help="printed output per sandbox before it is killed (default 4096 KiB)")
    args = parser.parse_args(argv)
    course = getattr(args, "course", HERE).resolve()
    if not (course / "nbgrader_config.py").is_file():
        raise SystemExit(f"{course} is not a course folder (no nbgrader_config.py)")
    if args.command == "release":
        release(course, args.assignments)
    elif args.command == "collect":
        if not args.inbox.is_dir():
            raise SystemExit(f"inbox {args.inbox} is not a folder: give the folder of submissions "
                             "(<student>.ipynb files or <student>/ folders of notebooks)")
        collect(course, args.assignment, args.inbox)
    else:
        if args.jobs < 1:
            raise SystemExit(f"--jobs must be at least 1, got {args.jobs}")
        return grade(course, args.assignments, args.jobs, _limits(args), args.no_sandbox)
    return 0


if __name__ == "__main__":
    sys.exit(main())
