"""Sphinx extension: every formula rendered at build time by KaTeX, so the pages run no math JavaScript.

Each ``math`` and ``math_block`` node (MyST's ``$...$``, ``$$...$$``, ``$$...$$ (label)``, amsmath
environments, and the same in Markdown outputs of notebook cells) is rendered by KaTeX into HTML and written
into the page. The browser only needs KaTeX's style sheet and fonts, which ``tools/prebuild_vendor.py``
copies from ``node_modules/katex`` into ``_build/vendor/katex`` (served as ``<site>/katex/``).

What a page carries per formula is kept small (issue 21: a chapter page within 1.2 MB unpacked), without
changing what the eye sees:

* HTML only (KaTeX's ``output: "html"``). KaTeX's default also writes MathML for screen readers next to it,
  which doubled no formula's look but a quarter of the page; instead the formula is an image for assistive
  technology, ``role="img"`` with its TeX source as ``aria-label`` (what a screen reader reads, and what the
  search page's snippets show, made readable by ``course.js``).
* Classes that no rule of KaTeX's style sheet names (``mord``, ``mrel``, ``mtight``... MathML's vocabulary,
  there for KaTeX's own bookkeeping) are dropped: :func:`styled_classes`.
* Each distinct inline ``style`` of a page's formulas (KaTeX writes the same few hundred heights, shifts
  and spaces thousands of times) becomes a short class, ``kx0``, ``kx1``..., defined once in a ``<style>``
  in the page's head with ``!important``, which gives it the precedence the inline style had
  (:class:`PageStyles`). Formulas rendered outside a page's body (a title in the navigation) keep theirs.

KaTeX itself runs in Node.js: one ``node tools/katex_render.js`` process per Sphinx process, fed one formula
a line. KaTeX's version is pinned by the repository's ``package-lock.json`` (``npm ci``, run by
``tools/course.py`` before the build). A formula KaTeX cannot parse, or one it would only accept with a
"strict" remark, is a Sphinx warning, so it fails the build (``--warningiserror``) naming the page.

Configuration (``sphinx: config:`` in ``_config.yml``):

* ``html_math_renderer: katex`` selects this renderer (Sphinx would prefer it over MathJax anyway);
* ``katex_macros``: a dict of TeX macros, e.g. ``{"\\\\R": "\\\\mathbb{R}"}``, for commands KaTeX lacks.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "katex_render.js"
KATEX_PACKAGE = ROOT / "node_modules" / "katex" / "package.json"
#: KaTeX's style sheet, as npm installed it: which of its HTML's classes matter (:func:`styled_classes`).
KATEX_STYLESHEET = ROOT / "node_modules" / "katex" / "dist" / "katex.min.css"
#: Where the page links KaTeX's style sheet: relative to ``_static/``, as ``html_css_files`` are.
CSS_FILE = "../katex/katex.min.css"

#: KaTeX's options for every formula (``katex_render.js`` adds the display mode and the strictness): HTML
#: without MathML, labelled by :func:`compact`.
OPTIONS = {"output": "html"}

logger = logging.getLogger(__name__)


class KatexRenderer:
    """One Node.js process running KaTeX; ``render`` sends a formula and reads back its HTML."""

    def __init__(self, options: dict):
        node = shutil.which("node")
        if node is None:
            raise ExtensionError("Node.js (`node`) is needed to render the math: apt-get install nodejs npm")
        if not KATEX_PACKAGE.is_file():
            raise ExtensionError(f"KaTeX is not installed in {KATEX_PACKAGE.parent.parent}: run "
                                 "`npm ci` at the repository root (`python3 tools/course.py build` does)")
        self.version = json.loads(KATEX_PACKAGE.read_text())["version"]
        self.process = subprocess.Popen([node, str(SCRIPT), json.dumps({**OPTIONS, **options})], cwd=ROOT, text=True,
                                        encoding="utf-8", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.cache: dict[tuple[str, bool], dict] = {}
        self.lock = threading.Lock()

    def render(self, tex: str, display: bool) -> dict:
        """``{"html": ...}`` or ``{"error": ...}`` for one formula."""
        key = (tex, display)
        with self.lock:
            if key not in self.cache:
                self.process.stdin.write(json.dumps({"tex": tex, "display": display}) + "\n")
                self.process.stdin.flush()
                line = self.process.stdout.readline()
                if not line:
                    raise ExtensionError(f"the KaTeX process ended (exit status {self.process.poll()})")
                self.cache[key] = json.loads(line)
            return self.cache[key]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()


_renderers: dict[int, KatexRenderer] = {}  # per process id: a parallel build forks its writers


def renderer(config) -> KatexRenderer:
    pid = os.getpid()
    if pid not in _renderers:
        _renderers[pid] = KatexRenderer({"macros": dict(config.katex_macros or {})})
    return _renderers[pid]


@functools.cache
def styled_classes() -> frozenset[str]:
    """Every class that a selector of KaTeX's style sheet names: the others change nothing on the screen."""
    return frozenset(re.findall(r"\.(-?[A-Za-z_][\w-]*)", KATEX_STYLESHEET.read_text(encoding="utf-8")))


