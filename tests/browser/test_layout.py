"""Every page of the built site on phones, tablets and desktops, in light and dark mode.

* Layout, at 360, 390, 768 and 1280 px: the document is no wider than the viewport, no visible element
  sticks out of it (unless it sits inside a scroll frame that itself fits), and every display equation
  and table either fits its box or sits in a visible scroll frame (shadows or a border). No part of a formula
  is cut off: each piece of a formula lies inside the first box around it that clips, unless that box
  scrolls (issue 19: an inline formula in a folded solution lost its "= 0" on a phone). On a desktop every
  display equation fits the text column: none needs a scroll bar there. On a phone (up to 390 px) no table and
  no cell output scrolls sideways; only code may (:data:`SCROLL_ALLOWED`). The page logs no console warning.
* Accessibility: axe-core (``tests/browser/node_modules``, installed by ``npm ci`` from the lock in this
  folder, injected from disk) finds no serious or critical violation in light and dark mode, and none at
  all of the rules our templates and CSS control.
* Figures: the smallest text of every figure, at the width the page shows it, is at least 9 px on desktops,
  a tablet and a phone (sub- and superscripts: 70% of that, TeX's script size); on a phone, multi-panel
  figures show their stacked rendering and fit the column.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .conftest import SITE_DIR, WAIT_FONTS_JS, record, require_site, save_screenshot, site_pages, unavailable

pytestmark = pytest.mark.browser

WIDTHS = (360, 390, 768, 1280)
PAGES = [rel for rel in site_pages()
         if 'http-equiv="Refresh"' not in (SITE_DIR / rel).read_text(encoding="utf-8", errors="replace")[:2000]]

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
#: Rules whose violations come from markup or CSS the course controls (templates, course.css, chapters):
#: none is allowed at any impact.
OUR_RULES = {"course-math-colour", "label-content-name-mismatch", "summary-name", "region", "empty-table-header",
             "scrollable-region-focusable", "button-name", "link-name", "image-alt", "color-contrast",
             "landmark-unique", "heading-order", "duplicate-id", "aria-allowed-attr"}

#: Smallest figure text, in CSS pixels at the width the page shows the figure, on a 1280 px desktop.
MIN_FIGURE_FONT_PX = 9.0


#: After a resize: wait for the theme's transitions (its sidebars slide for 250-400 ms, and the text column
#: changes width meanwhile), then let course.js recheck its scroll frames on the settled layout.
#: "Ended" is read from each animation's ``playState``, every frame, not from its ``finished`` promise: Chromium
#: leaves that promise pending for some transitions whose ``playState`` is already "finished" (the code blocks'
#: copy buttons after a mode switch), which made every such wait last its full 3 s. A paused
#: animation changes nothing while it stays paused, so only running ones are waited for; one that starts
#: meanwhile (course.js reacting to the resize) is waited for too.
SETTLE_JS = """async () => {
  const frame = () => new Promise(done => requestAnimationFrame(done));
  const frames = async () => { await frame(); await frame(); };
  await frames();
  const finite = a => a.effect && Number.isFinite(a.effect.getComputedTiming().endTime);
  const moving = () => document.getAnimations().some(a => finite(a) && (a.pending || a.playState === 'running'));
  /* At most 3 s: the theme's slides last 0.4 s. */
  const start = performance.now();
  while (moving() && performance.now() - start < 3000) { await frame(); }
  await frames();
  if (window.courseLayout) { window.courseLayout.update(); }
}"""

#: Elements that stick out of the viewport, and equations/tables that neither fit nor scroll visibly.
OVERFLOW_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
      ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
  const shown = el => {
    for (let p = el; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.display === 'none' || s.visibility === 'hidden' || p.hidden) return false;
      if (p.tagName === 'DIALOG' && !p.open) return false;
    }
    return true;
  };
  const clippedInside = el => {  /* an ancestor that clips or scrolls sideways and itself fits */
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX) && p.getBoundingClientRect().right <= vw + 1) {
        return true;
      }
    }
    return false;
  };
  const inDrawer = el => {  /* the theme's off-canvas sidebars: fixed and moved out by a transform */
    for (let p = el; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.position === 'fixed' && s.transform !== 'none') return true;
    }
    return false;
  };
  const sticking = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.katex-mathml')) continue;  /* MathML for screen readers, clipped to nothing */
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right <= vw + 1) continue;  /* (off-canvas drawers wait left of 0, where no one can scroll) */
    if (clippedInside(el) || !shown(el) || inDrawer(el)) continue;
    sticking.push(describe(el) + ' spans ' + Math.round(r.left) + '..' + Math.round(r.right));
    if (sticking.length > 10) break;
  }
  const framed = el => {
    const s = getComputedStyle(el);
    return ['auto', 'scroll'].includes(s.overflowX) &&
      (s.backgroundImage.includes('gradient') || parseFloat(s.borderLeftWidth) > 0);
  };
  const unframed = [], scrolling = [];
  for (const el of document.querySelectorAll('.bd-article div.math, .bd-article table')) {
    if (!shown(el)) continue;
    const box = el.tagName === 'TABLE' ? el.parentElement : el;
    const inner = el.tagName === 'TABLE' ? el.getBoundingClientRect().width : el.scrollWidth;
    if (inner <= box.clientWidth + 1) continue;
    scrolling.push(describe(el));
    if (!framed(box)) unframed.push(describe(el));
  }
  /* Pieces of formulas (KaTeX's unbreakable runs, equation numbers) cut off by a box that clips and does
     not scroll (or by the window's edge when none clips). */
  const clippedMath = [];
  for (const piece of document.querySelectorAll('.bd-article .katex-base, .bd-article .katex .tag')) {
    if (!shown(piece)) continue;
    const r = piece.getBoundingClientRect();
    if (r.width === 0) continue;
    let right = vw, left = 0, scrolls = false;
    for (let p = piece.parentElement; p && p !== document.documentElement; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.overflowX === 'visible') continue;
      scrolls = ['auto', 'scroll'].includes(s.overflowX);
      const box = p.getBoundingClientRect();
      right = box.right; left = box.left;
      break;
    }
    if (!scrolls && (r.right > right + 1 || r.left < left - 1)) {
      clippedMath.push(describe(piece.closest('.math') || piece) + ' spans ' + Math.round(r.left) + '..' +
                       Math.round(r.right) + ', its box ' + Math.round(left) + '..' + Math.round(right));
      if (clippedMath.length > 10) break;
    }
  }
  /* Boxes that scroll sideways: a table's frame, a box in a cell's output, a code block. Figures are left to
     test_figure_text_is_legible (a wide plot keeps a legible size and scrolls). */
  const sideways = [];
  for (const el of document.querySelectorAll('.bd-article .pst-scrollable-table-container, .bd-article table, ' +
                                             '.bd-article .cell_output *, .bd-article pre')) {
    if (el.scrollWidth <= el.clientWidth + 1 || el.closest('figure, .katex')) continue;
    if (!['auto', 'scroll'].includes(getComputedStyle(el).overflowX) || !shown(el)) continue;
    const kind = el.closest('.cell_output') ? 'output' : el.tagName === 'PRE' ? 'code' : 'table';
    sideways.push({kind, what: describe(el) + ' ' + el.scrollWidth + ' px in ' + el.clientWidth});
  }
  const wideDisplays = Array.from(document.querySelectorAll('.bd-article div.math'))
    .filter(el => shown(el) && el.scrollWidth > el.clientWidth + 1)
    .map(el => describe(el) + ' ' + el.scrollWidth + ' px in ' + el.clientWidth);
  return {docWidth: document.documentElement.scrollWidth, viewport: vw, sticking, unframed, scrolling,
          clippedMath, wideDisplays, sideways};
}"""

