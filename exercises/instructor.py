#!/usr/bin/env python3
"""The instructor's workflow for the exercises, on top of nbgrader (see the book's Instructor guide).

    python exercises/instructor.py release [ASSIGNMENT ...]   # student versions into release/
    python exercises/instructor.py collect ASSIGNMENT INBOX   # INBOX/<student>.ipynb -> submitted/
    python exercises/instructor.py grade [ASSIGNMENT ...]     # sandboxed grading, the CSVs, feedback/
    python exercises/instructor.py export                     # the CSVs again, from the stored results
    python exercises/instructor.py report [ASSIGNMENT ...]    # item analysis of parts.csv -> report.html
    python exercises/instructor.py similarity ASSIGNMENT      # pairs of alike answers -> similarity_<A>.html

Every command takes ``--course DIR`` (default: this folder), before or after the command, to
work on a copy of the course. Plain nbgrader commands work on the same folder; this wrapper adds
what a class run needs:

- ``release`` and ``grade`` loop over every assignment in ``source/`` by default;
- ``collect`` takes the folder of files an LMS hands out (one notebook per student, named after
  the student, or one folder per student) and records each file's time as the submission time;
- ``grade`` runs each submission's code in bubblewrap sandboxes (``grading/sandbox.py``) and
  decides the points outside them (``grading/checker.py``, running the parts declared in
  ``lecture_lib/exercises``), ``--jobs`` submissions at once (or on the workers of a Dask cluster,
  ``--scheduler ADDRESS``: ``grading/cluster.py``); then only this process writes
  the gradebook (through nbgrader's API), ``autograded/``, ``grades.csv`` (nbgrader's exporter),
  ``parts.csv``, ``canvas.csv`` and ``moodle.csv`` (``grading/results.py``) and the feedback
  (scanned for hidden-test text first). A submission that loops, dies, floods its output or
  breaks the protocol costs only itself and is listed as needing attention. Without bubblewrap
  ``grade`` refuses; ``--no-sandbox`` is a loudly warned opt-out;
- a regrade (results there already) prints whose points changed, part by part, saves that table
  in ``regrades/``, and rewrites only the feedback and autograded files whose content changed;
- ``report`` reads the per-part table ``parts.csv`` that ``grade`` writes and makes one offline HTML
  page of item analysis: per part the difficulty, the discrimination, a histogram and the common
  mistakes; per student the parts below full marks (``grading/analysis.py``);
- ``similarity`` compares the answer cells of every submission of an assignment with copydetect,
  the release's starter code left out, and lists the pairs that look alike (``grading/similarity.py``):
  a signal to look at, not proof. Nothing is run.

Exit status: 0 when every submission was graded, 3 when some need attention (the CSV and the
feedback are complete all the same), anything else when grading itself failed.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import importlib.util
import os
import re
import runpy
import shutil
import stat
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
#: What a student id may be: a letter or digit, then up to 63 letters, digits and ``. _ @ + -``
#: (what LMS exports use: logins, matriculation numbers, e-mail addresses). Nothing else is
#: collected or graded: ids become folder names, gradebook keys and spreadsheet cells.
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
STUDENT_ID_RULE = "a letter or digit, then up to 63 letters, digits, '.', '_', '@', '+' or '-'"


def shown(text) -> str:
    """``text`` safe to print on a terminal: control and format characters (escape sequences,
    carriage returns, bidi overrides) replaced by their ``\\x``/``\\u`` escapes."""
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii")
                   for c in str(text))


def _reserved(text: str, needles) -> bool:
    return any(n and n.lower() in text.lower() for n in needles)


def shown_id(name: str, needles) -> str:
    """A folder or file name of a submission as printed: :func:`shown`, and never a reserved word."""
    return "[a name with a reserved word]" if _reserved(name, needles) else shown(name)


def id_problem(student: str, needles) -> str | None:
    """Why ``student`` is not a valid student id (None if it is)."""
    if _reserved(student, needles):
        return "the student id contains a word reserved for hidden tests (a marker or the canary)"
    if not STUDENT_ID.fullmatch(student):
        return f"the student id {shown(student)!r} is not valid ({STUDENT_ID_RULE})"
    return None


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
    """Copy ``inbox/<student>.ipynb`` or ``inbox/<student>/*.ipynb`` into ``submitted/``.

    Only regular files are copied (no links, FIFOs or devices), at most
    ``checker.MAX_NOTEBOOK_BYTES`` each; an entry whose name is not a valid student id
    (:data:`STUDENT_ID`) is refused with a message, and so is a file name with a path in it.
    """
    import checker

    (assignment,) = assignments(course, [assignment])
    notebooks = sorted(p.stem for p in (course / "release" / assignment).glob("*.ipynb"))
    if not notebooks:
        raise SystemExit(f"release/{assignment} has no notebook: run `release {assignment}` first")
    needles = _leak_needles(course)
    students, refused, replaced = [], [], []
    for entry in sorted(inbox.iterdir()):
        mode = entry.lstat().st_mode
        is_file, is_dir = stat.S_ISREG(mode), stat.S_ISDIR(mode)
        if not (is_file or is_dir):
            refused.append(f"{shown_id(entry.name, needles)}: not a regular file or a folder "
                           "(links, FIFOs and devices are refused)")
            continue
        if is_file and entry.suffix != ".ipynb":
            print(f"skipping {shown_id(entry.name, needles)}: not a notebook or a folder of notebooks")
            continue
        student = entry.stem if is_file else entry.name
        problem = id_problem(student, needles)
        if problem:
            refused.append(f"{shown_id(entry.name, needles)}: {problem}")
            continue
        files = [entry] if is_file else sorted(entry.iterdir())
        copies, errors = {}, []
        for file in files:
            if file.suffix != ".ipynb" or file.name.startswith("."):
                continue
            # A single file takes the assignment's notebook name whatever the student called it.
            name = f"{notebooks[0]}.ipynb" if is_file and len(notebooks) == 1 else file.name
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ._()+-]{0,120}\.ipynb", name):
                errors.append(f"{shown(file.name)}: not a valid notebook file name")
                continue
            try:
                copies[name] = checker.read_bytes(file, checker.MAX_NOTEBOOK_BYTES)
            except checker.UnreadableNotebook as error:
                errors.append(shown(str(error)))
        if not errors:
            errors += expected_names(copies, notebooks)
        if errors or not copies:
            refused.append(f"{shown_id(entry.name, needles)}: " + ("; ".join(errors) or "no notebook in it"))
            continue
        dest = course / "submitted" / student / assignment
        if dest.is_symlink() or dest.parent.is_symlink():
            refused.append(f"{student}: submitted/{student} is a symbolic link; remove it first")
            continue
        if dest.exists():
            earlier = (dest / "timestamp.txt").read_text().strip() if (dest / "timestamp.txt").is_file() else "?"
            replaced.append(f"{student} (the submission of {earlier})")
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        for name, data in copies.items():
            (dest / name).write_bytes(data)
        submitted = max(f.lstat().st_mtime for f in files)
        stamp = datetime.datetime.fromtimestamp(submitted, tz=datetime.timezone.utc)
        (dest / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
        students.append(student)
    print(f"collected {len(students)} submissions of {assignment}")
    if replaced:
        print(f"replaced {len(replaced)} earlier submissions: " + ", ".join(replaced))
    if refused:
        print(f"refused {len(refused)} entries of the inbox (not collected):")
        for line in refused:
            print(f"  {line}")
    return students


#: How browsers and JupyterLab rename a notebook they save again: ``softmax (1)``, ``softmax-Copy1``, ``softmax copy``.
RENAMED = r"{stem}(?: \(\d+\)|-Copy\d+| copy(?: \d+)?| \d+)\.ipynb"


def expected_names(copies: dict[str, bytes], notebooks: list[str]) -> list[str]:
    """Give a renamed notebook of ``copies`` (in place) the name the assignment expects; the problems
    (two candidates for one name) as messages naming the files."""
    problems = []
    for stem in notebooks:
        if f"{stem}.ipynb" in copies:
            continue
        renamed = [n for n in copies if re.fullmatch(RENAMED.format(stem=re.escape(stem)), n)]
        if len(renamed) == 1:
            copies[f"{stem}.ipynb"] = copies.pop(renamed[0])
        elif renamed:
            problems.append(f"{', '.join(sorted(renamed))} could each be {stem}.ipynb: keep one of them")
    return problems


def _leak_needles(course: Path) -> set[str]:
    """The canary and the markers of hidden tests and solutions: no student id may contain them."""
    import report

    checks = course / "autograde_checks.py"
    canary = runpy.run_path(str(checks if checks.is_file() else HERE / "autograde_checks.py"))["CANARY"]
    return {canary, *report.MARKERS}


def _scanner(course: Path, needles):
    """The leak scanner of the course's source notebooks (the canary is the needle that is no marker)."""
    import report

    canary = next(n for n in needles if n not in report.MARKERS)
    return report.LeakScanner(sorted((course / "source").glob("*/*.ipynb")), canary)


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

    import checker

    try:
        return parse_utc(checker.read_bytes(folder / "timestamp.txt", 100).decode("ascii").strip())
    except (checker.UnreadableNotebook, ValueError, OverflowError):
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


