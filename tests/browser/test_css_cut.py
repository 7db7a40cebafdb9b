"""No rule the site uses was lost when ``tools/site_css.py`` cut the style sheets (PurgeCSS).

Two checks, which together prove that every element of every page, in every state checked, is styled by the
cut style sheets exactly as by the full ones (kept by ``tools/site_css.py`` outside the site, in
``_build/full-css``):

1. **The cut only removes selectors.** Chromium parses each full sheet and its cut version; walking both in
   order, every rule of the cut sheet is the next rule of the full one with the same declarations (or the same
   at-rule, or the same ``@media``/``@supports`` block, walked in turn), and with some of its selectors. Whatever
   else it finds (a changed declaration, a rule out of order, a dropped ``@font-face``) is a failure. What the
   cut left out is a list of *removed selectors*.
2. **No removed selector matches.** Every page of the built site, at a phone's width (390 px) and a desktop's
   (1280 px), in the states a reader puts it in (as loaded, dark mode, the download menu open, on a phone each
   sidebar drawer open, and on the first page a tooltip shown: the header's, the same on every page; the search
   page with its results), is searched for every removed selector of the sheets it loads
   (``document.querySelector``, every element). The states a reader reaches with mouse or keyboard, or another
   browser, are covered by loosening each selector first (:data:`LOOSEN_JS`):
   pseudo-elements, vendor pseudo-classes and the pseudo-classes of a state (``:hover``, ``:focus-visible``,
   ``:checked``...) are dropped, as is a ``:not(...)`` or other functional pseudo-class that mentions one.
   Dropping a part of a selector can only widen what it matches, so "the loosened selector matches nothing"
   implies "the rule applies to nothing, hovered, focused or not".

A rule whose selectors match nothing styles nothing, and removing it changes no other rule's meaning (the
cascade depends on the remaining rules' order and specificity only, which check 1 keeps): so where check 2
finds nothing, the computed styles are the same. This replaces comparing the computed styles of sampled
elements, which only saw the states it set up (it never hovered or focused, and missed the theme's
``:focus-visible`` focus ring that PurgeCSS had dropped) and took minutes.
"""

from __future__ import annotations

import json
import re

import pytest
from course_tools import load_tool

from .conftest import SEARCH_SETTLED_JS, SITE_DIR, StaticServer, require_site, site_pages, unavailable

pytestmark = [pytest.mark.browser]

WIDTHS = (390, 1280)
#: The search page, with a query that finds results on most pages.
SEARCH = "search.html?q=softmax"

SITE_CSS = load_tool("site_css")
FULL_DIR = SITE_DIR.parent / SITE_CSS.FULL_CSS


def pages() -> list[str]:
    """The pages to check (not the root index.html, which only redirects); the search page with a query."""
    found = [rel for rel in site_pages()
             if 'http-equiv="Refresh"' not in (SITE_DIR / rel).read_text(encoding="utf-8", errors="replace")[:2000]]
    return [SEARCH if rel == "search.html" else rel for rel in found]


#: Splits a selector list at its top-level commas (``window.courseSplit``, also used by :data:`LOOSEN_JS`).
SPLIT_JS = """window.courseSplit = (text) => {
  const out = [];
  let depth = 0, quote = null, start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\\\') { i++; continue; }
    if (quote) { if (ch === quote) { quote = null; } continue; }
    if (ch === '"' || ch === "'") { quote = ch; }
    else if (ch === '(' || ch === '[') { depth++; }
    else if (ch === ')' || ch === ']') { depth--; }
    else if (ch === ',' && depth === 0) { out.push(text.slice(start, i).trim()); start = i + 1; }
  }
  out.push(text.slice(start).trim());
  return out;
};"""

