"""Static checks of the built site (no browser needed): self-contained, math rendered at build time, buttons present.

The site is ``_build/html`` (built by ``python3 tools/course.py test`` before pytest) or the folder named
by ``COURSE_SITE_DIR`` (built from the book in ``COURSE_BOOK_DIR``, default this checkout). Without a
built site these tests are skipped -- except on CI (``CI=true``), where they fail. The browser tests in
``tests/browser/`` check what the pages actually request.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from course_tools import WHEEL, load_tool

ROOT = Path(__file__).resolve().parent.parent
SITE_DIR = Path(os.environ.get("COURSE_SITE_DIR", ROOT / "_build" / "html")).resolve()
#: The book the site was built from (differs from ROOT only when testing a site built from a copy).
BOOK_DIR = Path(os.environ.get("COURSE_BOOK_DIR", ROOT)).resolve()
ASSET_FOLDERS = {"_static", "_sources", "_images", "katex", "_downloads", "_panels_static"}
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())

#: Hosts the site must never name in a page (the widget and thebe loaders of the toolchain use them).
CDN_WORDS = ("unpkg.com", "jsdelivr", "cdnjs", "googleapis", "cloudflare", "mathjax.org/")
REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)

#: (tag, attribute) pairs through which a browser loads something.
LOADING_ATTRIBUTES = {("script", "src"), ("img", "src"), ("img", "srcset"), ("source", "src"), ("source", "srcset"),
                      ("iframe", "src"), ("video", "src"), ("video", "poster"), ("audio", "src"), ("embed", "src"),
                      ("object", "data"), ("track", "src"), ("input", "src")}
#: <link rel=...> values that load their href.
LOADING_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "shortcut", "manifest",
                "apple-touch-icon", "dns-prefetch", "preconnect"}


def pages() -> list[Path]:
    if not (SITE_DIR / "index.html").is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"no built site in {SITE_DIR} (CI=true)", pytrace=False)
        pytest.skip(f"no built site in {SITE_DIR}: run `python3 tools/course.py build` or set COURSE_SITE_DIR")
    return [p for p in sorted(SITE_DIR.rglob("*.html")) if p.relative_to(SITE_DIR).parts[0] not in ASSET_FOLDERS]


class Loads(HTMLParser):
    """Every URL that a page makes the browser load, and every link it shows."""

    def __init__(self, text: str):
        super().__init__()
        self.loads: list[str] = []
        self.links: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        for name, value in attrs.items():
            if (tag, name) in LOADING_ATTRIBUTES:
                self.loads += [part.strip().split(" ")[0] for part in value.split(",")] if "srcset" in name else [value]
        if tag == "link" and LOADING_RELS & set(attrs.get("rel", "").lower().split()):
            self.loads.append(attrs.get("href", ""))
        if tag == "a" and attrs.get("href"):
            self.links.append((attrs["href"], attrs))
        if "style" in attrs:
            self.loads += re.findall(r"url\(\s*['\"]?([^'\")]+)", attrs["style"])


def notebook_chapters() -> list[str]:
    """Page names (e.g. ``book/01_modeling``) of chapters written as MyST notebooks (jupytext header)."""
    return sorted(f"book/{p.stem}" for p in (BOOK_DIR / "book").glob("*.md")
                  if p.read_text(encoding="utf-8").startswith("---\njupytext:"))


def test_pages_load_nothing_from_other_hosts():
    problems = []
    for page in pages():
        text = page.read_text(encoding="utf-8")
        rel = page.relative_to(SITE_DIR)
        problems += [f"{rel}: loads {url}" for url in Loads(text).loads if REMOTE.match(url)]
        problems += [f"{rel}: names {word}" for word in CDN_WORDS if word in text]
    assert not problems, "\n".join(problems)


def test_stylesheets_load_nothing_from_other_hosts():
    problems = []
    for css in sorted(SITE_DIR.rglob("*.css")):
        text = re.sub(r"/\*.*?\*/", "", css.read_text(encoding="utf-8", errors="replace"), flags=re.DOTALL)
        urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", text) + re.findall(r"@import\s+['\"]([^'\"]+)", text)
        problems += [f"{css.relative_to(SITE_DIR)}: {u}" for u in urls if REMOTE.match(u.strip())]
    assert not problems, "\n".join(problems)


class MathReport(HTMLParser):
    """The formulas of a page: each ``span.math``/``div.math`` with what KaTeX wrote into it."""

    def __init__(self, text: str):
        super().__init__()
        self.formulas: list[dict] = []   # {"tex": the label, "katex": bool, "labelled": bool, "mathml": bool}
        self.errors: list[str] = []      # .katex-error elements (a formula KaTeX could not parse)
        self.scripts: list[str] = []     # <script src> URLs and inline bodies
        self.style_classes: set[str] = set()  # classes of formulas that stand for inline styles (kx...)
        self.styles = ""                 # the text of the page's <style> elements
        self.stack: list[tuple[str, dict | None]] = []
        self.in_script = False
        self.in_style = False
        self.feed(text)

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        classes = set(attrs.get("class", "").split())
        formula = self.formulas[-1] if self.formulas and self.formulas[-1]["open"] else None
        if tag in ("span", "div") and "math" in classes and formula is None:
            formula = {"open": True, "tex": "", "katex": False, "labelled": False, "mathml": False}
            self.formulas.append(formula)
            self.stack.append((tag, formula))
        elif tag not in self.VOID:
            self.stack.append((tag, None))
        if formula is not None:
            formula["katex"] |= "katex" in classes
            formula["mathml"] |= tag == "math"
            if "katex" in classes and attrs.get("role") == "img" and attrs.get("aria-label", "").strip():
                formula["labelled"], formula["tex"] = True, attrs["aria-label"]
            self.style_classes |= {c for c in classes if re.fullmatch(r"kx[0-9a-f]+", c)}
        if "katex-error" in classes:
            self.errors.append(attrs.get("title", "?"))
        self.in_style = tag == "style"
        if tag == "script":
            self.in_script = True
            if attrs.get("src"):
                self.scripts.append(attrs["src"])

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False
        if tag == "script":
            self.in_script = False
        while self.stack:
            open_tag, formula = self.stack.pop()
            if formula is not None:
                formula["open"] = False
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self.in_style:
            self.styles += data
        if self.in_script:
            self.scripts.append(data)


def test_math_is_rendered_into_the_pages():
    """Every formula is KaTeX's HTML in the page as served, without MathML (issue 21: the page's weight), an
    image for screen readers labelled with its TeX; each class standing for an inline style is defined in the
    page; no page loads or runs math JavaScript; the pages link KaTeX's style sheet from the site."""
    vendor = load_prebuild_vendor()
    katex = SITE_DIR / "katex"
    pages()  # skip/fail when the site is missing
    assert "MIT License" in (katex / "NOTICE.txt").read_text() and (katex / "LICENSE").is_file()
    assert not (SITE_DIR / "mathjax").exists()
    problems, formulas, styled = [], 0, set()
    for page in pages():
        rel = page.relative_to(SITE_DIR)
        text = page.read_text(encoding="utf-8")
        report = MathReport(text)
        formulas += len(report.formulas)
        for f in report.formulas:
            if not (f["katex"] and f["labelled"] and not f["mathml"]):
                problems.append(f"{rel}: a formula not rendered by KaTeX as a labelled image: {f}")
        defined = set(re.findall(r"\.(kx[0-9a-f]+)\{", report.styles))
        if report.style_classes - defined:
            problems.append(f"{rel}: math style classes without a rule: {sorted(report.style_classes - defined)[:5]}")
        problems += [f"{rel}: KaTeX error {e}" for e in report.errors]
        problems += [f"{rel}: math script {s[:80]!r}" for s in report.scripts
                     if re.search(r"mathjax|katex|\\\(", s, re.IGNORECASE)]
        for url in Loads(text).loads:
            if url.split("?")[0].endswith("/" + vendor.KATEX_CSS):
                styled.add(rel)
                target = (page.parent / url.split("?")[0]).resolve()
                assert target == (katex / vendor.KATEX_CSS).resolve(), f"{rel}: {url}"
        if report.formulas and rel not in styled:
            problems.append(f"{rel}: has math but no link to KaTeX's style sheet")
    assert not problems, "\n".join(problems[:20])
    assert formulas > 1000, f"only {formulas} formulas in the whole site"


