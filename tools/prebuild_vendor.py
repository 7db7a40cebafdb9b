#!/usr/bin/env python3
"""Vendor the site's third-party browser assets so the published book makes no request to another host.

The only third-party asset the theme does not already ship is KaTeX's style sheet and fonts: the math is
rendered into HTML while the site is built (``tools/site_math.py``), so the pages load no math JavaScript,
only ``katex.min.css`` and the few fonts their formulas use. Both come from npm's ``katex`` package, pinned
by the repository's ``package-lock.json`` and installed into ``node_modules/`` by ``npm ci`` (which
``tools/course.py`` runs before this); nothing third-party is committed to this repository. Copied::

    _build/vendor/katex/        (git-ignored; _config.yml lists _build/vendor in html_extra_path)

so that the built site serves them as ``<site>/katex/...``. Only the WOFF2 fonts are copied, and the style
sheet names only those (every browser the site supports reads WOFF2; the WOFF and TTF copies would only add
weight to the site, never to a page).

Two ways in, both idempotent and cheap when the copy is up to date:

* ``python tools/prebuild_vendor.py`` -- run by ``tools/course.py build`` before ``jupyter-book build``;
* as a Sphinx extension (``sphinx: local_extensions`` in ``_config.yml``), so that a plain
  ``jupyter-book build .`` also finds the folder in place before Sphinx checks ``html_extra_path``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "_build" / "vendor"

#: npm's KaTeX, as ``npm ci`` installs it from the lock file.
KATEX_PACKAGE = ROOT / "node_modules" / "katex"
KATEX_CSS = "katex.min.css"

NOTICE = """KaTeX {version} (https://katex.org/), copyright Khan Academy and other contributors,
licensed under the MIT License (LICENSE beside this file).
Copied by tools/prebuild_vendor.py from npm's katex@{version} (package-lock.json): dist/{css}, with its
@font-face rules cut to the WOFF2 files, and dist/fonts/*.woff2.
"""


def katex_source() -> tuple[Path, str]:
    """Return the installed KaTeX ``dist`` folder and KaTeX's version."""
    manifest = KATEX_PACKAGE / "package.json"
    if not manifest.is_file():
        sys.exit(f"KaTeX is not installed in {KATEX_PACKAGE}; run `python3 tools/course.py build` "
                 f"(it runs `npm ci` at the repository root) or `npm ci` yourself.")
    return KATEX_PACKAGE / "dist", json.loads(manifest.read_text())["version"]


def woff2_only(css: str) -> str:
    """KaTeX's style sheet with each ``@font-face`` naming only its WOFF2 file."""
    cut = re.sub(r',url\([^)]*\.(?:woff|ttf)\) format\("(?:woff|truetype)"\)', "", css)
    if re.search(r"\.(?:woff|ttf)\)", cut) or "woff2" not in cut:
        raise ValueError("unexpected @font-face rules in KaTeX's style sheet")
    return cut


def vendor(target: Path = VENDOR) -> Path:
    """Copy KaTeX's CSS and fonts into ``target/katex`` unless an identical copy is there; return that folder."""
    source, version = katex_source()
    notice = NOTICE.format(version=version, css=KATEX_CSS)
    dest = target / "katex"
    if (dest / "NOTICE.txt").is_file() and (dest / "NOTICE.txt").read_text() == notice:
        return dest
    target.mkdir(parents=True, exist_ok=True)
    # Copy into a fresh folder, then swap it in, so a concurrent build never sees half a copy.
    staging = Path(tempfile.mkdtemp(prefix=".katex-", dir=target))
    (staging / KATEX_CSS).write_text(woff2_only((source / KATEX_CSS).read_text()))
    (staging / "fonts").mkdir()
    for font in sorted((source / "fonts").glob("*.woff2")):
        shutil.copy2(font, staging / "fonts" / font.name)
    shutil.copy2(KATEX_PACKAGE / "LICENSE", staging / "LICENSE")
    (staging / "NOTICE.txt").write_text(notice)
    old = None
    if dest.exists():
        old = target / f".katex-old-{os.getpid()}"
        dest.rename(old)
    staging.rename(dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(target / "mathjax", ignore_errors=True)  # what builds before KaTeX vendored
    print(f"Vendored KaTeX {version} (style sheet and WOFF2 fonts) into {dest}", flush=True)
    return dest


def _is_thebe_loader(script) -> bool:
    """Whether a page script is sphinx-thebe's loader (which names a CDN copy of thebe)."""
    filename = getattr(script, "filename", None) or str(script)
    body = getattr(script, "attributes", {}).get("body", "")
    return filename.endswith("sphinx-thebe.js") or "THEBE_JS_URL" in body


def drop_unused_thebe(app, pagename, templatename, context, doctree) -> None:
    """Remove sphinx-thebe's scripts from pages when the Thebe launch button is off.

    Jupyter Book always loads sphinx-thebe, which puts ``const THEBE_JS_URL = "<CDN URL>"`` in every page
    (twice, which is also a console error: the constant is declared again). With
    ``launch_buttons: thebe: false`` nothing uses it, so the site neither names nor loads a CDN.
    """
    launch = (app.config.html_theme_options or {}).get("launch_buttons", {}) or {}
    if launch.get("thebe") or "script_files" not in context:
        return
    context["script_files"] = [s for s in context["script_files"] if not _is_thebe_loader(s)]


def setup(app):
    """Sphinx extension: vendor KaTeX's CSS and fonts before Sphinx checks ``html_extra_path``; drop the unused thebe loader."""
    vendor()
    app.connect("html-page-context", drop_unused_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    vendor()
