"""Sphinx extension: the course's fixes to the theme's markup, where no theme option or template covers them.

* The sidebar's expand/collapse toggles are ``<summary>`` elements holding only an icon: each gets an
  ``aria-label`` naming the section it opens (axe rule ``summary-name``).
* sphinx-exercise gives the body of every exercise and solution the same id (``exercise-content``,
  ``solution-content``); each gets its block's own id plus ``-content``, so a page of several exercises
  has no duplicate ids (axe rule ``duplicate-id``).

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
    return {"parallel_read_safe": True, "parallel_write_safe": True}