#: Check 1: ``{path: {removed: [selector, ...], problems: [...]}}`` for ``[[path, full text, cut text], ...]``.
#: Both texts are parsed by Chromium (constructed style sheets) and walked in order (see the module docstring).
ALIGN_JS = """(sheets) => {
  const split = window.courseSplit;
  const header = rule => rule.cssText.slice(0, rule.cssText.indexOf('{')).trim();
  const grouping = rule => rule.cssRules !== undefined && !(rule instanceof CSSStyleRule) &&
                           !(rule instanceof CSSKeyframesRule);
  const parse = text => { const sheet = new CSSStyleSheet(); sheet.replaceSync(text); return sheet.cssRules; };
  /* A rule the cut left out: every selector in it is removed. */
  const dropAll = (rule, where, found) => {
    if (rule instanceof CSSStyleRule) { split(rule.selectorText).forEach(s => found.removed.push(s)); }
    if (rule instanceof CSSStyleRule || grouping(rule)) {
      Array.from(rule.cssRules || []).forEach(r => dropAll(r, where, found));
    } else {
      found.problems.push(`${where}: the cut dropped a rule that is not a style rule: ${rule.cssText.slice(0, 160)}`);
    }
  };
  /* Whether the cut's rule c is the full rule f with some selectors left out; what is removed goes to found. */
  const same = (f, c, where, found) => {
    if (f.constructor !== c.constructor) { return false; }
    if (f instanceof CSSStyleRule) {
      const selectors = split(f.selectorText), kept = new Set(split(c.selectorText));
      if (f.style.cssText !== c.style.cssText || ![...kept].every(s => selectors.includes(s))) { return false; }
      selectors.filter(s => !kept.has(s)).forEach(s => found.removed.push(s));
    } else if (!grouping(f) && f.cssText !== c.cssText) {
      return false;
    } else if (grouping(f) && header(f) !== header(c)) {
      return false;
    }
    if (!f.cssRules || f instanceof CSSKeyframesRule) { return true; }
    /* A block: the cut's block must be this one, cut (not a later block with the same condition). */
    const inner = walk(f.cssRules, c.cssRules, where + ' > ' + header(f));
    if (inner.problems.length && grouping(f)) { return false; }
    found.removed.push(...inner.removed);
    found.problems.push(...inner.problems);
    return true;
  };
  /* Both lists in order: each cut rule is the next full rule that it can be (greedy). */
  const walk = (fullRules, cutRules, where) => {
    const found = {removed: [], problems: []};
    let j = 0;
    for (const f of Array.from(fullRules)) {
      const c = cutRules[j];
      if (c && same(f, c, where, found)) { j += 1; } else { dropAll(f, where, found); }
    }
    for (; j < cutRules.length; j++) {
      found.problems.push(`${where}: the cut sheet has a rule the full one lacks there: ` +
                          cutRules[j].cssText.slice(0, 160));
    }
    return found;
  };
  const result = {};
  for (const [path, full, cut] of sheets) {
    const found = walk(parse(full), parse(cut), path);
    result[path] = {removed: Array.from(new Set(found.removed)), problems: found.problems};
  }
  return result;
}"""

