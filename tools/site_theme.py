"""Sphinx extension: the course's fixes to the theme's markup, where no theme option or template covers them.

* The sidebar's expand/collapse toggles are ``<summary>`` elements holding only an icon: each gets an
  ``aria-label`` naming the section it opens (axe rule ``summary-name``).
* sphinx-exercise gives the body of every exercise and solution the same id (``exercise-content``,
  ``solution-content``); each gets its block's own id plus ``-content``, so a page of several exercises
  has no duplicate ids (axe rule ``duplicate-id``).
* Tables read on a phone without sideways scrolling (issue 19): every table of a page's body with one
  header row (and no merged cells) gets the class ``course-stack``, each body cell a ``data-label`` naming its
  column, and each header cell ``scope="col"`` (:func:`label_table_cells`). Below 576 px ``course.css``
  shows each row as a block of "label value" lines. Changing a table's ``display`` makes some browsers
  (Safari) forget that it is a table, so the stacked tables also carry their ARIA roles (``table``, ``row``,
  ``columnheader``, ``cell``...): screen readers still announce a table with its headers.

Everything else the site changes in the theme is a template override in ``book/_templates/`` (each says
why) or a rule in ``book/_static/course.css``.
"""

from __future__ import annotations

import html
import re

#: A toctree entry with children: its link, then the <details>/<summary> pydata-sphinx-theme adds.
_TOGGLE = re.compile(r'(<a class="(?:current )?reference internal[^"]*" href="[^"]*">(?P<title>(?:(?!</a>).)*)</a>'
                     r'\s*<details[^>]*>\s*)<summary>', re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def name_summaries(markup: str) -> str:
    """Give every icon-only ``<summary>`` after a toctree link the name "Show the pages under <title>"."""
    def label(match: re.Match) -> str:
        title = html.unescape(_TAGS.sub("", match["title"])).strip()
        return f'{match[1]}<summary aria-label="{html.escape(f"Pages under {title}")}">'
    return _TOGGLE.sub(label, markup)


_TABLE = re.compile(r"<table(?P<attrs>[^>]*)>(?P<body>.*?)</table>", re.DOTALL)
_SECTION = re.compile(r"<(?P<tag>thead|tbody)>(?P<rows>.*?)</(?P=tag)>", re.DOTALL)
_ROW = re.compile(r"<tr(?P<attrs>[^>]*)>(?P<cells>.*?)</tr>", re.DOTALL)
_CELL = re.compile(r"<(?P<tag>td|th)(?P<attrs>[^>]*)>(?P<content>.*?)</(?P=tag)>", re.DOTALL)
_CLASS = re.compile(r'\bclass="(?P<classes>[^"]*)"')


def _with_attributes(tag: str, attrs: str, extra: dict[str, str], add_class: str | None = None) -> str:
    """``<tag attrs>`` with ``extra`` attributes appended (values escaped) and ``add_class`` in its classes."""
    if add_class:
        if _CLASS.search(attrs):
            attrs = _CLASS.sub(lambda m: f'class="{m["classes"]} {add_class}"', attrs, count=1)
        else:
            attrs += f' class="{add_class}"'
    return f"<{tag}{attrs}" + "".join(f' {name}="{html.escape(value)}"' for name, value in extra.items()) + ">"


def _text(markup: str) -> str:
    return " ".join(html.unescape(_TAGS.sub("", markup)).split())


def _stack_table(match: re.Match) -> str:
    table = match[0]
    sections = {m["tag"]: m for m in _SECTION.finditer(match["body"])}
    if "thead" not in sections or "tbody" not in sections or "colspan=" in table or "rowspan=" in table:
        return table
    header_rows = _ROW.findall(sections["thead"]["rows"])
    if len(header_rows) != 1:
        return table
    labels = [_text(cell["content"]) for cell in _CELL.finditer(header_rows[0][1])]
    if not all(len(labels) == len(_CELL.findall(row["cells"])) for row in _ROW.finditer(sections["tbody"]["rows"])):
        return table

    def cells(row_markup: str, header: bool) -> str:
        column_labels = iter(labels)

        def cell(m: re.Match) -> str:
            label = next(column_labels)
            extra = ({"scope": "col", "role": "columnheader"} if header else
                     {"role": "rowheader" if m["tag"] == "th" else "cell", "data-label": label})
            return _with_attributes(m["tag"], m["attrs"], extra) + m["content"] + f"</{m['tag']}>"
        return _CELL.sub(cell, row_markup)

    def section(m: re.Match) -> str:
        header = m["tag"] == "thead"
        body = _ROW.sub(lambda r: _with_attributes("tr", r["attrs"], {"role": "row"}) + cells(r["cells"], header)
                        + "</tr>", m["rows"])
        return f'<{m["tag"]} role="rowgroup">{body}</{m["tag"]}>'

    body = _SECTION.sub(section, match["body"])
    return _with_attributes("table", match["attrs"], {"role": "table"}, add_class="course-stack") + body + "</table>"


def label_table_cells(markup: str) -> str:
    """Mark every table of ``markup`` (a page's body) that can be shown stacked on a phone: one header row,
    the same number of cells in every row, no merged cells. The table gets the class ``course-stack`` and
    its ARIA roles, each body cell ``data-label`` (its column's header, as text), each header cell
    ``scope="col"``. Other tables are left as they are (they keep their scroll frame)."""
    return _TABLE.sub(_stack_table, markup)


def stack_tables(app, pagename, templatename, context, doctree) -> None:
    if "body" in context:
        context["body"] = label_table_cells(context["body"])


def wrap_toctree(app, pagename, templatename, context, doctree) -> None:
    """Post-process the sidebar's navigation that pydata-sphinx-theme generates for each page."""
    generate = context.get("generate_toctree_html")
    if generate is None or getattr(generate, "course_wrapped", False):
        return

    def generate_named(*args, **kwargs):
        return name_summaries(str(generate(*args, **kwargs)))

    generate_named.course_wrapped = True
    context["generate_toctree_html"] = generate_named


#: The fixed ids sphinx-exercise (1.2.1) gives the body of each block.
_EXERCISE_BODY_IDS = ("exercise-content", "solution-content")


def unique_exercise_body_ids(app, doctree, docname) -> None:
    """Rename each exercise/solution body id to ``<the block's id>-content``."""
    from docutils import nodes

    for section in doctree.findall(nodes.section):
        if any(i in _EXERCISE_BODY_IDS for i in section["ids"]):
            parent = section.parent
            owner = parent["ids"][0] if parent is not None and parent.get("ids") else None
            if owner is None:
                raise RuntimeError(f"{docname}: an exercise or solution body without an id on its block")
            section["ids"] = [f"{owner}-content"]


def setup(app):
    app.connect("html-page-context", wrap_toctree, priority=900)  # after the theme adds its functions
    app.connect("doctree-resolved", unique_exercise_body_ids)
    app.connect("html-page-context", stack_tables)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
