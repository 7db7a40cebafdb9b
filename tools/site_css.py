"""Sphinx extension (``_config.yml`` loads it): the third-party style sheets cut to the rules the site can use.

pydata-sphinx-theme's style sheet alone is 397 KB (Bootstrap, Font Awesome and the theme's own rules), and
every page loads it with those of sphinx-book-theme, sphinx-design, myst-nb, KaTeX and the other
extensions, while the site uses a small part of each. When the build has finished, this runs PurgeCSS
(``tools/purge_css.js``, npm's ``purgecss`` pinned by ``package-lock.json``) over every style sheet of the
built site except the course's own (``book/_static``, written for this site, served as written). A rule is
kept when each class, id, tag and attribute of one of its selectors is a word of some page or script of the
site, so that

- pseudo-classes are ignored: ``.btn:hover``, ``a:focus-visible``, ``:not(...)`` live as long as ``.btn``,
  ``a`` do, and a selector of pseudo-classes alone (``:focus-visible``) is always kept (:data:`SAFELIST`);
- a class that a script adds (``show``, ``collapsing``, ``pst-squeeze``, ``toggle-hidden``...) is kept because
  the script, which is part of the content, names it; :data:`SAFELIST` adds the few that a script builds
  from pieces, and :data:`DYNAMIC_ATTRIBUTES` the attributes whose values a script sets at run time
  (``html[data-theme=dark]``: dark mode);
- ``@font-face``, ``@keyframes`` and custom properties are kept (PurgeCSS's defaults).

The full style sheets are kept outside the published site, in ``_build/full-css/`` (:data:`FULL_CSS`, same
paths as in the site), with ``manifest.json`` listing what was cut: ``tests/browser/test_css_cut.py`` checks
that the cut only removed selectors and that none of them matches an element of any page. Sphinx copies the
static files again only when it writes a page; a style sheet that still starts with :data:`CUT_MARK` was cut
by an earlier build and is cut again from its full copy, so a rebuild never cuts an already cut file.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from sphinx.errors import ExtensionError
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "purge_css.js"
PURGECSS_PACKAGE = ROOT / "node_modules" / "purgecss" / "package.json"
#: The course's own static files: served as written, never cut.
OWN_STATIC = ROOT / "book" / "_static"
#: Beside the built site (``_build/html`` -> ``_build/full-css``): the full style sheets and the manifest.
FULL_CSS = "full-css"
MANIFEST = "manifest.json"
#: How every cut style sheet starts (after its ``@charset``): :data:`CUT_MARK`, then where the full file is.
CUT_MARK = "/* Cut by tools/site_css.py (PurgeCSS) to the rules this site uses"
BANNER = CUT_MARK + "; the full file: _build/{full} */\n"
#: Folders of the built site whose files are not pages or scripts of the site (the chapters' sources).
NOT_CONTENT = {"_sources"}
#: What PurgeCSS must count as present (regular expressions, matched against each part of a selector):
#: classes that scripts compose at run time, so that no page or script holds the whole word (Bootstrap's tooltips
#: and popovers add ``bs-tooltip-<placement>``); and every pseudo-class. PurgeCSS drops a selector made of
#: pseudo-classes alone, having found no class, id, tag or attribute to look for (it spares ``:root``,
#: ``:before`` and ``:after`` only): the theme's ``:focus-visible`` rule, every element's keyboard focus ring, was
#: lost that way. A pseudo-class never makes a selector unused: ``.btn:hover`` still needs ``.btn``.
SAFELIST = (r"^bs-(tooltip|popover)-", r"^:")
#: Attributes that scripts set to values no page or script spells out (kept whatever their value):
#: pydata-sphinx-theme's light/dark mode on ``<html>`` (``dataset.theme``, ``dataset.mode``), Bootstrap's
#: colour modes, and the placement Popper gives a dropdown or tooltip.
DYNAMIC_ATTRIBUTES = ("data-theme", "data-mode", "data-bs-theme", "data-bs-popper", "data-popper-placement")
#: A source map no longer maps a cut file.
SOURCE_MAP = re.compile(r"/\*# sourceMappingURL=[^*]*\*/\s*")
CHARSET = re.compile(r'@charset "[^"]*";\n?')


def stylesheets(site: Path) -> list[Path]:
    """The style sheets of the built site (folder ``site``) to cut: all but the course's own."""
    own = {path.name for path in OWN_STATIC.glob("*.css")}
    return [path for path in sorted(site.rglob("*.css"))
            if not (path.parent == site / "_static" and path.name in own)]