#: Check 2's loosening (``window.courseLoosen``): the selector without its pseudo-elements, vendor pseudo-classes
#: and pseudo-classes of a state, and without any functional pseudo-class whose argument mentions one. Each drop
#: widens the selector (a compound is the intersection of its parts); a compound left empty becomes ``*``.
LOOSEN_JS = """window.courseLoosen = (() => {
  const STATES = new Set(['hover', 'focus', 'focus-visible', 'focus-within', 'active', 'visited', 'link', 'any-link',
    'target', 'target-within', 'checked', 'indeterminate', 'placeholder-shown', 'autofill', 'default', 'valid',
    'invalid', 'user-valid', 'user-invalid', 'in-range', 'out-of-range', 'popover-open', 'modal', 'fullscreen',
    'open', 'closed', 'playing', 'paused', 'current', 'past', 'future']);
  const ELEMENTS = new Set(['before', 'after', 'first-line', 'first-letter']);  /* also written with one colon */
  const closing = (text, i) => {  /* index of the bracket closing the one at i */
    const open = text[i], close = open === '(' ? ')' : ']';
    let depth = 0, quote = null;
    for (let k = i; k < text.length; k++) {
      const ch = text[k];
      if (ch === '\\\\') { k++; continue; }
      if (quote) { if (ch === quote) { quote = null; } continue; }
      if (ch === '"' || ch === "'") { quote = ch; }
      else if (ch === open) { depth++; }
      else if (ch === close && --depth === 0) { return k; }
    }
    return text.length - 1;
  };
  const strip = selector => {  /* the selector without what widening drops */
    let out = '';
    for (let i = 0; i < selector.length;) {
      const ch = selector[i];
      if (ch === '\\\\') { out += selector.slice(i, i + 2); i += 2; continue; }
      if (ch === '[') { const end = closing(selector, i); out += selector.slice(i, end + 1); i = end + 1; continue; }
      if (ch !== ':') { out += ch; i += 1; continue; }
      const m = /^(::?)(-?[A-Za-z][\\w-]*)/.exec(selector.slice(i));
      if (!m) { out += ch; i += 1; continue; }
      const name = m[2].toLowerCase();
      let end = i + m[0].length, args = null;
      if (selector[end] === '(') {
        const close = closing(selector, end);
        args = selector.slice(end + 1, close);
        end = close + 1;
      }
      const dropped = m[1] === '::' || ELEMENTS.has(name) || name.startsWith('-') || STATES.has(name) ||
                      (args !== null && strip(args) !== args);
      if (!dropped) { out += selector.slice(i, end); }
      i = end;
    }
    return out;
  };
  const loosen = selector => {  /* an emptied compound becomes '*' */
    const out = strip(selector).trim().replace(/([>+~])\\s*(?=[>+~]|$)/g, '$1 * ').replace(/^([>+~])/, '* $1').trim();
    return out === '' ? '*' : out;
  };
  return loosen;
})();"""

#: Check 2's search terms, made once: ``{sheet path: [[selector, loosened, names], ...]}`` for the removed
#: selectors ``{sheet path: [selector, ...]}``. ``names`` are the ``#id``s and ``.class``es that the loosened
#: selector requires outside any bracket or function (an element must carry each for it to match; none when
#: the selector escapes a character: then ``querySelector`` alone decides).
TERMS_JS = """(removed) => {
  const named = loose => loose.includes('\\\\') ? [] :
    (loose.replace(/\\[[^\\]]*\\]/g, '').replace(/\\((?:[^()]|\\([^()]*\\))*\\)/g, '')
          .match(/[.#]-?[_a-zA-Z][\\w-]*/g) || []);
  return Object.fromEntries(Object.entries(removed).map(([path, selectors]) => [path, selectors.map(selector => {
    const loose = window.courseLoosen(selector);
    return [selector, loose, named(loose)];
  })]));
}"""

#: Check 2 on the page as it is now: ``[[sheet, removed selector, loosened, the element it matches], ...]``
#: for the search terms (:data:`TERMS_JS`, in ``window.courseTerms``: :func:`with_terms`) of the sheets the page
#: loads, and how many selectors were searched for. A selector requiring an id or class that no element carries
#: is not handed to ``querySelector``.
MATCH_JS = """() => {
  const terms = window.courseTerms;
  const loaded = new Set(Array.from(document.styleSheets).filter(s => s.href).map(s => new URL(s.href).pathname));
  const present = new Set();
  for (const el of document.querySelectorAll('*')) {
    if (el.id) { present.add('#' + el.id); }
    el.classList.forEach(c => present.add('.' + c));
  }
  const describe = el => el.localName + (el.id ? '#' + el.id : '') +
                         Array.from(el.classList).map(c => '.' + c).join('');
  const found = [];
  let searched = 0;
  for (const [path, entries] of Object.entries(terms)) {
    if (!loaded.has('/' + path)) { continue; }
    for (const [selector, loose, names] of entries) {
      searched += 1;
      if (!names.every(name => present.has(name))) { continue; }
      let el;
      try {
        el = document.querySelector(loose);
      } catch (error) {
        found.push([path, selector, loose, 'unparsable: ' + error.message]);
        continue;
      }
      if (el) { found.push([path, selector, loose, describe(el)]); }
    }
  }
  return {found, searched};
}"""

