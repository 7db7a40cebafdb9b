"""The site's build-time math (tools/site_math.py): KaTeX in Node.js, from the repository's npm lock.

The built pages are checked in test_site.py (static) and tests/browser/test_pages.py (in Chromium); these
tests check the renderer itself, without a build: every formula of the chapters renders with no error or
"strict" remark, as HTML labelled for screen readers, lean (no MathML, no class KaTeX's style sheet ignores, each
inline style once per page), and display math is wrapped as Sphinx wraps it for MathJax.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from docutils import nodes

ROOT = Path(__file__).resolve().parent.parent


def load_site_math():
    spec = importlib.util.spec_from_file_location("site_math", ROOT / "tools" / "site_math.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


site_math = load_site_math()


@pytest.fixture(scope="module")
def katex():
    if shutil.which("node") is None or not site_math.KATEX_PACKAGE.is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("node or node_modules/katex missing (CI=true): `python3 tools/course.py build` installs it")
        pytest.skip("node or node_modules/katex missing: `python3 tools/course.py build` runs `npm ci`")
    renderer = site_math.KatexRenderer({"macros": {}})
    yield renderer
    renderer.close()


def block(text: str, nowrap: bool = False) -> nodes.math_block:
    node = nodes.math_block(text, text)
    node["nowrap"] = nowrap
    return node


def test_display_math_is_wrapped_as_sphinx_wraps_it():
    assert site_math.display_tex(block("a = b")) == "a = b"
    # A line break outside any environment: a split (Sphinx does the same for MathJax).
    assert site_math.display_tex(block(r"a &= b \\ c &= d")) == r"\begin{split}a &= b \\ c &= d\end{split}"
    # Inside an environment it stays as it is.
    aligned = r"\begin{aligned} a &= b \\ c &= d \end{aligned}"
    assert site_math.display_tex(block(aligned)) == aligned
    # Parts separated by a blank line are stacked.
    assert site_math.display_tex(block("p = 1\n\nq = 2")) == r"\begin{aligned}p = 1\\q = 2\end{aligned}"
    # amsmath environments: KaTeX must not number them (Sphinx writes the number).
    assert site_math.display_tex(block(r"\begin{align}u &= v\end{align}", nowrap=True)) == \
        r"\begin{align*}u &= v\end{align*}"


def test_a_formula_is_lean_labelled_html(katex):
    tex = r"\operatorname{softmax}(z)_k = \frac{e^{z_k}}{\sum_j   e^{z_j}} < 1"
    raw = katex.render(tex, display=True)["html"]
    assert 'class="katex-display"' in raw and "katex-mathml" not in raw and "<math" not in raw and "∑" in raw
    styles = site_math.PageStyles()
    html = site_math.compact(raw, tex, styles)
    # An image for screen readers, labelled with the TeX (escaped, spaces collapsed).
    label = r"\operatorname{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}} &lt; 1"
    assert f'<span class="katex" role="img" aria-label="{label}">' in html and "aria-hidden" not in html
    # Only classes that KaTeX's style sheet names; mord, mrel ... are gone, katex-html stays.
    classes = {c for attr in re.findall(r' class="([^"]*)"', html) for c in attr.split()}
    assert "mord" in raw and "mord" not in classes and "mrel" not in classes and "katex-html" in classes
    assert classes - site_math.styled_classes() <= {"katex"} | set(styles.names.values())
    # Every inline style is a class, defined once, with the precedence of an inline style.
    assert " style=" in raw and " style=" not in html
    assert len(styles.names) == len(set(re.findall(r' style="([^"]*)"', raw)))
    for style, name in styles.names.items():
        declarations = ";".join(f"{d}!important" for d in style.rstrip(";").split(";"))
        assert f".{name}{{{declarations}}}" in styles.css()
    assert html.count(f'"{styles.name("margin-right:0.2778em;")}"') + \
        html.count(f' {styles.name("margin-right:0.2778em;")}"') == raw.count('style="margin-right:0.2778em;"') > 0
    # Rendered outside a page's body (no page to collect them), the styles stay inline.
    assert ' style="' in site_math.compact(raw, tex, None)


def test_errors_and_strict_remarks_are_reported(katex):
    assert "error" in katex.render(r"\frac{1}{", display=False)
    assert "error" in katex.render(r"\notacommand x", display=False)
    # KaTeX accepts a Unicode letter in math mode only with a "strict" remark: that fails the build too.
    assert "error" in katex.render("é", display=False)


def chapter_math() -> list[tuple[str, str, bool]]:
    """(chapter, TeX, display) for every formula of the book's pages, as MyST parses them."""
    from markdown_it.tree import SyntaxTreeNode
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser
    from myst_parser.mdit_to_docutils.base import DocutilsRenderer

    parser = create_md_parser(MdParserConfig(enable_extensions={"amsmath", "dollarmath", "colon_fence",
                                                                "deflist", "substitution", "attrs_inline"}),
                              DocutilsRenderer)
    found = []
    math_types = ("math_inline", "math_block", "math_block_label", "amsmath", "math_inline_double")

    def walk(text: str, name: str) -> None:
        for node in SyntaxTreeNode(parser.parse(text)).walk():
            if node.type in math_types:
                found.append((name, node.content, node.type != "math_inline"))
            elif node.type in ("fence", "colon_fence") and node.info.startswith("{") and \
                    not node.info.startswith(("{code-cell}", "{literalinclude}")):
                walk(node.content, name)  # a directive's body: {exercise}, {solution}, {note}, ...

    for path in sorted((ROOT / "book").glob("*.md")):
        walk(path.read_text(encoding="utf-8"), path.name)
    return found


