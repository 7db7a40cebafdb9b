#!/usr/bin/env python3
"""Put the student release of every exercise into the site (run by ``tools/course.py build``).

The site must never show the sources in ``exercises/source/`` (they hold the solutions and the
hidden tests), nor anything a student saved. This step runs ``nbgrader generate_assignment`` in a
temporary copy of the course and writes into ``_exercises/``, a git-ignored folder that only the
build writes:

- ``_exercises/<assignment>/<notebook>.ipynb``: the release notebooks, one page each (listed in
  ``_toc.yml``, excluded from execution in ``_config.yml``);
- ``_exercises/list.md``: the table of exercises that ``book/exercises.md`` includes, with each
  exercise's parts and points read from the release notebooks' nbgrader metadata;
- ``_exercises/softmax-exercises.zip``: every release notebook, ``<assignment>/<notebook>.ipynb``;
- ``_exercises/.written.json``: the SHA-256 of each file above, as written.

Students keep their work elsewhere (``work/``, which ``tools/course.py lab`` opens). This step
touches only the files it wrote itself: it never deletes or publishes another file, and it stops,
changing nothing, when one of its files was changed since it wrote it (someone saved work there).
Safe to run twice.
"""

from __future__ import annotations

import hashlib
import json
import runpy
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
OUT = ROOT / "_exercises"
#: The archive of every release notebook, linked from the exercises page.
ARCHIVE = OUT / "softmax-exercises.zip"
#: What this step wrote: ``{path relative to OUT: sha256}``; only these files are its own.
WRITTEN = OUT / ".written.json"
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


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def written() -> dict[str, str]:
    """The files this step wrote last time (relative to :data:`OUT`) and their SHA-256."""
    try:
        return json.loads(WRITTEN.read_text())
    except (OSError, ValueError):
        return {}


def foreign_changes(files: dict[Path, bytes], own: dict[str, str]) -> list[Path]:
    """The files among ``files`` (path: new content) that exist with other content than this step wrote:
    someone else's, which it must not overwrite."""
    changed = []
    for path, data in files.items():
        if path.is_symlink() or (path.exists() and not path.is_file()):
            changed.append(path)
        elif path.is_file():
            current = sha256(path.read_bytes())
            if current != sha256(data) and current != own.get(path.relative_to(OUT).as_posix()):
                changed.append(path)
    return changed


def write_if_changed(path: Path, data: bytes) -> None:
    """Write ``data`` unless the file already holds it: an unchanged file keeps its mtime, so Sphinx
    does not re-read the page (a rebuild with nothing changed stays a no-op)."""
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def archive(notebooks: dict[str, bytes]) -> bytes:
    """A zip of ``{name in the archive: content}`` with fixed timestamps: the same release, the same bytes."""
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(notebooks.items()):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            zf.writestr(info, data)
    return buffer.getvalue()


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


def intact(own: dict[str, str]) -> bool:
    """Whether every file this step wrote is still there, unchanged."""
    return bool(own) and all((OUT / name).is_file() and not (OUT / name).is_symlink()
                             and sha256((OUT / name).read_bytes()) == digest for name, digest in own.items())


def main() -> None:
    digest, own = sources_digest(), written()
    if STAMP.is_file() and STAMP.read_text() == digest and intact(own) and "list.md" in own:
        print(f"the student release in {OUT.relative_to(ROOT)}/ is up to date")
        return
    files, rows = {}, []
    with tempfile.TemporaryDirectory(prefix="course-release-") as tmp:
        release = release_all(Path(tmp))
        for assignment_dir in sorted(p for p in release.iterdir() if p.is_dir()):
            for notebook in sorted(assignment_dir.glob("*.ipynb")):
                text = notebook.read_text()
                leaked = [marker for marker in FORBIDDEN if marker in text]
                if leaked:  # nbgrader strips these; refuse to publish if it ever did not
                    sys.exit(f"{notebook.name} still contains {leaked}: not publishing it")
                files[OUT / assignment_dir.name / notebook.name] = text.encode()
                info = describe(notebook)
                docname = f"/{OUT.name}/{assignment_dir.name}/{notebook.stem}"
                functions = ", ".join(f"`{name}` ({points:g})" for name, points in info["parts"])
                rows.append(f"| {{doc}}`{info['title']} <{docname}>` | {functions} | {info['points']:g} "
                            f"| {{download}}`{notebook.name} <{docname}.ipynb>` |")
    files[ARCHIVE] = archive({path.relative_to(OUT).as_posix(): data for path, data in files.items()})
    header = ["| Exercise | Functions you write (points) | Points | Download |", "| --- | --- | --- | --- |"]
    files[OUT / "list.md"] = ("\n".join(header + rows) + "\n").encode()
    changed = foreign_changes(files, own)
    if changed:  # someone saved work over the release: keep it, publish nothing of it
        names = ", ".join(str(p.relative_to(ROOT)) for p in changed)
        sys.exit(f"{names}: changed since the build wrote it. If it is your work, move it to work/ "
                 f"(no build touches that folder), then build again; the build never overwrites it.")
    for path, data in files.items():
        write_if_changed(path, data)
    new = {path.relative_to(OUT).as_posix(): sha256(data) for path, data in files.items()}
    for name, old_digest in own.items():  # a renamed or removed exercise: only an unchanged file of ours goes
        path = OUT / name
        if name not in new and path.is_file() and not path.is_symlink() and sha256(path.read_bytes()) == old_digest:
            path.unlink()
    WRITTEN.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n")
    STAMP.parent.mkdir(parents=True, exist_ok=True)
    STAMP.write_text(digest)
    print(f"wrote {len(rows)} student notebooks, the list and {ARCHIVE.name} into {OUT.relative_to(ROOT)}/")


def drop_launch_buttons(app, pagename, templatename, context, doctree) -> None:
    """Remove the Binder launch button from the exercise pages.

    The release notebooks are generated at build time and not in the repository, so a Binder link
    to them would 404; the page's download button gives students the notebook instead.
    """
    if pagename.startswith(f"{OUT.name}/") and "header_buttons" in context:
        context["header_buttons"] = [b for b in context["header_buttons"] if b.get("label") != "launch-buttons"]


def setup(app):
    """Sphinx extension (``_config.yml`` loads it): no launch buttons on the generated exercise pages."""
    app.connect("html-page-context", drop_launch_buttons, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    main()
