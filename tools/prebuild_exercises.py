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

import hashlib
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


def write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` unless the file already holds it: an unchanged file keeps its mtime, so Sphinx
    does not re-read the page (a rebuild with nothing changed stays a no-op)."""
    if path.is_file() and path.read_text() == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


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


#: Digest of what the release is made from, when it was last made (outside the served folders).
STAMP = ROOT / "_build" / ".exercises-release-sha256"


def sources_digest() -> str:
    """SHA-256 of the exercise sources and of the code that turns them into the release."""
    h = hashlib.sha256()
    files = sorted(p for p in (EXERCISES / "source").rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts)
    files += [EXERCISES / name for name in ("nbgrader_config.py", "autograde_checks.py", "instructor.py")]
    files.append(Path(__file__).resolve())
    for path in files:
        h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def main() -> None:
    digest = sources_digest()
    if STAMP.is_file() and STAMP.read_text() == digest and (OUT / "list.md").is_file():
        print(f"the student release in {OUT.relative_to(ROOT)}/ is up to date")
        return
    with tempfile.TemporaryDirectory(prefix="course-release-") as tmp:
        release = release_all(Path(tmp))
        rows, written = [], set()
        for assignment_dir in sorted(p for p in release.iterdir() if p.is_dir()):
            for notebook in sorted(assignment_dir.glob("*.ipynb")):
                text = notebook.read_text()
                leaked = [marker for marker in FORBIDDEN if marker in text]
                if leaked:  # nbgrader strips these; refuse to publish if it ever did not
                    sys.exit(f"{notebook.name} still contains {leaked}: not publishing it")
                dest = OUT / assignment_dir.name / notebook.name
                write_if_changed(dest, text)
                written.add(dest)
                info = describe(notebook)
                docname = f"/book/exercises/{assignment_dir.name}/{notebook.stem}"
                functions = ", ".join(f"`{name}` ({points:g})" for name, points in info["parts"])
                rows.append(f"| {{doc}}`{info['title']} <{docname}>` | {functions} | {info['points']:g} "
                            f"| {{download}}`{notebook.name} <{docname}.ipynb>` |")
    header = ["| Exercise | Functions you write (points) | Points | Download |", "| --- | --- | --- | --- |"]
    write_if_changed(OUT / "list.md", "\n".join(header + rows) + "\n")
    written.add(OUT / "list.md")
    for stale in [p for p in OUT.rglob("*") if p.is_file() and p not in written]:
        stale.unlink()  # an exercise that was renamed or removed
    STAMP.parent.mkdir(parents=True, exist_ok=True)
    STAMP.write_text(digest)
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