#: From this width on (a desktop) every display equation must fit the text column.
DESKTOP = 1200
#: Up to this width (phones) no table and no cell output scrolls sideways (issue 19): tables show each row as a
#: block (course.css, tools/site_theme.py), printed output wraps.
PHONE_FIT = 390
#: What may still scroll sideways on a phone (the ``kind`` OVERFLOW_JS gives each box), and why it must.
SCROLL_ALLOWED = {
    "code": "a line of code (a cell's source, a shell command, a JSON file) keeps its line breaks: wrapped, "
            "Python's indentation and where a command ends would read wrong",
}


#: Everything a reader can unfold, unfolded: the folded solutions (sphinx-togglebutton) and <details>.
OPEN_ALL_JS = """() => {
  document.querySelectorAll('.bd-article button.toggle-button[aria-expanded="false"]').forEach(b => b.click());
  document.querySelectorAll('.bd-article details').forEach(d => { d.open = true; });
}"""


@pytest.mark.parametrize("rel", PAGES or ["(no built site)"])
def test_page_fits_every_width(rel, page, site_url, screenshot_dir):
    require_site()
    page.goto(site_url + rel, wait_until="load")
    page.evaluate(WAIT_FONTS_JS)
    page.evaluate(OPEN_ALL_JS)
    # Measure the settled layout: no transition (e.g. a drawer fading out after a resize) in flight.
    page.add_style_tag(content="*, *::before, *::after { transition: none !important; animation: none !important; }")
    report = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.evaluate(SETTLE_JS)
        r = page.evaluate(OVERFLOW_JS)
        report[width] = r
        assert r["sticking"] == [], f"{rel} at {width} px: elements stick out of the viewport: {r['sticking']}"
        assert r["docWidth"] <= r["viewport"], f"{rel} at {width} px: the page is {r['docWidth']} px wide"
        assert r["unframed"] == [], f"{rel} at {width} px: equations/tables that are cut off: {r['unframed']}"
        assert r["clippedMath"] == [], f"{rel} at {width} px: formulas cut off: {r['clippedMath']}"
        if width <= PHONE_FIT:
            scrolling = [box["what"] for box in r["sideways"] if box["kind"] not in SCROLL_ALLOWED]
            assert scrolling == [], f"{rel} at {width} px: tables or outputs that scroll sideways: {scrolling}"
        if width >= DESKTOP:
            assert r["wideDisplays"] == [], \
                f"{rel} at {width} px: display equations wider than the text column: {r['wideDisplays']}"
        if width == 360:
            name = rel.removesuffix(".html").replace("/", "__") + "@360.jpg"
            save_screenshot(page, screenshot_dir / name)
    record("layout", rel, {w: len(r["scrolling"]) for w, r in report.items()})
    assert page.log.console_warnings == [], f"{rel}: console warnings: {page.log.console_warnings}"


