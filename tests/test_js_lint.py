"""ESLint on the JavaScript the course ships: lecture_lib/static/*.js (explorer, trainer) and book/_static/course.js.

The rules are ESLint's recommended set with browser globals (tests/browser/eslint.config.mjs); ESLint is
pinned in tests/browser/package.json, and ``python3 tools/course.py test`` installs it with ``npm ci``.
Without node or ESLint the test is skipped with a message, except on CI (``CI=true``), where it fails.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NPM_DIR = ROOT / "tests" / "browser"
ESLINT = NPM_DIR / "node_modules" / ".bin" / "eslint"
CONFIG = NPM_DIR / "eslint.config.mjs"
SCRIPTS = sorted((ROOT / "lecture_lib" / "static").glob("*.js")) + [ROOT / "book" / "_static" / "course.js"]


def eslint(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run the pinned ESLint from the repository root (its config's paths are relative to the root)."""
    missing = "node" if shutil.which("node") is None else None if ESLINT.is_file() else f"{ESLINT}"
    if missing:
        reason = f"{missing} not found: run `npm ci` in tests/browser (python3 tools/course.py test does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: the JavaScript is always linted on CI)", pytrace=False)
        pytest.skip(reason)
    return subprocess.run([str(ESLINT), "--max-warnings", "0", "--config", str(CONFIG), *args], input=stdin,
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_shipped_javascript_passes_eslint():
    assert len(SCRIPTS) >= 3, SCRIPTS  # explorer.js, trainer.js, course.js
    result = eslint(*(str(path.relative_to(ROOT)) for path in SCRIPTS))
    assert result.returncode == 0, f"ESLint found problems:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("name", ["lecture_lib/static/probe.js", "book/_static/probe.js"])
def test_eslint_reports_errors_in_the_shipped_folders(name):
    """The config really applies to both folders (a file outside its patterns would only be warned about)."""
    result = eslint("--stdin", "--stdin-filename", name, stdin='"use strict";\nvar unused = undefinedName;\n')
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no-undef" in result.stdout and "no-unused-vars" in result.stdout, result.stdout