def split_charset(css: str) -> tuple[str, str]:
    """(the ``@charset`` rule with its line end, or "", the rest): a ``@charset`` counts only as the first bytes."""
    match = CHARSET.match(css)
    return (match[0], css[match.end():]) if match else ("", css)


def content_files(site: Path) -> list[Path]:
    """What the selectors must match: every page and script of the built site."""
    return [path for path in sorted([*site.rglob("*.html"), *site.rglob("*.js")])
            if path.relative_to(site).parts[0] not in NOT_CONTENT]


def full_copy(site: Path, stylesheet: Path) -> Path:
    """Where the full version of the built site's ``stylesheet`` is kept."""
    return site.parent / FULL_CSS / stylesheet.relative_to(site)


def purge(stylesheets_: list[Path], content: list[Path]) -> list[dict]:
    """PurgeCSS (``tools/purge_css.js``) on ``stylesheets_`` against ``content``: ``{"css", "rejected"}`` each."""
    node = shutil.which("node")
    if node is None or not PURGECSS_PACKAGE.is_file():
        raise ExtensionError("PurgeCSS (npm's purgecss, in Node.js) cuts the style sheets: run `npm ci` at the "
                             "repository root (`python3 tools/course.py build` does)")
    request = {"stylesheets": [str(p) for p in stylesheets_], "content": [str(p) for p in content],
               "safelist": list(SAFELIST), "dynamicAttributes": list(DYNAMIC_ATTRIBUTES)}
    result = subprocess.run([node, str(SCRIPT)], input=json.dumps(request), capture_output=True, text=True,
                            encoding="utf-8", cwd=ROOT)
    if result.returncode != 0:
        raise ExtensionError(f"PurgeCSS failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


def cut_stylesheets(site: Path) -> dict:
    """Cut every style sheet of the built site (folder ``site``); return the manifest (also written as JSON)."""
    targets = stylesheets(site)
    fulls = []
    for target in targets:
        full = full_copy(site, target)
        if not split_charset(target.read_text(encoding="utf-8"))[1].startswith(CUT_MARK):  # copied by this build
            full.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target, full)
        elif not full.is_file():
            raise ExtensionError(f"{target} was cut by an earlier build but {full} is gone: rebuild with --all")
        fulls.append(full)
    manifest = {}
    for target, full, answer in zip(targets, fulls, purge(fulls, content_files(site))):
        if answer["rejected"]:  # else the full file stays, as copied
            charset, css = split_charset(SOURCE_MAP.sub("", answer["css"]))
            banner = BANNER.format(full=full.relative_to(site.parent).as_posix())
            target.write_text(charset + banner + css, encoding="utf-8")
        else:
            shutil.copyfile(full, target)
        manifest[target.relative_to(site).as_posix()] = {
            "full_bytes": full.stat().st_size, "cut_bytes": target.stat().st_size,
            "selectors_removed": len(answer["rejected"])}
    (site.parent / FULL_CSS / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def on_build_finished(app, exception) -> None:
    if exception is not None or app.builder.name != "html":  # not the printed book's singlehtml
        return
    manifest = cut_stylesheets(Path(app.outdir))
    before = sum(entry["full_bytes"] for entry in manifest.values())
    after = sum(entry["cut_bytes"] for entry in manifest.values())
    LOGGER.info(f"site_css: {len(manifest)} style sheets cut to the rules the site uses: {before:,} -> {after:,} bytes")


def setup(app):
    # After the theme and extensions, which write style sheets when the build has finished too (pydata-sphinx-theme's
    # pygments.css, myst-nb's, sphinx-exercise's, at 500); before tools/site_icons.py (700), which reads the icons'
    # code points from the style sheets as served.
    app.connect("build-finished", on_build_finished, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
