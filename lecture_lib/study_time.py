r"""How long a chapter takes: its prose at a reading speed, plus a fixed time per code cell and exercise.

The words are counted exactly as the site's MyST parser counts them (``myst-parser``'s wordcount
plugin, the number behind its ``{{ wordcount-words }}`` substitution): words of the Markdown text,
not of code cells, math or directive bodies (admonitions, exercises, solutions). Code cells and
exercises take longer than their words suggest, so each adds a fixed time instead. Chapter: the
*Further reading* page, whose table this computes from the chapters' sources, found by
:func:`chapter_pages` in the table of contents.

Needs ``myst-parser`` and ``pyyaml``: the wheel's ``book`` extra (``pip install "lecture_lib[book]"``)
declares them, and the course's environment has them; they are imported on first use, so
``import lecture_lib`` does not need them. It stays in the package because a book page (*Further
reading*) imports it in a code cell the reader runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from ._validation import check_positive

#: myst-parser's default reading speed (its ``words_per_minute`` setting).
WORDS_PER_MINUTE = 200
#: Minutes to read a visible code cell, run it and look at its output.
MINUTES_PER_CODE_CELL = 2.0
#: Minutes to work one paper exercise and compare with its solution.
MINUTES_PER_EXERCISE = 10.0
#: The MyST extensions of the site (``_config.yml``): they decide what is a directive and what is text.
MYST_EXTENSIONS = ("amsmath", "dollarmath", "colon_fence", "deflist", "substitution", "attrs_inline")
#: Cell tags that hide a code cell's source on the site (and so its reading time).
HIDDEN_TAGS = frozenset({"remove-cell", "remove-input"})


class StudyTime(NamedTuple):
    """What :func:`study_time` counted, and the resulting estimate in minutes."""

    words: int
    code_cells: int
    exercises: int
    minutes: float


def _cell_tags(content: str) -> set[str]:
    """The tags of a ``{code-cell}``: its YAML block (``---`` ... ``---``) or ``:tags:`` option line."""
    import yaml

    if content.startswith("---\n"):
        header = content[4:].partition("\n---\n")[0]
        tags = (yaml.safe_load(header) or {}).get("tags", [])
    else:
        options = [line for line in content.splitlines() if line.startswith(":tags:")]
        tags = yaml.safe_load(options[0][len(":tags:"):]) if options else []
    return set(tags or [])


def study_time(text: str, *, words_per_minute: float = WORDS_PER_MINUTE,
               minutes_per_code_cell: float = MINUTES_PER_CODE_CELL,
               minutes_per_exercise: float = MINUTES_PER_EXERCISE) -> StudyTime:
    r"""Estimate the time to study one MyST Markdown chapter.

    Parameters
    ----------
    text : str
        The chapter's source (a MyST Markdown notebook, as in ``book/``).
    words_per_minute : float
        Reading speed for the prose; 200, myst-parser's default.
    minutes_per_code_cell : float
        Time for each code cell whose source the reader sees (hidden cells do not count).
    minutes_per_exercise : float
        Time for each ``{exercise}`` block.

    Returns
    -------
    StudyTime
        ``words``, ``code_cells``, ``exercises`` and ``minutes``.

    Notes
    -----
    .. math:: t = \frac{n_{\text{words}}}{v} + n_{\text{code}}\, t_{\text{code}}
              + n_{\text{exercises}}\, t_{\text{exercise}}

    with :math:`v` the reading speed. The words are myst-parser's own count (its wordcount
    plugin on the top-level Markdown), so they match the site's ``{{ wordcount-words }}``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be the chapter's source as a str; got {type(text).__name__}.")
    check_positive(words_per_minute, "words_per_minute")
    check_positive(minutes_per_code_cell, "minutes_per_code_cell", allow_zero=True)
    check_positive(minutes_per_exercise, "minutes_per_exercise", allow_zero=True)
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    parser = create_md_parser(MdParserConfig(enable_extensions=set(MYST_EXTENSIONS)), RendererHTML)
    env: dict = {}
    tokens = parser.parse(text, env)
    fences = [token for token in tokens if token.type in ("fence", "colon_fence")]
    code_cells = sum(1 for token in fences
                     if token.info.startswith("{code-cell}") and not _cell_tags(token.content) & HIDDEN_TAGS)
    exercises = sum(1 for token in fences if token.info.strip() == "{exercise}")
    words = int(env.get("wordcount", {}).get("words", 0))
    minutes = words / words_per_minute + code_cells * minutes_per_code_cell + exercises * minutes_per_exercise
    return StudyTime(words, code_cells, exercises, float(minutes))


class ChapterPage(NamedTuple):
    """A page of the course's chapters (see :func:`chapter_pages`)."""

    path: Path
    chapter: int  # the chapter's number, as on the site
    section: bool  # a section of that chapter on a page of its own, not the chapter's own page


def chapter_pages(root) -> list[ChapterPage]:
    """The chapters' pages in the order of the table of contents, each chapter followed by its sections.

    Parameters
    ----------
    root : str or Path
        The course's repository: the folder of ``_toc.yml`` (the book's table of contents).

    Returns
    -------
    list of ChapterPage
        ``(path, chapter, section)`` for every page of the numbered part of ``_toc.yml`` (the chapters,
        numbered from 1 as on the site) and every page listed under a chapter's ``sections`` (e.g. Newton's
        method after chapter 4); ``path`` is the page's MyST Markdown file, ``root / "<file>.md"``.
    """
    import yaml

    toc = Path(root) / "_toc.yml"
    if not toc.is_file():
        raise FileNotFoundError(f"root must be the course's repository, the folder of _toc.yml; {toc} does not exist.")
    parts = (yaml.safe_load(toc.read_text(encoding="utf-8")) or {}).get("parts", [])
    chapters = [entry for part in parts if part.get("numbered") for entry in part.get("chapters", [])]
    if not chapters:
        raise ValueError(f"root: {toc} has no numbered part (the course's chapters).")

    def with_sections(entry, number: int, section: bool) -> list[ChapterPage]:
        page = ChapterPage(Path(root) / Path(entry["file"]).with_suffix(".md"), number, section)
        return [page, *(p for sub in entry.get("sections", []) for p in with_sections(sub, number, True))]

    return [page for number, entry in enumerate(chapters, start=1) for page in with_sections(entry, number, False)]