#: Math whose colour is not its text's: an element inside KaTeX's rendering whose colour differs from that of
#: the text around the formula, or that paints a background of its own.
MATH_COLOUR_JS = """() => {
  const found = [];
  for (const math of document.querySelectorAll('.katex')) {
    const text = getComputedStyle(math.parentElement).color;
    for (const el of math.querySelectorAll('.katex-html, .katex-html *')) {
      const s = getComputedStyle(el);
      if (s.color !== text || s.backgroundColor !== 'rgba(0, 0, 0, 0)') {
        found.push(math.getAttribute('aria-label') + ': ' + s.color + ' on ' + s.backgroundColor + ', text ' + text);
        break;
      }
    }
    if (found.length > 5) break;
  }
  return found;
}"""


#: Swaps each piece of a formula's rendering (a KaTeX ``.katex-base``: what a line may break between) for one
#: empty box of the same width, height and depth, and checks that no element outside the formulas moved (to a
#: hundredth of a pixel). Returns the elements that moved (none), after putting everything back if any did;
#: ``window.courseRestoreMath()`` puts the renderings back (the same nodes: the page is as before).
MATH_STAND_INS_JS = """() => {
  const outside = Array.from(document.querySelectorAll('body *')).filter(el => !el.closest('.katex-html'));
  const boxes = () => outside.map(el => {
    const r = el.getBoundingClientRect();
    return [r.left, r.top, r.width, r.height];
  });
  const before = boxes();
  const bases = Array.from(document.querySelectorAll('.katex-html > .katex-base'));
  const sizes = bases.map(base => {
    /* KaTeX's strut: an empty inline-block as tall as the piece, lowered by its depth below the baseline
       (its vertical-align, in pixels; "baseline" when the piece has no depth). */
    const box = base.getBoundingClientRect(), strut = base.querySelector(':scope > .katex-strut');
    const lowered = strut ? parseFloat(getComputedStyle(strut).verticalAlign) || 0 : 0;
    const baseline = strut ? strut.getBoundingClientRect().bottom + lowered : box.bottom;
    return [box.width, box.height, box.bottom - baseline];
  });
  const saved = bases.map(base => Array.from(base.childNodes));
  bases.forEach((base, i) => {
    const [width, height, depth] = sizes[i], box = document.createElement('span');
    box.style.cssText = `display: inline-block; width: ${width}px; height: ${height}px; vertical-align: ${-depth}px`;
    base.replaceChildren(box);
  });
  window.courseRestoreMath = () => bases.forEach((base, i) => base.replaceChildren(...saved[i]));
  const after = boxes();
  const moved = outside.filter((el, i) => before[i].some((v, j) => Math.abs(v - after[i][j]) > 0.01))
    .slice(0, 5).map(el => `${el.localName}.${el.className}`);
  if (moved.length) { window.courseRestoreMath(); }
  return moved;
}"""