def submissions(course: Path, assignment: str, needles) -> tuple[list[Path], list[tuple[str, str]]]:
    """The folders ``submitted/<student>/<assignment>`` to grade, and ``(entry, reason)`` for every entry of
    ``submitted/`` that cannot be graded (an invalid student id, a link, a file where a folder belongs)."""
    found, refused = [], []
    top = course / "submitted"
    if not top.is_dir():
        return found, refused
    for entry in sorted(top.iterdir()):
        if not stat.S_ISDIR(entry.lstat().st_mode):
            refused.append((shown_id(entry.name, needles), "not a folder (links and files are not graded)"))
            continue
        problem = id_problem(entry.name, needles)
        folder = entry / assignment
        if not os.path.lexists(folder):
            continue
        if problem:
            refused.append((shown_id(entry.name, needles), problem + "; not graded"))
        elif not stat.S_ISDIR(folder.lstat().st_mode):
            refused.append((entry.name, f"submitted/{entry.name}/{assignment} is not a folder; not graded"))
        else:
            found.append(folder)
    return found, refused


#: Where ``grade`` looks for the course secret when ``--secret-file`` is not given.
SECRET_ENV = "COURSE_GRADING_SECRET_FILE"


def make_secret(path: Path) -> None:
    """Write a new course secret (32 random bytes, hex) to ``path``, readable by you only."""
    import secrets

    if path.exists():
        raise SystemExit(f"{path} exists already; a new secret would change every student's hidden inputs")
    if _inside(path, ROOT):
        raise SystemExit(f"{path} is inside the course repository: keep the secret outside it")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    print(f"wrote a new course secret to {path}; grade with --secret-file {path} (or {SECRET_ENV}={path})")


