"""Sphinx extension (``_config.yml`` loads it): the site side of the chapter form.

The chapters are MyST Markdown notebooks that must read the same in JupyterLab as on the site
(``book/authoring.md``). Three things need help on the site:

1. **Figure captions.** A figure is the output of the cell that draws it; the cell's metadata
   gives its label and alt text (``mystnb.figure.name``, ``mystnb.image.alt``) and the Markdown
   paragraph right after the cell, starting with ``**Figure.**``, is its caption. JupyterLab shows
   that paragraph under the figure; here it is moved into the figure's caption, so it is shown once
   and ``{numref}`` works. A named figure without such a paragraph is a build warning (an error
   with ``--warningiserror``).
2. **The .ipynb download.** sphinx-book-theme offers the executed notebook for download only when
   a launch button is configured; this publishes it on every notebook page, launch buttons or not.
   Each file of the page's download menu (the .ipynb, the .md source) also gets a copy as a script,
   ``<file>.js`` (:data:`DOWNLOAD_SCRIPT`): the menu's links carry the ``download`` attribute
   (``book/_templates/article-header-buttons.html``), which Chromium ignores on a page opened from disk
   (``file://``: every file is an origin of its own); there ``course.js`` loads the script, the one kind
   of neighbouring file such a page may read, and saves its text from a blob, which is the page's own.
3. **No links to a repository that does not exist.** ``repository.url`` in ``_config.yml`` is the
   one setting: empty means the course has no public repository yet, so the repository, issues,
   edit and launch (Binder) buttons are off and thebe's default Binder configuration is dropped.
   Set it to the real repository and all of them come back.
4. **Multi-panel figures on phones.** A figure drawn by ``lecture_lib.plotting.Panels`` is one SVG
   output (the panels side by side) that carries a second, stacked rendering in its output metadata.
   Here the stacked SVG goes to ``_images/`` next to the wide one and the ``<img>`` is wrapped in a
   ``<picture>`` whose ``<source>`` shows the stacked one on screens too narrow for the wide one's
   text to stay legible (same alt text, same caption, same figure number). The printed book (``singlehtml``,
   ``tools/print_book.py``) and any other HTML builder write the same ``<picture>``; a builder of another
   format shows the wide figure (:func:`handlers_for_this_builder`).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

# The output metadata key of a lecture_lib.plotting.Panels figure (the wide and the stacked rendering).
from lecture_lib.plotting.panels import METADATA_KEY

LOGGER = logging.getLogger(__name__)

#: The text a caption paragraph starts with (in bold), in the Markdown source.
CAPTION_MARK = "Figure."
#: Theme options that show a button pointing to the repository (turned on when it is set).
REPOSITORY_BUTTONS = ("use_repository_button", "use_issues_button")
#: CSS px between the viewport and the text column below 960 px (the article's padding, 27-32 px, and room for
#: a scroll bar): without JavaScript the stacked figure is shown up to the wide one's legible width plus this.
#: ``course.js`` then decides from the column's real width (wider screens have sidebars: at 1200 px the
#: column is 622 px).
PAGE_MARGIN_PX = 48
#: Launch services; each one builds a link from the repository URL.
LAUNCH_KEYS = ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url", "jupyterlite_url", "thebe")


def _content(paragraph) -> list:
    """The children of a paragraph without empty text nodes (myst-parser starts some paragraphs with one)."""
    return [c for c in paragraph.children if not (isinstance(c, nodes.Text) and not c.astext().strip())]


def _is_caption(node) -> bool:
    """Whether ``node`` is a paragraph that starts with a bold ``Figure.``."""
    if not isinstance(node, nodes.paragraph):
        return False
    content = _content(node)
    return bool(content) and isinstance(content[0], nodes.strong) and content[0].astext().strip() == CAPTION_MARK


def _enclosing_cell(node):
    while node is not None and not (isinstance(node, nodes.container) and node.get("nb_element") == "cell_code"):
        node = node.parent
    return node


class FigureCaptions(SphinxTransform):
    """Move the ``**Figure.** ...`` paragraph after a figure cell into the figure's caption."""

    default_priority = 210  # after the document is parsed, before references are resolved

    def apply(self, **kwargs) -> None:
        for cell in self.document.findall(nodes.container):
            metadata = (cell.get("cell_metadata") or {}) if cell.get("nb_element") == "cell_code" else {}
            if (metadata.get("mystnb") or {}).get("figure") and not any(cell.findall(nodes.figure)):
                LOGGER.warning(f"figure cell {metadata['mystnb']['figure'].get('name')!r} shows no figure: end it "
                               "with the expression that draws it (a Panels object must be the cell's last line)",
                               location=cell, type="course", subtype="caption")
        for figure in list(self.document.findall(nodes.figure)):
            cell = _enclosing_cell(figure)
            if cell is None or any(isinstance(c, nodes.caption) for c in figure.children):
                continue
            parent = cell.parent
            index = parent.index(cell)
            following = parent.children[index + 1] if index + 1 < len(parent.children) else None
            if not _is_caption(following):
                LOGGER.warning(f"figure {figure.get('names')} has no caption: write a paragraph starting with "
                               f"'**{CAPTION_MARK}**' right after the cell that draws it",
                               location=cell, type="course", subtype="caption")
                continue
            children = list(following.children)
            children = children[children.index(_content(following)[0]) + 1:]
            if children and isinstance(children[0], nodes.Text):
                children[0] = nodes.Text(children[0].astext().lstrip())
            caption = nodes.caption(following.rawsource, "", *children)
            caption.source, caption.line = following.source, following.line
            figure.append(caption)
            parent.remove(following)


