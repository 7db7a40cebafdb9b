"""Static checks of the book's chapters and table of contents, and tests of the chapters' figure helpers.

Every chapter ``book/0*.md`` (and the appendix page ``book/performance.md``) is a MyST Markdown notebook
in the form described in ``book/authoring.md``. These tests read the source (they do not execute it;
nbval, the site build and the JupyterLab browser test do that) and enforce the course's rules:

- the jupytext header, so that ``tools/course.py`` converts and executes the chapter;
- numbers in the prose are ``{eval}`fmt(EXPR, "SPEC")``` roles whose names are computed by the chapter's
  code, and at least one hidden cell asserts them; no ``glue`` (it only works on the site);
- hidden cells are hidden in JupyterLab too: every ``remove-input`` cell has ``jupyter.source_hidden: true``;
  no ``remove-cell`` (inline execution would run it late, after the ``{eval}`` that follows it);
- figures are outputs of the cell that draws them, with a label and alt text in the cell's metadata and a
  ``**Figure.**`` caption paragraph right after the cell;
- at most 5% of the visible code lines are plumbing (:data:`PLUMBING`);
- the one-line install note, a ``## Summary`` section and the link to the chapter's exercise notebook;
- ``lecture_lib`` is imported, and every NumPy random generator is seeded;
- one ``#`` title and no skipped heading levels.

The helpers of :mod:`lecture_lib.plotting.probabilities` are checked against independent
computations with :mod:`math`.
"""

from __future__ import annotations

import ast
import builtins
import math
import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import yaml

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from course_tools import NOTEBOOK_PAGES, WHEEL  # noqa: E402

# Tags that hide a cell's source on the site: the study-time estimate's list, one source.
from lecture_lib.study_time import HIDDEN_TAGS as HIDING_TAGS  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
CHAPTERS = sorted(BOOK.glob("0*.md"))

#: A code cell: the opening fence (three or more backticks), the cell's text, the same fence.
CODE_CELL = re.compile(r"^(?P<fence>`{3,})\{code-cell\}[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S)
#: Any fenced block (code cells, directives, plain code).
FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})[^\n]*\n.*?^(?P=fence)[ \t]*$", re.M | re.S)
#: An inline expression in the prose: {eval}`...`.
EVAL_ROLE = re.compile(r"\{eval\}`(?P<expr>[^`]*)`")
#: Anything of myst-nb's glue (role, directive or call): it renders only on the site.
GLUE = re.compile(r"\{glue(?::\w+)?\}|\bglue\(|\bmyst_nb\b")
#: The caption paragraph of a figure (right after the cell that draws it).
CAPTION = re.compile(r"\A\n*\*\*Figure\.\*\* \S")
#: Plumbing: a visible code line that publishes or checks a value, saves or captions a figure, or displays
#: something only for the site (rather than showing the idea). Matched on the line without its comment.
PLUMBING = re.compile(r"\bglue\(|\bmyst_nb\b|\bfmt\(|lecture_lib\.formatting|^\s*assert\b|\bsavefig\(|"
                      r"\bplt\.close\(|\bcaption\(|\bdisplay\(|\bIPython\.display\b|\bMarkdown\(|\bHTML\(")
MAX_PLUMBING = 0.05
#: The install note near the top of every chapter (tests/browser/test_download.py runs its command).
INSTALL_NOTE = re.compile(r"^:::\{admonition\} Run this (?:chapter|page) yourself\n:class: tip\n\n"
                          r"(?P<text>.*?)^:::$", re.M | re.S)
#: Unseeded NumPy randomness: legacy global-state functions, or a generator built without a seed.
LEGACY_RANDOM = re.compile(r"\bnp\.random\.(?!default_rng\b|Generator\b|SeedSequence\b|PCG64\w*\b|Philox\b"
                           r"|SFC64\b|MT19937\b|BitGenerator\b)(?P<func>\w+)\s*\(")
UNSEEDED_RNG = re.compile(r"\b(?:default_rng|RandomState)\(\s*(?:None\s*)?\)")


