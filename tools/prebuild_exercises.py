#!/usr/bin/env python3
"""Put the student release of every exercise into the book (run by ``tools/course.py build``).

The book must never show the sources in ``exercises/source/`` (they hold the solutions and the
hidden tests). This step runs ``nbgrader generate_assignment`` in a temporary copy of the course
and writes

- ``book/exercises/<assignment>/<notebook>.ipynb``: the release notebooks, one page each (listed
  in ``_toc.yml``, excluded from execution in ``_config.yml``; the folder is git-ignored);
- ``book/exercises/list.md``: the table of exercises that ``book/exercises.md`` includes, with
  each exercise's parts and points read from the release notebooks' nbgrader metadata.

Safe to run twice; it replaces ``book/exercises/`` as a whole.
"""

from __future__ import annotations

import json
import runpy
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
OUT = ROOT / "book" / "exercises"
#: Texts that must never reach the book (the canary is read from the grading helpers).
CANARY = runpy.run_path(str(EXERCISES / "autograde_checks.py"))["CANARY"]
FORBIDDEN = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS", CANARY)


def release_all(course: Path) -> Path:
    """Copy the course (sources only) into ``course`` and generate every release there."""
    for name in ("nbgrader_config.py", "autograde_checks.py"):
        shutil.copy(EXERCISES / name, course / name)
    shutil.copytree(EXERCISES / "source", course / "source", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    result = subprocess.run([sys.executable, str(EXERCISES / "instructor.py"), "--course", str(course), "release"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"nbgrader could not generate the student release:\n{result.stdout}\n{result.stderr}")
    return course / "release"


def describe(notebook: Path) -> dict:
    """Title, parts and points of one release notebook, from its cells and nbgrader metadata."""
    nb = json.loads(notebook.read_text())
    title = "".join(nb["cells"][0]["source"]).splitlines()[0].lstrip("# ").strip()
    parts, answer = [], None
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            answer = meta["grade_id"]
        if meta.get("grade"):  # the test cell after an answer cell grades that answer
            parts.append((answer, meta["points"]))
    return {"title": title, "parts": parts, "points": sum(p for _, p in parts)}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="course-release-") as tmp:
        release = release_all(Path(tmp))
        if OUT.exists():
            shutil.rmtree(OUT)
        rows = []
        for assignment_dir in sorted(p for p in release.iterdir() if p.is_dir()):
            for notebook in sorted(assignment_dir.glob("*.ipynb")):
                text = notebook.read_text()
                leaked = [marker for marker in FORBIDDEN if marker in text]
                if leaked:  # nbgrader strips these; refuse to publish if it ever did not
                    sys.exit(f"{notebook.name} still contains {leaked}: not publishing it")
                dest = OUT / assignment_dir.name / notebook.name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(notebook, dest)
                info = describe(notebook)
                docname = f"/book/exercises/{assignment_dir.name}/{notebook.stem}"
                functions = ", ".join(f"`{name}` ({points:g})" for name, points in info["parts"])
                rows.append(f"| {{doc}}`{info['title']} <{docname}>` | {functions} | {info['points']:g} "
                            f"| {{download}}`{notebook.name} <{docname}.ipynb>` |")
    header = ["| Exercise | Functions you write (points) | Points | Download |", "| --- | --- | --- | --- |"]
    (OUT / "list.md").write_text("\n".join(header + rows) + "\n")
    print(f"wrote {len(rows)} student notebooks and the list into {OUT.relative_to(ROOT)}/")


def drop_launch_buttons(app, pagename, templatename, context, doctree) -> None:
    """Remove the Binder launch button from the exercise pages.

    The release notebooks are generated at build time and not in the repository, so a Binder link
    to them would 404; the page's download button gives students the notebook instead.
    """
    if pagename.startswith("book/exercises/") and "header_buttons" in context:
        context["header_buttons"] = [b for b in context["header_buttons"] if b.get("label") != "launch-buttons"]


def setup(app):
    """Sphinx extension (``_config.yml`` loads it): no launch buttons on the generated exercise pages."""
    app.connect("html-page-context", drop_launch_buttons, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    main()