def run_axe(page) -> list[dict]:
    """axe-core's violations on the page, and math drawn in another colour than its text (as a violation).

    KaTeX's rendering (``.katex-html``) is left out of axe's run: it is the inside of a ``role="img"`` whose
    label is the formula's TeX, so assistive technology reads the label, not the thousands of spans. What axe
    would still check there is the spans' contrast: :data:`MATH_COLOUR_JS` checks instead that they are in the
    colour of the text around them, whose contrast axe checks.

    Left out, those spans (on a chapter three quarters of the page's elements) still cost axe most of its time:
    it walks the whole document for each rule. So while axe runs, :data:`MATH_STAND_INS_JS` puts empty boxes of
    the same size in their place, and fails the test if any other element moved: axe sees the page laid out
    exactly as the reader does. Measured on chapter 4 (axe-core 4.14): 3.3 s a run with the spans, 1.4 s without.
    """
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(path=str(AXE))
    moved = page.evaluate(MATH_STAND_INS_JS)
    assert moved == [], f"the stand-ins for the math moved other elements (fix MATH_STAND_INS_JS): {moved}"
    try:
        result = page.evaluate("""() => axe.run({exclude: [['.katex-html']]}, {resultTypes: ['violations']})
          .then(r => r.violations.map(v => ({id: v.id, impact: v.impact,
                                             nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))""")
    finally:
        page.evaluate("() => window.courseRestoreMath()")
    recoloured = page.evaluate(MATH_COLOUR_JS)
    if recoloured:
        result.append({"id": "course-math-colour", "impact": "serious", "nodes": recoloured})
    return result


@pytest.mark.parametrize("rel", PAGES or ["(no built site)"])
def test_axe_light_and_dark(rel, page, site_url):
    require_site()
    if not AXE.is_file():
        unavailable(f"axe-core is not installed: run `npm ci` in {AXE.parents[2]} "
                    "(python3 tools/course.py test does it)")
    problems = []
    # Light on a phone, then dark on a desktop: the theme switch only changes data-theme (and remembers it).
    # Both runs are full: most rules check only what is shown, and width and mode change what is shown (drawers,
    # the secondary sidebar, only-light/only-dark images); color-contrast, three quarters of axe's time, must
    # run in both modes anyway.
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(site_url + rel, wait_until="load")
    page.evaluate(WAIT_FONTS_JS)
    for mode, width in (("light", 390), ("dark", 1280)):
        page.evaluate("""(m) => { localStorage.setItem('mode', m); localStorage.setItem('theme', m);
            document.documentElement.dataset.mode = m; document.documentElement.dataset.theme = m; }""", mode)
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate(SETTLE_JS)
        assert page.evaluate("() => getComputedStyle(document.documentElement).colorScheme").startswith(mode)
        for v in run_axe(page):
            if v["impact"] in ("serious", "critical") or v["id"] in OUR_RULES:
                problems.append(f"{mode} {width}px: {v['id']} ({v['impact']}) at {v['nodes']}")
    assert problems == [], f"{rel}:\n" + "\n".join(problems)


