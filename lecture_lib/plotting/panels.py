r"""Multi-panel figures that also read on a phone: the panels side by side, and stacked.

A figure of :math:`n` panels in a row is about 10 inches wide. Shrunk into a 330 px phone column its
text would be 4-5 px high, so :class:`Panels` draws the same panels twice with the same drawing
function, the same course style and the same colours:

- **wide**: the panels in a row (or rows of ``ncols``), what a notebook shows;
- **stacked**: the panels in one column (or rows of ``stacked_ncols``), :data:`STACKED_WIDTH_IN`
  inches wide, so that on a phone its text is as large as the page's small print.

In a notebook the object displays as the wide SVG (``image/svg+xml``, as any matplotlib figure of
the course); the stacked SVG travels in the output's metadata under :data:`METADATA_KEY`, where the
site's build (``tools/notebook_pages.py``) finds it and offers it to narrow screens with a
``<picture>`` element. JupyterLab and a downloaded notebook ignore it.
"""

from __future__ import annotations

import io
import math
import re
from typing import Callable

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.text import Text

from .style import MIN_TEXT_PX

__all__ = ["METADATA_KEY", "STACKED_WIDTH_IN", "Panels", "overlapping_titles"]

#: Key of the output metadata that carries the stacked rendering.
METADATA_KEY = "lecture_lib.panels"
#: Width of the stacked rendering (inches): shown in a 330 px phone column, its 10 pt text is 10 px.
STACKED_WIDTH_IN = 4.5
#: Salt of the SVG element ids: the same figure gives the same file (and the site the same file name).
SVG_HASH_SALT = "lecture_lib"

_VIEW_BOX = re.compile(r'viewBox="\s*[-0-9.e]+\s+[-0-9.e]+\s+([0-9.e]+)\s+([0-9.e]+)\s*"')


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def _panel_size(value) -> tuple[float, float]:
    try:
        width, height = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"panel_size must be (width, height) in inches; got {value!r}.") from None
    if not (width > 0 and height > 0 and math.isfinite(width) and math.isfinite(height)):
        raise ValueError(f"panel_size must be two positive finite sizes in inches; got {value!r}.")
    return width, height


def overlapping_titles(fig: Figure) -> list[tuple[str, str]]:
    """The pairs of Axes titles of ``fig`` whose drawn text boxes intersect, as laid out for saving."""
    fig.draw_without_rendering()
    renderer = fig._get_renderer()
    titles = [(t.get_text(), t.get_window_extent(renderer)) for ax in fig.axes
              for t in (ax.title, ax._left_title, ax._right_title) if t.get_visible() and t.get_text().strip()]
    return [(a, b) for i, (a, box_a) in enumerate(titles) for b, box_b in titles[i + 1:] if box_a.overlaps(box_b)]


