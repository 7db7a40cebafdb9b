"""Students' work is theirs: no build or release publishes, overwrites or deletes a notebook a student saved.

A copy of the course (the exercises page, the release pages, the sources, the build's extensions)
gets a student's answers where a student would save them: ``work/`` (the folder ``course.py lab``
opens and the exercises page names), ``book/exercises/`` (where the release was generated before)
and the build's own ``_exercises/``; each with a ``-Copy1`` notebook and a checkpoint. Then the
release is generated and the site built twice, as ``tools/course.py build`` does: every student
file is still there, unchanged, and no file of the site holds a student's answer. A student who
saved over a release notebook in ``_exercises/`` stops the next release, which keeps the file.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ASSIGNMENT, NOTEBOOK = "01_modeling", "softmax.ipynb"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # two builds of the book


def make_course(root: Path) -> Path:
    """The exercises part of the book, with the course's config, extensions and exercise sources."""
    vendor = ROOT / "_build" / "vendor"
    if not vendor.is_dir():
        pytest.skip(f"no {vendor}: run `python3 tools/course.py build` first (prebuild_vendor.py makes it)")
    for name in ("_config.yml", "book/exercises.md"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, root / name)
    for name in ("tools", "book/_static", "book/_templates", "exercises/source", "exercises/grading"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    for name in ("nbgrader_config.py", "autograde_checks.py", "instructor.py"):
        shutil.copy2(ROOT / "exercises" / name, root / "exercises" / name)
    shutil.copytree(vendor, root / "_build" / "vendor")
    (root / "node_modules").symlink_to(ROOT / "node_modules")  # KaTeX, which the build renders the math with
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [entry for part in toc["parts"] for chapter in part["chapters"] if chapter["file"] == "book/exercises"
             for entry in chapter["sections"] if entry["file"].startswith("_exercises/")]
    assert pages, "no exercise pages under book/exercises in _toc.yml"
    (root / "_toc.yml").write_text(yaml.safe_dump({"format": "jb-book", "root": "book/exercises",
                                                   "chapters": pages}))
    return root


def answered(token: str) -> bytes:
    """A notebook with a student's answer: ``token`` in a code cell and in a Markdown cell."""
    return json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": f"My notes {token}"},
                                 {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                                  "source": f"def softmax(Z):\n    return Z  # {token}"}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def save_student_work(root: Path, token: str) -> dict[Path, bytes]:
    """A student's notebooks in each folder a student might use: ``{path: content}``."""
    files = {}
    for folder in ("work", "book/exercises", "_exercises"):
        base = root / folder / ASSIGNMENT
        names = ["softmax-Copy1.ipynb", ".ipynb_checkpoints/softmax-checkpoint.ipynb"]
        if folder != "_exercises":  # there, saving over the release notebook is the last test's case
            names.append(NOTEBOOK)
        for name in names:
            files[base / name] = answered(f"{token}-{folder}-{name}")
    files[root / "work" / "notes.md"] = f"# My notes {token}\n".encode()
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def run(root: Path, *cmd) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONNOUSERSITE": "1",
           "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    return subprocess.run([str(c) for c in cmd], cwd=root, env=env, capture_output=True, text=True, timeout=900)


def prebuild(root: Path) -> subprocess.CompletedProcess:
    return run(root, sys.executable, root / "tools" / "prebuild_exercises.py")


def build(root: Path) -> None:
    """The release, then the site, as ``tools/course.py build`` runs them."""
    result = prebuild(root)
    assert result.returncode == 0, result.stdout + result.stderr
    result = run(root, BIN / "jupyter-book", "build", root, "--warningiserror", "--keep-going")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]


def site_texts(site: Path):
    """(name, bytes) of every file of the site, and of every member of every archive in it."""
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        yield str(path.relative_to(site)), path.read_bytes()
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                for member in zf.namelist():
                    yield f"{path.relative_to(site)}:{member}", zf.read(member)


def test_builds_never_publish_overwrite_or_delete_student_work(tmp_path):
    root = make_course(tmp_path / "course")
    token = f"STUDENT-ANSWER-{secrets.token_hex(8)}"
    work = save_student_work(root, token)
    build(root)
    (root / "_build" / ".exercises-release-sha256").unlink()  # a changed source: the release is made again
    build(root)
    site = root / "_build" / "html"
    release = root / "_exercises" / ASSIGNMENT / NOTEBOOK
    assert (site / "_exercises" / ASSIGNMENT / "softmax.html").is_file() and release.is_file(), "nothing was built"
    assert b"raise NotImplementedError" in release.read_bytes()
    missing = [str(p.relative_to(root)) for p in work if not p.is_file()]
    changed = [str(p.relative_to(root)) for p, data in work.items() if p.is_file() and p.read_bytes() != data]
    assert (missing, changed) == ([], []), f"student files deleted: {missing}; overwritten: {changed}"
    published = [name for name, data in site_texts(site) if token.encode() in data]
    assert published == [], f"the site publishes a student's work: {published}"


def test_saving_over_the_release_stops_the_next_release_and_keeps_the_work(tmp_path):
    root = make_course(tmp_path / "course")
    result = prebuild(root)
    assert result.returncode == 0, result.stdout + result.stderr
    release = root / "_exercises" / ASSIGNMENT / NOTEBOOK
    mine = answered(f"STUDENT-ANSWER-{secrets.token_hex(8)}")
    release.write_bytes(mine)  # the student opened the release notebook in _exercises/ and saved there
    for stamp_removed in (False, True):  # sources unchanged, then changed
        if stamp_removed:
            (root / "_build" / ".exercises-release-sha256").unlink()
        result = prebuild(root)
        assert result.returncode != 0, f"the release went on over a student's notebook:\n{result.stdout}"
        assert f"_exercises/{ASSIGNMENT}/{NOTEBOOK}" in result.stderr and "work/" in result.stderr, result.stderr
        assert release.read_bytes() == mine, "the student's notebook was overwritten"