def test_katex_fonts_are_served():
    """Every font KaTeX's style sheet names is served (WOFF2 only), and nothing else is in the folder."""
    katex = SITE_DIR / "katex"
    pages()
    css = (katex / "katex.min.css").read_text()
    fonts = re.findall(r"url\(([^)]+)\)", css)
    assert len(fonts) >= 15 and all(f.endswith(".woff2") for f in fonts), fonts
    assert all((katex / f).is_file() for f in fonts)
    assert sorted(p.name for p in (katex / "fonts").iterdir()) == sorted(Path(f).name for f in fonts)


def test_every_page_has_the_favicon_and_the_course_assets():
    favicon = SITE_DIR / "_static" / "favicon.svg"
    pages()
    root = ET.fromstring(favicon.read_text())
    assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 32 32"
    for page in pages():
        text = page.read_text(encoding="utf-8")
        if 'http-equiv="Refresh"' in text[:2000]:  # the root index.html only redirects
            continue
        loads = Loads(text).loads
        for name in ("favicon.svg", "course.css", "course.js"):
            urls = [u for u in loads if u.split("?")[0].endswith(f"_static/{name}")]
            assert len(urls) == 1, f"{page}: {name} loaded {len(urls)} times"
            assert (page.parent / urls[0].split("?")[0]).resolve().is_file()


