"""One index letter per role on every page and in every exercise (issue 13, Corrections).

The notation page reserves $i$ for samples, $j$ for features and $k$, $l$ for classes. A sum over the
classes therefore runs over $l$ (or $k$), never over $j$, and the softmax Jacobian is written
$\\partial a_k / \\partial z_l = a_k(\\delta_{kl} - a_l)$, not with $i$, $j$. These tests read the Markdown
of the book's pages and of the exercise notebooks (their Markdown cells) and fail on the patterns that
put a sample or feature letter on a class.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "book").glob("*.md"))
NOTEBOOKS = sorted((ROOT / "exercises" / "source").glob("*/*.ipynb"))

#: Class-index mistakes, each with what it means. A subscript may be written ``_j`` or ``_{j}``.
WRONG_INDEX = {
    "a sum over the K classes indexed by j": re.compile(r"\\sum_\{?j\s*=\s*1\}?\^\{?K\b"),
    "a sum of exponentials of logits indexed by j": re.compile(r"\\sum_\{?j[^$]{0,24}?e\^\{?\s*z_\{?j\b"),
    "a logit z_j or probability a_j (j counts features)": re.compile(r"(?<![\\\w])[az]_\{?j\}?(?![\w{^(])"),
    "a logit z_i or probability a_i (i counts samples)": re.compile(r"(?<![\\\w])[az]_\{?i\}?(?![\w{^(])"),
    "the maximum logit over j": re.compile(r"\\max_\{?j\}?\s*z_"),
    "a Kronecker delta over i, j for classes": re.compile(r"\\delta_\{?ij\}?"),
}


def _markdown(path: Path) -> str:
    """The Markdown of a page, or the Markdown cells of a notebook (its code and outputs are not prose)."""
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")


def _problems(text: str) -> list[str]:
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        for what, pattern in WRONG_INDEX.items():
            for match in pattern.finditer(line):
                problems.append(f"line {number}: {what}: {match.group(0)!r} in {line.strip()[:120]!r}")
    return problems


@pytest.mark.parametrize("path", PAGES + NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in PAGES + NOTEBOOKS])
def test_class_indices_are_k_or_l(path):
    problems = _problems(_markdown(path))
    assert not problems, f"{path.relative_to(ROOT)}: use k or l for classes (notation page):\n" + "\n".join(problems)


@pytest.mark.parametrize("wrong", [
    r"a_k = \frac{e^{z_k}}{\sum_{j=1}^{K} e^{z_j}}",
    r"$e^{z_k} / \sum_j e^{z_j}$",
    r"$\sum_{j=1}^K e^{z_j - c}$",
    r"c = \max_j z_j",
    r"\frac{\partial a_i}{\partial z_j} = a_i\,(\delta_{ij} - a_j)",
    r"the overview writes $\sigma(z_i)$",
])
def test_the_check_catches_the_old_notation(wrong):
    assert _problems(wrong), f"not caught: {wrong}"


@pytest.mark.parametrize("right", [
    r"a_k = \frac{e^{z_k}}{\sum_{l=1}^{K} e^{z_l}}",
    r"z_k = \sum_{j=1}^{d} w_{j,k}\, x_j + b_k",  # a sum over features is j's job
    r"\frac{\lambda}{2}\sum_{j=1}^{d}\sum_{k=1}^{K} w_{j,k}^2",
    r"\frac{\partial a_k}{\partial z_l} = a_k\,(\delta_{kl} - a_l)",
    r"$a_k^{(i)}$ and $z^{(i)}_k$, $x_j^{(i)}$, $\max_l z_l$",
])
def test_the_check_accepts_the_notation_page(right):
    assert not _problems(right), _problems(right)
