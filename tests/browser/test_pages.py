"""Every page of the built site, opened in headless Chromium.

For each page: no request to another host, no failed request, no console error; every formula rendered
at build time by KaTeX, as HTML that screen readers read as an image labelled with its TeX, and no math
JavaScript loaded (no raw TeX left in the visible text, no KaTeX error); every image loaded;
every internal link leads to an existing page (and anchor); a full-page screenshot is saved (not on CI:
``conftest.TAKE_SCREENSHOTS``). The built-in search page must find "softmax" offline.

Weight: everything a page loads cold, from the browser's own network log (CDP ``Network`` events, encoded
bytes as served by a host that gzips text, like GitHub Pages), within 1.2 MB; no icon set twice (no
fontawesome.js next to the web fonts) and no math JavaScript.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from .conftest import SEARCH_SETTLED_JS, SITE_DIR, WAIT_FONTS_JS, record, require_site, save_screenshot, site_pages

pytestmark = pytest.mark.browser

PAGES = site_pages()

#: Budget for one page with everything it loads, as sent (the test server gzips text like a static host).
MAX_PAGE_BYTES = 1_200_000


def network_log(page) -> dict[str, dict]:
    """Chromium's network log of ``page`` from now on, cache disabled: ``{request id: {url, encoded, decoded}}``
    (``encoded``: bytes on the wire, once the request has finished)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    log: dict[str, dict] = {}

    def entry(event: dict) -> dict:
        return log.setdefault(event["requestId"], {"url": "?", "encoded": None, "decoded": 0})

    cdp.on("Network.responseReceived", lambda e: entry(e).__setitem__("url", e["response"]["url"]))
    cdp.on("Network.dataReceived", lambda e: entry(e).__setitem__("decoded", entry(e)["decoded"] + e["dataLength"]))
    cdp.on("Network.loadingFinished", lambda e: entry(e).__setitem__("encoded", e["encodedDataLength"]))
    return log