#: Prefix of the classes that stand for inline styles (no style sheet of the site has a class starting so).
STYLE_CLASS = "kx"
CLASS_ATTR = re.compile(r' class="([^"]*)"')
#: An inline style, with the class attribute before it (KaTeX writes ``class`` first, then ``style``).
STYLE_ATTR = re.compile(r'( class="([^"]*)")? style="([^"]*)"')


class PageStyles:
    """The inline styles of one page's formulas, each a class: ``kx0``, ``kx1``... in order of appearance."""

    def __init__(self):
        self.names: dict[str, str] = {}

    def name(self, style: str) -> str:
        if style not in self.names:
            self.names[style] = f"{STYLE_CLASS}{len(self.names):x}"
        return self.names[style]

    def css(self) -> str:
        """The rules, ``!important`` as an inline style would win over KaTeX's rules (it has no ``!important``)."""
        rules = []
        for style, name in self.names.items():
            declarations = ";".join(f"{d.strip()}!important" for d in style.split(";") if d.strip())
            rules.append(f".{name}{{{declarations}}}")
        return "".join(rules)


def compact(katex_html: str, tex: str, styles: PageStyles | None) -> str:
    """KaTeX's HTML for one formula, leaner and labelled (see the module's docstring).

    ``styles``: where the page collects its inline styles as classes; None keeps them inline.
    """
    keep = styled_classes()

    def classes(match: re.Match) -> str:
        kept = [c for c in match[1].split() if c in keep or c.startswith("katex")]
        return f' class="{" ".join(kept)}"' if kept else ""

    def style(match: re.Match) -> str:
        names = ([match[2]] if match[1] else []) + [styles.name(match[3])]
        return f' class="{" ".join(names)}"'

    out = CLASS_ATTR.sub(classes, katex_html)
    if styles is not None:
        out = STYLE_ATTR.sub(style, out)
    out = out.replace('<span class="katex-html" aria-hidden="true">', '<span class="katex-html">', 1)
    label = html.escape(" ".join(tex.split()), quote=True)
    return out.replace('<span class="katex">', f'<span class="katex" role="img" aria-label="{label}">', 1)


_page_styles: dict[tuple[int, str], PageStyles] = {}  # (process id, page name) -> its formulas' styles


def page_styles(translator) -> PageStyles | None:
    """The styles of the page whose body ``translator`` writes; None when it renders a lone node (a title)."""
    builder = translator.builder
    writer = getattr(builder, "docwriter", None)
    if writer is None or getattr(writer, "visitor", None) is not translator:
        return None
    return _page_styles.setdefault((os.getpid(), builder.current_docname), PageStyles())


