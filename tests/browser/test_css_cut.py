"""No rule the site uses was lost when ``tools/site_css.py`` cut the style sheets (PurgeCSS).

Every page of the built site, at a phone's width (390 px) and a desktop's (1280 px), in the states a reader
puts it in: as loaded, in dark mode, with the download menu open, and (on a phone) with each sidebar drawer
open; the search page with its results. Tooltips come and go with the mouse, so the mouse rests outside the
page; an element that leaves the document between the readings is skipped. In each state the computed style
of the sampled elements (every CSS property, and those of their ``::before``/``::after`` where one is drawn)
is taken twice on the same document: with each cut sheet's ``<link>`` joined by a twin loading its full
version (kept by ``tools/site_css.py`` outside the site, in ``_build/full-css``, and served by this test's
route) and the cut sheet turned off; then with the style sheets as served (cut). Both readings must be the
same.

The sample is deterministic: the first element, in document order, of each *shape* -- its tag, id, classes,
the attributes the style sheets select on, its place among its siblings, and the same for its parent and
grandparent -- that no earlier page of the same width and state had. Rules select by exactly those, and a
chapter repeats the same few hundred shapes in thousands of KaTeX spans. Transitions and animations are off
(:data:`STILL_CSS`), so no reading catches one midway.
"""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest
from course_tools import load_tool

from .conftest import SEARCH_SETTLED_JS, SITE_DIR, StaticServer, require_site, site_pages, unavailable

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = (390, 1280)
#: The query parameter that makes this test's route serve a style sheet's full version.
FULL = "course-full-css"
#: The search page, with a query that finds results on most pages.
SEARCH = "search.html?q=softmax"


SITE_CSS = load_tool("site_css")
FULL_DIR = SITE_DIR.parent / SITE_CSS.FULL_CSS


def pages() -> list[str]:
    """The pages to check (not the root index.html, which only redirects); the search page with a query."""
    found = [rel for rel in site_pages()
             if 'http-equiv="Refresh"' not in (SITE_DIR / rel).read_text(encoding="utf-8", errors="replace")[:2000]]
    return [SEARCH if rel == "search.html" else rel for rel in found]


#: Brings every animation and transition to rest: finite ones to their end, endless ones to their start.
SETTLE_JS = """async () => {
  await document.fonts.ready;
  const frames = () => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  await frames();
  for (const animation of document.getAnimations()) {
    const end = animation.effect && animation.effect.getComputedTiming().endTime;
    if (Number.isFinite(end)) { animation.finish(); } else { animation.pause(); animation.currentTime = 0; }
  }
  await frames();
}"""

#: No transitions or animations while the readings are taken: a change of style sheets would start one (a
#: drawer's visibility, a colour) and a reading could catch it midway. Both readings have it alike; only the
#: transition and animation properties themselves are not compared.
STILL_CSS = "*, *::before, *::after { transition: none !important; animation: none !important; }"

#: Gives every cut style sheet's <link> a twin loading its full version, and once all have loaded, turns the cut
#: ones off (full = true); or turns them on again and drops the twins. No moment without the rules: a page
#: without them would lay out anew, and the mouse would leave what it hovers. The style sheet objects are
#: turned off and on, not the <link> elements: a <link> turned on again loads its file anew, later.
SWAP_JS = """async ([cut, full, param]) => {
  const links = Array.from(document.querySelectorAll('link[rel~="stylesheet"]:not([data-course-full])'))
                     .filter(link => cut.includes(new URL(link.href).pathname));
  if (!full) {
    links.forEach(link => { link.sheet.disabled = false; });
    document.querySelectorAll('link[data-course-full]').forEach(twin => twin.remove());
    return links.length;
  }
  await Promise.all(links.map(link => new Promise((done, fail) => {
    const twin = document.createElement('link');
    const url = new URL(link.href);
    url.searchParams.set(param, '1');
    twin.rel = 'stylesheet';
    twin.dataset.courseFull = '';
    twin.onload = done;
    twin.onerror = () => fail(new Error('could not load ' + url.href));
    twin.href = url.href;
    link.after(twin);
  })));
  links.forEach(link => { link.sheet.disabled = true; });
  return links.length;
}"""