def _inside(path: Path, folder: Path) -> bool:
    return folder.resolve() in path.resolve().parents


def read_secret(path: Path | None) -> bytes | None:
    """The course secret from ``path`` (or the file named by ``$COURSE_GRADING_SECRET_FILE``), or None."""
    path = path or (Path(os.environ[SECRET_ENV]) if os.environ.get(SECRET_ENV) else None)
    if path is None:
        print("note: no course secret (--secret-file): the hidden inputs come from the public seeds in "
              "lecture_lib/exercises, the same for every student and known to anyone with the "
              "repository. `instructor.py secret FILE` makes a secret.", file=sys.stderr, flush=True)
        return None
    try:
        secret = path.read_text().strip().encode()
    except OSError as error:
        raise SystemExit(f"cannot read the course secret {path}: {error.strerror}") from None
    if len(secret) < 32:
        raise SystemExit(f"the course secret {path} is too short (at least 32 characters; "
                         "`instructor.py secret FILE` makes one)")
    if _inside(path, ROOT):
        print(f"WARNING: the course secret {path} is inside the course repository; keep it outside",
              file=sys.stderr, flush=True)
    return secret


def grade(course: Path, names: list[str], jobs: int, limits, no_sandbox: bool = False, cgroup: bool = True,
          cgroup_root: Path | None = None, secret: bytes | None = None, roster: dict | None = None,
          per_part: bool = False, scheduler: str | None = None) -> int:
    """Grade every submission of the assignments in sandboxes; write the gradebook, the CSVs (:func:`export`),
    feedback; print and save what a regrade changed.

    The sandboxes run on a Dask cluster (``grading/cluster.py``): ``jobs`` threads in this process, or
    the workers of the running ``scheduler``; only this process writes what the grading decided."""
    import cgroups
    import checker
    import cluster
    import report
    import results
    import sandbox
    from nbgrader.api import Gradebook

    isolation = None
    if no_sandbox:
        print("WARNING: --no-sandbox: the students' code runs WITHOUT isolation, as you, with access to your "
              "files, the course folder, the gradebook and the network, and the libraries a part forbids are "
              "NOT removed. Use this only on a trusted single-user machine.", file=sys.stderr, flush=True)
    elif scheduler is None and sandbox.bwrap_path() is None:
        raise SystemExit(sandbox.INSTALL_HINT)
    elif scheduler is None:  # the workers of a scheduler sandbox themselves (cluster.Pool checks each)
        try:
            isolation = sandbox.Isolation(cgroup=cgroup, cgroup_root=cgroup_root)
        except cgroups.CgroupError as error:
            raise SystemExit(f"no control groups to bound each sandbox: {error}.\nGrade as root (cgroup v1 or "
                             "v2), pass --cgroup-root with a delegated cgroup v2 folder, or accept per-process "
                             "limits only with --no-cgroups (a student can then use memory and processes "
                             "beyond the limits, and other sandboxes' load counts against its time).")
        if not cgroup:
            print("WARNING: --no-cgroups: each sandbox is bounded per process only (memory, processes and CPU "
                  "of the whole sandbox are not limited; time limits are wall-clock).", file=sys.stderr, flush=True)
        if not isolation.as_root:
            print("note: grading as a normal user: the sandboxes run as your uid (in a user namespace); grade as "
                  "root to give each sandbox a uid of its own.", file=sys.stderr, flush=True)
    names = assignments(course, names)
    os.environ.update(PATH=_env()["PATH"])  # nbgrader runs `alembic` when it creates a gradebook
    config = _config(course)
    needles = _leak_needles(course)
    scanner = _scanner(course, needles)
    hide = tuple(dict.fromkeys(p for p in (course, ROOT) if p.is_dir()))
    views = checker.Views()
    if isolation is not None:
        print(isolation.describe(), flush=True)
        problem = sandbox.check_works(views.get(()), isolation)
        if problem:
            views.close()
            raise SystemExit(f"bubblewrap cannot start a sandbox on this machine: {problem}\n"
                             "(it needs unprivileged user namespaces, or root)")
    attention: list[tuple[str, str, list[str]]] = []
    regraded: list[dict] = []
    graded = 0
    pool = None
    try:
        pool = cluster.Pool(jobs, scheduler, cluster.Setup(not no_sandbox, cgroup, cgroup_root and str(cgroup_root)),
                            views, isolation)
        for assignment in names:
            folders, refused = submissions(course, assignment, needles)
            attention += [(entry, assignment, [reason]) for entry, reason in refused]
            if not folders:
                print(f"{assignment}: no submissions, nothing to grade")
                continue
            (source_path,) = sorted((course / "source" / assignment).glob("*.ipynb"))
            source_nb = nbformat.read(source_path, as_version=4)
            before = _snapshot(config, assignment)
            with pool.grade(folders, source_path, assignment, limits, hide, secret) as graded_submissions:
                # The sandboxes start at once; the gradebook is opened (or made) while they run.
                progress = Progress(len(folders), f"grading {assignment}")
                _ensure_in_gradebook(course, assignment)
                gradebook = Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id)
                try:
                    for folder, result in graded_submissions:
                        try:
                            problems = _write_results(course, folder, source_nb, result, gradebook, scanner)
                        except Exception as error:  # one submission's results; the others are still written
                            gradebook.db.rollback()
                            problems = [*result.attention, f"its results could not be written "
                                        f"({type(error).__name__}): grade it by hand"]
                            try:
                                report.record(gradebook, result, None, flagged=True)
                            except Exception:
                                gradebook.db.rollback()
                        if problems:
                            attention.append((result.student, assignment, problems))
                        graded += 1
                        progress.step()
                finally:
                    gradebook.close()
            regraded += results.changes(before, _snapshot(config, assignment), assignment,
                                        results.source_parts(source_nb))
    finally:
        if pool is not None:
            pool.close()
        views.close()
    if graded:
        export(course, scanner, roster, per_part)
    print(f"grades: {course / 'grades.csv'}, per part: {course / 'parts.csv'}; feedback: {course / 'feedback'}")
    if regraded:
        path = results.write_regrades(course, regraded)
        _refuse_leaks(scanner, [path])
        n = len(regraded)
        print(f"Points changed by this regrade ({n} part{'s' * (n != 1)}; saved in {path}):")
        for line in results.regrade_lines(regraded):
            print("  " + shown(line))
    if attention:
        print("These submissions need attention (points were given only for what ran; flagged in the gradebook):")
        for student, assignment, problems in attention:
            who = shown_id(student, needles)
            print(f"  {who} {assignment}  (submitted/{who}/{assignment}): " + "; ".join(shown(p) for p in problems))
        return NEEDS_A_LOOK
    return 0


