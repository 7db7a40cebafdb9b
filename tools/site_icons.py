"""Sphinx extension (``_config.yml`` loads it): the Font Awesome web fonts cut down to the icons the site shows.

pydata-sphinx-theme ships the full Font Awesome 6 fonts (``fa-solid-900.woff2`` alone is 156 KB, and a
font does not compress any further on the wire), while the site shows a few dozen icons: the theme's
buttons, the admonition and link icons of its stylesheet. When the build has finished, this replaces
each font in ``_build/html/_static/vendor/fontawesome/webfonts/`` by a subset (fontTools, the library
matplotlib already uses for its fonts) holding only the glyphs the site can ask for:

- every ``fa-<name>`` class in a page or in a script under ``_static`` (the theme's JavaScript adds some
  icons itself), mapped to its code point by the theme's own stylesheet (``.fa-<name>:before{content:"\\f0c9"}``);
- every code point a stylesheet writes outside those class rules (``--pst-icon-...`` variables,
  ``content:`` of other rules), whether as a CSS escape or as the private-use character itself.

The subset is always cut from the theme's original font, so a rebuild never trims an already trimmed
file. Glyphs for code points that the font does not have are simply absent, as before.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from sphinx.util import logging as sphinx_logging

LOGGER = sphinx_logging.getLogger(__name__)

#: Where the theme's fonts live, under its static folder and under the built site's ``_static``.
FONT_DIR = Path("vendor") / "fontawesome" / "webfonts"
#: The fonts to trim (each in both formats the stylesheet offers).
FONTS = ("fa-solid-900", "fa-regular-400", "fa-brands-400")
FORMATS = {".woff2": "woff2", ".ttf": None}

#: ``.fa-bars:before,.fa-navicon:before{content:"\f0c9"}`` in the theme's stylesheet.
CLASS_RULE = re.compile(r"((?:\.fa-[a-z0-9-]+:{1,2}before,?)+)\{content:\s*\"\\([0-9a-f]{4,5})\"")
CLASS_NAME = re.compile(r"\.(fa-[a-z0-9-]+):")
#: A class named in a page or script (``fa-solid fa-bars``, ``"fa-" + name`` is not followed).
USED_CLASS = re.compile(r"\bfa-[a-z0-9]+(?:-[a-z0-9]+)*")
#: Code points a stylesheet writes outside the class rules: CSS escapes and literal private-use characters.
CSS_ESCAPE = re.compile(r"\\(f[0-9a-f]{3}|e[0-9a-f]{3})\b", re.I)
PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def icon_code_points(site: Path) -> set[int]:
    """The code points of every Font Awesome glyph the built site (folder ``site``) can display."""
    static = site / "_static"
    stylesheets = [p.read_text(encoding="utf-8", errors="replace") for p in static.rglob("*.css")]
    by_class: dict[str, int] = {}
    points: set[int] = set()
    for css in stylesheets:
        for rule in CLASS_RULE.finditer(css):
            for name in CLASS_NAME.findall(rule.group(1)):
                by_class[name] = int(rule.group(2), 16)
        rest = CLASS_RULE.sub("", css)
        points |= {int(code, 16) for code in CSS_ESCAPE.findall(rest)}
        points |= {ord(char) for char in PRIVATE_USE.findall(rest)}
    used: set[str] = set()
    for path in [*site.rglob("*.html"), *static.rglob("*.js")]:
        used |= set(USED_CLASS.findall(path.read_text(encoding="utf-8", errors="replace")))
    points |= {by_class[name] for name in used if name in by_class}
    return points


def trim_font(source: Path, target: Path, code_points: set[int]) -> tuple[int, int]:
    """Write to ``target`` the glyphs of ``source`` for ``code_points``; return (bytes before, bytes after)."""
    from fontTools import subset

    # fontTools logs each pruned table at INFO, which reaches the build log once the build logs at INFO.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    options = subset.Options()
    options.flavor = FORMATS[source.suffix]
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(code_points))
    subsetter.subset(font)
    subset.save_font(font, str(target), options)
    return source.stat().st_size, target.stat().st_size


def theme_fonts() -> Path:
    import pydata_sphinx_theme

    return Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static" / FONT_DIR


def trim_icons(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    site = Path(app.outdir)
    target_dir = site / "_static" / FONT_DIR
    if not target_dir.is_dir():
        return
    points = icon_code_points(site)
    before = after = 0
    for name in FONTS:
        for suffix in FORMATS:
            source, target = theme_fonts() / f"{name}{suffix}", target_dir / f"{name}{suffix}"
            if source.is_file() and target.is_file():
                size_before, size_after = trim_font(source, target, points)
                before, after = before + size_before, after + size_after
    LOGGER.info(f"site_icons: Font Awesome cut to {len(points)} icons: {before:,} -> {after:,} bytes")


def setup(app):
    app.connect("build-finished", trim_icons, priority=700)  # after tools/site_css.py (600) cut the style sheets
    return {"parallel_read_safe": True, "parallel_write_safe": True}
