r"""The course's figure style: text that stays legible where the figures are read.

The site shows a figure at most about 670 CSS px wide on a desktop (the text column), so a figure
:math:`w` inches wide is drawn at :math:`670 / (72 w)` px per point. Its smallest text, the tick labels,
must reach 9 px there: with the sizes below (10.5 pt ticks, 10 pt for ``"small"``) every helper's figure,
at most about 10 inches wide, does. Figures are SVG with real text (``svg.fonttype: none``), so their text
scales with the image, stays sharp on any screen, and can be searched and copied; the browser tests measure
the smallest text at the rendered width.

Importing :mod:`lecture_lib.plotting` applies the style (:func:`use_course_style`); the colours are the
Okabe–Ito :data:`~lecture_lib.plotting.PALETTE`.
"""

from __future__ import annotations

import matplotlib as mpl

#: rcParams of every course figure.
COURSE_STYLE = {
    "font.size": 12.0,          # "small" = 10 pt, "x-small" is not used by any helper
    "axes.titlesize": 12.0,
    "axes.labelsize": 12.0,
    "xtick.labelsize": 10.5,
    "ytick.labelsize": 10.5,
    "legend.fontsize": 10.5,
    "legend.title_fontsize": 10.5,
    "figure.titlesize": 13.0,
    "svg.fonttype": "none",     # text as <text>, not paths: scales, reads and searches like page text
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}

#: Smallest font size (points) a course figure uses; the tests check the helpers against it.
MIN_FONT_PT = 10.0
#: Width of the site's text column for figures on a 1280 px desktop (CSS px), as the browser tests measure it.
TEXT_COLUMN_PX = 672
#: Smallest text, in CSS px at the width the page shows a figure, that the course accepts.
MIN_TEXT_PX = 9.0


def rendered_px_per_pt(width_in: float, column_px: float = TEXT_COLUMN_PX) -> float:
    r"""CSS pixels per point of a figure ``width_in`` inches wide, shown in a column ``column_px`` wide.

    An SVG figure is shown at its natural size (1 pt = 4/3 px) unless that is wider than the column:
    :math:`\min(96 w, c) / (72 w)` px per point.
    """
    return min(96.0 * width_in, column_px) / (72.0 * width_in)


def use_course_style(inline_format: str = "svg") -> None:
    """Apply :data:`COURSE_STYLE`; in IPython (a notebook, the book's build) also show figures as SVG.

    Parameters
    ----------
    inline_format : {"svg", "png", "retina"}
        Format of the figures IPython's inline backend displays.
    """
    mpl.rcParams.update(COURSE_STYLE)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of the course
        return
    shell = get_ipython()
    if shell is not None and "IPKernelApp" in shell.config:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats(inline_format)
