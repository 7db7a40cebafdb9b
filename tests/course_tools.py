"""The course's tools (``tools/*.py``, scripts rather than a package) for the tests, and what they derive.

The wheel's file name comes from ``pyproject.toml`` through :func:`tools.prebuild_wheel.wheel_name`, its
one source; tests use :data:`WHEEL` rather than a typed copy of the version.
"""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path

from lecture_lib.study_time import chapter_pages

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_tool(name: str):
    """Import ``tools/<name>.py`` as a fresh module."""
    spec = importlib.util.spec_from_file_location(f"course_tools_{name}", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: One BLAS/OpenMP thread (environment variables): what ``tools/course.py`` gives the build and the tests, for the
#: processes a test starts itself (kernels, scripts).
ONE_THREAD = load_tool("course").ONE_THREAD

#: File name of the lecture_lib wheel, e.g. ``lecture_lib-<version>-py3-none-any.whl``.
WHEEL = load_tool("prebuild_wheel").wheel_name()

#: The chapters and their sections on pages of their own (e.g. *Newton's method and L-BFGS*, a section of
#: chapter 4), in the order of _toc.yml: each a notebook a reader downloads and runs with the wheel.
CHAPTER_PAGES = [page.path for page in chapter_pages(ROOT)]
#: Pages in the chapter form: :data:`CHAPTER_PAGES` and the appendix pages, which read the benchmark results
#: and the chapters' sources (so they run in a clone of the repository).
NOTEBOOK_PAGES = [*CHAPTER_PAGES, ROOT / "book" / "performance.md", ROOT / "book" / "further_reading.md"]