def test_every_formula_of_the_book_renders(katex):
    formulas = chapter_math()
    assert len(formulas) > 1000
    problems = []
    for name, tex, display in formulas:
        text = site_math.display_tex(block(tex)) if display else tex
        answer = katex.render(text, display)
        if "error" in answer:
            problems.append(f"{name}: {tex[:80]!r}: {answer['error'][:200]}")
        elif 'class="katex-html"' not in answer["html"] or "<math" in answer["html"]:
            problems.append(f"{name}: {tex[:80]!r}: not KaTeX's HTML alone")
    assert problems == [], "\n".join(problems)


def test_the_renderer_is_the_sites():
    """The site selects this renderer and registers it (no MathJax), with macros from the config."""
    registered = {}
    app = SimpleNamespace(
        add_html_math_renderer=lambda name, inline_renderers, block_renderers: registered.update(name=name),
        add_config_value=lambda name, default, rebuild, types=None: registered.update({name: default}),
        connect=lambda event, handler: None)
    metadata = site_math.setup(app)
    assert registered == {"name": "katex", "katex_macros": {}}
    assert metadata["parallel_read_safe"] and metadata["parallel_write_safe"]


def test_numbered_equations_and_references_in_a_small_book(tmp_path, katex):
    """A labelled $$...$$ and an amsmath environment keep Sphinx's number and permalink; {eq} links to it."""
    from sphinx.application import Sphinx

    (tmp_path / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'tools')!r})\n"
        "extensions = ['myst_parser', 'site_math']\nmyst_enable_extensions = ['amsmath', 'dollarmath']\n"
        "html_math_renderer = 'katex'\nkatex_macros = {r'\\RR': r'\\mathbb{R}'}\n")
    (tmp_path / "index.md").write_text(
        "# Test\n\nInline $x \\in \\RR^d$.\n\n$$\na = b \\\\\nc = d\n$$ (eq-one)\n\nSee {eq}`eq-one`.\n\n"
        "\\begin{align}\nu &= v\n\\end{align}\n")
    app = Sphinx(str(tmp_path), str(tmp_path), str(tmp_path / "_build"), str(tmp_path / "_doctrees"), "html",
                 status=None, warning=None, warningiserror=True)
    app.build()
    html = (tmp_path / "_build" / "index.html").read_text()
    assert '<div class="math notranslate nohighlight" id="equation-eq-one">' in html
    assert '<span class="eqno">(1)<a class="headerlink" href="#equation-eq-one"' in html
    assert '<span class="eqno">(2)' in html and "eqn-num" not in html  # numbered once, by Sphinx
    assert 'href="#equation-eq-one">(1)</a>' in html
    assert 'aria-label="x \\in \\RR^d"' in html and "katex-error" not in html and "<math" not in html
    # The page defines the classes that stand for its formulas' inline styles, in its head.
    used = set(re.findall(r'class="[^"]*\b(kx[0-9a-f]+)\b', html))
    head = html[:html.index("</head>")]
    assert used and all(f".{name}{{" in head for name in used)
    assert not re.search(r'<span class="katex".*? style="', html.split("<body")[1])
    assert 'href="_static/../katex/katex.min.css"' in html
