"""The course's figure style: every helper's text is legible at the width the site shows the figure."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from lecture_lib import SoftmaxRegression  # noqa: E402
from lecture_lib.plotting import (PALETTE, Panels, plot_class_weights, plot_confusion_matrix, plot_decision_regions,  # noqa: E402
                                  plot_loss_curves, plot_misclassified, plot_negative_log, plot_probabilities,
                                  plot_reliability_curve, plot_sigmoid_as_softmax, plot_smoothed_loss,
                                  plot_softmax_curves, plot_temperatures)
from lecture_lib.plotting.style import (COURSE_STYLE, MIN_FONT_PT, MIN_TEXT_PX, TEXT_COLUMN_PX,  # noqa: E402
                                        rendered_px_per_pt)


def _data():
    rng = np.random.default_rng(14)
    m, K = 60, 3
    y = np.arange(m) % K
    X = rng.standard_normal((m, 2)) + 2.5 * np.eye(K, 2)[y]
    P = rng.dirichlet(np.ones(10), size=12)
    return rng, X, y, P


def figures():
    rng, X, y, P = _data()
    model = SoftmaxRegression().fit(X, y)
    yield "probabilities", plot_probabilities([0.2, 0.5, 0.3])
    yield "softmax curves", plot_softmax_curves([2.0, 1.0, 0.1], k=0)
    yield "sigmoid", plot_sigmoid_as_softmax()
    yield "temperatures", plot_temperatures([2.0, 1.0, 0.1], (0.5, 1.0, 5.0))
    yield "negative log", plot_negative_log(marks=[0.1, 0.7])
    yield "smoothed loss", plot_smoothed_loss(10, 0.1)
    yield "loss curves", plot_loss_curves({"a": [3.0, 2.0, 1.5], "b": [3.0, 1.0, 0.5]})
    yield "confusion", plot_confusion_matrix(rng.integers(0, 10, 200), rng.integers(0, 10, 200))
    yield "class weights", plot_class_weights(rng.standard_normal((64, 10)))
    yield "misclassified", plot_misclassified(rng.random((8, 64)), rng.integers(0, 10, 8), P[:8], ncols=8)
    yield "decision regions", plot_decision_regions(model, X, y, resolution=60)
    yield "reliability", plot_reliability_curve({"model": (rng.integers(0, 10, 12), P)})


def smallest_text_pt(fig) -> float:
    fig.canvas.draw()
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return min(sizes)


def layouts():
    """Each helper's figure; a multi-panel one (``Panels``) in both its layouts."""
    for name, fig in figures():
        if isinstance(fig, Panels):
            yield f"{name} (wide)", fig.wide
            yield f"{name} (stacked)", fig.stacked
        else:
            yield name, fig


@pytest.mark.parametrize("name, fig", list(layouts()), ids=lambda v: v if isinstance(v, str) else "")
def test_helper_text_is_legible_in_the_text_column(name, fig):
    width_in = fig.get_size_inches()[0]
    smallest = smallest_text_pt(fig)
    assert smallest >= MIN_FONT_PT - 0.01, f"{name}: {smallest} pt text"
    shown = smallest * rendered_px_per_pt(width_in)
    assert shown >= MIN_TEXT_PX, f"{name}: {width_in} in wide, its {smallest} pt text shows at {shown:.1f} px"
    plt.close(fig)


def test_rendered_size_formula():
    # A 6 in figure is shown at its natural 576 px (4/3 px per pt); a 14 in one is shrunk into the column.
    assert rendered_px_per_pt(6.0) == pytest.approx(4 / 3)
    assert rendered_px_per_pt(14.0) == pytest.approx(TEXT_COLUMN_PX / (72 * 14))
    # The 14 in, 9 pt titles of the old misclassified figure were the 6-7 px of issue 14.
    assert 9 * rendered_px_per_pt(14.0) < 7


def test_style_is_applied_and_figures_are_svg_with_text():
    assert all(matplotlib.rcParams[k] == v for k, v in COURSE_STYLE.items())
    fig = plot_probabilities([0.2, 0.5, 0.3])
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    svg = buffer.getvalue()
    assert "<text" in svg and "class 2" in svg  # real text, not glyph paths: it scales and can be searched
    assert PALETTE[1].lower() in svg.lower()  # the colour-blind-safe palette is kept
