"""Plotting helpers used by the chapters, so that each page shows the idea and not the boilerplate.

All figures use the colour-blind-safe Okabe–Ito palette (:data:`PALETTE`), label their axes and
return the matplotlib ``Figure`` so a chapter can give it a caption. Importing this package applies the
course style (:mod:`lecture_lib.plotting.style`: legible font sizes, SVG figures in notebooks).
"""

from ..palette import PALETTE  # noqa: F401  (re-exported: lecture_lib.plotting.PALETTE)
from .style import COURSE_STYLE, MIN_FONT_PT, MIN_TEXT_PX, rendered_px_per_pt, use_course_style  # noqa: E402

use_course_style()

from .panels import Panels  # noqa: E402  (multi-panel figures, wide and stacked for phones)

from .training import (  # noqa: E402  (chapters 4-6: training curves and evaluation figures)
    plot_class_weights,
    plot_confusion_matrix,
    plot_decision_regions,
    plot_loss_curves,
    plot_misclassified,
    plot_reliability_curve,
    reliability_bins,
)
from .probabilities import (  # noqa: E402  (needs PALETTE above)
    plot_negative_log,
    plot_probabilities,
    plot_sigmoid_as_softmax,
    plot_softmax_bars,
    plot_smoothed_loss,
    plot_softmax_curves,
    plot_temperatures,
)