def test_math_in_another_colour_than_its_text_is_a_violation(page, site_url):
    """axe leaves KaTeX's spans out; the colour check that stands in for its contrast check can fail."""
    require_site()
    page.goto(site_url + "book/notation.html", wait_until="load")
    assert not [v for v in run_axe(page) if v["id"] == "course-math-colour"]
    page.add_style_tag(content=".katex-html > span span { color: #bbb; }")
    assert [v for v in run_axe(page) if v["id"] == "course-math-colour"]


@pytest.mark.parametrize("width", [390, 1280])
def test_math_stand_ins_keep_the_layout_and_are_put_back(page, site_url, width):
    """The stand-ins leave a chapter's other elements where they were and take out most of its elements; the math
    is the same afterwards. Boxes 3 px too tall are found (and the math put back at once)."""
    require_site()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(site_url + "book/04_gradient_derivation.html", wait_until="load")
    page.evaluate(WAIT_FONTS_JS)
    count = "() => document.getElementsByTagName('*').length"
    body = "() => Array.from(document.querySelectorAll('.katex-html'), math => math.innerHTML)"
    elements, html = page.evaluate(count), page.evaluate(body)
    assert page.evaluate(MATH_STAND_INS_JS) == []
    assert page.evaluate(count) < elements / 2
    page.evaluate("() => window.courseRestoreMath()")
    assert page.evaluate(count) == elements and page.evaluate(body) == html
    too_tall = MATH_STAND_INS_JS.replace("height: ${height}px", "height: ${height + 3}px")
    assert too_tall != MATH_STAND_INS_JS and page.evaluate(too_tall) != []
    assert page.evaluate(count) == elements and page.evaluate(body) == html


FIGURES_JS = """() => Array.from(document.querySelectorAll('.bd-article img'))
  .filter(img => /_images\\/.*\\.(svg|png)$/.test(new URL(img.currentSrc || img.src).pathname))
  .map(img => {
    const box = img.closest('figure') || img.parentElement, picture = img.closest('picture.course-panels');
    return {src: img.currentSrc || img.src, width: img.getBoundingClientRect().width, natural: img.naturalWidth,
            box: box.clientWidth, id: box.id || img.alt.slice(0, 40), alt: img.alt,
            framed: !!img.closest('.course-wide-figure'), panels: picture ? Number(picture.dataset.panels) : 0,
            stacked: picture ? picture.querySelector('source').srcset : null};
  })"""

_FONT_SIZE = re.compile(r"font(?:-size)?\s*:\s*(?:[a-z]+\s+)*([0-9.]+)px")


#: The group matplotlib writes for each Axes (``axes_1`` ...; ``panel_1`` ... for ``Panels``' panels).
_AXES_GROUP = re.compile(r"(?:axes|panel)_\d+")


def axes_count(svg_text: str) -> int:
    """How many panels a matplotlib SVG draws: its Axes groups, less colour bars (an Axes with ticks on one
    axis only; a panel has ticks on both, or none, as an image or a diagram)."""
    count = 0
    for el in ET.fromstring(svg_text).iter():
        if el.tag.rsplit("}", 1)[-1] != "g" or not _AXES_GROUP.fullmatch(el.get("id") or ""):
            continue
        ids = [g.get("id") or "" for g in el.iter()]
        ticks = {axis for axis in "xy" if any(i.startswith(f"{axis}tick_") for i in ids)}
        count += len(ticks) != 1
    return count


