#!/usr/bin/env python3
"""The instructor's workflow for the exercises, on top of nbgrader (see the book's Instructor guide).

    python exercises/instructor.py release [ASSIGNMENT ...]   # student versions into release/
    python exercises/instructor.py collect ASSIGNMENT INBOX   # INBOX/<student>.ipynb -> submitted/
    python exercises/instructor.py grade [ASSIGNMENT ...]     # autograde, grades.csv, feedback/

Every command also takes ``--course DIR`` (default: this folder) to work on a copy of the course.
Plain nbgrader commands work as well (run them from this folder); this wrapper adds what the
class run needs around them:

- ``release`` and ``grade`` loop over every assignment in ``source/`` by default;
- ``collect`` takes the folder of files an LMS hands out (one notebook per student, named after
  the student, or one folder per student) and records each file's time as the submission time;
- ``grade`` never lets one submission stop the class: nbgrader grades each submission on its own,
  and a submission it could not grade at all (e.g. the student's code killed the kernel) keeps
  its row in ``grades.csv`` with 0 points and is listed at the end for a human look. It then
  exports ``grades.csv`` and writes the HTML feedback (hidden tests cut out).

Exit status: 0 when every submission was graded, 3 when some need a look (the CSV and the
feedback are complete all the same), anything else when nbgrader itself failed.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: nbgrader runs in the same Python as this script (the course's .venv when started from there).
NBGRADER = [sys.executable, "-m", "nbgrader"]
NEEDS_A_LOOK = 3


def _env() -> dict[str, str]:
    # nbgrader calls the ``alembic`` executable when it creates the gradebook: put ours on PATH.
    bindir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run one nbgrader command in the course folder; its log goes to our output."""
    print("+ nbgrader " + " ".join(args), flush=True)
    result = subprocess.run([*NBGRADER, *args], cwd=course, env=_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    print(result.stdout, end="", flush=True)
    if check and result.returncode != 0:
        raise SystemExit(f"nbgrader {args[0]} failed with exit status {result.returncode}")
    return result


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


def _failed_submissions(course: Path, names: list[str]) -> list[tuple[str, str]]:
    """Submissions that nbgrader could not autograde (their autograded folder is missing)."""
    failed = []
    for assignment in names:
        for folder in sorted((course / "submitted").glob(f"*/{assignment}")):
            student = folder.parent.name
            if not (course / "autograded" / student / assignment).is_dir():
                failed.append((student, assignment))
    return failed


def _zero_failed(course: Path, failed: list[tuple[str, str]]) -> None:
    """Give a submission nbgrader could not grade 0 points, so that it keeps a complete CSV row."""
    from nbgrader.api import Gradebook

    config = _config(course)
    with Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id) as gradebook:
        for student, assignment in failed:
            submission = gradebook.update_or_create_submission(assignment, student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.auto_score is None and grade.manual_score is None:
                        grade.auto_score = 0.0
                    grade.needs_manual_grade = True
            submission.flagged = True
        gradebook.db.commit()


def grade(course: Path, names: list[str]) -> int:
    names = assignments(course, names)
    for assignment in names:
        nbgrader(course, "autograde", assignment, "--force", check=False)
    failed = _failed_submissions(course, names)
    if failed:
        _zero_failed(course, failed)
    nbgrader(course, "export", "--to", str(course / "grades.csv"))
    for assignment in names:
        nbgrader(course, "generate_feedback", assignment, "--force", check=False)
    print(f"grades: {course / 'grades.csv'}; feedback: {course / 'feedback'}")
    if failed:
        print("These submissions could not be autograded (0 points, flagged); look at them by hand:")
        for student, assignment in failed:
            print(f"  {student} {assignment}  (submitted/{student}/{assignment})")
        return NEEDS_A_LOOK
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--course", type=Path, default=HERE, help="course folder (default: %(default)s)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("release", help="generate the student versions").add_argument("assignments", nargs="*")
    p = commands.add_parser("collect", help="copy an inbox of submissions into submitted/")
    p.add_argument("assignment")
    p.add_argument("inbox", type=Path)
    commands.add_parser("grade", help="autograde, export grades.csv, write feedback").add_argument(
        "assignments", nargs="*")
    args = parser.parse_args(argv)
    course = args.course.resolve()
    if not (course / "nbgrader_config.py").is_file():
        raise SystemExit(f"{course} is not a course folder (no nbgrader_config.py)")
    if args.command == "release":
        release(course, args.assignments)
    elif args.command == "collect":
        collect(course, args.assignment, args.inbox)
    else:
        return grade(course, args.assignments)
    return 0


if __name__ == "__main__":
    sys.exit(main())