def test_static_files_are_the_current_sources():
    """The site serves today's course.css, course.js and favicon, even after a rebuild that changed no page
    (Sphinx copies static files only when it writes a page; tools/course.py forces that)."""
    pages()
    for source in sorted((BOOK_DIR / "book" / "_static").iterdir()):
        if source.is_file():
            served = SITE_DIR / "_static" / source.name
            assert served.is_file() and served.read_bytes() == source.read_bytes(), f"{served} is stale"


def test_site_inputs_digest_sees_every_untracked_input(tmp_path, monkeypatch):
    """A changed file under any of course.py's UNTRACKED_SITE_INPUTS changes the digest (so the build is full)."""
    spec = importlib.util.spec_from_file_location("course_tool", ROOT / "tools" / "course.py")
    course = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(course)
    monkeypatch.setattr(course, "ROOT", tmp_path)
    for top in course.UNTRACKED_SITE_INPUTS:
        (tmp_path / top).mkdir(parents=True)
        (tmp_path / top / "a.txt").write_text("one")
    before = course.site_inputs_digest()
    assert course.site_inputs_digest() == before
    for top in course.UNTRACKED_SITE_INPUTS:
        (tmp_path / top / "a.txt").write_text("two")
        changed = course.site_inputs_digest()
        assert changed != before, f"a change in {top}/ does not rebuild the site"
        before = changed
    (tmp_path / "lecture_lib" / "__pycache__").mkdir()
    (tmp_path / "lecture_lib" / "__pycache__" / "a.pyc").write_bytes(b"x")
    assert course.site_inputs_digest() == before, "byte-code caches must not force a full build"


def test_theme_override_drops_only_fontawesome_js():
    """book/_templates/static/webpack-macros.html is the theme's file without the fontawesome.js script.

    The icons still work: pydata-sphinx-theme.css carries Font Awesome's CSS and web fonts. When the theme
    is upgraded this test says that the override must be copied again.
    """
    import pydata_sphinx_theme

    theme = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
    original = (theme / "webpack-macros.html").read_text().splitlines()
    ours = (ROOT / "book" / "_templates" / "static" / "webpack-macros.html").read_text().splitlines()
    dropped = [line for line in original if line not in ours]
    assert [line.strip() for line in dropped] == [
        "<!-- So that users can add custom icons -->",
        next(line.strip() for line in original if "fontawesome.js" in line)]
    assert [line for line in ours if line not in original and not line.strip().startswith("<!-- course:")] == []
    css = (theme / "styles" / "pydata-sphinx-theme.css").read_text()
    assert "fa-solid-900.woff2" in css and "fa-brands-400.woff2" in css


def test_sidebar_toggles_get_names():
    spec = importlib.util.spec_from_file_location("site_theme", ROOT / "tools" / "site_theme.py")
    site_theme = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(site_theme)
    markup = ('<li><a class="reference internal" href="exercises.html">Exercises &amp; <em>more</em></a>'
              '<details><summary><span class="toctree-toggle" role="presentation"></span></summary><ul></ul>'
              '</details></li><li><a class="reference internal" href="x.html">X</a></li>')
    named = site_theme.name_summaries(markup)
    assert '<summary aria-label="Pages under Exercises &amp; more">' in named
    assert named.replace(' aria-label="Pages under Exercises &amp; more"', "") == markup
    pages()
    for page in pages():
        assert "<summary>" not in page.read_text(encoding="utf-8"), f"{page}: a <summary> without a name"


def _table(head: str, body: str) -> str:
    """A table as docutils writes it (``<thead>`` then ``<tbody>``)."""
    return f'<table class="table">\n<thead>\n{head}</thead>\n<tbody>\n{body}</tbody>\n</table>'