class Cell:
    """One code cell of a MyST notebook: its metadata (the options line or YAML block) and its source."""

    def __init__(self, body: str, end: int):
        self.metadata: dict = {}
        self.source = body
        self.end = end  # offset in the page just after the closing fence
        if body.startswith("---\n"):
            meta, _, self.source = body[4:].partition("\n---\n")
            self.metadata = yaml.safe_load(meta) or {}
        else:
            lines = body.split("\n")
            options = []
            while lines and lines[0].startswith(":"):
                options.append(lines.pop(0))
            for line in options:
                key, _, value = line[1:].partition(":")
                self.metadata[key.strip()] = yaml.safe_load(value)
            self.source = "\n".join(lines)

    @property
    def tags(self) -> list[str]:
        return list(self.metadata.get("tags") or [])

    @property
    def hidden(self) -> bool:
        """Hidden on the site (``remove-cell``/``remove-input``) or in JupyterLab (``jupyter.source_hidden``)."""
        return bool(HIDING_TAGS & set(self.tags)) or bool((self.metadata.get("jupyter") or {}).get("source_hidden"))

    @property
    def figure(self) -> dict | None:
        return (self.metadata.get("mystnb") or {}).get("figure")


def _cells(text: str) -> list[Cell]:
    return [Cell(m.group("body"), m.end()) for m in CODE_CELL.finditer(text)]


def _cell_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in CODE_CELL.finditer(text)]


def _prose(text: str) -> str:
    """The page without its code cells."""
    return CODE_CELL.sub("", text)


def _front_matter(text: str) -> dict:
    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---\n", 4)
    return yaml.safe_load(text[4:end]) if end > 0 else {}


def _read(chapter: Path) -> str:
    return chapter.read_text(encoding="utf-8")


def _code_lines(source: str) -> list[str]:
    """The lines of code (no blank or comment-only lines), each without its trailing comment."""
    lines = []
    for line in source.splitlines():
        code = re.sub(r"\s+#.*$", "", line) if not line.lstrip().startswith("#") else ""
        if code.strip():
            lines.append(code)
    return lines


def _defined_names(code: str) -> set[str]:
    """Names a block of Python assigns, defines or imports (at any depth)."""
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _used_names(expr: str) -> set[str]:
    """Free names an expression reads (not attributes, not names bound inside it)."""
    tree = ast.parse(expr, mode="eval")
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound


