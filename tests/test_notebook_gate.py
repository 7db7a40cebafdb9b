"""The notebook gate itself: ``pytest --nbval-lax`` must fail on a broken notebook and pass a good one.

Every chapter is checked by running it under nbval (``tools/course.py test``). This test makes
sure that gate can fail: a notebook whose cell raises must give a non-zero exit status and show
the error, while the same notebook with the cell fixed must pass.
"""

import subprocess
import sys

import nbformat
import pytest

BROKEN_MESSAGE = "deliberately broken: 1 + 1 is not 3"


def write_notebook(path, cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nbformat.write(nb, path)
    return path


def run_nbval(notebook, cwd):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
         "-o", "addopts=", str(notebook)],
        cwd=cwd, capture_output=True, text=True, timeout=240,
    )


CELLS = [
    "import numpy as np\nfrom lecture_lib import softmax\np = softmax(np.array([3.0, 4.0, 6.0]))",
    "assert abs(p.sum() - 1) < 1e-12",
]


@pytest.mark.slow
def test_broken_notebook_fails_the_gate(tmp_path):
    nb = write_notebook(tmp_path / "broken.ipynb", [*CELLS, f"assert 1 + 1 == 3, {BROKEN_MESSAGE!r}"])
    result = run_nbval(nb, tmp_path)
    assert result.returncode != 0, result.stdout
    assert BROKEN_MESSAGE in result.stdout
    assert "1 failed" in result.stdout and "2 passed" in result.stdout


@pytest.mark.slow
def test_good_notebook_passes_the_gate(tmp_path):
    nb = write_notebook(tmp_path / "good.ipynb", [*CELLS, "assert 1 + 1 == 2"])
    result = run_nbval(nb, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
