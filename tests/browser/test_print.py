"""The printed book (``python3 tools/course.py print``): one HTML page with every chapter, and its PDF.

The long test prints the built site once (``tools/print_book.py``, the print step of ``course.py print``
without its site build: the site is built before the tests run) and checks the page, the PDF and the
site's build cache together. The print takes about a minute: the single page is written from a copy of
the site's Sphinx environment (no page is read or executed again), then Chromium prints it.

Without a PDF text extractor among the course's packages, the PDF is read from its bytes: the page count
from the root of its page tree, the chapters from its outline (Chromium writes a bookmark per heading).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from course_tools import load_tool

from .conftest import CHROMIUM, ROOT, SITE_DIR, require_site, unavailable

pytestmark = [pytest.mark.browser, pytest.mark.slow]

print_book = load_tool("print_book")
notebook_pages = load_tool("notebook_pages")
#: What the site's build (``jupyter-book build``, into ``_build/html``) keeps between builds: Sphinx's environment
#: and doctrees, and the executed notebooks, in jupyter-book's folders beside the site.
SITE_DOCTREES = ROOT / "_build" / ".doctrees"
SITE_CACHE = (SITE_DOCTREES, ROOT / "_build" / "jupyter_execute")
#: The page the test marks as changed since the site was built (its modification time only, put back after).
CHANGED_PAGE = ROOT / "book" / "notation.md"


def require_chromium() -> None:
    if not Path(CHROMIUM).is_file():
        unavailable(f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` "
                    "(or set CHROMIUM=/path/to/chromium) to print the book")


def snapshot(folders) -> dict[str, tuple[int, int]]:
    """(modification time in ns, size) of every file under ``folders``."""
    return {str(path): (path.stat().st_mtime_ns, path.stat().st_size)
            for folder in folders for path in sorted(folder.rglob("*")) if path.is_file()}


def source_of(docname: str) -> Path:
    return next(path for path in (ROOT / f"{docname}{suffix}" for suffix in (".md", ".ipynb")) if path.is_file())


def doctrees(folder: Path) -> dict[str, Path]:
    """docname -> its doctree file in a Sphinx environment folder."""
    return {path.relative_to(folder).with_suffix("").as_posix(): path for path in folder.rglob("*.doctree")}


class Documents(HTMLParser):
    """The single page's documents (``<span id="document-NAME">``), each with the text of its first heading,
    and the multi-panel figures (``<picture class="course-panels">``: the stacked source and the wide image)."""

    def __init__(self):
        super().__init__()
        self.titles: dict[str, str] = {}
        self.panels: list[dict[str, str]] = []
        self._doc = self._heading = None
        self._in_link = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if (attrs.get("id") or "").startswith("document-"):
            self._doc = attrs["id"].removeprefix("document-")
        elif re.fullmatch(r"h[1-6]", tag) and self._doc and self._doc not in self.titles and self._heading is None:
            self._heading = ""
        elif tag == "a" and "headerlink" in (attrs.get("class") or ""):
            self._in_link = True
        elif tag == "picture" and "course-panels" in (attrs.get("class") or ""):
            self.panels.append({})
        elif tag == "source" and self.panels and "stacked" not in self.panels[-1]:
            self.panels[-1]["stacked"] = attrs.get("srcset", "")
        elif tag == "img" and self.panels and "wide" not in self.panels[-1]:
            self.panels[-1]["wide"] = attrs.get("src", "")

    def handle_endtag(self, tag):
        if tag == "a":
            self._in_link = False
        elif re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.titles[self._doc], self._heading = self._heading.strip(), None

    def handle_data(self, data):
        if self._heading is not None and not self._in_link:
            self._heading += data


def pdf_string(token: bytes) -> str:
    """A PDF string object's text: ``(literal)`` with backslash escapes, or ``<hex>`` (UTF-16BE after a BOM)."""
    if token.startswith(b"<"):
        raw = bytes.fromhex(token[1:-1].decode("ascii"))
        return raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")
    return re.sub(rb"\\([()\\])", rb"\1", token[1:-1]).decode("latin-1")