#: TeX that would mean a formula was not rendered (checked in the visible text outside code blocks and
#: outside KaTeX's MathML, whose annotation holds the TeX source): delimiters, environments, commands, and a
#: $...$ pair around something with a backslash, ^ or _ in it.
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{|\\frac\{|\$[^$\s][^$]{0,80}?[\\^_][^$]{0,80}?\$")

VISIBLE_TEXT_JS = """() => {
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, textarea, .katex-mathml, .highlight, [hidden]')
       .forEach(el => el.remove());
  return clone.textContent;
}"""

LOAD_IMAGES_JS = """async () => {
  const images = Array.from(document.images);
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener('load', done); img.addEventListener('error', done);
  })));
  return images.filter(img => !(img.naturalWidth > 0)).map(img => img.currentSrc || img.src);
}"""

#: Every formula as served: KaTeX's HTML, for screen readers an image (role="img") labelled with its TeX.
MATH_REPORT_JS = """() => {
  const math = Array.from(document.querySelectorAll('span.math, div.math'));
  const text = el => el.textContent.slice(0, 80);
  return {
    total: math.length,
    unrendered: math.filter(el => !el.querySelector('.katex .katex-html')).map(text),
    unreadable: math.filter(el => { const k = el.querySelector('.katex');
                                    return !k || k.getAttribute('role') !== 'img' ||
                                           !(k.getAttribute('aria-label') || '').trim(); }).map(text),
    errors: Array.from(document.querySelectorAll('.katex-error')).map(text),
    scripts: Array.from(document.scripts, s => s.src || s.textContent.slice(0, 200))
                  .filter(s => /mathjax|katex|\\\\\\(/i.test(s)),
    globals: ['MathJax', 'katex', 'renderMathInElement'].filter(name => name in window),
  };
}"""


class LinkChecker:
    """Fetch internal targets once per session and remember their status and element ids."""

    ID_RE = re.compile(r"""\b(?:id|name)\s*=\s*["']([^"']+)["']""")

    def __init__(self):
        self.cache: dict[str, tuple[int, set[str] | None]] = {}
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy

    def target(self, url: str) -> tuple[int, set[str] | None]:
        if url not in self.cache:
            try:
                with self.opener.open(url, timeout=10) as response:
                    status, body = response.status, response.read()
                    is_html = response.headers.get_content_type() == "text/html"
            except urllib.error.HTTPError as exc:
                status, body, is_html = exc.code, b"", False
            ids = set(self.ID_RE.findall(body.decode("utf-8", "replace"))) if is_html else None
            self.cache[url] = (status, ids)
        return self.cache[url]

    def problems(self, links: list[str], site_url: str) -> list[str]:
        found = []
        for link in sorted(set(links)):
            if not link.startswith(site_url):
                continue
            base, _, fragment = link.partition("#")
            status, ids = self.target(base)
            if status != 200:
                found.append(f"broken link {link} (HTTP {status})")
            elif fragment and ids is not None and urllib.parse.unquote(fragment) not in ids:
                found.append(f"missing anchor #{fragment} in {base}")
        return found


@pytest.fixture(scope="session")
def link_checker():
    return LinkChecker()


def is_redirect(rel: str) -> bool:
    """Jupyter Book's root index.html is a meta-refresh redirect to the first page."""
    return 'http-equiv="Refresh"' in (SITE_DIR / rel).read_text(encoding="utf-8", errors="replace")[:2000]


@pytest.mark.parametrize("rel", PAGES or ["(no built site)"])
def test_page(rel, page, site_url, screenshot_dir, link_checker):
    require_site()
    url = site_url + rel
    if is_redirect(rel):
        target = re.search(r'url=([^"]+)"', (SITE_DIR / rel).read_text())
        assert target, f"{rel}: redirect without a target"
        assert link_checker.problems([urllib.parse.urljoin(url, target.group(1))], site_url) == []
        return
    network = network_log(page)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{rel}: HTTP {response and response.status}"

    math = page.evaluate(MATH_REPORT_JS)
    assert math["unrendered"] == [], f"{rel}: math not rendered by KaTeX: {math['unrendered']}"
    assert math["unreadable"] == [], f"{rel}: math without a label for screen readers: {math['unreadable']}"
    assert math["errors"] == [], f"{rel}: KaTeX errors: {math['errors']}"
    assert math["scripts"] == [] and math["globals"] == [], f"{rel}: math JavaScript: {math}"
    raw_tex = sorted(set(RAW_TEX.findall(page.evaluate(VISIBLE_TEXT_JS))))
    assert raw_tex == [], f"{rel}: raw TeX in the visible text: {raw_tex}"

    broken_images = page.evaluate(LOAD_IMAGES_JS)
    assert broken_images == [], f"{rel}: images that did not load: {broken_images}"

    name = rel.removesuffix(".html").replace("/", "__") + ".jpg"
    save_screenshot(page, screenshot_dir / name)

    links = page.evaluate("() => Array.from(document.querySelectorAll('a[href]'), a => a.href)")
    broken_links = link_checker.problems(links, site_url)
    assert not broken_links, f"{rel}:\n" + "\n".join(broken_links)
    page.evaluate(WAIT_FONTS_JS)
    page.wait_for_load_state("networkidle")  # late requests (fonts, lazy scripts) are in the logs
    problems = page.log.problems()
    assert not problems, f"{rel}:\n" + "\n".join(problems)

    loaded = [r for r in network.values() if r["encoded"] is not None]
    total, raw = sum(r["encoded"] for r in loaded), sum(r["decoded"] for r in loaded)
    record("page-weight", rel, {"requests": len(loaded), "encoded_bytes": total, "decoded_bytes": raw})
    urls = [r["url"] for r in loaded]
    assert not [u for u in urls if "fontawesome.js" in u], f"{rel}: loads fontawesome.js next to the web fonts"
    assert not [u for u in urls if re.search(r"mathjax|katex[^/]*\.js", u, re.IGNORECASE)], \
        f"{rel}: loads math JavaScript: {urls}"
    assert len(loaded) >= 5, f"{rel}: the network log saw only {urls}"
    assert total <= MAX_PAGE_BYTES, (f"{rel} loads {total:,} bytes in {len(loaded)} requests: "
                                     + ", ".join(f"{r['url'].rsplit('/', 1)[-1]} {r['encoded']:,}"
                                                 for r in sorted(loaded, key=lambda r: -r["encoded"])[:8]))


def test_a_request_to_another_host_is_recorded_and_aborted(page, site_url):
    """The ``page`` fixture routes only URLs of other hosts (conftest.OTHER_HOSTS): such a request is aborted and
    listed among the page's problems, while the site's own requests pass untouched. ``localhost`` is another host
    too (only 127.0.0.1 is the site), though it names the very server: the fetch fails only if it is aborted."""
    require_site()
    page.goto(site_url + "book/notation.html", wait_until="load")
    assert page.log.problems() == [], page.log.problems()
    other = site_url.replace("127.0.0.1", "localhost") + "book/notation.html"
    outcome = page.evaluate("(u) => fetch(u, {mode: 'no-cors'}).then(() => 'reached', () => 'failed')", other)
    assert outcome == "failed", f"a request to {other} was not aborted: {outcome}"
    assert page.log.external == [other]
    assert f"request to another host: {other}" in page.log.problems()
    page.evaluate("(u) => { const img = new Image(); img.src = u; document.body.append(img); }",
                  "https://example.org/pixel.png")
    page.wait_for_function("() => document.images[document.images.length - 1].complete")
    assert page.log.external == [other, "https://example.org/pixel.png"]


def test_search_finds_softmax_offline(page, site_url):
    """Sphinx's built-in search (searchindex.js, no server) returns pages for "softmax"."""
    require_site()
    page.goto(site_url + "search.html?q=softmax", wait_until="load")
    page.wait_for_function(SEARCH_SETTLED_JS, timeout=30000)
    results = page.evaluate("() => Array.from(document.querySelectorAll('#search-results li a'), a => a.href)")
    assert results, "the search page listed no result for 'softmax'"
    assert all(r.startswith(site_url) for r in results), results
    problems = page.log.problems()
    assert not problems, "\n".join(problems)


EXERCISE_PAGES = [rel for rel in PAGES if 'class="solution dropdown' in (SITE_DIR / rel).read_text(encoding="utf-8")]

#: The folded solutions of the page: visible body?, the toggle's state, and whether the toggle has the focus.
SOLUTIONS_JS = """() => Array.from(document.querySelectorAll('.bd-article .solution.dropdown')).map(el => {
  const body = el.querySelector(':scope > section');
  const button = el.querySelector(':scope > .admonition-title button.toggle-button');
  return {id: el.id, shown: !!body && body.checkVisibility() && body.getBoundingClientRect().height > 0,
          button: !!button, expanded: button ? button.getAttribute('aria-expanded') : null,
          focused: !!button && document.activeElement === button,
          title: (el.querySelector(':scope > .admonition-title') || {}).textContent || ''};
})"""


@pytest.mark.parametrize("rel", EXERCISE_PAGES or ["(no exercises)"])
def test_solutions_are_folded_until_opened_by_keyboard(rel, page, site_url):
    """Each self-study solution is hidden until its toggle is used; the toggle is a button in the tab order
    (reached by Tab from the exercise before it) that Enter opens and closes."""
    require_site()
    if rel == "(no exercises)":
        pytest.skip("no page has a folded solution")
    page.goto(site_url + rel, wait_until="load")
    solutions = page.evaluate(SOLUTIONS_JS)
    assert solutions, f"{rel}: no folded solution found"
    for i, solution in enumerate(solutions):
        assert solution["button"], f"{rel}: solution {solution['id']} has no toggle button"
        assert not solution["shown"] and solution["expanded"] == "false", f"{rel}: {solution['id']} starts open"
        assert solution["title"].strip().startswith("Solution to"), f"{rel}: {solution['title']!r}"
        # Keyboard: focus the link of the exercise this solution answers, then Tab to the toggle.
        page.locator(".bd-article .solution.dropdown").nth(i).locator(".admonition-title a").first.focus()
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate(SOLUTIONS_JS)[i]["focused"]:
                break
        else:
            pytest.fail(f"{rel}: Tab never reaches the toggle of {solution['id']}")
        page.keyboard.press("Enter")
        opened = page.evaluate(SOLUTIONS_JS)[i]
        assert opened["shown"] and opened["expanded"] == "true", f"{rel}: Enter does not open {solution['id']}"
        page.keyboard.press("Enter")
        closed = page.evaluate(SOLUTIONS_JS)[i]
        assert not closed["shown"] and closed["expanded"] == "false", f"{rel}: Enter does not close it again"


#: The code point of every Font Awesome icon the page draws (its ::before content), and the font it asks for.
ICONS_JS = """() => {
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    const before = getComputedStyle(el, '::before');
    if (!/Font Awesome/.test(before.fontFamily) || !before.content || before.content === 'none') continue;
    const text = before.content.replace(/^"|"$/g, '');
    if (!text) continue;
    found.push({what: el.tagName.toLowerCase() + '.' + String(el.className).trim().split(/\\s+/).join('.'),
                code: text.codePointAt(0), weight: before.fontWeight, family: before.fontFamily});
  }
  return found;
}"""


@pytest.fixture(scope="module")
def icon_glyphs():
    """Code points in each of the site's Font Awesome fonts (as served: trimmed by tools/site_icons.py)."""
    from fontTools.ttLib import TTFont

    folder = SITE_DIR / "_static" / "vendor" / "fontawesome" / "webfonts"
    glyphs = {}
    for path in folder.glob("*.woff2"):
        with TTFont(str(path)) as font:
            glyphs[path.stem] = set(font.getBestCmap())
    return glyphs


@pytest.mark.parametrize("rel", [rel for rel in PAGES if 'http-equiv="Refresh"' not in
                                 (SITE_DIR / rel).read_text(encoding="utf-8", errors="replace")[:2000]]
                         or ["(no built site)"])
def test_every_icon_has_its_glyph(rel, page, site_url, icon_glyphs):
    """Each icon the page draws with Font Awesome has its glyph in the font the browser uses for it (solid 900,
    regular 400, brands): the fonts are trimmed to the icons the site uses, so an icon left out would show
    as an empty box."""
    require_site()
    page.goto(site_url + rel, wait_until="load")
    missing = []
    for icon in page.evaluate(ICONS_JS):
        font = ("fa-brands-400" if "Brands" in icon["family"] else
                "fa-solid-900" if str(icon["weight"]) == "900" else "fa-regular-400")
        if icon["code"] not in icon_glyphs.get(font, set()):
            missing.append(f"{icon['what']} U+{icon['code']:04X} ({font})")
    assert not missing, f"{rel}: icons without a glyph: {sorted(set(missing))}"


# --- the search page -----------------------------------------------------------------------------------

#: Raw TeX in a snippet: a control word (\frac, \mathbf, \sigma) or a math delimiter (\( \) \[ \] $$).
RAW_TEX = re.compile(r"\\[A-Za-z]+|\\[()\[\]]|\$\$")


def test_search_snippets_show_no_raw_latex(page, site_url):
    """The snippet under each result is readable text: equations as text (``Z = XW + b``), not TeX source."""
    require_site()
    page.goto(site_url + "search.html?q=softmax", wait_until="load")
    page.wait_for_function(SEARCH_SETTLED_JS, timeout=30000)
    snippets = page.evaluate("() => Array.from(document.querySelectorAll('#search-results li p.context'), "
                             "p => p.textContent)")
    assert len(snippets) >= 5, f"only {len(snippets)} results for 'softmax'"
    raw = [s for s in snippets if RAW_TEX.search(s)]
    assert not raw, "snippets with raw LaTeX:\n" + "\n".join(raw)
    assert not [s for s in snippets if s.lstrip(".").startswith("Contents")], "the page's own contents list"
    assert page.evaluate(r"() => window.courseSearch.texToText('\\(\\sigma(z) = \\frac{1}{1 + e^{-z}}\\)')") == \
        "σ(z) = 1/(1 + e^-z)"
    problems = page.log.problems()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", [1280, 390])
def test_search_icon_does_not_cover_the_text(page, site_url, width):
    require_site()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(site_url + "search.html?q=softmax", wait_until="load")
    box = page.evaluate("""() => { const form = document.querySelector('[role="main"] form.bd-search, .bd-search-container form.bd-search');
        const icon = form.querySelector('.fa-magnifying-glass'), input = form.querySelector('input');
        const i = icon.getBoundingClientRect(), r = input.getBoundingClientRect();
        return {iconRight: i.right, iconWidth: i.width,
                textLeft: r.left + parseFloat(getComputedStyle(input).paddingLeft)}; }""")
    assert box["iconWidth"] > 0, "no search icon"
    assert box["iconRight"] <= box["textLeft"], f"the icon covers the typed text: {box}"


def test_search_index_loads_on_the_search_page_only(page, site_url):
    """searchindex.js (the whole site's index) is fetched by the search page, not by every page."""
    require_site()
    loaded = []
    page.on("request", lambda request: loaded.append(request.url))
    page.goto(site_url + "book/01_modeling.html", wait_until="load")
    assert not [u for u in loaded if "searchindex.js" in u or "searchtools.js" in u], loaded
    page.goto(site_url + "search.html?q=softmax", wait_until="load")
    assert [u for u in loaded if "searchindex.js" in u]


# --- the .ipynb download ----------------------------------------------------------------------------------


@pytest.mark.parametrize("opened", ["http", "file"])
@pytest.mark.parametrize("button, name", [("notebook", "01_modeling.ipynb"), ("source", "01_modeling.md")])
def test_download_menu_saves_the_file(browser, site_url, opened, button, name):
    """The page's .ipynb (and .md) button saves the file (a download with its name and the published bytes, not
    a new tab, no navigation), from the site served over HTTP and from the site opened from disk (file://).

    From disk Chromium ignores the download attribute (a file: page has an opaque origin) and would show the
    notebook's JSON: course.js saves the file from its script copy (tools/notebook_pages.py) there."""
    require_site()
    url = (site_url + "book/01_modeling.html" if opened == "http"
           else (SITE_DIR / "book" / "01_modeling.html").as_uri())
    context = browser.new_context(accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(url, wait_until="load")
        page.locator(".dropdown-download-buttons button.dropdown-toggle").click()
        link = page.locator(f"a.btn-download-{button}-button")
        assert link.get_attribute("download") is not None and link.get_attribute("target") is None
        with page.expect_download(timeout=15000) as info:
            link.click()
        download = info.value
        assert download.suggested_filename == name
        published = SITE_DIR / "_sources" / "book" / name
        assert Path(download.path()).read_bytes() == published.read_bytes(), "not the published file"
        if name.endswith(".ipynb"):
            assert json.loads(published.read_text())["cells"], "an empty notebook"
        assert len(context.pages) == 1 and page.url == url, "the download opened a tab or left the page"
    finally:
        context.close()


# --- dark mode: the widgets follow the theme ------------------------------------------------------------

WIDGET_COLOURS_JS = """(selector) => {
  const widget = document.querySelector(selector), card = widget.parentElement;
  const lum = (c) => { const [r, g, b] = c.match(/[\\d.]+/g).map(Number);
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const bg = getComputedStyle(card).backgroundColor, alpha = (bg.match(/[\\d.]+/g) || [0, 0, 0, 0])[3];
  return {text: lum(getComputedStyle(widget).color), cardBackground: bg,
          cardTransparent: bg === 'transparent' || alpha === '0'};
}"""


@pytest.mark.parametrize("rel, selector", [("book/01_modeling.html", ".softmax-explorer"),
                                           ("book/04_gradient_derivation.html", ".softmax-trainer")])
def test_widgets_follow_dark_mode(page, site_url, rel, selector):
    require_site()
    page.goto(site_url + rel, wait_until="load")
    for mode in ("light", "dark"):
        page.evaluate("""(m) => { localStorage.setItem('mode', m); localStorage.setItem('theme', m);
            document.documentElement.dataset.mode = m; document.documentElement.dataset.theme = m; }""", mode)
        colours = page.evaluate(WIDGET_COLOURS_JS, selector)
        if mode == "dark":
            assert colours["text"] > 0.4, f"{selector}: dark text in dark mode ({colours})"
            assert colours["cardTransparent"], f"{selector} sits on a light card in dark mode ({colours})"
        else:
            assert colours["text"] < 0.2, f"{selector}: light text in light mode ({colours})"