def render(translator, node, tex: str, display: bool) -> str:
    """The formula's HTML; on a KaTeX error, a warning at the node (fails the build) and the TeX as text."""
    answer = renderer(translator.builder.config).render(tex, display)
    if "html" in answer:
        return compact(answer["html"], tex, page_styles(translator))
    logger.warning("KaTeX cannot render %r: %s", tex, answer["error"], location=node,
                   type="katex", subtype="render")
    return f'<span class="katex-error" title="{html.escape(answer["error"])}">{html.escape(tex)}</span>'


#: amsmath environments that KaTeX would number: rendered as their starred (unnumbered) forms.
NUMBERED_ENV = re.compile(r"\\(begin|end)\{(equation|align|alignat|gather|multline|flalign)\}")


def _has_top_level_newline(tex: str) -> bool:
    r"""Whether ``\\`` occurs outside every ``\begin{...}...\end{...}`` of ``tex``."""
    depth, i = 0, 0
    while i < len(tex):
        if tex.startswith(r"\begin{", i):
            depth, i = depth + 1, i + 7
        elif tex.startswith(r"\end{", i):
            depth, i = depth - 1, i + 5
        elif tex.startswith("\\\\", i):
            if depth == 0:
                return True
            i += 2
        elif tex[i] == "\\":
            i += 2  # an escaped character, e.g. \{ or \\ handled above
        else:
            i += 1
    return False


def display_tex(node) -> str:
    r"""The TeX of a display formula, wrapped as Sphinx wraps it for MathJax.

    Parts separated by a blank line are stacked and aligned (``aligned``); a part with a line break ``\\``
    outside any environment becomes a ``split``. ``nowrap`` blocks (amsmath environments) go as they are.
    """
    text = node.astext()
    if node.get("nowrap"):
        # KaTeX numbers the rows of align, gather, equation ... itself (MathJax, with its default tags: none,
        # did not): the number is Sphinx's, written beside the formula as for $$...$$ (label).
        return NUMBERED_ENV.sub(r"\\\1{\2*}", text)
    parts = [part for part in text.split("\n\n") if part.strip()]
    parts = [rf"\begin{{split}}{p}\end{{split}}" if _has_top_level_newline(p) else p for p in parts]
    if len(parts) > 1:
        return r"\begin{aligned}" + r"\\".join(parts) + r"\end{aligned}"
    return parts[0] if parts else ""


def html_visit_math(self, node: nodes.math) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math notranslate nohighlight"))
    self.body.append(render(self, node, node.astext(), display=False))
    self.body.append("</span>")
    raise nodes.SkipNode


def html_visit_displaymath(self, node: nodes.math_block) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node.get("number"):  # as sphinx.ext.mathjax: the number, with its permalink, before the formula
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    self.body.append(render(self, node, display_tex(node), display=True))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def add_stylesheet(app, pagename, templatename, context, doctree) -> None:
    """KaTeX's style sheet on the pages that show math (the fonts load only where a glyph needs them)."""
    if doctree is not None and app.builder.math_renderer_name == "katex" and \
            next(iter(doctree.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block)))), None):
        app.add_css_file(CSS_FILE, priority=400)  # before the theme's and course.css, which adjust it


def add_page_styles(app, pagename, templatename, context, doctree) -> None:
    """The classes that stand for the page's inline math styles, defined in its head."""
    styles = _page_styles.pop((os.getpid(), pagename), None)
    if styles is not None and styles.names:
        context["metatags"] = context.get("metatags", "") + f"\n<style>{styles.css()}</style>"


def close_renderers(app, exception) -> None:
    renderer_ = _renderers.pop(os.getpid(), None)
    if renderer_ is not None:
        renderer_.close()


def setup(app):
    app.add_html_math_renderer("katex", inline_renderers=(html_visit_math, None),
                               block_renderers=(html_visit_displaymath, None))
    app.add_config_value("katex_macros", {}, "env", types=[dict])
    app.connect("html-page-context", add_stylesheet)
    app.connect("html-page-context", add_page_styles)
    app.connect("build-finished", close_renderers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