def export(course: Path, scanner=None, roster: dict | None = None, per_part: bool = False) -> None:
    """The CSVs of the course from the gradebook and the stored diagnoses, as data a spreadsheet will not
    run: ``grades.csv`` with nbgrader's columns (:func:`report.write_grades_csv`), ``parts.csv``,
    ``canvas.csv`` and ``moodle.csv`` (:func:`results.write_tables`; ``roster``: the LMS's fields of each
    student, ``per_part``: a column per part too). A file with hidden-test text is deleted and grading stops."""
    import report
    import results
    from nbgrader.api import Gradebook

    print(f"+ export grades to {course / 'grades.csv'}, {course / 'parts.csv'}, canvas.csv and moodle.csv",
          flush=True)
    config = _config(course)
    scanner = scanner or _scanner(course, _leak_needles(course))
    with Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id) as gradebook:
        report.write_grades_csv(gradebook, course / "grades.csv")
        paths = [course / "grades.csv", *results.write_tables(gradebook, course, roster, per_part)]
        unlisted = sorted(s.id for s in gradebook.students if roster and s.id not in roster)
    _refuse_leaks(scanner, paths)
    if unlisted:
        print(f"note: {len(unlisted)} students of the gradebook are not in the roster (canvas.csv and moodle.csv "
              "name them by their nbgrader id): " + ", ".join(shown(s) for s in unlisted[:10])
              + (", ..." if len(unlisted) > 10 else ""))