#: The sample: the first element of each shape not in ``seen``; returns the shapes it adds.
SAMPLE_JS = """(seen) => {
  const known = new Set(seen);
  const attributes = ['type', 'role', 'open', 'hidden', 'disabled', 'aria-current', 'aria-expanded', 'data-mode',
                      'data-theme', 'data-bs-popper', 'data-popper-placement', 'size', 'multiple', 'title', 'href'];
  const place = el => {
    let i = 1;
    for (let s = el.previousElementSibling; s && i < 4; s = s.previousElementSibling) { i += 1; }
    return i + (el.nextElementSibling ? '' : 'L');
  };
  const one = el => el.tagName + (el.id ? '#' + el.id : '') + '.' + Array.from(el.classList).sort().join('.') +
    attributes.map(a => el.hasAttribute(a) ? `[${a}${a === 'title' || a === 'href' ? '' : '=' + el.getAttribute(a)}]` : '').join('') +
    ':' + place(el);
  const shape = el => [el, el.parentElement, el.parentElement && el.parentElement.parentElement]
    .map(e => e ? one(e) : '').join(' < ');
  window.courseSample = [];
  const added = [];
  for (const el of document.querySelectorAll('*')) {
    const key = shape(el);
    if (known.has(key)) { continue; }
    known.add(key);
    added.push(key);
    window.courseSample.push(el);
  }
  return added;
}"""

#: Reads the computed style of each sampled element (and of its drawn ::before/::after), one string each, into
#: ``window.courseReadings[label]``; returns how many were read. The readings stay in the page (tens of MB as
#: strings), and :data:`DIFF_JS` returns only the elements whose two readings differ. Every element's computed
#: style lists the same standard properties (its custom ones, --pst-..., differ): they are read by name from one
#: list, and custom properties on <html> and <body> only: inherited, they show in every other property that uses
#: them.
STYLES_JS = """(label) => {
  const standard = Array.from(getComputedStyle(document.documentElement)).filter(name => !name.startsWith('--'));
  const read = (style, names) => names.map(name => name + ':' + style.getPropertyValue(name)).join(';');
  const custom = style => Array.from(style).filter(name => name.startsWith('--'));
  window.courseReadings = window.courseReadings || {};
  window.courseReadings[label] = window.courseSample.map(el => {
    if (!el.isConnected) { return null; }  /* gone, e.g. a tooltip that faded out */
    const style = getComputedStyle(el);
    const outer = el === document.documentElement || el === document.body;
    const parts = {self: read(style, outer ? standard.concat(custom(style)) : standard)};
    for (const pseudo of ['::before', '::after']) {
      const drawn = getComputedStyle(el, pseudo);
      if (drawn.content !== 'none' && drawn.content !== 'normal') { parts[pseudo] = read(drawn, standard); }
    }
    return parts;
  });
  return window.courseReadings[label].length;
}"""

#: The elements whose two readings differ: ``[index in the sample, reading a, reading b]`` each.
DIFF_JS = """([a, b]) => {
  const first = window.courseReadings[a], second = window.courseReadings[b];
  const same = (x, y) => Object.keys(x).length === Object.keys(y).length && Object.keys(x).every(k => x[k] === y[k]);
  const found = [];
  first.forEach((x, i) => { const y = second[i]; if (x && y && !same(x, y)) { found.push([i, x, y]); } });
  delete window.courseReadings[a];
  delete window.courseReadings[b];
  return found;
}"""

#: Dark mode, as the theme's switch sets it.
DARK_JS = """() => { document.documentElement.dataset.mode = 'dark'; document.documentElement.dataset.theme = 'dark'; }"""


def differences(keys: list[str], found: list[list]) -> list[str]:
    """One line per property whose value differs between the cut and full readings, for the elements
    :data:`DIFF_JS` found (``[index into keys, cut reading, full reading]`` each)."""
    lines = []
    for index, a, b in found:
        for part in sorted(set(a) | set(b)):
            left = dict(p.split(":", 1) for p in a.get(part, "").split(";") if ":" in p)
            right = dict(p.split(":", 1) for p in b.get(part, "").split(";") if ":" in p)
            for name in sorted(set(left) | set(right)):
                if left.get(name) != right.get(name):
                    lines.append(f"{keys[index]} {part if part != 'self' else ''} {name}: cut {left.get(name)!r}, "
                                 f"full {right.get(name)!r}")
    return lines


@pytest.fixture(scope="module")
def manifest() -> dict:
    require_site()
    path = FULL_DIR / SITE_CSS.MANIFEST
    if not path.is_file():
        unavailable(f"no {path}: the site was built without tools/site_css.py (python3 tools/course.py build)")
    return json.loads(path.read_text())