def test_tables_get_labels_and_roles_for_phones():
    """tools/site_theme.py marks each table a phone shows stacked (course.css): the class course-stack, each body
    cell its column's header as data-label (text, escaped), header cells scope="col", ARIA roles throughout;
    nothing else changes. A table it cannot label (no header row, two, merged or missing cells) is left alone."""
    site_theme = load_tool("site_theme")
    head = ('<tr class="row-odd"><th class="head"><p>Symbol</p></th>\n'
            '<th class="head"><p>In <em>code</em> &amp; "shape"</p></th>\n</tr>\n')
    body = '<tr class="row-even"><td><p>m</p></td>\n<td><p><code>m</code></p></td>\n</tr>\n'
    table = _table(head, body)
    page = f"<p>before</p>{table}<p>after</p>"
    marked = site_theme.label_table_cells(page)
    assert '<table class="table course-stack" role="table">' in marked
    assert marked.count('role="rowgroup"') == 2 and marked.count('role="row"') == 2
    assert '<th class="head" scope="col" role="columnheader"><p>Symbol</p></th>' in marked
    assert '<td role="cell" data-label="Symbol"><p>m</p></td>' in marked
    assert '<td role="cell" data-label="In code &amp; &quot;shape&quot;"><p><code>m</code></p></td>' in marked
    assert re.sub(r' (?:role|scope|data-label)="[^"]*"| course-stack', "", marked) == page
    left_alone = [table.replace("<thead>\n" + head + "</thead>\n", ""),                 # no header row
                  _table(head + head, body),                                           # two header rows
                  _table(head, body.replace("<td>", '<td colspan="2">', 1)),           # merged cells
                  _table(head, body.replace("<td><p>m</p></td>\n", "", 1))]            # a missing cell
    for other in left_alone:
        assert site_theme.label_table_cells(other) == other
    notation = next(p for p in pages() if p.relative_to(SITE_DIR).as_posix() == "book/notation.html")
    text = notation.read_text(encoding="utf-8")
    assert 'class="table course-stack" role="table"' in text and 'data-label="In code"' in text


#: The repository URL the course used as a placeholder before it had a public one, and the link
#: targets that point to a repository: a page must show none of them while repository.url is empty.
PLACEHOLDER_REPOSITORY = "softmax-course/softmax-regression"
REPOSITORY_LINK = re.compile(r"^https?://(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org|mybinder\.org|"
                             r"colab\.research\.google\.com|deepnote\.com)/", re.IGNORECASE)


def repository_links(text: str) -> list[str]:
    """Links of a page that lead to a code repository or a service launching one (Binder, Colab, ...)."""
    return [href for href, _ in Loads(text).links if REPOSITORY_LINK.match(href)]


def test_repository_links_detector():
    page = ('<a href="https://github.com/org/repo">r</a><a href="https://mybinder.org/v2/gh/org/repo/main">b</a>'
            '<a href="https://numpy.org/doc/">n</a><a href="../_sources/book/x.ipynb">d</a>')
    assert repository_links(page) == ["https://github.com/org/repo", "https://mybinder.org/v2/gh/org/repo/main"]


def test_no_page_links_to_a_placeholder_repository():
    """repository.url is the one setting; while it is empty no button or link leads to a repository."""
    repo = (CONFIG["repository"].get("url") or "").rstrip("/")
    problems = []
    for page in pages():
        text = page.read_text(encoding="utf-8")
        rel = page.relative_to(SITE_DIR)
        if PLACEHOLDER_REPOSITORY in text:
            problems.append(f"{rel}: names the placeholder repository {PLACEHOLDER_REPOSITORY}")
        if "binder-examples" in text:
            problems.append(f"{rel}: carries sphinx-thebe's default Binder repository")
        if not repo:
            problems += [f"{rel}: links to {href}" for href in repository_links(text)]
    assert not problems, "\n".join(problems)


def test_repository_and_issue_buttons():
    repo = (CONFIG["repository"].get("url") or "").rstrip("/")
    if not repo:
        pytest.skip("repository.url is empty: the site has no repository buttons (test_no_page_links_to_a_placeholder_repository)")
    for page in pages():
        if page.name in ("search.html", "genindex.html") or page.name == "index.html" and page.parent == SITE_DIR:
            continue
        hrefs = [href for href, _ in Loads(page.read_text(encoding="utf-8")).links]
        assert repo in hrefs, f"{page}: no repository button"
        assert any(h.startswith(f"{repo}/issues/new") for h in hrefs), f"{page}: no issue button"