def _ipython_source(source: str) -> str:
    """Cell source without IPython magics (lines starting with % or !), so that ``ast`` can parse it."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def test_the_seven_chapters_exist():
    assert len(CHAPTERS) == 7, f"expected the seven chapters book/01_*.md ... book/07_*.md; found {CHAPTERS}"


chapter_param = pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
page_param = pytest.mark.parametrize("chapter", NOTEBOOK_PAGES, ids=[c.stem for c in NOTEBOOK_PAGES])


@page_param
def test_jupytext_header(chapter):
    text = _read(chapter)
    assert text.startswith("---\njupytext:"), (
        f"{chapter.name}: must start with the jupytext header ('---' then 'jupytext:'), or tools/course.py "
        "will not execute it")
    meta = _front_matter(text)
    representation = meta.get("jupytext", {}).get("text_representation", {})
    assert representation.get("format_name") == "myst", f"{chapter.name}: jupytext format_name must be 'myst'"
    assert meta.get("kernelspec", {}).get("name") == "python3", f"{chapter.name}: kernelspec name must be 'python3'"
    assert meta["jupytext"].get("cell_metadata_filter") == "-user_expressions", (
        f"{chapter.name}: the jupytext header needs 'cell_metadata_filter: -user_expressions', or saving the "
        "chapter in JupyterLab writes jupyterlab-myst's evaluated {eval} results into the file")
    mode = (meta.get("mystnb") or {}).get("execution_mode", "inline")
    assert mode == "inline", f"{chapter.name}: execution_mode {mode!r}: {{eval}} needs inline execution"


@page_param
def test_hidden_assert_cell(chapter):
    hidden = [cell.source for cell in _cells(_read(chapter)) if cell.hidden]
    assert any(re.search(r"^\s*assert\b", src, re.M) for src in hidden), (
        f"{chapter.name}: needs at least one hidden code cell with an assert checking the prose's numbers")


@page_param
def test_no_removed_cells(chapter):
    """Hidden cells are ``remove-input`` + ``remove-output``, never ``remove-cell``.

    With inline execution myst-nb drops a ``remove-cell`` cell before rendering and runs it only when the
    next *rendered* cell runs, so an ``{eval}`` right after it would see the values from before it (or
    none). A cell with both input and output removed is run in its place and then leaves nothing.
    """
    removed = [cell.source.strip().splitlines()[0] for cell in _cells(_read(chapter))
               if {"remove-cell", "remove_cell"} & set(cell.tags)]
    assert not removed, (f"{chapter.name}: use tags [remove-input, remove-output] instead of remove-cell "
                         f"(inline execution would run them late): {removed}")


@page_param
def test_hidden_cells_are_hidden_in_jupyterlab(chapter):
    shown = [cell.source.strip().splitlines()[0] for cell in _cells(_read(chapter))
             if HIDING_TAGS & set(cell.tags) and not (cell.metadata.get("jupyter") or {}).get("source_hidden")]
    assert not shown, (f"{chapter.name}: cells removed on the site must be collapsed in JupyterLab too "
                       f"(metadata jupyter: {{source_hidden: true}}); these are not: {shown}")


@page_param
def test_no_glue(chapter):
    found = sorted({m.group(0) for m in GLUE.finditer(_read(chapter))})
    assert not found, (f"{chapter.name}: uses myst-nb's glue ({found}), which shows as raw text in JupyterLab and "
                       "in a downloaded notebook; write {eval}`fmt(x, \".4f\")` (book/authoring.md)")


@page_param
def test_every_number_is_formatted_and_computed(chapter):
    text = _read(chapter)
    cells = _cells(text)
    prose_spans = [(m.start(), m.group("expr")) for m in EVAL_ROLE.finditer(text)
                   if not any(c_start <= m.start() < c_end for c_start, c_end in _cell_spans(text))]
    problems = []
    defined = set(dir(builtins))
    for cell in cells:
        defined |= _defined_names(_ipython_source(cell.source))
    for position, expr in prose_spans:
        # {eval} is evaluated where the Markdown is (after the cells above it): only names computed above count.
        before = set(dir(builtins))
        for cell in cells:
            if cell.end <= position:
                before |= _defined_names(_ipython_source(cell.source))
        try:
            call = ast.parse(expr, mode="eval").body
        except SyntaxError:
            problems.append(f"{expr!r} is not a Python expression")
            continue
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "fmt"
                and len(call.args) in (1, 2) and not call.keywords
                and (len(call.args) == 1 or isinstance(call.args[1], ast.Constant) and isinstance(call.args[1].value, str))):
            problems.append(f"{expr!r} is not fmt(EXPR) or fmt(EXPR, \"SPEC\")")
            continue
        missing = _used_names(expr) - before
        if missing:
            problems.append(f"{expr!r} uses {sorted(missing)}, which no code cell above it computes")
        # JupyterLab's Run All may evaluate a Markdown cell late (jupyterlab-myst#133): the value must be
        # the same then, so nothing below the paragraph may assign the names it uses.
        later = set()
        for cell in cells:
            if cell.end > position:
                later |= _defined_names(_ipython_source(cell.source))
        reassigned = _used_names(expr) & later
        if reassigned:
            problems.append(f"{expr!r} uses {sorted(reassigned)}, which a code cell below it assigns again "
                            "(JupyterLab may evaluate the paragraph late): give the value its own name")
    assert not problems, f"{chapter.name}: " + "; ".join(problems)
    if prose_spans:
        assert "fmt" in defined, f"{chapter.name}: uses fmt but never imports it (from lecture_lib.formatting import fmt)"


_SUBPLOTS = re.compile(r"\bsubplots\(\s*(?:(?P<rows>\d+)\s*,\s*(?P<cols>\d+))?(?P<rest>[^)]*)\)")


def side_by_side_subplots(source: str) -> bool:
    """Whether the code makes a matplotlib grid with more than one column (``plt.subplots(1, 3)``,
    ``subplots(ncols=2)``): a multi-panel figure that a phone could only show shrunk or scrolling."""
    for match in _SUBPLOTS.finditer(source):
        cols = match["cols"] or (re.search(r"\bncols\s*=\s*(\d+)", match["rest"]) or [None, "1"])[1]
        if int(cols) > 1:
            return True
    return False


def test_side_by_side_subplots_detector():
    assert side_by_side_subplots("fig, axes = plt.subplots(1, 3, figsize=(10, 3.8), sharey=True)")
    assert side_by_side_subplots("fig, axes = plt.subplots(ncols=2)")
    assert not side_by_side_subplots("fig, ax = plt.subplots(figsize=(6, 3.8))")
    assert not side_by_side_subplots("fig, axes = plt.subplots(3, 1)")
    assert not side_by_side_subplots("Panels(draw, 3, panel_size=(3.3, 3.8))")


@page_param
def test_figures_are_cell_outputs_with_label_alt_and_caption(chapter):
    text = _read(chapter)
    problems = []
    figure_ends = []
    for cell in _cells(text):
        if cell.figure is None:
            continue
        first = cell.source.strip().splitlines()[0]
        name = cell.figure.get("name", "")
        alt = ((cell.metadata.get("mystnb") or {}).get("image") or {}).get("alt", "")
        if not re.fullmatch(r"fig-[a-z0-9-]+", str(name)):
            problems.append(f"figure cell {first!r}: mystnb.figure.name must be fig-<words>, got {name!r}")
        if len(str(alt)) < 20:
            problems.append(f"figure {name}: mystnb.image.alt must describe the figure (got {alt!r})")
        if "caption" in cell.figure:
            problems.append(f"figure {name}: the caption is the '**Figure.**' paragraph after the cell, not metadata")
        if re.search(r"\bplt\.close\(|\bglue\(", cell.source):
            problems.append(f"figure {name}: the cell must show its figure (no plt.close or glue)")
        if not CAPTION.match(text[cell.end:]):
            problems.append(f"figure {name}: needs a caption paragraph '**Figure.** ...' right after the cell")
        if side_by_side_subplots(cell.source):
            problems.append(f"figure {name}: panels side by side are drawn with lecture_lib.plotting.Panels "
                            "(stacked on a phone), not plt.subplots with several columns")
        figure_ends.append(cell.end)
    for caption in re.finditer(r"^\*\*Figure\.\*\*", text, re.M):
        if not any(CAPTION.match(text[end:]) and text[end:].lstrip("\n").startswith(text[caption.start():caption.end()])
                   and len(text[end:caption.start()].strip()) == 0 for end in figure_ends):
            problems.append(f"a '**Figure.**' paragraph at offset {caption.start()} follows no figure cell")
    assert not problems, f"{chapter.name}: " + "; ".join(problems)


def plumbing_share(text: str) -> tuple[float, list[str], int]:
    """The share of visible code lines that are plumbing, those lines, and the number of visible code lines."""
    visible = [line for cell in _cells(text) if not cell.hidden for line in _code_lines(cell.source)]
    plumbing = [line for line in visible if PLUMBING.search(line)]
    return (len(plumbing) / len(visible) if visible else 0.0), plumbing, len(visible)


@page_param
def test_visible_code_is_at_most_five_percent_plumbing(chapter):
    share, plumbing, total = plumbing_share(_read(chapter))
    assert share <= MAX_PLUMBING, (
        f"{chapter.name}: {len(plumbing)} of {total} visible code lines ({share:.0%}) are plumbing, more than "
        f"{MAX_PLUMBING:.0%}; move them into hidden cells: {plumbing}")


@page_param
def test_install_note(chapter):
    text = _read(chapter)
    note = INSTALL_NOTE.search(text)
    assert note, f"{chapter.name}: needs the 'Run this chapter yourself' tip before the first code cell"
    assert note.start() < CODE_CELL.search(text).start(), f"{chapter.name}: the install tip must come first"
    body = note.group("text")
    assert f'href="../wheels/{WHEEL}"' in body, f"{chapter.name}: the tip must link the wheel ../wheels/{WHEEL}"
    assert re.search(rf"`pip install {re.escape(WHEEL)}( [a-z0-9-]+)*`", body), (
        f"{chapter.name}: the tip must give one `pip install {WHEEL} ...` command")


@chapter_param
def test_summary_section(chapter):
    assert re.search(r"^## Summary[ \t]*$", _read(chapter), re.M), f"{chapter.name}: needs a '## Summary' section"


#: A self-study exercise and its solution (sphinx-exercise; jupyterlab-myst renders the same directives).
EXERCISE = re.compile(r"^(`{3,}|:{3,})\{exercise\}[^\n]*\n:label: (?P<label>\S+)\n", re.M)
SOLUTION = re.compile(r"^(`{3,}|:{3,})\{solution\} (?P<label>\S+)\n(?P<options>(?::[a-z-]+:.*\n)*)", re.M)
#: How many paper exercises a chapter ends with.
PAPER_EXERCISES = range(3, 6)


@chapter_param
def test_exercises_section(chapter):
    """The chapter ends with 3-5 exercises, each with a folded worked solution, and links its own notebook."""
    text = _read(chapter)
    exercises = text[text.rindex("\n## Exercises"):] if "\n## Exercises" in text else ""
    assert exercises, f"{chapter.name}: needs a final '## Exercises' section"
    labels = [m["label"] for m in EXERCISE.finditer(exercises)]
    assert len(labels) in PAPER_EXERCISES, f"{chapter.name}: {len(labels)} paper exercises (3 to 5 expected)"
    assert len(set(labels)) == len(labels), f"{chapter.name}: repeated exercise labels {labels}"
    solutions = {m["label"]: m["options"] for m in SOLUTION.finditer(exercises)}
    for label in labels:
        assert label in solutions, f"{chapter.name}: exercise {label} has no solution"
        assert ":class: dropdown" in solutions[label], f"{chapter.name}: the solution of {label} must be folded"
    number = chapter.stem[:2]
    notebooks = sorted((ROOT / "exercises" / "source").glob(f"{number}_*/*.ipynb"))
    assert notebooks, f"no exercise notebook for chapter {number}"
    for notebook in notebooks:
        target = f"(../_exercises/{notebook.parent.name}/{notebook.name})"  # the release the build generates
        assert target in _prose(exercises), f"{chapter.name}: the Exercises section must link {target[1:-1]}"


@chapter_param
def test_imports_lecture_lib(chapter):
    code = "\n".join(cell.source for cell in _cells(_read(chapter)))
    assert re.search(r"^\s*(?:import lecture_lib\b|from lecture_lib(?!\.formatting\b)\b)", code, re.M), (
        f"{chapter.name}: every computation must call lecture_lib, but no code cell imports it "
        "(lecture_lib.formatting, for the prose, does not count)")


@page_param
def test_random_generators_are_seeded(chapter):
    problems = []
    for cell in _cells(_read(chapter)):
        for line in cell.source.splitlines():
            code = line.split("#", 1)[0]
            if LEGACY_RANDOM.search(code) or UNSEEDED_RNG.search(code):
                problems.append(line.strip())
    assert not problems, (
        f"{chapter.name}: unseeded or global-state NumPy randomness; use np.random.default_rng(seed): {problems}")


@page_param
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


#: References to documents the reader never sees: the seed material the course was written from (its lecture
#: slides, an overview and a scikit-learn demo). A page says what such a source claims in its own words, or
#: cites a published one properly. The instructor guide and the authoring notes are for the course's staff.
UNSEEN_SOURCE = re.compile(
    r"\b(?:the|these|those|our|course's)\s+(?:[\w-]+\s+){0,2}?(?:slides?|overview|demo)\b(?!\s+(?:of|on)\b)"
    r"|\b(?:slides|overview|demo)'s?(?=\s)|\bas\s+on\s+the\s+slides\b|\bcourse\s+material\b",
    re.I)
READER_PAGES = sorted(set(BOOK.glob("*.md")) - {BOOK / "instructor_guide.md", BOOK / "authoring.md"})


def _unseen_sources(text: str) -> list[str]:
    return [f"line {n}: {m.group(0)!r} in {line.strip()[:100]!r}"
            for n, line in enumerate(text.splitlines(), 1) for m in UNSEEN_SOURCE.finditer(line)]


@pytest.mark.parametrize("page", READER_PAGES, ids=[p.stem for p in READER_PAGES])
def test_no_references_to_unseen_documents(page):
    found = _unseen_sources(_read(page))
    assert not found, (f"{page.name}: refers to documents the reader never sees (the slides, the overview, the "
                       "demo); say what they claim in the course's own words, or cite a published source:\n"
                       + "\n".join(found))


@pytest.mark.parametrize("bad", [
    "as the lecture slides write", "The slides start with", "the slides' three-class example",
    "The overview writes", "the course's original overview", "the overview's comparison table",
    "the scikit-learn demo writes", "including the demo this course started from", "as in the original demo",
    "The demo in the course material draws", "as on the slides;",
])
def test_unseen_document_detector_catches(bad):
    assert _unseen_sources(bad), bad


@pytest.mark.parametrize("good", [
    "an overview of the methods", "the three-class example", "a classic picture draws the regions",
    "region_models = {", "Some texts write sigma for the softmax",
])
def test_unseen_document_detector_accepts(good):
    assert not _unseen_sources(good), _unseen_sources(good)


#: Pages in book/ that are deliberately not in the table of contents (notes for the course's authors).
NOT_IN_TOC = {"book/authoring"}


def test_toc_lists_every_page():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    listed = {str(Path(f).with_suffix("")) for f in _toc_files(toc)}
    pages = {str(p.relative_to(ROOT).with_suffix("")) for p in BOOK.glob("*.md")} - NOT_IN_TOC
    assert not pages - listed, f"_toc.yml does not list these book pages: {sorted(pages - listed)}"
    absent = {f for f in listed - pages if not any((ROOT / f).with_suffix(s).exists() for s in (".md", ".ipynb"))}
    assert not absent, f"_toc.yml lists pages that do not exist: {sorted(absent)}"


# --- The detector functions above must be able to fail: check them on small bad examples. ---

BAD_CHAPTER = """---
jupytext:
  cell_metadata_filter: -user_expressions
  text_representation:
    format_name: myst