def _refuse_leaks(scanner, paths: list[Path]) -> None:
    """Delete every file of ``paths`` that holds hidden-test text, and stop saying which."""
    leaking = {path: scanner.leaks(path.read_text(encoding="utf-8")) for path in paths}
    leaking = {path: leaked for path, leaked in leaking.items() if leaked}
    for path in leaking:
        path.unlink()
    if leaking:
        raise SystemExit("hidden-test text in " + "; ".join(f"{p.name} ({leaked[:3]})" for p, leaked in leaking.items())
                         + ": deleted")


def _snapshot(config, assignment: str) -> dict:
    """The points of every part of every submission of ``assignment`` in the gradebook (:func:`results.snapshot`)."""
    import results
    from nbgrader.api import Gradebook

    with Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id) as gradebook:
        return results.snapshot(gradebook, assignment)


def _write_results(course: Path, folder: Path, source_nb, result, gradebook, scanner) -> list[str]:
    """Gradebook, autograded notebook and feedback of one submission; returns what needs attention."""
    import checker
    import report
    import results

    problems = list(result.attention)
    errors = [e for e in dict.fromkeys(result.cell_errors) if e != "NotImplementedError"]  # an unanswered stub
    if errors:
        problems.append(f"cells raised errors when it ran ({', '.join(errors)}); points are unchanged")
    student, assignment = result.student, result.assignment
    autograded = course / "autograded" / student / assignment
    feedback = course / "feedback" / student / assignment
    try:
        student_nb = checker.read_notebook(folder / f"{result.notebook}.ipynb")
    except checker.UnreadableNotebook:
        student_nb = nbformat.v4.new_notebook()
    graded_nb = report.autograded_notebook(source_nb, student_nb, result)
    # Only the files whose content changed are written: a regrade leaves the others as they were.
    files = {f"{result.notebook}.ipynb": results.notebook_text(graded_nb),
             results.PARTS_FILE: results.parts_json(result)}
    timestamp = _timestamp(folder)
    if timestamp is not None:
        files["timestamp.txt"] = timestamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    results.sync_folder(autograded, files)
    page = report.feedback_html(graded_nb, result)
    leaked = scanner.leaks(page, extra=result.secrets)
    if leaked:
        problems.append("feedback WITHHELD: it contained hidden-test text or a hidden input; write it by hand")
        results.remove(feedback)
    else:
        results.sync_folder(feedback, {f"{result.notebook}.html": page})
    report.record(gradebook, result, timestamp, flagged=bool(problems))
    return problems