def pdf_pages(data: bytes) -> int:
    """The page count: ``/Count`` of the page tree's root (the ``/Pages`` node without a ``/Parent``)."""
    nodes = re.findall(rb"<<(?:(?!<<|>>).)*?/Type\s*/Pages\b(?:(?!<<|>>).)*>>", data, re.S)
    roots = [int(re.search(rb"/Count\s+(\d+)", node)[1]) for node in nodes if b"/Parent" not in node]
    assert len(roots) == 1, f"expected one root of the page tree, found {len(roots)}"
    return roots[0]


def pdf_outline(data: bytes) -> list[str]:
    """The titles of the PDF's bookmarks."""
    return [pdf_string(t) for t in re.findall(rb"/Title\s*(\((?:[^()\\]|\\.)*\)|<[0-9A-Fa-f\s]*>)", data)]


def toc_documents() -> list[str]:
    """Every document of ``_toc.yml`` but its root, the book's front page."""
    def files(entries):
        for entry in entries or []:
            yield from ([entry["file"]] if "file" in entry else [])
            for key in ("parts", "chapters", "sections"):
                yield from files(entry.get(key))
    return sorted(files([{"parts": yaml.safe_load((ROOT / "_toc.yml").read_text())["parts"]}]))


def words(text: str) -> str:
    return re.sub(r"\W+", "", text).lower()


def site_panels() -> int:
    return sum(path.read_text(encoding="utf-8").count('<picture class="course-panels"')
               for path in SITE_DIR.rglob("*.html") if path.relative_to(SITE_DIR).parts[0] not in {"_sources"})


# --- the pieces, quickly -------------------------------------------------------------------------------


def test_every_builder_knows_the_stacked_figure():
    """A builder inherits its format's handlers even when an extension gave it some of its own, and meets
    ``stacked_figure`` with the ``<picture>`` (HTML formats) or the wide figure only (any other)."""
    html_visitors = (notebook_pages.visit_stacked_figure_html, notebook_pages.depart_stacked_figure_html)
    dropdown, own, latex = (print, print), (len, len), (repr, repr)
    handlers = {"html": {"stacked_figure": html_visitors, "dropdown": dropdown},
                "singlehtml": {"other": own}, "latex": {"stacked_figure": latex}}
    app = SimpleNamespace(registry=SimpleNamespace(translation_handlers=handlers))
    for name, fmt in [("singlehtml", "html"), ("dirhtml", "html"), ("epub", "html"), ("latex", "latex"),
                      ("text", "text"), ("xml", "xml")]:
        app.builder = SimpleNamespace(name=name, format=fmt)
        notebook_pages.handlers_for_this_builder(app)
    assert handlers["singlehtml"] == {"other": own, "dropdown": dropdown, "stacked_figure": html_visitors}
    assert handlers["dirhtml"] == handlers["epub"] == {"dropdown": dropdown, "stacked_figure": html_visitors}
    assert handlers["latex"] == {"stacked_figure": latex}  # its own, as registered
    assert handlers["text"] == handlers["xml"] == {"stacked_figure": (notebook_pages._pass, notebook_pages._pass)}


def test_the_print_starts_from_a_copy_of_the_site_environment(tmp_path):
    site, own = tmp_path / "site", tmp_path / "own"
    (site / "book").mkdir(parents=True)
    (site / "environment.pickle").write_bytes(b"env")
    (site / "book" / "a.doctree").write_bytes(b"doc")
    (own / "book").mkdir(parents=True)
    (own / "book" / "old.doctree").write_bytes(b"left from the last print")
    assert print_book.seed_environment(site, own) == own
    assert sorted(p.relative_to(own).as_posix() for p in own.rglob("*") if p.is_file()) == \
        ["book/a.doctree", "environment.pickle"]
    assert (site / "environment.pickle").read_bytes() == b"env"  # the site's own untouched
    (site / "environment.pickle").unlink()  # no site built: the print builds an environment of its own
    assert print_book.seed_environment(site, own) == own and not own.exists()