class stacked_figure(nodes.General, nodes.Element):  # noqa: N801 - docutils names nodes in lower case
    """Wraps the ``image`` of a multi-panel figure; HTML: a ``<picture>`` with the stacked SVG as a source."""


class StackedFigures(SphinxTransform):
    """Give each ``Panels`` figure its stacked rendering (from the executed notebook's output metadata)."""

    default_priority = 205

    def apply(self, **kwargs) -> None:
        executed = Path(self.app.outdir).parent / "jupyter_execute" / f"{self.env.docname}.ipynb"
        if not executed.is_file():
            return
        cells = None
        for image in list(self.document.findall(nodes.image)):
            cell = _enclosing_cell(image)
            if cell is None or cell.get("cell_index") is None or isinstance(image.parent, stacked_figure):
                continue
            if cells is None:
                cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
            outputs = cells[cell["cell_index"]].get("outputs", [])
            panels = [o["metadata"][METADATA_KEY] for o in outputs if METADATA_KEY in o.get("metadata", {})]
            if not panels:
                continue
            if len(panels) > 1:
                LOGGER.warning("a figure cell shows more than one Panels figure; only the first gets its stacked "
                               "rendering", location=cell, type="course", subtype="panels")
            stacked = panels[0]["stacked"]
            stacked = "".join(stacked) if isinstance(stacked, list) else stacked
            name = hashlib.sha256(stacked.encode("utf-8")).hexdigest() + "-stacked.svg"
            wrapper = stacked_figure("", stacked_svg=stacked, stacked_name=name, n_panels=int(panels[0]["n_panels"]),
                                     wide_min_px=int(panels[0]["wide_min_px"]),
                                     max_width=int(panels[0]["wide_min_px"]) + PAGE_MARGIN_PX)
            image.replace_self(wrapper)
            wrapper.append(image)


def visit_stacked_figure_html(self, node) -> None:
    """``<picture>``: narrow screens get the stacked SVG (written to ``_images/`` here), others the ``<img>``."""
    target = Path(self.builder.outdir) / self.builder.imagedir / node["stacked_name"]
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(node["stacked_svg"], encoding="utf-8")
    src = posixpath.join(self.builder.imgpath, node["stacked_name"])
    self.body.append(f'<picture class="course-panels" data-panels="{node["n_panels"]}" '
                     f'data-wide-min-px="{node["wide_min_px"]}">'
                     f'<source media="(max-width: {node["max_width"]}px)" srcset="{self.encode(src)}" '
                     f'type="image/svg+xml">')


def depart_stacked_figure_html(self, node) -> None:
    self.body.append("</picture>")


def _pass(self, node) -> None:
    """Other builders show the wide figure only."""


#: ``<file>.js`` beside each file of a page's download menu: hands the file's name and text to ``course.js``.
DOWNLOAD_SCRIPT = "window.courseDownloads.deliver({name}, {text});\n"