#: Brings every animation and transition to rest (a drawer or menu in its opened state): finite ones to their
#: end, endless ones to their start.
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

#: Dark mode, as the theme's switch sets it.
DARK_JS = """() => {
  document.documentElement.dataset.mode = 'dark';
  document.documentElement.dataset.theme = 'dark';
}"""


def install_helpers(page) -> None:
    """Define ``window.courseSplit`` and ``window.courseLoosen`` in ``page`` (check 1 and the search terms)."""
    page.evaluate("() => {\n" + SPLIT_JS + "\n" + LOOSEN_JS + "\n}")


def sheets_to_compare() -> list[list[str]]:
    """``[path, full text, cut text]`` for each style sheet the cut changed (tests/test_site.py checks that the
    others are served as their full file)."""
    require_site()
    path = FULL_DIR / SITE_CSS.MANIFEST
    if not path.is_file():
        unavailable(f"no {path}: the site was built without tools/site_css.py (python3 tools/course.py build)")
    sheets = []
    for rel in json.loads(path.read_text()):
        full, cut = (FULL_DIR / rel).read_text(encoding="utf-8"), (SITE_DIR / rel).read_text(encoding="utf-8")
        if full != cut:
            sheets.append([rel, full, cut])
    return sheets


def removed_selectors(page, sheets: list[list[str]]) -> dict[str, list[list]]:
    """Check 1 in ``page``: the removed selectors of each sheet, as check 2's search terms (:data:`TERMS_JS`);
    fails on anything else the cut changed."""
    install_helpers(page)
    result = page.evaluate(ALIGN_JS, sheets)
    problems = [p for entry in result.values() for p in entry["problems"]]
    assert not problems, f"{len(problems)} changes beyond removed selectors, e.g.:\n" + "\n".join(problems[:20])
    return page.evaluate(TERMS_JS, {path: entry["removed"] for path, entry in result.items()})


@pytest.fixture(scope="module")
def removed(browser) -> dict[str, list[list]]:
    page = browser.new_page()
    try:
        return removed_selectors(page, sheets_to_compare())
    finally:
        page.close()


def with_terms(context, terms: dict[str, list[list]]):
    """``context``, whose pages all define ``window.courseTerms`` (check 2's search terms) when they load: sent
    once, not with each search."""
    context.add_init_script(script=f"window.courseTerms = {json.dumps(terms)};")
    return context


def states(page, url: str, width: int, tooltip: bool = True) -> tuple[list[str], int]:
    """Load ``url``, search for the removed selectors in every state; return (what matched, selectors searched).
    The page's context defines the search terms (:func:`with_terms`).

    ``tooltip``: also with the first visible tooltip shown (the header's; the same markup on every page).
    """
    page.goto(url, wait_until="load")
    if "search.html" in url:
        page.wait_for_function(SEARCH_SETTLED_JS, timeout=30000)  # every result and snippet in the page
    problems, searched = [], 0

    def search(state: str) -> None:
        nonlocal searched
        result = page.evaluate(MATCH_JS)
        searched += result["searched"]
        problems.extend(f"{url} {width}px {state}: {sheet}: removed {selector!r} (loosened {loose!r}) matches {el}"
                        for sheet, selector, loose, el in result["found"])

    search("as loaded")
    hover = page.locator('[data-bs-toggle="tooltip"]:visible')
    if tooltip and hover.count():
        hover.first.hover()
        page.wait_for_selector(".tooltip", state="attached", timeout=5000)
        page.evaluate(SETTLE_JS)  # Bootstrap changes its classes when the fade ends
        search("tooltip shown")
        page.mouse.move(-10, -10)
    opened = [(".dropdown-download-buttons button.dropdown-toggle", "download menu open")]
    if width < 960:
        opened += [("button.primary-toggle", "navigation drawer open"),
                   ("button.secondary-toggle", "contents drawer open")]
    for selector, state in opened:
        button = page.locator(f"{selector}:visible")
        if button.count():
            button.first.click()
            page.evaluate(SETTLE_JS)
            search(state)
            page.keyboard.press("Escape")
    page.evaluate(DARK_JS)
    search("dark")
    return problems, searched