kernelspec:
  name: python3
---

# Title

### Skipped a level

The value is {glue:text}`missing_name:.4f`, {eval}`fmt(missing, ".2f")`, {eval}`x` and {eval}`fmt(x, spec)`.

```{code-cell} ipython3
:tags: [remove-cell]

x = np.random.rand(3)
rng = np.random.default_rng()
```

```{code-cell} ipython3
---
mystnb:
  figure:
    name: Bad Name
    caption: In the metadata.
  image:
    alt: short
---
from myst_nb import glue
from lecture_lib.formatting import fmt
glue("x", 1.0)
plt.close(fig)
y = 1
```

**Figure.** Not after the figure cell.
"""


def test_detectors_catch_a_bad_chapter(tmp_path):
    bad = tmp_path / "07_bad.md"
    bad.write_text(BAD_CHAPTER)
    for check in (test_hidden_assert_cell, test_no_removed_cells, test_hidden_cells_are_hidden_in_jupyterlab,
                  test_no_glue, test_every_number_is_formatted_and_computed,
                  test_figures_are_cell_outputs_with_label_alt_and_caption,
                  test_visible_code_is_at_most_five_percent_plumbing, test_install_note, test_summary_section,
                  test_exercises_section, test_imports_lecture_lib, test_random_generators_are_seeded, test_headings):
        with pytest.raises(AssertionError, match="07_bad.md"):
            check(bad)
    test_jupytext_header(bad)  # this part of the bad chapter is fine


def test_detectors_accept_the_form(tmp_path):
    good = tmp_path / "07_good.md"
    good.write_text(FORM_EXAMPLE)
    for check in (test_jupytext_header, test_hidden_assert_cell, test_no_removed_cells,
                  test_hidden_cells_are_hidden_in_jupyterlab, test_no_glue, test_every_number_is_formatted_and_computed,
                  test_figures_are_cell_outputs_with_label_alt_and_caption, test_install_note, test_headings):
        check(good)
    share, plumbing, total = plumbing_share(FORM_EXAMPLE)
    assert (len(plumbing), total) == (1, 4) and plumbing == ["from lecture_lib.formatting import fmt"]


FORM_EXAMPLE = f"""---
jupytext:
  cell_metadata_filter: -user_expressions
  text_representation:
    format_name: myst
