#!/usr/bin/env python3
"""Build the ``lecture_lib`` wheel that the site publishes (run by ``tools/course.py build``).

A chapter downloaded from the site needs ``lecture_lib``, which is on no package index. This step
runs ``pip wheel --no-deps .`` into::

    _build/vendor/wheels/lecture_lib-<version>-py3-none-any.whl

``_config.yml`` serves ``_build/vendor`` through ``html_extra_path``, so the wheel lands at
``<site>/wheels/``, next to the pages; each chapter's install line links to it. The folder is
replaced as a whole, so it never holds a stale version. ``pip install <wheel>`` brings the
wheel's own PyPI dependencies (numpy, scipy, scikit-learn, matplotlib, threadpoolctl).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHEELS = ROOT / "_build" / "vendor" / "wheels"
#: Digest of the sources of the wheel in WHEELS (outside the served folder).
STAMP = ROOT / "_build" / ".wheel-sources-sha256"


def wheel_name(root: Path = ROOT) -> str:
    """File name of the wheel, from ``root``'s ``pyproject.toml`` (pure Python, any platform)."""
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    return f"{project['name']}-{project['version']}-py3-none-any.whl"


def sources_digest() -> str:
    """SHA-256 of everything that goes into the wheel (a rebuild with nothing changed skips pip)."""
    h = hashlib.sha256()
    files = [ROOT / name for name in ("pyproject.toml", "README.md", "LICENSE")]
    files += sorted(p for p in (ROOT / "lecture_lib").rglob("*") if p.is_file() and p.suffix != ".pyc")
    for path in files:
        h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def build(target: Path = WHEELS) -> Path:
    """Build the wheel into ``target`` (replacing what was there) unless it is up to date; return its path."""
    digest, stamp = sources_digest(), STAMP if target == WHEELS else None
    if stamp and (target / wheel_name()).is_file() and stamp.is_file() and stamp.read_text() == digest:
        print(f"{(target / wheel_name()).relative_to(ROOT)} is up to date", flush=True)
        return target / wheel_name()
    with tempfile.TemporaryDirectory(prefix="course-wheel-") as tmp:
        # Build from a copy of the package sources only: no _build/, .venv/ or egg-info in the wheel.
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            shutil.copy2(ROOT / name, src / name)
        shutil.copytree(ROOT / "lecture_lib", src / "lecture_lib",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        out = Path(tmp) / "out"
        result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
                                 "-q", "--wheel-dir", str(out), str(src)], capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"pip could not build the lecture_lib wheel:\n{result.stdout}\n{result.stderr}")
        built = out / wheel_name()
        if not built.is_file():
            sys.exit(f"pip built {sorted(p.name for p in out.iterdir())}, expected {built.name}")
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        shutil.copy2(built, target / built.name)
        if stamp:
            stamp.write_text(digest)
    shown = target / built.name
    print(f"built {shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown}", flush=True)
    return target / built.name


if __name__ == "__main__":
    build()