def test_printing_refuses_a_page_that_needs_another_host(tmp_path):
    require_chromium()
    page = tmp_path / "index.html"
    page.write_text('<!doctype html><title>t</title><p>text</p><img alt="x" src="https://example.org/x.png">')
    code = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import print_book; "
            "print_book.print_pdf(Path(sys.argv[2]), Path(sys.argv[3]))")
    result = subprocess.run([sys.executable, "-c", code, str(ROOT / "tools"), str(page), str(tmp_path / "t.pdf")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "requests to other hosts ['https://example.org/x.png']" in result.stderr, \
        result.stderr
    assert not (tmp_path / "t.pdf").exists()


# --- the book, printed ---------------------------------------------------------------------------------


@pytest.mark.timeout(1200)
def test_print_the_book_from_the_built_site():
    """One print checks it all: every chapter in the single page and in the PDF, the multi-panel figures with
    both renderings, KaTeX's math, nothing from another host, a sane page count; and the site's build cache
    is left as it was, while a page changed since the site was built is read into the print's own environment."""
    require_site()
    require_chromium()
    if not (SITE_DOCTREES / "environment.pickle").is_file():
        unavailable(f"no Sphinx environment in {SITE_DOCTREES}: run `python3 tools/course.py build` first")
    stale = {doc for doc, tree in doctrees(SITE_DOCTREES).items()
             if source_of(doc).stat().st_mtime_ns > tree.stat().st_mtime_ns}  # changed since the site was built
    before = snapshot(SITE_CACHE)
    stat = CHANGED_PAGE.stat()
    started = time.time_ns()
    os.utime(CHANGED_PAGE, ns=(stat.st_atime_ns, started))
    try:
        result = subprocess.run([sys.executable, str(ROOT / "tools" / "print_book.py")], cwd=ROOT,
                                capture_output=True, text=True, timeout=1100)
    finally:
        os.utime(CHANGED_PAGE, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]

    # The site's cache as it was; the print read the changed page(s), and nothing else, into its own environment.
    assert snapshot(SITE_CACHE) == before
    assert print_book.SITE_DOCTREES == SITE_DOCTREES != print_book.PRINT_DOCTREES
    reread = {doc for doc, tree in doctrees(print_book.PRINT_DOCTREES).items() if tree.stat().st_mtime_ns >= started}
    assert reread == stale | {CHANGED_PAGE.relative_to(ROOT).with_suffix("").as_posix()}

    # The single page: every document of the table of contents, with its heading.
    page = print_book.SINGLE / "index.html"
    text = page.read_text(encoding="utf-8")
    documents = Documents()
    documents.feed(text)
    chapters = toc_documents()
    assert sorted(documents.titles) == chapters
    assert all(documents.titles.values()), documents.titles
    # Each multi-panel figure of the site, with both renderings in the printed page's folder.
    assert len(documents.panels) == site_panels() > 0
    for figure in documents.panels:
        assert figure["stacked"].endswith("-stacked.svg") and figure["wide"].endswith(".svg"), figure
        assert (print_book.SINGLE / figure["stacked"]).is_file() and (print_book.SINGLE / figure["wide"]).is_file()
    # The math rendered by KaTeX at build time, its style sheet and fonts served with the page.
    assert text.count('class="katex"') > 100 and not re.search(r"<script[^>]*mathjax", text, re.I)
    assert (print_book.SINGLE / "katex" / "katex.min.css").is_file()
    # Nothing from another host: print_pdf stops on such a request; no script or style sheet names one.
    assert not re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(?:https?:)?//', text)

    # The PDF: a page count in a sane range (at least a page per chapter), a bookmark per chapter.
    data = print_book.PDF.read_bytes()
    assert data.startswith(b"%PDF-") and print_book.PDF.stat().st_mtime_ns >= started
    pages = pdf_pages(data)
    assert len(chapters) <= pages <= 400, pages
    outline = [words(title) for title in pdf_outline(data)]
    missing = [title for title in documents.titles.values() if not any(words(title) in entry for entry in outline)]
    assert not missing, f"chapters without a bookmark in the PDF: {missing}"
