"""Static checks of the book's chapters and table of contents, and tests of the chapters' figure helpers.

Every chapter ``book/0*.md`` is a MyST Markdown notebook. These tests read the source (they do not
execute it; nbval does that) and enforce the course's rules:

- the jupytext header, so that ``tools/course.py`` converts and executes the chapter;
- at least one hidden (``remove-cell``) cell with an ``assert``, checking the numbers in the prose;
- every glued name used in the prose (``{glue:text}`name```, ``{glue}`name```, ``{glue:figure} name``)
  is produced by a ``glue("name", ...)`` call in the same file;
- a ``## Summary`` section and the link to the chapter's exercise notebook;
- ``lecture_lib`` is imported, and every NumPy random generator is seeded;
- one ``#`` title and no skipped heading levels.

The helpers of :mod:`lecture_lib.plotting.probabilities` are checked against independent
computations with :mod:`math`.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import yaml

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
CHAPTERS = sorted(BOOK.glob("0*.md"))

#: A code cell: the opening fence (three or more backticks), the cell's text, the same fence.
CODE_CELL = re.compile(r"^(?P<fence>`{3,})\{code-cell\}[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S)
#: Any fenced block (code cells, directives such as ``{glue:figure}``, plain code).
FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})[^\n]*\n.*?^(?P=fence)[ \t]*$", re.M | re.S)
#: Names used in the prose: roles ``{glue}`name```/``{glue:text}`name:fmt``` and directives ``{glue:figure} name``.
GLUE_ROLE = re.compile(r"\{glue(?::(?:any|text|md))?\}`(?P<name>[^`:]+)(?::[^`]*)?`")
GLUE_DIRECTIVE = re.compile(r"^(?:`{3,}|:{3,})\{glue(?::(?:any|figure|math|md))?\}[ \t]+(?P<name>\S+)", re.M)
#: Names produced by the code: ``glue("name", ...)`` or ``glue(f"prefix_{k}", ...)``.
GLUE_CALL = re.compile(r"\bglue\(\s*(?P<f>f?)(?P<q>['\"])(?P<name>.*?)(?P=q)")
#: Unseeded NumPy randomness: legacy global-state functions, or a generator built without a seed.
LEGACY_RANDOM = re.compile(r"\bnp\.random\.(?!default_rng\b|Generator\b|SeedSequence\b|PCG64\w*\b|Philox\b"
                           r"|SFC64\b|MT19937\b|BitGenerator\b)(?P<func>\w+)\s*\(")
UNSEEDED_RNG = re.compile(r"\b(?:default_rng|RandomState)\(\s*(?:None\s*)?\)")


def _cells(text: str) -> list[tuple[list[str], str]]:
    """The code cells of a MyST notebook as (tags, source) pairs."""
    cells = []
    for match in CODE_CELL.finditer(text):
        body = match.group("body")
        tags = re.search(r"^:tags:\s*\[(?P<tags>[^\]]*)\]", body, re.M)
        names = [t.strip().strip("'\"") for t in tags.group("tags").split(",")] if tags else []
        cells.append((names, body))
    return cells


def _prose(text: str) -> str:
    """The page without its code cells (directives such as ``{glue:figure}`` stay)."""
    return CODE_CELL.sub("", text)


def _front_matter(text: str) -> dict:
    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---\n", 4)
    return yaml.safe_load(text[4:end]) if end > 0 else {}


def _read(chapter: Path) -> str:
    return chapter.read_text(encoding="utf-8")


def test_the_six_chapters_exist():
    assert len(CHAPTERS) == 6, f"expected the six chapters book/01_*.md ... book/06_*.md; found {CHAPTERS}"


chapter_param = pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])


@chapter_param
def test_jupytext_header(chapter):
    text = _read(chapter)
    assert text.startswith("---\njupytext:"), (
        f"{chapter.name}: must start with the jupytext header ('---' then 'jupytext:'), or tools/course.py "
        "will not execute it")
    meta = _front_matter(text)
    representation = meta.get("jupytext", {}).get("text_representation", {})
    assert representation.get("format_name") == "myst", f"{chapter.name}: jupytext format_name must be 'myst'"
    assert meta.get("kernelspec", {}).get("name") == "python3", f"{chapter.name}: kernelspec name must be 'python3'"


@chapter_param
def test_hidden_assert_cell(chapter):
    hidden = [src for tags, src in _cells(_read(chapter)) if "remove-cell" in tags]
    assert any(re.search(r"^\s*assert\b", src, re.M) for src in hidden), (
        f"{chapter.name}: needs at least one code cell tagged remove-cell with an assert checking the prose's numbers")


@chapter_param
def test_every_glued_name_is_computed(chapter):
    text = _read(chapter)
    prose = _prose(text)
    used = {m.group("name").strip() for m in GLUE_ROLE.finditer(prose)}
    used |= {m.group("name").strip() for m in GLUE_DIRECTIVE.finditer(prose)}
    code = "\n".join(src for _, src in _cells(text))
    exact, patterns = set(), []
    for call in GLUE_CALL.finditer(code):
        name = call.group("name")
        if call.group("f") and "{" in name:  # glue(f"ch1_a{k + 1}", ...): any text where the braces are
            parts = re.split(r"\{[^{}]*\}", name)
            patterns.append(re.compile(".+?".join(re.escape(p) for p in parts) + r"\Z"))
        else:
            exact.add(name)
    missing = sorted(n for n in used if n not in exact and not any(p.match(n) for p in patterns))
    assert not missing, f"{chapter.name}: glued in the prose but never glue(...)d in the code: {missing}"


@chapter_param
def test_summary_section(chapter):
    assert re.search(r"^## Summary[ \t]*$", _read(chapter), re.M), f"{chapter.name}: needs a '## Summary' section"


@chapter_param
def test_exercise_link(chapter):
    number = int(chapter.stem[:2])
    link = f"[Exercise {number}](exercises.md)"
    assert link in _prose(_read(chapter)), (
        f"{chapter.name}: the Exercises section must say "
        f"'See the exercise notebook for this chapter: {link}.'")


@chapter_param
def test_imports_lecture_lib(chapter):
    code = "\n".join(src for _, src in _cells(_read(chapter)))
    assert re.search(r"^\s*(?:import lecture_lib|from lecture_lib\b)", code, re.M), (
        f"{chapter.name}: every computation must call lecture_lib, but no code cell imports it")


@chapter_param
def test_random_generators_are_seeded(chapter):
    problems = []
    for _, src in _cells(_read(chapter)):
        for lineno, line in enumerate(src.splitlines(), 1):
            code = line.split("#", 1)[0]
            if LEGACY_RANDOM.search(code) or UNSEEDED_RNG.search(code):
                problems.append(line.strip())
    assert not problems, (
        f"{chapter.name}: unseeded or global-state NumPy randomness; use np.random.default_rng(seed): {problems}")


@chapter_param
def test_headings(chapter):
    body = FENCE.sub("", _read(chapter).split("\n---\n", 1)[-1])  # no front matter, no code
    levels = [len(m.group(1)) for m in re.finditer(r"^(#{1,6})\s", body, re.M)]
    assert levels.count(1) == 1 and levels[0] == 1, f"{chapter.name}: needs exactly one '#' title, first"
    skipped = [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]
    assert not skipped, f"{chapter.name}: heading levels skipped (from, to): {skipped}"


def _toc_files(node) -> list[str]:
    files = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("file", "root") and isinstance(value, str):
                files.append(value)
            else:
                files.extend(_toc_files(value))
    elif isinstance(node, list):
        for item in node:
            files.extend(_toc_files(item))
    return files


def test_toc_lists_every_page():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    listed = {str(Path(f).with_suffix("")) for f in _toc_files(toc)}
    pages = {str(p.relative_to(ROOT).with_suffix("")) for p in BOOK.glob("*.md")}
    assert not pages - listed, f"_toc.yml does not list these book pages: {sorted(pages - listed)}"
    absent = {f for f in listed - pages if not any((ROOT / f).with_suffix(s).exists() for s in (".md", ".ipynb"))}
    assert not absent, f"_toc.yml lists pages that do not exist: {sorted(absent)}"


# --- The detector functions above must be able to fail: check them on small bad examples. ---

BAD_CHAPTER = '''---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  name: python3
---

# Title

### Skipped a level

The value is {glue:text}`missing_name:.4f` and {glue:text}`ch_a3:.2f`.

```{code-cell} ipython3
x = np.random.rand(3)
rng = np.random.default_rng()
glue(f"ch_a{k}", 1.0)
```
'''


def test_detectors_catch_a_bad_chapter(tmp_path):
    bad = tmp_path / "07_bad.md"
    bad.write_text(BAD_CHAPTER)
    for check in (test_hidden_assert_cell, test_every_glued_name_is_computed, test_summary_section,
                  test_exercise_link, test_imports_lecture_lib, test_random_generators_are_seeded, test_headings):
        with pytest.raises(AssertionError, match="07_bad.md"):
            check(bad)
    test_jupytext_header(bad)  # this part of the bad chapter is fine


def test_glue_names_from_f_strings_are_matched(tmp_path):
    good = tmp_path / "01_good.md"
    good.write_text('Value {glue:text}`ch_a3:.4f`.\n\n```{code-cell} ipython3\nglue(f"ch_a{k + 1}", 1.0)\n```\n')
    test_every_glued_name_is_computed(good)


# --- lecture_lib.plotting.probabilities ---


@pytest.fixture(autouse=False)
def close_figures():
    yield
    plt.close("all")


def _softmax_reference(z):
    exps = [math.exp(v) for v in z]
    return [e / sum(exps) for e in exps]


def _check_labelled(fig):
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel(), "every panel needs labelled axes"


def test_plot_probabilities(close_figures):
    from lecture_lib.plotting import PALETTE, plot_probabilities

    a = _softmax_reference([3.0, 4.0, 6.0])
    fig = plot_probabilities(a)
    ax = fig.axes[0]
    heights = [bar.get_height() for bar in ax.patches]
    assert np.allclose(heights, a, rtol=1e-15)
    colours = [matplotlib.colors.to_hex(bar.get_facecolor()).upper() for bar in ax.patches]
    assert colours == [PALETTE[0], PALETTE[0], PALETTE[1]], "the predicted class (arg max) is highlighted"
    _check_labelled(fig)
    with pytest.raises(ValueError, match="probabilities"):
        plot_probabilities([3.0, 4.0, 6.0])  # logits, not probabilities
    with pytest.raises(ValueError, match="class_names"):
        plot_probabilities(a, class_names=["a", "b"])


def test_plot_softmax_curves(close_figures):
    from lecture_lib.plotting import plot_softmax_curves

    z = [2.0, 1.0, 0.1]
    fig = plot_softmax_curves(z, k=1, z_range=(-4, 4), n_points=9)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 4  # K curves and their sum
    grid = lines[0].get_xdata()
    assert np.allclose(grid, np.linspace(-4, 4, 9))
    for j in range(3):
        expected = [_softmax_reference([z[0], g, z[2]])[j] for g in grid]
        assert np.allclose(lines[j].get_ydata(), expected, rtol=1e-12)
    assert np.all(np.diff(lines[1].get_ydata()) > 0), "the probability of the moving logit rises"
    assert np.allclose(lines[3].get_ydata(), 1.0)
    _check_labelled(fig)
    with pytest.raises(ValueError, match="k must"):
        plot_softmax_curves(z, k=3)
    with pytest.raises(ValueError, match="z_range"):
        plot_softmax_curves(z, z_range=(1, -1))


def test_plot_sigmoid_as_softmax(close_figures):
    from lecture_lib.plotting import plot_sigmoid_as_softmax

    fig = plot_sigmoid_as_softmax(z_range=(-5, 5), n_points=41)
    sigmoid_line, softmax_dots = fig.axes[0].get_lines()
    expected = [1 / (1 + math.exp(-v)) for v in sigmoid_line.get_xdata()]
    assert np.allclose(sigmoid_line.get_ydata(), expected, rtol=1e-12)
    expected_dots = [1 / (1 + math.exp(-v)) for v in softmax_dots.get_xdata()]
    assert np.allclose(softmax_dots.get_ydata(), expected_dots, rtol=1e-12)
    _check_labelled(fig)


def test_plot_temperatures(close_figures):
    from lecture_lib.plotting import plot_temperatures

    z, temperatures = [2.0, 1.0, 0.1], (0.5, 1.0, 5.0)
    fig = plot_temperatures(z, temperatures)
    assert len(fig.axes) == len(temperatures)
    for ax, T in zip(fig.axes, temperatures):
        heights = [bar.get_height() for bar in ax.patches][: len(z)]
        assert np.allclose(heights, _softmax_reference([v / T for v in z]), rtol=1e-12)
    _check_labelled(fig)
    with pytest.raises(ValueError):
        plot_temperatures(z, (1.0, -1.0))
    with pytest.raises(ValueError, match="at least one"):
        plot_temperatures(z, ())


def test_plot_negative_log(close_figures):
    from lecture_lib.plotting import plot_negative_log

    marks = [0.5, 0.9]
    fig = plot_negative_log(marks=marks, p_min=0.01, n_points=50)
    curve, points = fig.axes[0].get_lines()
    assert curve.get_xdata()[0] == pytest.approx(0.01) and curve.get_xdata()[-1] == pytest.approx(1.0)
    assert np.allclose(curve.get_ydata(), [-math.log(p) for p in curve.get_xdata()], rtol=1e-12)
    assert np.allclose(points.get_ydata(), [math.log(2), -math.log(0.9)], rtol=1e-12)
    _check_labelled(fig)
    with pytest.raises(ValueError, match="marks"):
        plot_negative_log(marks=[0.0, 0.5])
    with pytest.raises(ValueError, match="p_min"):
        plot_negative_log(p_min=1.5)