def smallest_svg_font(svg_text: str) -> tuple[float, float, float]:
    """(smallest text, smallest sub/superscript, width of the viewBox), all in the SVG's user units.

    matplotlib writes each label as one ``<text>`` of ``<tspan>`` runs; in a label with math, the runs
    smaller than the label's largest are its sub- and superscripts (mathtext sets them at 70%, as TeX does).
    """
    root = ET.fromstring(svg_text)
    view_width = float(root.get("viewBox").split()[2])
    mains, scripts = [], []
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] != "text":
            continue
        sizes = [float(m) for part in el.iter() if (part.text or "").strip() or part is el
                 for m in _FONT_SIZE.findall(part.get("style", ""))]
        if not sizes:
            continue
        mains.append(max(sizes))
        scripts += [size for size in sizes if size < max(sizes)]
    inf = float("inf")
    return (min(mains) if mains else inf), (min(scripts) if scripts else inf), view_width


#: Sub- and superscripts may be as small as TeX's script style: 70% of the smallest text.
SCRIPT_RATIO = 0.7


#: Figures that fit a phone's column whole (no scroll frame), and why they must.
FIT_ON_PHONE = {"fig-confusion": "a matrix of counts is read row against column: scrolled, its labels leave the view"}

#: Where the figures are measured: desktops (1280 px; 1200 px, whose secondary sidebar leaves the narrowest
#: desktop column), a tablet and a phone.
FIGURE_WIDTHS = (1280, 1200, 768, 360)
PHONE = 360


@pytest.mark.parametrize("rel", [p for p in PAGES if "_images/" in (SITE_DIR / p).read_text(encoding="utf-8")]
                         or ["(no figures)"])
def test_figure_text_is_legible(rel, page, site_url):
    """Each matplotlib figure is an SVG whose smallest text is >= 9 CSS px at the width the page shows it, on
    desktops, a tablet and a 360 px phone. On the phone a multi-panel figure shows its stacked rendering (the
    ``<picture>`` of ``lecture_lib.plotting.Panels``) and fits the column: a figure with several Axes shown
    side by side in a sideways-scroll frame fails. Only a single wide figure may keep 70% and scroll, and none
    of :data:`FIT_ON_PHONE` (the confusion matrix)."""
    require_site()
    if rel == "(no figures)":
        pytest.skip("no page shows a figure")
    page.goto(site_url + rel, wait_until="load")
    page.evaluate(LOAD_ALL_IMAGES_JS)
    smallest: dict[str, dict[int, float]] = {}
    svg_fonts, svg_axes, problems = {}, {}, []
    for width in FIGURE_WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate(SETTLE_JS)
        page.evaluate(LOAD_ALL_IMAGES_JS)
        figures = page.evaluate(FIGURES_JS)
        assert figures, f"{rel}: no figure found"
        for fig in figures:
            assert fig["src"].endswith(".svg"), f"{rel}: {fig['src']} is a raster image; figures are SVG"
            if fig["src"] not in svg_fonts:
                text = page.evaluate("(u) => fetch(u).then(r => r.text())", fig["src"])
                svg_fonts[fig["src"]], svg_axes[fig["src"]] = smallest_svg_font(text), axes_count(text)
            size, script, view_width = svg_fonts[fig["src"]]
            scale = fig["width"] / view_width
            smallest.setdefault(fig["src"].rsplit("/", 1)[-1], {})[width] = (round(size * scale, 2),
                                                                             round(script * scale, 2))
            if fig["panels"]:
                assert len(fig["alt"]) >= 20, f"{rel}: the multi-panel figure {fig['id']} lost its alt text"
            if width != PHONE:
                continue
            if svg_axes[fig["src"]] > 1 and (fig["framed"] or fig["width"] > fig["box"] + 1):
                problems.append(f"{fig['id']}: {svg_axes[fig['src']]} panels shown side by side, "
                                f"{fig['width']:.0f} px in a {fig['box']} px column (draw it with Panels)")
            if fig["id"] in FIT_ON_PHONE and (fig["framed"] or fig["width"] > fig["box"] + 1):
                problems.append(f"{fig['id']}: {fig['width']:.0f} px in a {fig['box']} px column, scrolls; "
                                f"it must fit ({FIT_ON_PHONE[fig['id']]})")
            if fig["panels"] and not fig["src"].endswith(fig["stacked"].rsplit("/", 1)[-1]):
                problems.append(f"{fig['id']}: shows {fig['src'].rsplit('/', 1)[-1]}, not its stacked rendering")
    record("figure-font-px", rel, smallest)
    assert not problems, f"{rel} at {PHONE} px: " + "; ".join(problems)
    too_small = {name: px for name, px in smallest.items()
                 if min(t for t, _ in px.values()) < MIN_FIGURE_FONT_PX
                 or min(s for _, s in px.values()) < SCRIPT_RATIO * MIN_FIGURE_FONT_PX}
    assert not too_small, (f"{rel}: figure text below {MIN_FIGURE_FONT_PX} px, or scripts below "
                           f"{SCRIPT_RATIO * MIN_FIGURE_FONT_PX:.1f} px (width: (text, script)): {too_small}")