def open_context(browser, width: int):
    """A browser context at ``width`` whose requests with ``?course-full-css`` get the full style sheet."""
    context = browser.new_context(viewport={"width": width, "height": 900}, service_workers="block")

    def route(route_obj):
        url = urllib.parse.urlsplit(route_obj.request.url)
        if not route_obj.request.url.startswith("http://127.0.0.1:"):
            return route_obj.abort()
        if FULL in urllib.parse.parse_qs(url.query):
            return route_obj.fulfill(path=str(FULL_DIR / urllib.parse.unquote(url.path).lstrip("/")),
                                     content_type="text/css")
        return route_obj.continue_()

    context.route("**/*", route)
    return context


def compare_states(page, url: str, cut: list[str], width: int, seen: dict[str, set]) -> tuple[list[str], int]:
    """Load ``url`` and compare cut and full styles in every state; return (differences, elements compared)."""
    page.goto(url, wait_until="load")
    if "search.html" in url:
        page.wait_for_function(SEARCH_SETTLED_JS, timeout=30000)  # no result or snippet arrives between readings
    page.add_style_tag(content=STILL_CSS)
    problems, compared = [], 0

    def reading(state: str) -> None:
        nonlocal compared
        page.evaluate(SETTLE_JS)
        keys = page.evaluate(SAMPLE_JS, sorted(seen.setdefault(state, set())))
        if not keys:
            return  # every element's shape was compared on an earlier page in this state
        seen[state] |= set(keys)
        # Full first, then cut: each reading follows a change of style sheets, the same way.
        assert page.evaluate(SWAP_JS, [cut, True, FULL]) > 0, f"{url}: no cut style sheet on the page"
        page.evaluate(SETTLE_JS)
        page.evaluate(STYLES_JS, "full")
        page.evaluate(SWAP_JS, [cut, False, FULL])
        page.evaluate(SETTLE_JS)
        assert page.evaluate(STYLES_JS, "cut") == len(keys)
        compared += len(keys)
        found = page.evaluate(DIFF_JS, ["cut", "full"])
        problems.extend(f"{url} {width}px {state}: {line}" for line in differences(keys, found))

    reading("as loaded")
    opened = [(".dropdown-download-buttons button.dropdown-toggle", "download menu open")]
    if width < 960:
        opened += [("button.primary-toggle", "navigation drawer open"), ("button.secondary-toggle", "contents drawer open")]
    for selector, state in opened:
        button = page.locator(f"{selector}:visible")
        if button.count():
            button.first.click()
            page.mouse.move(-10, -10)  # over nothing: no hover, no tooltip (they come and go with the mouse)
            reading(state)
            page.keyboard.press("Escape")
    page.evaluate(DARK_JS)
    reading("dark")
    return problems, compared


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("width", WIDTHS)
def test_cut_style_sheets_style_every_page_as_the_full_ones(browser, manifest, width):
    cut = ["/" + rel for rel, entry in manifest.items() if entry["cut_bytes"] != entry["full_bytes"]]
    assert any(path.endswith("pydata-sphinx-theme.css") for path in cut), "the theme's style sheet was not cut"
    server = StaticServer(SITE_DIR)
    context = open_context(browser, width)
    try:
        page = context.new_page()
        problems, compared, seen = [], 0, {}
        for rel in pages():
            found, count = compare_states(page, server.url + rel, cut, width, seen)
            problems += found
            compared += count
    finally:
        context.close()
        server.close()
    assert compared > 1000, f"only {compared} elements compared"
    assert not problems, f"{len(problems)} differences, e.g.:\n" + "\n".join(problems[:40])


def test_the_comparison_sees_a_lost_rule(browser, manifest):
    """The check can fail: with the theme's rules for the header's buttons removed from the "full" side, the two
    readings of a page differ."""
    server = StaticServer(SITE_DIR)
    context = open_context(browser, 1280)
    theme = "_static/styles/pydata-sphinx-theme.css"
    full = (FULL_DIR / theme).read_text(encoding="utf-8")
    served = (SITE_DIR / theme).read_text(encoding="utf-8")
    # The cut sheet, served as if it were the full one, but with its .btn rules dropped.
    broken = served.replace(".btn{", ".course-no-such-class{")
    assert broken != served and ".btn{" in full

    def serve_broken(route_obj):
        route_obj.fulfill(body=broken, content_type="text/css")

    context.route(re.compile(rf"/{re.escape(theme)}\?.*\b{FULL}="), serve_broken)  # before the context's own route
    try:
        page = context.new_page()
        problems, compared = compare_states(page, server.url + "genindex.html", ["/" + theme], 1280, {})
    finally:
        context.close()
        server.close()
    assert compared > 50
    assert any(".btn" in line or "BUTTON" in line for line in problems), problems[:10]