@pytest.mark.parametrize("width", WIDTHS)
def test_no_removed_selector_matches_any_page(browser, removed, width):
    assert sum(map(len, removed.values())) > 1000, "the cut removed almost nothing: is the full copy the cut one?"
    assert any(path.endswith("pydata-sphinx-theme.css") for path in removed), "the theme's style sheet was not cut"
    server = StaticServer(SITE_DIR)
    context = browser.new_context(viewport={"width": width, "height": 900}, service_workers="block")
    with_terms(context, removed)
    try:
        page = context.new_page()
        problems, searched = [], 0
        for index, rel in enumerate(pages()):
            found, count = states(page, server.url + rel, width, tooltip=index == 0)
            problems += found
            searched += count
    finally:
        context.close()
        server.close()
    assert searched > 1000 * len(pages()), f"only {searched} selectors searched for"
    assert not problems, f"{len(problems)} removed selectors match, e.g.:\n" + "\n".join(problems[:40])


LOOSENED = [
    (".btn:hover", ".btn"),
    ("a.reference:focus-visible::after", "a.reference"),
    (".sd-tab-set > input:not(:checked, :focus-visible) + label:hover", ".sd-tab-set > input + label"),
    ("input:not(.x):checked", "input:not(.x)"),
    (".nav > :hover > a", ".nav > * > a"),
    (":focus-visible", "*"),
    ("::-moz-selection", "*"),
    ('a[href^="http:"]:visited', 'a[href^="http:"]'),
    (".a:is(.b, :focus) .c:nth-child(2n+1)", ".a .c:nth-child(2n+1)"),
    ("li:first-child:has(> a:active)", "li:first-child"),
    (".katex .vlist-t2 > .vlist-r:nth-child(2) > .vlist", ".katex .vlist-t2 > .vlist-r:nth-child(2) > .vlist"),
]


def test_loosening_only_widens(browser):
    page = browser.new_page()
    try:
        install_helpers(page)
        assert [page.evaluate("(s) => window.courseLoosen(s)", s) for s, _ in LOOSENED] == [w for _, w in LOOSENED]
        assert page.evaluate("() => window.courseSplit('a, b:is(c, d), [title=\"x, y\"]')") == [
            "a", "b:is(c, d)", '[title="x, y"]']
    finally:
        page.close()


def test_a_changed_declaration_is_not_a_removed_selector(browser):
    """Check 1 fails on a cut that changes more than selectors."""
    theme = "_static/styles/pydata-sphinx-theme.css"
    full = (FULL_DIR / theme).read_text(encoding="utf-8")
    changed = full.replace(".btn{", ".btn{color:red;", 1)
    assert changed != full
    page = browser.new_page()
    try:
        with pytest.raises(AssertionError, match="changes beyond removed selectors"):
            removed_selectors(page, [[theme, full, changed]])
    finally:
        page.close()


def test_a_lost_rule_is_found(browser):
    """Check 2 fails on a cut that lost rules the pages use: the theme's ``.btn`` rules (the header's buttons)."""
    theme = "_static/styles/pydata-sphinx-theme.css"
    full = (FULL_DIR / theme).read_text(encoding="utf-8")
    served = (SITE_DIR / theme).read_text(encoding="utf-8")
    lost, count = re.subn(r"(?<=})\.btn\{[^}]*\}", "", served)
    assert count
    server = StaticServer(SITE_DIR)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        with_terms(context, removed_selectors(page, [[theme, full, lost]]))
        problems, _ = states(page, server.url + "genindex.html", 1280)
    finally:
        context.close()
        server.close()
    assert any("removed '.btn'" in line for line in problems), problems[:10]
