"""Sphinx extension: the course's fixes to the theme's markup, where no theme option or template covers them.

* The sidebar's expand/collapse toggles are ``<summary>`` elements holding only an icon: each gets an
  ``aria-label`` naming the section it opens (axe rule ``summary-name``).

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


def setup(app):
    app.connect("html-page-context", wrap_toctree, priority=900)  # after the theme adds its functions
    return {"parallel_read_safe": True, "parallel_write_safe": True}
