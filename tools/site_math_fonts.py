"""Sphinx extension (``_config.yml`` loads it): KaTeX's web fonts cut to the characters of the site's formulas.

KaTeX ships twenty fonts of 4-28 KB each (WOFF2, ``tools/prebuild_vendor.py`` copies them into the site's
``katex/fonts/``), each with every glyph TeX's fonts have; a page loads the ones its formulas use, whole. The
site's formulas are rendered when it is built (``tools/site_math.py``), so every character a KaTeX font can be
asked for is in the built pages: the text of every element of class ``katex...`` (the HTML a reader sees and
the MathML a screen reader reads), plus what KaTeX's style sheet writes itself (``content:``, its counters'
digits). When the build has finished, this replaces each font in the site's ``katex/fonts/`` by a subset of
KaTeX's original holding those characters' glyphs, with fontTools (:func:`site_icons.trim_font`, as the icon
fonts are cut), still WOFF2. One set of characters serves every font: a character a font lacks is simply not
in its subset, and one the formulas write in another font costs a glyph, not a missing one.

The subset is always cut from KaTeX's original (``node_modules/katex/dist/fonts``), so a rebuild never trims
an already trimmed file.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from prebuild_vendor import katex_source
from site_icons import trim_font
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)

#: Where KaTeX's fonts and style sheet are in the built site (``html_extra_path``: ``_build/vendor``).
KATEX_DIR = Path("katex")
FONT_DIR = KATEX_DIR / "fonts"
#: Characters of ``content: "..."`` in KaTeX's style sheet.
CSS_CONTENT = re.compile(r"content:\s*((?:\"[^\"]*\"|[^;}\"])*)")
CSS_STRING = re.compile(r"\"([^\"]*)\"")
#: HTML elements without an end tag.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class FormulaText(HTMLParser):
    """The characters of a page inside elements whose class starts with ``katex`` (KaTeX's HTML and MathML)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside: list[bool] = []  # per open element: whether it, or an element around it, is KaTeX's
        self.chars: set[str] = set()

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        self.inside.append(bool(self.inside and self.inside[-1]) or any(c.startswith("katex") for c in classes))

    def handle_endtag(self, tag):
        if tag not in VOID and self.inside:
            self.inside.pop()

    def handle_data(self, data):
        if self.inside and self.inside[-1]:
            self.chars |= set(data)


def math_code_points(site: Path) -> set[int]:
    """The code points of every character the built site (folder ``site``) can ask a KaTeX font for."""
    chars = set("0123456789")  # KaTeX's equation counters (\tag), written by its style sheet
    for css in (site / KATEX_DIR).glob("*.css"):
        for content in CSS_CONTENT.findall(css.read_text(encoding="utf-8")):
            chars |= set("".join(CSS_STRING.findall(content)))
    for page in site.rglob("*.html"):
        if "katex" in (text := page.read_text(encoding="utf-8", errors="replace")):
            parser = FormulaText()
            parser.feed(text)
            parser.close()
            chars |= parser.chars
    return {ord(char) for char in chars}


def trim_math_fonts(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    site = Path(app.outdir)
    target_dir = site / FONT_DIR
    if not target_dir.is_dir():
        return
    points = math_code_points(site)
    source_dir = katex_source()[0] / "fonts"
    before = after = 0
    for target in sorted(target_dir.glob("*.woff2")):
        size_before, size_after = trim_font(source_dir / target.name, target, points)
        before, after = before + size_before, after + size_after
    LOGGER.info(f"site_math_fonts: KaTeX's fonts cut to {len(points)} characters: {before:,} -> {after:,} bytes")


def setup(app):
    app.connect("build-finished", trim_math_fonts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
