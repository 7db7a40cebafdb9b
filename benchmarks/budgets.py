#!/usr/bin/env python3
"""Course budgets: how long do the chapters, the book build and autograding take?

    python benchmarks/budgets.py                      # all -> benchmarks/results/budgets.json (minutes)
    python benchmarks/budgets.py --only chapters --out /tmp/b.json

Budgets (``--only`` names) and their targets on 2 cores:

``chapters``   execute every chapter ``book/0*.md`` (jupytext -> nbclient), total <= 60 s;
``build``      a clean ``jupyter-book build`` into a temporary folder <= 90 s, then a no-op
               rebuild of the same folder (execution cache and Sphinx environment kept) <= 10 s;
``autograde``  ``exercises/instructor.py grade`` of 20 correct submissions of one assignment in a
               temporary copy of ``exercises/`` (each in its own sandbox, ``--jobs`` = the number
               of cores; with the gradebook, ``grades.csv`` and feedback), >= 60 submissions per
               minute. Skipped, with a note, without bubblewrap or an nbgrader course.

Nothing is written inside the repository except the JSON results.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import RESULTS, ROOT, format_table, machine_info, write_json

BUDGETS = ("chapters", "build", "autograde")
TARGETS = {"chapters_s": 60.0, "clean_build_s": 90.0, "noop_rebuild_s": 10.0, "autograde_per_min": 60.0}
BIN = Path(sys.executable).parent
N_SUBMISSIONS = 20
INSTRUCTOR = [sys.executable, ROOT / "exercises" / "instructor.py"]


def _env() -> dict:
    """The environment the task runner gives its tools: headless plots, no user site packages."""
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "MPLBACKEND": "Agg",
            "PYTHONNOUSERSITE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def _timed_run(cmd: list, cwd: Path, log: Path) -> tuple[float, int]:
    """Run ``cmd``; return (seconds, exit code). Output goes to ``log``."""
    start = time.perf_counter()
    with open(log, "w") as fh:
        code = subprocess.run([str(c) for c in cmd], cwd=cwd, env=_env(), stdout=fh, stderr=subprocess.STDOUT).returncode
    return time.perf_counter() - start, code


# --------------------------------------------------------------------------- chapters
def budget_chapters(chapters: list[Path]) -> dict:
    import jupytext
    import nbclient

    per_chapter, skipped = {}, []
    os.environ["MPLBACKEND"] = "Agg"
    total_start = time.perf_counter()
    for path in chapters:
        if not path.read_text().startswith("---\njupytext:"):
            skipped.append(path.name)  # a placeholder page without a notebook header
            continue
        notebook = jupytext.read(path)
        start = time.perf_counter()
        client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                         resources={"metadata": {"path": str(path.parent)}})
        try:
            client.execute()
            error = None
        except Exception as exc:  # a failing chapter still gets its time recorded
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        per_chapter[path.name] = {"seconds": time.perf_counter() - start, "error": error}
    total = time.perf_counter() - total_start
    return {"chapters_s": total, "per_chapter": per_chapter, "not_notebooks": skipped,
            "target_s": TARGETS["chapters_s"], "met": total <= TARGETS["chapters_s"]}


# --------------------------------------------------------------------------- book build
def _problems(log: Path, limit: int = 20) -> list[str]:
    """The first warning and error lines of a build log (so a failed build can be diagnosed)."""
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines()
             if ("WARNING" in line or "ERROR" in line or "Error" in line) and "Kernel is running over TCP" not in line]
    return lines[:limit]


def budget_build(workdir: Path) -> dict:
    out = workdir / "book-build"
    cmd = [BIN / "jupyter-book", "build", ROOT, "--path-output", out, "--warningiserror", "--keep-going"]
    clean_s, clean_code = _timed_run(cmd, ROOT, workdir / "clean-build.log")
    noop_s, noop_code = _timed_run(cmd, ROOT, workdir / "noop-build.log")
    return {"clean_build_s": clean_s, "clean_build_exit_code": clean_code,
            "clean_build_problems": _problems(workdir / "clean-build.log"),
            "noop_rebuild_s": noop_s, "noop_rebuild_exit_code": noop_code,
            "note": "exit code != 0 means some page warned or failed; the time is still the build's time",
            "targets_s": {"clean": TARGETS["clean_build_s"], "noop": TARGETS["noop_rebuild_s"]},
            "met": clean_s <= TARGETS["clean_build_s"] and noop_s <= TARGETS["noop_rebuild_s"]}


# --------------------------------------------------------------------------- autograde
def _assignments(course: Path) -> list[str]:
    source = course / "source"
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb"))) if source.is_dir() else []


def _solved_submission(release_nb, source_nb):
    """The release with every answer cell filled in from the source (solution markers removed)."""
    import copy

    solved = {c.metadata["nbgrader"]["grade_id"]: "\n".join(
        line for line in c.source.splitlines() if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
        for c in source_nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solved:
            cell.source = solved[grade_id]
    return nb


def solved_class(workdir: Path, n_submissions: int, assignment: str | None = None) -> dict:
    """A copy of the course in ``workdir/course`` with ``n_submissions`` correct submissions of one assignment.

    The submissions are the student release with the solutions filled in: complete answers, whose code
    all runs, the slowest kind of submission to grade. Returns ``{"course", "assignment"}``, or
    ``{"skipped": why}`` without bubblewrap or an nbgrader course.
    """
    import nbformat

    course_src = ROOT / "exercises"
    available = _assignments(course_src)
    if not (course_src / "nbgrader_config.py").exists() or not available:
        return {"skipped": "exercises/ has no nbgrader course yet (nbgrader_config.py and source/<assignment>/*.ipynb)"}
    if shutil.which("bwrap") is None:
        return {"skipped": "bubblewrap (bwrap) is not installed: `instructor.py grade` needs it"}
    assignment = assignment or available[0]
    if assignment not in available:
        return {"skipped": f"no assignment {assignment!r} in exercises/source (there are {available})"}
    course = workdir / "course"
    course.mkdir()
    for name in ("nbgrader_config.py", "autograde_checks.py"):
        shutil.copy(course_src / name, course / name)
    shutil.copytree(course_src / "source", course / "source", ignore=shutil.ignore_patterns(
        ".ipynb_checkpoints", "__pycache__"))
    _, code = _timed_run([*INSTRUCTOR, "release", assignment, "--course", course], course, workdir / "release.log")
    if code != 0:
        return {"skipped": f"instructor.py release {assignment} failed; nothing to grade",
                "log": (workdir / "release.log").read_text()[-2000:]}
    (source,) = sorted((course / "source" / assignment).glob("*.ipynb"))
    release_nb = nbformat.read(course / "release" / assignment / source.name, as_version=4)
    solved = _solved_submission(release_nb, nbformat.read(source, as_version=4))
    for i in range(n_submissions):
        target = course / "submitted" / f"student{i:02d}" / assignment
        target.mkdir(parents=True)
        nbformat.write(solved, target / source.name)
        (target / "timestamp.txt").write_text("2026-01-01 00:00:00.000000 UTC")
    return {"course": course, "assignment": assignment}


def budget_autograde(workdir: Path, n_submissions: int = N_SUBMISSIONS, assignment: str | None = None,
                     jobs: int | None = None) -> dict:
    """Grade ``n_submissions`` correct submissions (:func:`solved_class`) with ``instructor.py grade``.

    That is the class run an instructor does: every submission in its own bubblewrap sandbox,
    ``--jobs`` at once (default: the number of cores), then the gradebook, ``grades.csv`` and the
    feedback pages.
    """
    made = solved_class(workdir, n_submissions, assignment)
    if "skipped" in made:
        return made
    course, assignment = made["course"], made["assignment"]
    jobs = jobs or os.cpu_count() or 1
    seconds, code = _timed_run([*INSTRUCTOR, "grade", assignment, "--jobs", str(jobs), "--course", course], course,
                               workdir / "grade.log")
    graded = len(list((course / "autograded").glob(f"*/{assignment}")))
    feedback = len(list((course / "feedback").glob(f"*/{assignment}/*.html")))
    per_min = n_submissions / seconds * 60.0
    return {"assignment": assignment, "submissions": n_submissions, "graded": graded, "feedback_pages": feedback,
            "jobs": jobs, "submission_kind": "release with the solutions filled in",
            "includes": "sandboxes, gradebook, export of grades.csv, feedback (one `instructor.py grade` run)",
            "seconds": seconds, "exit_code": code, "autograde_per_min": per_min,
            "target_per_min": TARGETS["autograde_per_min"], "met": per_min >= TARGETS["autograde_per_min"],
            "log_tail": (workdir / "grade.log").read_text()[-1500:] if code != 0 else ""}


def summary_rows(results: dict) -> list[dict]:
    rows = []
    b = results["budgets"]
    if "chapters" in b:
        rows.append({"budget": "execute all chapters", "value": b["chapters"]["chapters_s"], "unit": "s",
                     "target": "<= 60", "met": b["chapters"]["met"]})
    if "build" in b:
        rows.append({"budget": "clean book build", "value": b["build"]["clean_build_s"], "unit": "s",
                     "target": "<= 90", "met": b["build"]["clean_build_s"] <= TARGETS["clean_build_s"]})
        rows.append({"budget": "no-op rebuild", "value": b["build"]["noop_rebuild_s"], "unit": "s",
                     "target": "<= 10", "met": b["build"]["noop_rebuild_s"] <= TARGETS["noop_rebuild_s"]})
    if "autograde" in b and "skipped" not in b["autograde"]:
        rows.append({"budget": "grade a class (sandboxed)", "value": b["autograde"]["autograde_per_min"],
                     "unit": "submissions/min", "target": ">= 60", "met": b["autograde"]["met"]})
    return rows


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=BUDGETS, help="run only this budget (repeatable)")
    parser.add_argument("--out", type=Path, help="JSON file to write (default for a full run: results/budgets.json)")
    parser.add_argument("--chapters", nargs="*", type=Path, help="chapters to execute (default: book/0*.md)")
    parser.add_argument("--submissions", type=int, default=N_SUBMISSIONS, help="submissions to autograde")
    parser.add_argument("--assignment", help="assignment to autograde (default: the first in exercises/source)")
    parser.add_argument("--jobs", type=int, help="submissions graded at once (default: the number of cores)")
    args = parser.parse_args(argv)
    only = args.only or list(BUDGETS)
    full_run = not (args.only or args.chapters or args.submissions != N_SUBMISSIONS)
    out_path = args.out if args.out is not None else (RESULTS / "budgets.json" if full_run else None)
    chapters = args.chapters if args.chapters else sorted((ROOT / "book").glob("0*.md"))

    results = {"machine": machine_info(), "config": {"targets": TARGETS, "full_run": full_run,
                                                     "command": " ".join(sys.argv)}, "budgets": {}}
    with tempfile.TemporaryDirectory(prefix="budgets-") as tmp:
        for name in only:
            start = time.perf_counter()
            print(f"[{name}] ...", flush=True)
            workdir = Path(tmp) / name
            workdir.mkdir()
            if name == "chapters":
                results["budgets"][name] = budget_chapters(chapters)
            elif name == "build":
                results["budgets"][name] = budget_build(workdir)
            else:
                results["budgets"][name] = budget_autograde(workdir, args.submissions, args.assignment, args.jobs)
            print(f"[{name}] done in {time.perf_counter() - start:.1f} s", flush=True)
    results["summary"] = summary_rows(results)
    print(format_table(results["summary"], [("budget", "budget"), ("value", "value"), ("unit", "unit"),
                                            ("target", "target"), ("met", "met")]))
    for name, r in results["budgets"].items():
        if "skipped" in r:
            print(f"{name}: skipped: {r['skipped']}")
    if out_path is not None:
        write_json(results, out_path)
        print(f"wrote {out_path}")
    return results


if __name__ == "__main__":
    main()
