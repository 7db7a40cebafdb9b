#!/usr/bin/env python3
"""Vendor the site's third-party browser assets so the published book makes no request to another host.

The only third-party asset the theme does not already ship is MathJax. Its browser build (MathJax 3.2.2,
byte-identical to the ``es5/`` folder of npm's ``mathjax@3.2.2``) comes from the pinned PyPI package
``sphinx-mathjax-offline`` in ``requirements.txt``; nothing third-party is committed to this repository.
Only the components the pages load are copied (``_config.yml`` names them in ``mathjax3_config.loader``:
the loader ``startup.js``, TeX input with its autoloaded extensions, CommonHTML output with its fonts, and
assistive MathML for screen readers), to::

    _build/vendor/mathjax/      (git-ignored; _config.yml lists _build/vendor in html_extra_path)

so that the built site serves them as ``<site>/mathjax/...`` and ``mathjax_path`` points there.

Two ways in, both idempotent and cheap when the copy is up to date:

* ``python tools/prebuild_vendor.py`` -- run by ``tools/course.py build`` before ``jupyter-book build``;
* as a Sphinx extension (``sphinx: local_extensions`` in ``_config.yml``), so that a plain
  ``jupyter-book build .`` also finds the folder in place before Sphinx checks ``html_extra_path``.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "_build" / "vendor"

#: The PyPI distribution that ships MathJax, and where its files live inside it.
MATHJAX_DIST = "sphinx-mathjax-offline"
MATHJAX_DIR_IN_DIST = "sphinx-mathjax-offline/static/mathjax"
MATHJAX_VERSION = "3.2.2"

#: What the pages load: the loader, the core, TeX input (its extensions are autoloaded on demand, e.g.
#: ``\cancel``), CommonHTML output and its web fonts, and assistive MathML. Not copied: MathML input and the
#: context menu (``ui/``, 0.4 MB, with the speech rules it loads), which ``options.enableMenu: false`` turns off.
MATHJAX_FILES = ("startup.js", "core.js", "input/tex.js", "input/tex/extensions", "output/chtml.js",
                 "output/chtml/fonts", "a11y/assistive-mml.js")
#: The script that ``mathjax_path`` in ``_config.yml`` names.
MATHJAX_ENTRY = "startup.js"

NOTICE = f"""MathJax {MATHJAX_VERSION} (https://www.mathjax.org/), copyright The MathJax Consortium,
licensed under the Apache License, Version 2.0 (https://www.apache.org/licenses/LICENSE-2.0).
Copied by tools/prebuild_vendor.py from the PyPI package {MATHJAX_DIST}=={{dist_version}}
(the es5/ folder of npm mathjax@{MATHJAX_VERSION}); only the components the site loads are kept:
{", ".join(MATHJAX_FILES)}.
"""


def mathjax_source() -> tuple[Path, str]:
    """Return the installed MathJax folder and the version of the distribution that holds it."""
    try:
        dist = importlib.metadata.distribution(MATHJAX_DIST)
    except importlib.metadata.PackageNotFoundError:
        sys.exit(f"{MATHJAX_DIST} is not installed; run `python3 tools/course.py build` "
                 f"(it installs requirements.txt) or `pip install -r requirements.txt`.")
    source = Path(dist.locate_file(MATHJAX_DIR_IN_DIST))
    if not (source / MATHJAX_ENTRY).is_file():
        sys.exit(f"{source} has no {MATHJAX_ENTRY}; is {MATHJAX_DIST} installed correctly?")
    return source, dist.version


def vendor(target: Path = VENDOR) -> Path:
    """Copy MathJax into ``target/mathjax`` unless an identical copy is already there; return that folder."""
    source, dist_version = mathjax_source()
    notice = NOTICE.format(dist_version=dist_version)
    dest = target / "mathjax"
    if (dest / "NOTICE.txt").is_file() and (dest / "NOTICE.txt").read_text() == notice:
        return dest
    target.mkdir(parents=True, exist_ok=True)
    # Copy into a fresh folder, then swap it in, so a concurrent build never sees half a copy.
    staging = Path(tempfile.mkdtemp(prefix=".mathjax-", dir=target))
    for name in MATHJAX_FILES:
        src, dst = source / name, staging / name
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    (staging / "NOTICE.txt").write_text(notice)
    old = None
    if dest.exists():
        old = target / f".mathjax-old-{os.getpid()}"
        dest.rename(old)
    staging.rename(dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    print(f"Vendored MathJax {MATHJAX_VERSION} from {MATHJAX_DIST}=={dist_version} into {dest}", flush=True)
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
    """Sphinx extension: vendor MathJax before Sphinx checks ``html_extra_path``; drop the unused thebe loader."""
    vendor()
    app.connect("html-page-context", drop_unused_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    vendor()
