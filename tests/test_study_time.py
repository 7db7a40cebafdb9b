"""The study-time estimate of lecture_lib.study_time: counts on a small page, the formula, the chapters, bad input."""

import re
import string
import sys
from pathlib import Path

import pytest

from lecture_lib.study_time import (MINUTES_PER_CODE_CELL, MINUTES_PER_EXERCISE, WORDS_PER_MINUTE, ChapterPage,
                                    chapter_pages, study_time)

BOOK = Path(__file__).resolve().parent.parent / "book"
CHAPTERS = sorted(BOOK.glob("0*.md"))

PAGE = """---
jupytext:
  text_representation:
    extension: .md
kernelspec:
  name: python3
---

# A short page

The softmax turns scores into probabilities, $a = \\operatorname{softmax}(z)$.

```{code-cell} ipython3
a = softmax(z)
```

```{code-cell} ipython3
---
jupyter:
  source_hidden: true
tags: [remove-input, remove-output]
---
assert a.sum() == 1
```

```{code-cell} ipython3
:tags: [remove-cell]
hidden = True
```

:::{admonition} Not counted
:class: tip

Directive bodies are not words of the page.
:::

````{exercise}
:label: ex-short

Show that the probabilities sum to one.
````

````{solution} ex-short
:class: dropdown

Divide by the sum.
````

Two more words.
"""


def test_counts_on_a_small_page():
    """Words of the heading and the two paragraphs only (the math and every block are left out)."""
    counted = study_time(PAGE)
    words = len("A short page".split()) + len("The softmax turns scores into probabilities,".split()) + 3
    assert counted.words == words
    assert (counted.code_cells, counted.exercises) == (1, 1)  # the two hidden cells do not count
    assert counted.minutes == pytest.approx(
        words / WORDS_PER_MINUTE + MINUTES_PER_CODE_CELL + MINUTES_PER_EXERCISE, rel=1e-15)


def test_minutes_follow_the_stated_rates():
    base = study_time(PAGE, words_per_minute=100, minutes_per_code_cell=0, minutes_per_exercise=0)
    assert base.minutes == pytest.approx(base.words / 100, rel=1e-15)
    more = study_time(PAGE, words_per_minute=100, minutes_per_code_cell=3, minutes_per_exercise=7)
    assert more.minutes - base.minutes == pytest.approx(3 * more.code_cells + 7 * more.exercises, rel=1e-12)


def _rough_words(text: str) -> int:
    """An independent, cruder count: drop the front matter, fenced blocks, math, roles and inline code."""
    text = text.split("\n---\n", 1)[1]
    text = re.sub(r"^(`{3,}|:{3,}).*?^\1[ \t]*$", " ", text, flags=re.M | re.S)
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$|\{\w+\}`[^`]*`|`[^`]*`", " ", text, flags=re.S)
    return sum(word.strip(string.punctuation).isalpha() for word in text.split())


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapters_agree_with_a_rough_count(chapter):
    text = chapter.read_text(encoding="utf-8")
    counted = study_time(text)
    rough = _rough_words(text)
    assert counted.words > 300 and abs(counted.words - rough) <= 0.1 * rough, (counted.words, rough)
    code_cells = len(re.findall(r"^```\{code-cell\}", text, re.M))
    assert 0 < counted.code_cells < code_cells  # every chapter has hidden check cells
    assert counted.exercises == len(re.findall(r"^`{3,}\{exercise\}", text, re.M))


def test_bad_input():
    with pytest.raises(TypeError, match=r"text must be the chapter's source as a str; got PosixPath"):
        study_time(CHAPTERS[0])
    with pytest.raises(ValueError, match=r"words_per_minute must be a finite positive number"):
        study_time(PAGE, words_per_minute=0)
    with pytest.raises(ValueError, match=r"minutes_per_code_cell must be a finite non-negative number"):
        study_time(PAGE, minutes_per_code_cell=-1)
    with pytest.raises(TypeError, match=r"minutes_per_exercise must be a non-negative number; got '5'"):
        study_time(PAGE, minutes_per_exercise="5")


def test_the_parser_uses_the_sites_myst_extensions():
    """MYST_EXTENSIONS is the site's list (``_config.yml``): a new extension changes what counts as text."""
    import yaml

    from lecture_lib.study_time import MYST_EXTENSIONS

    config = yaml.safe_load((Path(__file__).resolve().parent.parent / "_config.yml").read_text())
    assert list(MYST_EXTENSIONS) == config["parse"]["myst_enable_extensions"]


def test_the_wheel_declares_what_study_time_imports():
    """study_time's third-party imports are in pyproject.toml's ``book`` extra (it ships in the wheel)."""
    import ast
    import re
    import tomllib

    root = Path(__file__).resolve().parent.parent
    tree = ast.parse((root / "lecture_lib" / "study_time.py").read_text())
    imported = {(node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
                for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0)
                for alias in node.names}
    third_party = imported - set(sys.stdlib_module_names)
    extra = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]["book"]
    declared = {re.split(r"[<>=!~ ;\[]", requirement)[0].lower() for requirement in extra}
    # import name -> distribution name (markdown_it comes with myst-parser)
    provided_by = {"yaml": "pyyaml", "myst_parser": "myst-parser", "markdown_it": "myst-parser"}
    assert third_party, "study_time imports nothing: this test checks nothing"
    assert {provided_by.get(name, name) for name in third_party} <= declared, (third_party, declared)


def test_chapter_pages_follow_the_numbered_part_of_the_table_of_contents(tmp_path):
    (tmp_path / "_toc.yml").write_text("""format: jb-book
root: book/intro
parts:
  - caption: Getting started
    chapters:
      - file: book/notation
  - caption: The course
    numbered: true
    chapters:
      - file: book/b_first
        sections:
          - file: book/z_inner
            sections:
              - file: book/a_deeper
      - file: book/a_second.md
  - caption: Appendix
    chapters:
      - file: book/extra
""")
    book = tmp_path / "book"
    assert chapter_pages(tmp_path) == [ChapterPage(book / "b_first.md", 1, False),
                                       ChapterPage(book / "z_inner.md", 1, True),
                                       ChapterPage(book / "a_deeper.md", 1, True),
                                       ChapterPage(book / "a_second.md", 2, False)]


def test_chapter_pages_of_the_course_are_its_chapters_and_their_sections():
    root = BOOK.parent
    pages = chapter_pages(str(root))
    assert [p.path for p in pages if not p.section] == CHAPTERS  # chapter n is book/0n_*.md
    assert all(p.path.is_file() for p in pages) and any(p.section for p in pages)
    assert [p.chapter for p in pages if not p.section] == list(range(1, len(CHAPTERS) + 1))


def test_chapter_pages_bad_input(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"root must be the course's repository, the folder of _toc.yml; .*"):
        chapter_pages(tmp_path)
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: a\n")
    with pytest.raises(ValueError, match=r"root: .*_toc.yml has no numbered part"):
        chapter_pages(tmp_path)