def write_download_script(source: Path, published: Path) -> Path:
    """Write ``<published>.js``, the script form of ``source``'s text (:data:`DOWNLOAD_SCRIPT`); return its path."""
    script = published.with_name(published.name + ".js")
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(DOWNLOAD_SCRIPT.format(name=json.dumps(published.name),
                                             text=json.dumps(source.read_text(encoding="utf-8"))), encoding="utf-8")
    return script


def publish_notebook(app, pagename, templatename, context, doctree) -> None:
    """Offer the executed notebook (``_build/jupyter_execute/<page>.ipynb``) as the page's .ipynb download."""
    if not context.get("sourcename", "").endswith(".md") or context.get("ipynb_source"):
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.is_file():
        return  # not a notebook page
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, target)
    write_download_script(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def publish_source_script(app, pagename, templatename, context, doctree) -> None:
    """The page's source download (Sphinx copies it to ``_sources/`` after this event) as a script too."""
    if app.builder.name == "html" and app.builder.copysource and context.get("sourcename"):
        write_download_script(Path(app.env.doc2path(pagename)),
                              Path(app.outdir) / "_sources" / context["sourcename"])


def repository_settings(theme_options: dict) -> dict:
    """The theme options with the repository and launch buttons on if, and only if, a repository is set.

    Parameters
    ----------
    theme_options : dict
        ``html_theme_options`` as Jupyter Book wrote them from ``_config.yml``.

    Returns
    -------
    dict
        A copy: with ``repository_url`` set, the repository and issues buttons on and the launch
        buttons as configured; without it, every button that would link to the repository off.
    """
    options = dict(theme_options)
    if str(options.get("repository_url") or "").strip():
        for key in REPOSITORY_BUTTONS:
            options.setdefault(key, True)
        return options
    options.pop("repository_url", None)
    for key in (*REPOSITORY_BUTTONS, "use_edit_page_button", "use_source_button"):
        options[key] = False
    launch = dict(options.get("launch_buttons") or {})
    for key in LAUNCH_KEYS:
        launch.pop(key, None)
    options["launch_buttons"] = launch
    return options


def configure_repository(app, config) -> None:
    config.html_theme_options = repository_settings(config.html_theme_options or {})


def drop_thebe_config(app, doctree, docname) -> None:
    """Without a repository (so without thebe), drop sphinx-thebe's default Binder configuration from the page."""
    if (app.config.html_theme_options.get("launch_buttons") or {}).get("thebe"):
        return
    for raw in list(doctree.findall(nodes.raw)):
        if "x-thebe-config" in raw.astext() or raw.astext().startswith("<script>kernelName"):
            raw.parent.remove(raw)


def handlers_for_this_builder(app) -> None:
    """Every builder knows :class:`stacked_figure`, and every node its output format knows.

    Sphinx gives a builder the handlers registered under its own name or, when there are none, those of its
    format (``html`` for ``singlehtml``, ``dirhtml``, ``epub``, ``json``...). Once any extension registers one
    node for a builder by name, the builder stops inheriting the format's handlers, and a node registered for
    ``html`` alone (this file's ``stacked_figure``, sphinx-design's dropdowns) would stop it; so the builder's
    own handlers are completed with its format's. A builder that still has no handler for ``stacked_figure``
    gets the ``<picture>`` when it writes HTML, else the wide figure only (:func:`_pass`).
    """
    handlers = app.registry.translation_handlers
    builder = app.builder
    own = handlers.setdefault(builder.name, {})
    if builder.format != builder.name:
        for node, visitors in handlers.get(builder.format, {}).items():
            own.setdefault(node, visitors)
    html = builder.format == "html"
    own.setdefault(stacked_figure.__name__, (visit_stacked_figure_html, depart_stacked_figure_html) if html
                   else (_pass, _pass))


def setup(app):
    app.connect("builder-inited", handlers_for_this_builder)
    app.add_transform(FigureCaptions)
    app.add_transform(StackedFigures)
    app.add_node(stacked_figure, html=(visit_stacked_figure_html, depart_stacked_figure_html),
                 latex=(_pass, _pass), text=(_pass, _pass), man=(_pass, _pass), texinfo=(_pass, _pass))
    app.connect("config-inited", configure_repository, priority=900)
    app.connect("html-page-context", publish_notebook, priority=500)  # before sphinx-book-theme's buttons (501)
    app.connect("html-page-context", publish_source_script)
    app.connect("doctree-resolved", drop_thebe_config, priority=900)  # after sphinx-thebe's (500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
