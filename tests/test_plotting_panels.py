"""``lecture_lib.plotting.Panels``: one multi-panel figure, side by side for a desktop and stacked for a phone.

Both renderings must be valid SVG with one group per panel, the panels in a row (wide) or a column
(stacked), the same text at the same sizes and the same colours; the notebook output carries the wide
SVG as ``image/svg+xml`` and the stacked one in its metadata; the stacked one's text is legible in a
phone's text column, and the wide one's legible width (``wide_min_px``) is where its text reaches 9 px.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lecture_lib.plotting import PALETTE, Panels, plot_class_weights, plot_misclassified, plot_temperatures  # noqa: E402
from lecture_lib.plotting.panels import METADATA_KEY, STACKED_WIDTH_IN, overlapping_titles  # noqa: E402
from lecture_lib.plotting.style import MIN_TEXT_PX  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"
#: A 360 px phone's text column (the page's padding taken off), as tests/browser/test_layout.py measures it.
PHONE_COLUMN_PX = 330
_FONT = re.compile(r"font(?:-size)?\s*:\s*(?:[a-z]+\s+)*([0-9.]+)px")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}\b")


def _line_panels(n=3):
    """n panels, one line each in its own palette colour, with a title and labelled axes."""
    x = np.linspace(0.0, 1.0, 11)

    def draw(axes):
        for i, ax in enumerate(axes):
            ax.plot(x, x ** (i + 1), color=PALETTE[i])
            ax.set_title(f"power {i + 1}")
            ax.set_xlabel("$x$")
            ax.set_ylabel("$x^k$")

    return Panels(draw, n, panel_size=(3.3, 3.0), sharey=True)


#: The figures every check runs on, each made from a generator seeded alike when a test first asks for it
#: (:func:`example`), not when the file is collected: every test worker collects every file, and making the four
#: takes seconds.
EXAMPLES = {
    "lines": lambda rng: _line_panels(),
    "temperatures": lambda rng: plot_temperatures([2.0, 1.0, 0.1], (0.5, 1.0, 5.0)),
    "class weights": lambda rng: plot_class_weights(rng.standard_normal((64, 10))),
    "misclassified": lambda rng: plot_misclassified(rng.random((11, 64)), rng.integers(0, 10, 11),
                                                    rng.dirichlet(np.ones(10), size=11), ncols=8),
}


@functools.cache
def example(name: str) -> Panels:
    return EXAMPLES[name](np.random.default_rng(14))


@pytest.fixture
def panels(name) -> Panels:
    """The example figure ``name`` (each test parametrizes ``name`` over :data:`EXAMPLES`)."""
    return example(name)


def _panel_boxes(fig):
    """(left, bottom, width, height) of each panel, in figure coordinates, after the layout engine ran."""
    fig.draw_without_rendering()
    return [ax.get_position().bounds for ax in fig.axes if (ax.get_gid() or "").startswith("panel_")]


def _font_sizes(svg: str) -> list[float]:
    return sorted(float(size) for size in _FONT.findall(svg))


def _smallest_text(svg: str) -> tuple[float, float]:
    """(smallest label, smallest sub/superscript) of an SVG: in a label with math, runs smaller than its
    largest are its scripts (mathtext sets them at 70%, as TeX does)."""
    mains, scripts = [], []
    for text in ET.fromstring(svg).iter(f"{SVG}text"):
        sizes = [float(m) for part in text.iter() for m in _FONT.findall(part.get("style", ""))]
        if sizes:
            mains.append(max(sizes))
            scripts += [size for size in sizes if size < max(sizes)]
    return min(mains), min(scripts, default=min(mains))


def _view_width(svg: str) -> float:
    return float(ET.fromstring(svg).get("viewBox").split()[2])


@pytest.mark.parametrize("name", EXAMPLES)
def test_both_renderings_are_valid_svg_with_one_group_per_panel(name, panels):
    for layout in ("wide", "stacked"):
        root = ET.fromstring(panels.svg(layout))  # raises on malformed XML
        assert root.tag == f"{SVG}svg" and root.get("viewBox"), f"{name} {layout}: not an SVG document"
        groups = sorted(g.get("id") for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("panel_"))
        assert groups == sorted(f"panel_{i + 1}" for i in range(panels.n_panels)), f"{name} {layout}: {groups}"
        assert root.iter(f"{SVG}text"), f"{name} {layout}: text must stay text"


def test_wide_is_a_row_and_stacked_a_column():
    panels = _line_panels(3)
    wide, stacked = _panel_boxes(panels.wide), _panel_boxes(panels.stacked)
    assert len(wide) == len(stacked) == 3
    assert np.ptp([b[1] for b in wide]) < 1e-9 and all(np.diff([b[0] for b in wide]) > 0), "wide: one row"
    assert np.ptp([b[0] for b in stacked]) < 1e-9 and all(np.diff([b[1] for b in stacked]) < 0), "stacked: one column"
    assert panels.wide.get_size_inches()[0] == pytest.approx(3 * 3.3)
    assert panels.stacked.get_size_inches()[0] == pytest.approx(STACKED_WIDTH_IN)
    # Each stacked panel keeps the wide panel's aspect ratio: three of them, STACKED_WIDTH_IN wide.
    assert panels.stacked.get_size_inches()[1] == pytest.approx(3 * 3.0 * STACKED_WIDTH_IN / 3.3)


def test_grids_wrap_into_rows_and_drop_the_empty_cells():
    panels = Panels(lambda axes: [ax.plot([0, 1]) for ax in axes], 5, panel_size=(1.0, 1.0), ncols=3,
                    stacked_ncols=2)
    assert len(panels.wide.axes) == len(panels.stacked.axes) == len(panels.axes) == 5
    rows_wide = {round(b[1], 6) for b in _panel_boxes(panels.wide)}
    rows_stacked = {round(b[1], 6) for b in _panel_boxes(panels.stacked)}
    assert (len(rows_wide), len(rows_stacked)) == (2, 3)


@pytest.mark.parametrize("name", EXAMPLES)
def test_same_text_fonts_and_colours_in_both_layouts(name, panels):
    wide, stacked = panels.svg("wide"), panels.svg("stacked")
    # The same sizes (a taller panel may show another number of ticks, so not the same count of each).
    assert set(_font_sizes(wide)) == set(_font_sizes(stacked)), f"{name}: the stacked figure changes the fonts"
    labels = [[(ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes]
              for fig in (panels.wide, panels.stacked)]
    assert labels[0] == labels[1], f"{name}: the stacked figure changes titles or axis labels"
    assert set(_COLOUR.findall(wide.lower())) == set(_COLOUR.findall(stacked.lower())), f"{name}: other colours"


def test_palette_is_kept():
    wide = _line_panels(3).svg("stacked").lower()
    assert all(colour.lower() in wide for colour in PALETTE[:3])


@pytest.mark.parametrize("name", EXAMPLES)
def test_notebook_output_is_the_wide_svg_with_the_stacked_one_in_its_metadata(name, panels):
    data, metadata = panels._repr_mimebundle_()
    assert data["image/svg+xml"] == panels.svg("wide")
    assert data["text/plain"].startswith("<Panels")
    meta = metadata[METADATA_KEY]
    assert meta["stacked"] == panels.svg("stacked") and meta["stacked"] != data["image/svg+xml"]
    assert meta["n_panels"] == panels.n_panels
    # The wide figure's smallest text at wide_min_px: 9 px, from the SVG itself (font sizes in view box units).
    smallest = _smallest_text(panels.svg("wide"))[0]
    at_min = smallest * meta["wide_min_px"] / _view_width(panels.svg("wide"))
    assert MIN_TEXT_PX <= at_min < MIN_TEXT_PX * 1.01
    assert meta["wide_min_px"] > PHONE_COLUMN_PX, f"{name}: would need no stacked rendering"


@pytest.mark.parametrize("name", EXAMPLES)
def test_stacked_text_is_legible_in_a_phone_column(name, panels):
    svg = panels.svg("stacked")
    view = _view_width(svg)
    shown = min(PHONE_COLUMN_PX, view * 4 / 3)  # an SVG is shown at its natural size (1 pt = 4/3 px) or shrunk
    text, script = (size * shown / view for size in _smallest_text(svg))
    assert text >= MIN_TEXT_PX, f"{name}: stacked text {text:.1f} px on a phone"
    assert script >= 0.7 * MIN_TEXT_PX, f"{name}: stacked sub/superscripts {script:.1f} px on a phone"


def test_same_figure_gives_the_same_svg_and_no_pyplot_figure():
    before = plt.get_fignums()
    first, second = _line_panels(2), _line_panels(2)
    assert first.svg("wide") == second.svg("wide") and first.svg("stacked") == second.svg("stacked")
    assert plt.get_fignums() == before, "Panels must not leave pyplot figures behind (a notebook would show them)"


def test_draw_runs_once_per_layout_on_n_axes():
    calls = []
    Panels(lambda axes: calls.append(len(axes)), 4, panel_size=(2, 2))
    assert calls == [4, 4]


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(draw=None), TypeError, "draw must be a function"),
    (dict(n_panels=0), ValueError, "n_panels must be a positive integer"),
    (dict(n_panels=2.5), ValueError, "n_panels must be a positive integer"),
    (dict(n_panels=True), ValueError, "n_panels must be a positive integer"),
    (dict(panel_size=(3.0,)), ValueError, r"panel_size must be \(width, height\)"),
    (dict(panel_size=(3.0, -1.0)), ValueError, "panel_size must be two positive finite"),
    (dict(panel_size="wide"), ValueError, "panel_size must be"),
    (dict(ncols=0), ValueError, "ncols must be a positive integer"),
    (dict(stacked_ncols=0), ValueError, "stacked_ncols must be a positive integer"),
    (dict(stacked_width=0.0), ValueError, "stacked_width must be a positive width"),
])
def test_bad_arguments_name_the_argument(kwargs, error, match):
    args = dict(draw=lambda axes: None, n_panels=2)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        Panels(args.pop("draw"), args.pop("n_panels"), **args)


def test_unknown_layout_is_refused():
    with pytest.raises(ValueError, match="layout must be 'wide' or 'stacked'"):
        _line_panels(2).svg("tall")


def _titled_panels(title):
    """Figure 6.1's layout (three 3.33 in panels in a row) with ``title(k)`` over panel k."""
    def draw(axes):
        for k, ax in enumerate(axes):
            ax.plot([0, 1], [0, 1])
            ax.set_title(title(k))
    return draw


FIGURE_6_1 = ["multinomial (lecture_lib)", "one-vs-rest", "one-vs-one"]


def test_overlapping_panel_titles_are_refused():
    """Issue 19: Figure 6.1's one-line titles ran into each other; Panels names them instead of drawing that."""
    with pytest.raises(ValueError, match=r"titles of panels overlap in the wide layout: "
                                         r"'multinomial \(lecture_lib\): training accuracy 0.953' and 'one-vs-rest"):
        Panels(_titled_panels(lambda k: f"{FIGURE_6_1[k]}: training accuracy 0.953"), 3,
               panel_size=(3.33, 3.8), sharey=True)
    # On two lines (as the chapter writes them now) they fit, in both layouts.
    panels = Panels(_titled_panels(lambda k: f"{FIGURE_6_1[k]}\ntraining accuracy 0.953"), 3,
                    panel_size=(3.33, 3.8), sharey=True)
    assert overlapping_titles(panels.wide) == [] and overlapping_titles(panels.stacked) == []
    titles = [ax.title.get_window_extent() for ax in panels.axes]
    assert all(a.x1 < b.x0 for a, b in zip(titles, titles[1:]))  # side by side, apart