def test_launch_and_download_buttons_on_notebook_pages():
    chapters = notebook_chapters()
    if not chapters:
        pytest.skip("no chapter is a MyST notebook yet")
    pages()
    repo = (CONFIG["repository"].get("url") or "").rstrip("/")
    branch = CONFIG["repository"]["branch"]
    binder = CONFIG["launch_buttons"]["binderhub_url"].rstrip("/")
    # No Colab button: Colab opens only .ipynb files from GitHub and our chapters are MyST Markdown.
    assert "colab_url" not in CONFIG["launch_buttons"]
    assert CONFIG["launch_buttons"]["notebook_interface"] == "jupyterlab"
    for name in chapters:
        page = SITE_DIR / f"{name}.html"
        hrefs = [href for href, _ in Loads(page.read_text(encoding="utf-8")).links]
        launch = [h for h in hrefs if h.startswith(f"{binder}/")]
        if repo:
            org_repo = repo.split("github.com/")[1]
            assert f"{binder}/v2/gh/{org_repo}/{branch}?urlpath=lab/tree/{name}.md" in hrefs, f"{name}: Binder button"
        else:
            assert not launch, f"{name}: launch buttons without a repository: {launch}"
        for suffix in (".ipynb", ".md"):
            download = f"../_sources/{name}{suffix}"
            assert download in hrefs, f"{name}: no {suffix} download button"
            assert (page.parent / download).resolve().is_file(), f"{name}: {download} missing from the site"


def test_lecture_lib_wheel_is_published():
    """tools/prebuild_wheel.py puts the wheel at <site>/wheels/; every chapter's install tip links to it."""
    pages()
    wheel = SITE_DIR / "wheels" / WHEEL
    assert wheel.is_file(), f"{wheel} missing: tools/prebuild_wheel.py did not run before the build"
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"{WHEEL.removesuffix('-py3-none-any.whl')}.dist-info/METADATA").decode()
    assert {"lecture_lib/__init__.py", "lecture_lib/formatting.py", "lecture_lib/plotting/__init__.py"} <= names
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "book/", "tools/"))]
    assert "Requires-Dist: numpy" in metadata and "Requires-Dist: matplotlib" in metadata
    for name in notebook_chapters():
        page = SITE_DIR / f"{name}.html"
        links = [href for href, _ in Loads(page.read_text(encoding="utf-8")).links if href.endswith(".whl")]
        assert links, f"{name}: no link to the lecture_lib wheel"
        assert all((page.parent / href).resolve() == wheel.resolve() for href in links), f"{name}: {links}"


def test_binder_environment():
    """Binder installs the root requirements.txt (through .binder/): exact pins, ending with lecture_lib."""
    binder = ROOT / ".binder"
    assert (binder / "requirements.txt").read_text().split() == ["-r", "../requirements.txt"]
    assert (binder / "runtime.txt").read_text().strip() == "python-3.11"
    assert os.access(binder / "postBuild", os.X_OK)
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines[-1] == "-e ."
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.+!\-]+", line) for line in lines[:-1])
    names = {line.split("==")[0].lower() for line in lines[:-1]}
    assert {"jupyterlab", "jupytext", "ipywidgets"} <= names
    # The build's npm project (KaTeX) is pinned exactly by its lock, as requirements.txt pins PyPI's.
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert re.fullmatch(r"\d+\.\d+\.\d+", package["dependencies"]["katex"])
    assert lock["packages"]["node_modules/katex"]["version"] == package["dependencies"]["katex"]


def load_prebuild_vendor():
    spec = importlib.util.spec_from_file_location("prebuild_vendor", ROOT / "tools" / "prebuild_vendor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_prebuild_vendor_copies_katex_once(tmp_path):
    vendor = load_prebuild_vendor()
    dest = vendor.vendor(tmp_path)
    source, version = vendor.katex_source()
    css = dest / vendor.KATEX_CSS
    assert sorted(p.name for p in dest.iterdir()) == ["LICENSE", "NOTICE.txt", "fonts", "katex.min.css"]
    assert sorted(p.name for p in (dest / "fonts").iterdir()) == sorted(p.name for p in (source / "fonts").glob("*.woff2"))
    original = (source / vendor.KATEX_CSS).read_text()
    assert css.read_text() != original and css.read_text().count("@font-face") == original.count("@font-face")
    assert ".woff)" not in css.read_text() and ".ttf)" not in css.read_text()
    stamp = css.stat().st_mtime_ns
    assert vendor.vendor(tmp_path) == dest and css.stat().st_mtime_ns == stamp  # second run: nothing copied
    (dest / "NOTICE.txt").write_text("stale")
    vendor.vendor(tmp_path)
    assert f"KaTeX {version}" in (dest / "NOTICE.txt").read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".katex")]  # no staging folder left


