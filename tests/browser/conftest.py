"""Fixtures for the browser tests: the built site served on 127.0.0.1 and a headless Chromium.

The site is ``_build/html`` (built by ``python3 tools/course.py test`` before pytest runs), or the
folder named by the environment variable ``COURSE_SITE_DIR``. Screenshots go to the folder named by
``COURSE_SCREENSHOT_DIR``, by default ``screenshots/`` next to the site (``_build/screenshots``).

Without Chromium (or the ``playwright`` package) the browser tests are skipped with a message saying
how to enable them -- except on CI (``CI=true``), where they fail instead: CI never skips them.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import merge_json  # tests/conftest.py

ROOT = Path(__file__).resolve().parents[2]
SITE_DIR = Path(os.environ.get("COURSE_SITE_DIR", ROOT / "_build" / "html")).resolve()
SCREENSHOT_DIR = Path(os.environ.get("COURSE_SCREENSHOT_DIR", SITE_DIR.parent / "screenshots")).resolve()
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ON_CI = os.environ.get("CI", "").lower() == "true"

#: Flags for a quiet, offline, container-friendly headless Chromium.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--no-proxy-server"]

#: The search page (``search.html?q=...``) has finished: Sphinx's searchtools.js shows results one by one,
#: then fetches each result's snippet (``p.context``), and writes the summary line when the list is complete.
SEARCH_SETTLED_JS = """() => {
  const summary = document.querySelector('#search-results p.search-summary');
  const items = Array.from(document.querySelectorAll('#search-results li'));
  return Boolean(summary && summary.textContent.trim()) && items.length > 0 &&
    items.every(li => li.querySelector('p.context'));
}"""

#: The math is in the page as served (KaTeX, at build time); only its web fonts may still be loading.
WAIT_FONTS_JS = """async () => {
  await document.fonts.ready;
  return true;
}"""

#: Folders of the built site that hold assets, not pages.
ASSET_FOLDERS = {"_static", "_sources", "_images", "katex", "_downloads", "_panels_static"}


def unavailable(reason: str):
    """Skip (locally) or fail (on CI) a test that cannot run."""
    if ON_CI:
        pytest.fail(f"{reason} (CI=true: the browser tests must run on CI)", pytrace=False)
    pytest.skip(reason)


#: JPEG quality of the full-page screenshots of the site's pages (``.jpg``): Chromium encodes a chapter's
#: 1280 x 20,000 px page in half the time PNG takes, and its text stays sharp to read.
JPEG_QUALITY = 85


#: Whether :func:`save_screenshot` saves anything: screenshots are for a person looking at a run's pages, and a
#: CI run on a fresh clone keeps no files, so with ``CI=true`` they are skipped unless ``COURSE_SCREENSHOTS=1``
#: (``COURSE_SCREENSHOTS=0`` skips them anywhere). The site's full-page captures cost about 30 s of a run's CPU.
TAKE_SCREENSHOTS = os.environ.get("COURSE_SCREENSHOTS", "0" if ON_CI else "1") != "0"


def save_screenshot(page, path: Path, full_page: bool = True) -> None:
    """Save a screenshot of ``page`` to ``path`` (its folder created), PNG or JPEG (:data:`JPEG_QUALITY`) by its
    suffix; nothing unless :data:`TAKE_SCREENSHOTS`. A busy headless Chromium now and then refuses a capture
    ("Unable to capture screenshot"); the capture is tried once more, then the error stands."""
    from playwright.sync_api import Error as PlaywrightError

    if not TAKE_SCREENSHOTS:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"quality": JPEG_QUALITY} if path.suffix == ".jpg" else {}
    try:
        page.screenshot(path=str(path), full_page=full_page, **options)
    except PlaywrightError as error:
        if "Unable to capture screenshot" not in str(error):
            raise
        page.wait_for_timeout(1000)
        page.screenshot(path=str(path), full_page=full_page, **options)


def stop_server(process: subprocess.Popen) -> None:
    """End a server this process started (JupyterLab, formgrader): SIGTERM, then SIGKILL after 30 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def site_pages() -> list[str]:
    """Every HTML page of the built site, as paths relative to the site root (posix)."""
    if not (SITE_DIR / "index.html").is_file():
        return []
    pages = []
    for path in sorted(SITE_DIR.rglob("*.html")):
        rel = path.relative_to(SITE_DIR)
        if rel.parts[0] not in ASSET_FOLDERS:
            pages.append(rel.as_posix())
    return pages


