#!/usr/bin/env python3
"""Printable course: one HTML page with every chapter, and a PDF of it printed by the system's Chromium.

    python tools/print_book.py            # -> _build/singlehtml/index.html and _build/pdf/book.pdf

``python3 tools/course.py print`` runs this after building the site (``course.py build``), so that the
printed book is the site as built. Uses only what the project already installs: jupyter-book's
``singlehtml`` builder (the math rendered into the page by KaTeX at build time, ``tools/site_math.py``,
with its vendored fonts), and Chromium (apt) driven by the playwright package (PyPI). Jupyter Book's own
``pdfhtml`` builder downloads a Chromium of its own (pyppeteer) and ``pdflatex`` needs a TeX installation.

**The site's build cache is read, never written.** Sphinx keeps what it read of each page (its doctree,
and for a notebook page the executed outputs) in an environment, ``_build/.doctrees`` for the site. The
print builds with an environment of its own, :data:`PRINT_DOCTREES`, which starts each time as a copy of
the site's: a page the site has read is not read (nor its notebook executed) again, and a page changed
since the site was built is read into the print's environment only. ``jupyter-book build`` has no option
for the environment's folder, so this calls the function behind it, ``jupyter_book.sphinx.build_sphinx``,
with the configuration its command line computes.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SINGLE = ROOT / "_build" / "singlehtml"
PDF = ROOT / "_build" / "pdf" / "book.pdf"
#: The site's Sphinx environment and doctrees (``course.py build``; jupyter-book's default folder).
SITE_DOCTREES = ROOT / "_build" / ".doctrees"
#: The printed book's own, a fresh copy of :data:`SITE_DOCTREES` at each print.
PRINT_DOCTREES = ROOT / "_build" / "singlehtml-doctrees"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: The printed page: A4 with these margins.
PAPER = {"format": "A4", "margin": {"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"}}
#: Width of the printed text area in CSS px (96 per inch): the page is laid out at this width before printing,
#: so that course.js picks each multi-panel figure's rendering (side by side or stacked) for the paper.
PRINT_WIDTH_PX = round((210 - 12 - 12) / 25.4 * 96)

#: Run in the page laid out for print: KaTeX's fonts loaded, each multi-panel figure side by side or stacked
#: for the printed column's width (course.js), every image loaded; returns the images that did not load.
READY_TO_PRINT = """async () => {
  await document.fonts.ready;
  if (window.courseLayout) { window.courseLayout.update(); }
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  await Promise.all(Array.from(document.images, img => img.decode().catch(() => null)));
  return Array.from(document.images).filter(img => !img.naturalWidth).map(img => img.currentSrc || img.src);
}"""


def seed_environment(site: Path = SITE_DOCTREES, own: Path = PRINT_DOCTREES) -> Path:
    """Replace ``own`` by a copy of the site's environment ``site`` (if the site was built); return ``own``."""
    if own.exists():
        shutil.rmtree(own)
    if (site / "environment.pickle").is_file():
        shutil.copytree(site, own)
    return own


def build_single_page() -> Path:
    """Build the one-page book into :data:`SINGLE` (Sphinx's environment: :data:`PRINT_DOCTREES`); return the page."""
    import click
    from jupyter_book.cli.main import build as jupyter_book_build, builder_specific_actions
    from jupyter_book.sphinx import build_sphinx

    # What `jupyter-book build . --builder singlehtml --warningiserror --keep-going` computes and passes on.
    with click.Context(jupyter_book_build) as context:
        config, source, overrides = context.invoke(jupyter_book_build, path_source=str(ROOT), get_config_only=True)
    overrides["external_toc_path"] = (Path(source) / overrides["external_toc_path"]).as_posix()
    result = build_sphinx(source, SINGLE, noconfig=True, path_config=config, confoverrides=overrides,
                          builder="singlehtml", doctreedir=seed_environment(), warningiserror=True, keep_going=True)
    builder_specific_actions(result, "singlehtml", SINGLE, "book", print_func=print)  # stops on a failed build
    # The book's root page is book/intro, but singlehtml links its assets as if the page sat at the
    # site root: put it there (index.html is otherwise only a redirect to it).
    root_page = SINGLE / "book" / "intro.html"
    shutil.copyfile(root_page, SINGLE / "index.html")
    return SINGLE / "index.html"


def print_pdf(page: Path, out: Path = PDF) -> Path:
    """Print ``page`` (served with its folder on 127.0.0.1) to the PDF ``out``; return ``out``.

    Raises
    ------
    RuntimeError
        If the page asks for anything from another host (the printed book must need nothing but its folder)
        or shows an image that did not load.
    """
    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(page.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    local = f"http://127.0.0.1:{server.server_address[1]}/"
    out.parent.mkdir(parents=True, exist_ok=True)
    elsewhere: list[str] = []

    def only_local(route):
        if route.request.url.startswith((local, "data:", "blob:", "about:")):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            try:
                tab = browser.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
                tab.route("**/*", only_local)
                tab.goto(local + page.name, wait_until="load")
                tab.add_style_tag(content="pre { white-space: pre-wrap; overflow-wrap: anywhere; }")  # no cut-off code
                tab.emulate_media(media="print")
                broken = tab.evaluate(READY_TO_PRINT)
                if elsewhere or broken:
                    raise RuntimeError(f"{page} is not ready to print: requests to other hosts {elsewhere}, "
                                       f"images that did not load {broken}")
                tab.pdf(path=str(out), print_background=True, outline=True, tagged=True, **PAPER)
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return out


if __name__ == "__main__":
    start = time.monotonic()
    single = build_single_page()
    built = time.monotonic()
    pdf = print_pdf(single)
    print(f"One page: {single} ({built - start:.0f} s); PDF: {pdf} ({time.monotonic() - built:.0f} s)", flush=True)