def test_config_keeps_the_site_self_contained():
    config = CONFIG["sphinx"]["config"]
    assert config["html_extra_path"] == ["_build/vendor"]
    assert config["html_math_renderer"] == "katex"  # tools/site_math.py: no math JavaScript in the pages
    assert "mathjax_path" not in config and "mathjax3_config" not in config
    assert CONFIG["sphinx"]["local_extensions"]["site_math"] == "tools/"
    assert config["nb_ipywidgets_js"] == {}
    assert CONFIG["sphinx"]["local_extensions"]["prebuild_vendor"] == "tools/"
    assert "_build/" in (ROOT / ".gitignore").read_text().split()


def test_thebe_loader_dropped_only_when_thebe_is_off():
    from types import SimpleNamespace

    vendor = load_prebuild_vendor()

    class Script(str):
        def __new__(cls, filename, body=""):
            obj = super().__new__(cls, filename)
            obj.filename, obj.attributes = filename, {"body": body} if body else {}
            return obj

    scripts = [Script("_static/doctools.js"), Script("", 'const THEBE_JS_URL = "https://unpkg.com/thebe"'),
               Script("_static/sphinx-thebe.js"), Script("", "var togglebuttonSelector = '.toggle'")]
    for thebe, kept in ((False, ["_static/doctools.js", ""]), (True, [s.filename for s in scripts])):
        app = SimpleNamespace(config=SimpleNamespace(html_theme_options={"launch_buttons": {"thebe": thebe}}))
        context = {"script_files": list(scripts)}
        vendor.drop_unused_thebe(app, "page", "page.html", context, None)
        assert [s.filename for s in context["script_files"]] == kept


PICTURE = re.compile(r'<picture class="course-panels" data-panels="(?P<n>\d+)" data-wide-min-px="(?P<min>\d+)">'
                     r'<source media="\(max-width: (?P<max>\d+)px\)" srcset="(?P<stacked>[^"]+)" type="image/svg\+xml">'
                     r'<img (?P<img>[^>]*)/?>\s*</picture>')


def test_multi_panel_figures_offer_their_stacked_rendering():
    """Every ``Panels`` figure of a chapter is a <picture>: the stacked SVG for narrow screens, the wide one's
    <img> with the alt text of the cell, in a numbered figure with its caption."""
    found = {}
    for page in pages():
        text = page.read_text(encoding="utf-8")
        for match in PICTURE.finditer(text):
            name = page.relative_to(SITE_DIR).as_posix()
            stacked, wide = (page.parent / match["stacked"]).resolve(), re.search(r'src="([^"]+)"', match["img"])
            assert stacked.is_file() and stacked.name.endswith("-stacked.svg"), f"{name}: no {match['stacked']}"
            assert wide and (page.parent / wide[1]).resolve().is_file(), f"{name}: the wide image is missing"
            for path in (stacked, (page.parent / wide[1]).resolve()):
                root = ET.fromstring(path.read_text(encoding="utf-8"))
                panels = [g for g in root.iter("{http://www.w3.org/2000/svg}g")
                          if re.fullmatch(r"panel_\d+", g.get("id") or "")]
                assert len(panels) == int(match["n"]), f"{name}: {path.name} has {len(panels)} panels"
            assert re.search(r'alt="[^"]{20,}"', match["img"]), f"{name}: a multi-panel figure without alt text"
            assert int(match["max"]) > int(match["min"]) > 360, f"{name}: a phone would get the wide rendering"
            after = text[match.end():match.end() + 300]
            assert after.startswith("<figcaption>") and "caption-number" in after, f"{name}: no numbered caption"
            found[name] = found.get(name, 0) + 1
    # The pages' multi-panel figures (tests/test_chapters.py keeps them drawn with Panels in the source); the
    # authoring notes are not on the site (their Panels example is text).
    expected = {}
    for chapter in sorted(set((BOOK_DIR / "book").glob("*.md")) - {BOOK_DIR / "book" / "authoring.md"}):
        source = chapter.read_text(encoding="utf-8")
        count = len(re.findall(r"^(?:Panels\(|plot_temperatures\(|plot_class_weights\(|plot_misclassified\()",
                               source, re.M))
        if count:
            expected[f"book/{chapter.stem}.html"] = count
    assert found == expected


