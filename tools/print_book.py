#!/usr/bin/env python3
"""Printable course: one HTML page with every chapter, and a PDF of it printed by the system's Chromium.

    python tools/print_book.py            # -> _build/singlehtml/index.html and _build/pdf/book.pdf

Uses only what the project already installs: jupyter-book's ``singlehtml`` builder (the math rendered
into the page by KaTeX at build time, ``tools/site_math.py``, with its vendored fonts), and Chromium (apt)
driven by the playwright package (PyPI). Jupyter Book's own ``pdfhtml``
builder downloads a Chromium of its own (pyppeteer) and ``pdflatex`` needs a TeX installation.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SINGLE = ROOT / "_build" / "singlehtml"
PDF = ROOT / "_build" / "pdf" / "book.pdf"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def build_single_page() -> Path:
    subprocess.run([str(BIN / "jupyter-book"), "build", str(ROOT), "--builder", "singlehtml",
                    "--warningiserror", "--keep-going"], check=True, cwd=ROOT)
    # The book's root page is book/intro, but singlehtml links its assets as if the page sat at the
    # site root: put it there (index.html is otherwise only a redirect to it).
    root_page = SINGLE / "book" / "intro.html"
    shutil.copyfile(root_page, SINGLE / "index.html")
    return SINGLE / "index.html"


def print_pdf(page: Path, out: Path = PDF) -> Path:
    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(page.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            tab = browser.new_page()
            tab.route("**/*", lambda r: r.continue_() if r.request.url.startswith("http://127.0.0.1:") else r.abort())
            tab.goto(f"http://127.0.0.1:{server.server_address[1]}/{page.name}", wait_until="load")
            tab.evaluate("() => document.fonts.ready.then(() => true)")  # KaTeX's fonts, before printing
            tab.add_style_tag(content="pre { white-space: pre-wrap; overflow-wrap: anywhere; }")  # no cut-off code
            tab.emulate_media(media="print")
            tab.pdf(path=str(out), format="A4", print_background=True, outline=True, tagged=True,
                    margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})
            browser.close()
    finally:
        server.shutdown()
    return out


if __name__ == "__main__":
    print(f"PDF: {print_pdf(build_single_page())}")