kernelspec:
  name: python3
---

# Title

:::{{admonition}} Run this chapter yourself
:class: tip

Get the <a href="../wheels/{WHEEL}">wheel</a>, then `pip install {WHEEL} jupyterlab-myst`
:::

```{{code-cell}} ipython3
from lecture_lib import softmax
from lecture_lib.formatting import fmt
a = softmax([2.0, 1.0, 0.1])  # comments and blank lines do not count

```

```{{code-cell}} ipython3
---
jupyter:
  source_hidden: true
tags: [remove-input, remove-output]
---
assert round(a[0], 4) == 0.6590
```

Here $a_1 =$ {{eval}}`fmt(a[0], ".4f")` of {{eval}}`fmt(len(a))`.

```{{code-cell}} ipython3
---
mystnb:
  figure:
    name: fig-bars
  image:
    alt: Three bars of heights a1, a2 and a3.
---
plot_probabilities(a);
```

**Figure.** The three probabilities.
"""


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
    panels = plot_temperatures(z, temperatures)
    for fig in (panels.wide, panels.stacked):  # the same panels, side by side and stacked
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


def test_plot_smoothed_loss(close_figures):
    from lecture_lib.plotting import plot_smoothed_loss

    K, epsilon = 4, 0.2
    fig = plot_smoothed_loss(K, epsilon, gap_max=10.0, n_points=60)
    one_hot_curve, smoothed_curve, minimum = fig.axes[0].get_lines()
    g = one_hot_curve.get_xdata()
    assert g[0] == 0 and g[-1] == pytest.approx(10.0)
    assert np.allclose(one_hot_curve.get_ydata(), [math.log(1 + (K - 1) * math.exp(-v)) for v in g], rtol=1e-12)
    top, other = 1 - epsilon + epsilon / K, epsilon / K  # the smoothed target: LSE(z) - sum_k y~_k z_k
    assert np.allclose(smoothed_curve.get_ydata(), [math.log(math.exp(v) + K - 1) - top * v for v in g], rtol=1e-12)
    best = math.log(top / other)
    assert minimum.get_xdata()[0] == pytest.approx(best, rel=1e-12)
    entropy_of_target = -(top * math.log(top) + (K - 1) * other * math.log(other))
    assert minimum.get_ydata()[0] == pytest.approx(entropy_of_target, rel=1e-12)
    assert smoothed_curve.get_ydata().min() >= entropy_of_target - 1e-12  # the marked point is the minimum
    _check_labelled(fig)
    with pytest.raises(ValueError, match="epsilon"):
        plot_smoothed_loss(K, 1.5)
    with pytest.raises(ValueError, match="epsilon"):
        plot_smoothed_loss(K, 0.0)