def _roster(path: Path | None) -> dict:
    """The roster of ``--roster`` (:func:`results.read_roster`), or none."""
    import results

    if path is None:
        return {}
    try:
        return results.read_roster(path)
    except OSError as error:
        raise SystemExit(f"--roster {path}: {error.strerror}") from None
    except (ValueError, csv.Error) as error:
        raise SystemExit(f"--roster: {error}") from None


def item_report(course: Path, names: list[str], out: Path) -> None:
    """The item analysis of ``parts.csv`` (the assignments named, or all) as one HTML page at ``out``."""
    import analysis

    try:
        analyses = analysis.write_report(course / "parts.csv", out, names)
    except (OSError, ValueError) as error:
        raise SystemExit(str(error)) from None
    print(f"item analysis of {', '.join(shown(a.name) for a in analyses)}: {out}")


def similarity(course: Path, assignment: str, out: Path, threshold: float | None = None) -> None:
    """The pairs of submissions of ``assignment`` whose answer cells look alike, as one HTML page at ``out``
    (``threshold``: see :func:`similarity.similar_pairs`; default :data:`similarity.THRESHOLD`)."""
    import similarity as alike

    threshold = alike.THRESHOLD if threshold is None else threshold
    (assignment,) = assignments(course, [assignment])
    folders, refused = submissions(course, assignment, _leak_needles(course))
    starter, answers, skipped = alike.extract(course, assignment, folders)
    pairs = alike.similar_pairs(answers, starter, threshold)
    out.write_text(alike.similarity_html(assignment, pairs, len(answers), [*refused, *skipped], threshold),
                   encoding="utf-8")
    print(f"{len(answers)} submissions of {assignment} compared; {len(pairs)} pairs at or above "
          f"{threshold:.0%}: {out}")