class Panels:
    r"""A figure of ``n_panels`` panels, drawn wide (side by side) and stacked (for narrow screens).

    Parameters
    ----------
    draw : callable
        ``draw(axes)`` draws the figure on ``axes``, a ``(n_panels,)`` array of matplotlib Axes in
        reading order. It is called twice, once per layout, so it should only draw (fit models
        before). The figure is ``axes[0].figure`` (e.g. for a shared colour bar).
    n_panels : int
        Number of panels :math:`n`.
    panel_size : (float, float)
        Width and height of one panel in the wide layout, in inches.
    ncols : int, optional
        Panels per row in the wide layout (default: all :math:`n` in one row).
    stacked_ncols : int
        Panels per row in the stacked layout (default 1: one column).
    stacked_width : float
        Width of the stacked layout in inches; its panels keep the wide panels' aspect ratio.
    sharex, sharey : bool
        Share the x (y) axis between the panels, as in ``plt.subplots``.

    Raises
    ------
    ValueError
        When the titles of two panels overlap in either layout (a title wider than its panel runs into
        its neighbour's): shorten them, or break them onto two lines.

    Attributes
    ----------
    wide, stacked : matplotlib.figure.Figure
        The two renderings (not managed by pyplot: a notebook shows the object, not them).
    axes : numpy.ndarray of Axes, ``(n_panels,)``
        The panels of the wide rendering.

    Notes
    -----
    With :math:`r = \lceil n / c \rceil` rows of :math:`c` panels of :math:`w \times h` inches, the
    wide figure is :math:`c w \times r h`; the stacked one, with :math:`c_s` panels per row, is
    :math:`W_s \times \lceil n / c_s \rceil \, h W_s / (c_s w)` for the width :math:`W_s`.
    Shown :math:`p` CSS px wide, an SVG whose view box is :math:`V` points wide draws its smallest
    text of :math:`f` points at :math:`f p / V` px; :attr:`wide_min_px` is the smallest :math:`p`
    at which that reaches :data:`~lecture_lib.plotting.style.MIN_TEXT_PX`.
    """

    def __init__(self, draw: Callable, n_panels: int, *, panel_size=(3.3, 3.4), ncols: int | None = None,
                 stacked_ncols: int = 1, stacked_width: float = STACKED_WIDTH_IN, sharex: bool = False,
                 sharey: bool = False):
        if not callable(draw):
            raise TypeError(f"draw must be a function draw(axes); got {type(draw).__name__}.")
        self.n_panels = _positive_int(n_panels, "n_panels")
        width, height = _panel_size(panel_size)
        ncols = self.n_panels if ncols is None else min(_positive_int(ncols, "ncols"), self.n_panels)
        stacked_ncols = min(_positive_int(stacked_ncols, "stacked_ncols"), self.n_panels)
        stacked_width = float(stacked_width)
        if not (stacked_width > 0 and math.isfinite(stacked_width)):
            raise ValueError(f"stacked_width must be a positive width in inches; got {stacked_width!r}.")
        stacked_height = height * stacked_width / (stacked_ncols * width)
        layouts = {"wide": (ncols, width * ncols, height), "stacked": (stacked_ncols, stacked_width, stacked_height)}
        self._svg: dict[str, str] = {}
        for layout, (cols, fig_width, panel_height) in layouts.items():
            rows = -(-self.n_panels // cols)
            fig = Figure(figsize=(fig_width, panel_height * rows), layout="constrained")
            grid = fig.subplots(rows, cols, sharex=sharex, sharey=sharey, squeeze=False)
            for extra in grid.flat[self.n_panels:]:
                fig.delaxes(extra)
            axes = np.array(grid.flat[: self.n_panels], dtype=object)
            for i, ax in enumerate(axes):
                ax.set_gid(f"panel_{i + 1}")  # the SVG group of each panel: <g id="panel_1"> ...
            draw(axes)
            overlaps = overlapping_titles(fig)
            if overlaps:
                raise ValueError(f"the titles of panels overlap in the {layout} layout: "
                                 + "; ".join(f"{a!r} and {b!r}" for a, b in overlaps)
                                 + ". Shorten them, or break them onto two lines.")
            setattr(self, layout, fig)
            if layout == "wide":
                self.axes = axes

    def svg(self, layout: str = "wide") -> str:
        """The SVG text of one layout, ``"wide"`` or ``"stacked"``, saved as a notebook shows figures.

        Text stays text (``svg.fonttype: none``); the margins are trimmed (``bbox_inches="tight"``, as
        IPython's inline backend saves); no date and fixed element ids, so the same figure always gives
        the same file.
        """
        if layout not in ("wide", "stacked"):
            raise ValueError(f"layout must be 'wide' or 'stacked'; got {layout!r}.")
        if layout not in self._svg:
            buffer = io.StringIO()
            with mpl.rc_context({"svg.hashsalt": SVG_HASH_SALT}):
                getattr(self, layout).savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
            self._svg[layout] = buffer.getvalue()
        return self._svg[layout]

    @property
    def smallest_font_pt(self) -> float:
        """The smallest visible text of the figure, in points (the same in both layouts)."""
        sizes = [t.get_fontsize() for t in self.wide.findobj(Text) if t.get_visible() and t.get_text().strip()]
        return min(sizes) if sizes else math.inf

    @property
    def wide_min_px(self) -> int:
        """Narrowest width (CSS px) at which the wide SVG's smallest text is still ``MIN_TEXT_PX`` high."""
        view_width = float(_VIEW_BOX.search(self.svg("wide")).group(1))
        return math.ceil(MIN_TEXT_PX * view_width / self.smallest_font_pt)

    def __repr__(self) -> str:
        return f"<Panels: {self.n_panels} panels, wide and stacked>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The wide SVG for every front end; the stacked one in the metadata, for the site."""
        data = {"image/svg+xml": self.svg("wide"), "text/plain": repr(self)}
        metadata = {METADATA_KEY: {"stacked": self.svg("stacked"), "n_panels": self.n_panels,
                                   "wide_min_px": self.wide_min_px}}
        return data, metadata