def require_site() -> None:
    if not (SITE_DIR / "index.html").is_file():
        unavailable(f"no built site in {SITE_DIR}: run `python3 tools/course.py build` first "
                    "(or point COURSE_SITE_DIR at a built _build/html)")


#: Types a static host (GitHub Pages, Netlify, nginx's gzip_types) sends compressed.
COMPRESSED_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/xml")


@functools.lru_cache(maxsize=512)
def _gzipped(path: str, mtime_ns: int) -> bytes:
    return gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files like a static host: text types gzip-compressed when the browser accepts it."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".js": "application/javascript",
                      ".svg": "image/svg+xml", ".woff": "font/woff", ".woff2": "font/woff2"}

    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        pass

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        ctype = self.guess_type(str(path))
        if ("gzip" not in self.headers.get("Accept-Encoding", "") or not path.is_file()
                or not ctype.startswith(COMPRESSED_TYPES)):
            return super().do_GET()
        body = _gzipped(str(path), path.stat().st_mtime_ns)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the browser moved on (a page closed mid-load)
            pass


class StaticServer:
    """``http.server`` serving one folder on 127.0.0.1, on a free port, in a daemon thread."""

    def __init__(self, directory: Path):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def site_url():
    """Base URL (ending in ``/``) of the built site served on 127.0.0.1."""
    require_site()
    server = StaticServer(SITE_DIR)
    yield server.url
    server.close()


def record(kind: str, rel: str, value) -> None:
    """Keep one measurement per page in ``<screenshots>/<kind>.json`` (a CI artifact, never asserted on)."""
    merge_json(SCREENSHOT_DIR / f"{kind}.json", {rel: value})


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium (the system's, via playwright); skipped or failed when absent."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the browser tests need the `playwright` Python package: pip install -r requirements.txt")
    if not Path(CHROMIUM).is_file():
        unavailable(f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` "
                    "(or set CHROMIUM=/path/to/chromium) to run the browser tests")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


#: Every URL but the site's own (the server on 127.0.0.1) and those that name no host (data:, blob:, about:).
OTHER_HOSTS = re.compile(r"^(?!http://127\.0\.0\.1:|data:|blob:|about:)")


class PageLog:
    """What one page did: requests to other hosts, failed requests, console errors (and warnings, kept apart:
    ``problems`` leaves them out; tests/browser/test_layout.py asserts there are none on the site's pages)."""

    def __init__(self):
        self.external: list[str] = []
        self.failed: list[str] = []
        self.console_errors: list[str] = []
        self.console_warnings: list[str] = []

    def problems(self) -> list[str]:
        return ([f"request to another host: {u}" for u in self.external]
                + [f"failed request: {u}" for u in self.failed]
                + [f"console error: {m}" for m in self.console_errors])


@pytest.fixture
def page(browser):
    """A fresh page whose requests to any host but 127.0.0.1 are recorded and aborted.

    ``page.log`` is a :class:`PageLog`; a test asserts ``page.log.problems() == []``.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    pg = context.new_page()
    log = PageLog()

    def route(route_obj):
        log.external.append(route_obj.request.url)
        route_obj.abort()

    # Only the requests to other hosts are routed: playwright matches the pattern in its driver, so the site's
    # own requests no longer make a round trip through this process each (test_pages.py proves that a request
    # to another host is still recorded and aborted).
    context.route(OTHER_HOSTS, route)

    def on_failed(request):
        if request.url not in log.external:
            log.failed.append(f"{request.url} ({request.failure})")

    def on_response(response):
        if response.status >= 400:
            log.failed.append(f"{response.url} (HTTP {response.status})")

    pg.on("requestfailed", on_failed)
    pg.on("response", on_response)
    pg.on("console", lambda msg: log.console_errors.append(msg.text) if msg.type == "error" else
          log.console_warnings.append(msg.text) if msg.type == "warning" else None)
    pg.on("pageerror", lambda exc: log.console_errors.append(f"uncaught: {exc}"))
    pg.log = log
    yield pg
    context.close()


@pytest.fixture(scope="module")
def lab_page(browser):
    """One page for a module's JupyterLab tests (tests/browser/lab_driver.py), at a desktop's size."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    yield page
    context.close()