def _limits(args):
    import sandbox

    return sandbox.Limits(memory_bytes=args.memory_mb * 1024**2, cpu_seconds=args.cpu_seconds,
                          cell_seconds=args.cell_timeout, notebook_seconds=args.notebook_timeout,
                          output_bytes=args.output_limit_kb * 1024, wall_factor=args.wall_factor)


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
    commands.add_parser("secret", help="write a new course secret (hidden inputs per student) to FILE",
                        parents=[course_option]).add_argument("file", type=Path)
    p = commands.add_parser("grade", help="grade in sandboxes, write the CSVs and the feedback",
                            parents=[course_option])
    p.add_argument("--secret-file", type=Path, default=None,
                   help=f"the course secret: each student's hidden inputs are drawn from it and their id "
                        f"(default: the file named by ${SECRET_ENV}; none: the public seeds)")
    p.add_argument("assignments", nargs="*")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="submissions graded at once (default: the number of cores, %(default)s)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="grade on the workers of this running Dask scheduler (tcp://HOST:8786 or tls://...) "
                        "instead of --jobs threads here; see the Instructor guide")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run the students' code without isolation (a trusted single-user machine only)")
    p.add_argument("--cell-timeout", type=float, default=30.0,
                   help="CPU seconds of a sandbox per cell and per call (default 30)")
    p.add_argument("--notebook-timeout", type=float, default=300.0,
                   help="CPU seconds per notebook and sandbox (default 300)")
    p.add_argument("--memory-mb", type=int, default=2048,
                   help="memory of a whole sandbox, tmpfs included (default 2048 MiB)")
    p.add_argument("--cpu-seconds", type=int, default=120, help="CPU time per sandbox (default 120 s)")
    p.add_argument("--output-limit-kb", type=int, default=4096,
                   help="printed output per sandbox before it is killed (default 4096 KiB)")
    p.add_argument("--wall-factor", type=float, default=4.0,
                   help="a sandbox that waits is ended after this many times its CPU budget in wall-clock time "
                        "(default 4)")
    p.add_argument("--no-cgroups", action="store_true",
                   help="no control group per sandbox: per-process limits only (when none can be made)")
    p.add_argument("--cgroup-root", type=Path, default=None,
                   help="a cgroup v2 folder delegated to you, to make the sandboxes' groups in")
    export_parser = commands.add_parser("export", help="write grades.csv, parts.csv, canvas.csv and moodle.csv "
                                        "again from the stored results", parents=[course_option])
    for q in (p, export_parser):
        q.add_argument("--roster", type=Path, default=None,
                       help="a CSV of the students' LMS fields: student_id (the nbgrader id) and any of "
                            "Student, ID, SIS User ID, SIS Login ID, Section (Canvas), First name, Last name, "
                            "Username, ID number, Email address (Moodle)")
        q.add_argument("--per-part", action="store_true",
                       help="canvas.csv and moodle.csv get a column per part besides each assignment's total")
    p = commands.add_parser("report", help="item analysis of parts.csv as one HTML page", parents=[course_option])
    p.add_argument("assignments", nargs="*")
    p.add_argument("--out", type=Path, default=None, help="the page to write (default: <course>/report.html)")
    p = commands.add_parser("similarity", help="pairs of submissions whose answers look alike, as one HTML page",
                            parents=[course_option])
    p.add_argument("assignment")
    p.add_argument("--out", type=Path, default=None,
                   help="the page to write (default: <course>/similarity_<ASSIGNMENT>.html)")
    p.add_argument("--threshold", type=float, default=None,
                   help="list a pair when at least this share of either answer is found in the other "
                        "(0 to 1; default: THRESHOLD of grading/similarity.py, one half)")
    args = parser.parse_args(argv)
    course = getattr(args, "course", HERE).resolve()
    if not (course / "nbgrader_config.py").is_file():
        raise SystemExit(f"{course} is not a course folder (no nbgrader_config.py)")
    if args.command == "release":
        release(course, args.assignments)
    elif args.command == "secret":
        make_secret(args.file)
    elif args.command == "collect":
        if not args.inbox.is_dir():
            raise SystemExit(f"inbox {args.inbox} is not a folder: give the folder of submissions "
                             "(<student>.ipynb files or <student>/ folders of notebooks)")
        collect(course, args.assignment, args.inbox)
    elif args.command == "export":
        if not (course / "gradebook.db").is_file():
            raise SystemExit(f"{course} has no gradebook.db: nothing was graded yet (run `grade`)")
        export(course, roster=_roster(args.roster), per_part=args.per_part)
    elif args.command == "report":
        item_report(course, args.assignments, args.out or course / "report.html")
    elif args.command == "similarity":
        if args.threshold is not None and not 0 <= args.threshold <= 1:
            raise SystemExit(f"--threshold must lie between 0 and 1, got {args.threshold}")
        similarity(course, args.assignment, args.out or course / f"similarity_{args.assignment}.html",
                   args.threshold)
    else:
        if args.jobs < 1:
            raise SystemExit(f"--jobs must be at least 1, got {args.jobs}")
        return grade(course, args.assignments, args.jobs, _limits(args), args.no_sandbox,
                     cgroup=not args.no_cgroups, cgroup_root=args.cgroup_root, secret=read_secret(args.secret_file),
                     roster=_roster(args.roster), per_part=args.per_part, scheduler=args.scheduler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