LOAD_ALL_IMAGES_JS = """async () => {
  const images = Array.from(document.images);
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener('load', done); img.addEventListener('error', done); })));
}"""


#: Records every element that takes the focus from now on, as it shows the focus: its running transitions are
#: brought to their end first (a focus ring that fades in is judged as it ends up, not at its first frame).
#: Focus leaving the page (after its last stop, Tab moves to the browser) ends the record.
RECORD_FOCUS_JS = """() => {
  window.courseFocus = {stops: [], left: false};
  window.addEventListener('blur', () => { window.courseFocus.left = true; });
  document.addEventListener('focusin', (event) => {
    const el = event.target;
    if (window.courseFocus.left || !(el instanceof Element)) return;
    el.getAnimations().forEach((a) => a.finish());
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    window.courseFocus.stops.push({
      what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + (el.textContent || '').trim().slice(0, 30),
      outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2, shadow: s.boxShadow !== 'none',
      onScreen: r.width > 0 && r.height > 0});
  });
}"""

#: How many Tab stops are checked from the top of each page.
TAB_STOPS = 40


def focus_stops(page, url: str) -> list[dict]:
    """The first :data:`TAB_STOPS` elements that Tab focuses on the page at ``url``, as :data:`RECORD_FOCUS_JS`
    records them. The page records each stop as the focus arrives, so a Tab costs one round trip."""
    page.goto(url, wait_until="load")
    page.evaluate(WAIT_FONTS_JS)
    page.evaluate(RECORD_FOCUS_JS)
    for _ in range(TAB_STOPS):
        page.keyboard.press("Tab")
    return page.evaluate("() => window.courseFocus.stops")[:TAB_STOPS]


def unseen_focus(stops: list[dict]) -> list[str]:
    """The stops shown on screen with neither an outline nor a focus ring."""
    return [f["what"] for f in stops if f["onScreen"] and not (f["outline"] or f["shadow"])]


@pytest.mark.parametrize("rel", PAGES or ["(no built site)"])
def test_keyboard_focus_is_visible(rel, page, site_url):
    """Tab through the page's first :data:`TAB_STOPS` stops: each focused element shows an outline (or a focus
    ring)."""
    require_site()
    stops = focus_stops(page, site_url + rel)
    assert len(stops) >= 5, f"{rel}: only {len(stops)} elements take the keyboard focus"
    assert unseen_focus(stops) == [], f"{rel}: focus not visible on {unseen_focus(stops)}"


def test_a_focus_without_outline_or_ring_is_seen(page, site_url):
    """The focus check fails on a page whose focus styles are removed."""
    require_site()
    page.add_init_script("""document.addEventListener('DOMContentLoaded', () => {
      const style = document.createElement('style');
      style.textContent = '*:focus, *:focus-visible { outline: none !important; box-shadow: none !important; }';
      document.head.append(style); });""")
    stops = focus_stops(page, site_url + "book/intro.html")
    assert stops and len(unseen_focus(stops)) == len([f for f in stops if f["onScreen"]]) > 0