def _site_icons():
    spec = importlib.util.spec_from_file_location("site_icons", ROOT / "tools" / "site_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cmap(path: Path) -> set[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(path)) as font:
        return set(font.getBestCmap())


def test_icon_fonts_hold_only_the_icons_the_site_uses():
    """The Font Awesome fonts of the site are cut to the glyphs its pages and stylesheets can show: every one of
    those the theme's font has is still there (the browser test checks what the pages really display), and the
    solid font, which every page loads, is a few KB instead of 156 KB."""
    pages()  # skips (or fails on CI) without a built site
    icons = _site_icons()
    wanted = icons.icon_code_points(SITE_DIR)
    assert {0xF002, 0xF0C9} <= wanted, "the search and menu icons of the theme's buttons"
    for name in icons.FONTS:
        for suffix in icons.FORMATS:
            built, original = SITE_DIR / "_static" / icons.FONT_DIR / f"{name}{suffix}", icons.theme_fonts() / f"{name}{suffix}"
            if not original.is_file():
                continue
            full, kept = _cmap(original), _cmap(built)
            assert kept == wanted & full, f"{built.name}: missing {sorted(map(hex, (wanted & full) - kept))}"
            assert built.stat().st_size < original.stat().st_size / 5, f"{built.name} is not trimmed"


def _tool(name: str):
    """A Sphinx extension of ``tools/``, which imports its neighbours (``tools/`` on the path, as Sphinx has it)."""
    if str(ROOT / "tools") not in sys.path:
        sys.path.insert(0, str(ROOT / "tools"))
    return load_tool(name)


def test_math_fonts_hold_only_the_characters_of_the_formulas():
    """KaTeX's fonts in the site are cut to the characters its formulas (and KaTeX's style sheet) write: every one
    of those a font has is still there, and the fonts every formula needs are far smaller than KaTeX's."""
    pages()
    fonts, vendor = _tool("site_math_fonts"), load_prebuild_vendor()
    wanted = fonts.math_code_points(SITE_DIR)
    assert {ord(c) for c in "x=()∑σ"} <= wanted
    originals = vendor.katex_source()[0] / "fonts"
    built = sorted((SITE_DIR / fonts.FONT_DIR).glob("*.woff2"))
    assert len(built) >= 15
    for path in built:  # fontTools also keeps the glyphs the fonts' own substitutions lead to
        full, kept = _cmap(originals / path.name), _cmap(path)
        assert wanted & full <= kept, f"{path.name}: missing {sorted(map(hex, (wanted & full) - kept))}"
    for name in ("KaTeX_Main-Regular", "KaTeX_AMS-Regular"):
        assert (SITE_DIR / fonts.FONT_DIR / f"{name}.woff2").stat().st_size < \
            0.6 * (originals / f"{name}.woff2").stat().st_size, f"{name} is not trimmed"


def test_formula_text_is_read_from_katex_elements_only():
    fonts = _tool("site_math_fonts")
    parser = fonts.FormulaText()
    parser.feed('<p>Ünïcode</p><span class="katex"><span class="katex-mathml"><math><mi>x</mi></math></span>'
                '<span class="katex-html"><span class="mord">α</span><br><svg><path d="M0"/></svg>'
                '<span>+</span></span></span><p>after ∞</p>')
    assert parser.chars == {"x", "α", "+"}


def test_css_cut_keeps_what_the_pages_and_scripts_use(tmp_path):
    """tools/site_css.py on a small site: a rule stays when its selector's classes are in a page or a script
    (whatever its pseudo-classes), and so does a selector of pseudo-classes alone (the theme's focus ring); dark
    mode's attribute selectors stay, unused rules go; the course's own style sheet is not touched; a second run
    cuts again from the kept full copy."""
    if not (ROOT / "node_modules" / "purgecss").is_dir():
        pytest.skip("PurgeCSS is not installed: run `npm ci` at the repository root (course.py build does)")
    css_tool = _tool("site_css")
    site = tmp_path / "html"
    (site / "_static").mkdir(parents=True)
    (site / "page.html").write_text('<html><body><nav class="navbar"><a class="btn">x</a></nav></body></html>')
    (site / "_static" / "menu.js").write_text('el.classList.add("is-open");')
    theme = (".navbar{color:red}.btn:hover{color:blue}html[data-theme=dark] .navbar{color:white}"
             ".is-open{display:block}.bs-tooltip-auto{top:0}.unused{color:green}.navbar .unused{color:pink}"
             "article{margin:0}:focus-visible{outline:2px solid}")
    (site / "_static" / "theme.css").write_text('@charset "UTF-8";\n' + theme)
    own = (ROOT / "book" / "_static" / "course.css").read_text()
    (site / "_static" / "course.css").write_text(own)
    for _ in range(2):
        manifest = css_tool.cut_stylesheets(site)
        cut = (site / "_static" / "theme.css").read_text()
        assert cut.startswith('@charset "UTF-8";\n' + css_tool.CUT_MARK)
        for kept in (".navbar{", ".btn:hover", "html[data-theme=dark] .navbar", ".is-open", ".bs-tooltip-auto",
                     ":focus-visible{"):
            assert kept in cut, kept
        for dropped in (".unused", "article"):
            assert dropped not in cut, dropped
        assert (tmp_path / css_tool.FULL_CSS / "_static" / "theme.css").read_text().endswith(theme)
        assert list(manifest) == ["_static/theme.css"] and manifest["_static/theme.css"]["selectors_removed"] == 3
        assert (site / "_static" / "course.css").read_text() == own


def test_style_sheets_as_served_are_cut_and_their_full_versions_kept():
    """Every style sheet a page links is either the course's own or cut by tools/site_css.py, with its full version
    beside the site for the browser test; the theme's is a fraction of its full size."""
    pages()
    css_tool = _tool("site_css")
    full_dir = SITE_DIR.parent / css_tool.FULL_CSS
    manifest = json.loads((full_dir / css_tool.MANIFEST).read_text())
    for rel, entry in manifest.items():
        served, full = SITE_DIR / rel, full_dir / rel
        assert served.stat().st_size == entry["cut_bytes"] and full.stat().st_size == entry["full_bytes"], rel
        if entry["selectors_removed"]:
            assert css_tool.split_charset(served.read_text(encoding="utf-8"))[1].startswith(css_tool.CUT_MARK), rel
        else:
            assert served.read_bytes() == full.read_bytes(), rel
    theme = manifest["_static/styles/pydata-sphinx-theme.css"]
    assert theme["cut_bytes"] < 0.4 * theme["full_bytes"]
    own = {f"_static/{p.name}" for p in (ROOT / "book" / "_static").glob("*.css")}
    for page in pages():
        for url in Loads(page.read_text(encoding="utf-8")).loads:
            path = url.split("?")[0]
            if path.endswith(".css"):
                rel = (page.parent / path).resolve().relative_to(SITE_DIR).as_posix()
                assert rel in manifest or rel in own, f"{page}: {rel} is neither cut nor the course's own"


def test_download_menu_links_download_and_have_a_script_copy():
    """The download menu's links (.ipynb, .md) carry ``download`` (no new tab), and beside each file is its script
    copy, ``<file>.js``, which hands course.js the file's name and exact text (for a site opened from disk)."""
    pages()
    checked = 0
    for page in pages():
        for href, attrs in Loads(page.read_text(encoding="utf-8")).links:
            if "dropdown-item" not in attrs.get("class", "") or "/_sources/" not in href:
                continue
            assert "download" in attrs and "target" not in attrs, f"{page}: {href} {attrs}"
            target = (page.parent / href).resolve()
            script = target.with_name(target.name + ".js").read_text(encoding="utf-8")
            match = re.fullmatch(r"window\.courseDownloads\.deliver\((\"[^\"]*\"), (\".*\")\);\n", script, re.S)
            assert match, f"{target}.js: {script[:80]!r}"
            assert json.loads(match[1]) == target.name
            assert json.loads(match[2]) == target.read_text(encoding="utf-8"), f"{target}.js is not the file's text"
            checked += 1
    assert checked >= 2 * len(notebook_chapters())


def test_header_buttons_override_follows_the_theme():
    """book/_templates/article-header-buttons.html is sphinx-book-theme's, plus only the lines marked ``course``
    (and its header comment): when the theme is upgraded, this says the override must be copied again."""
    import sphinx_book_theme

    theme = (Path(sphinx_book_theme.__file__).parent / "theme" / "sphinx_book_theme" / "components"
             / "article-header-buttons.html").read_text().splitlines()
    ours = (ROOT / "book" / "_templates" / "article-header-buttons.html").read_text()
    body = ours.split("-#}\n", 1)[1].splitlines()
    assert [line for line in theme if line not in body] == []
    assert [line for line in body if line not in theme and "{# course" not in line] == []
