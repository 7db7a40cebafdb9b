"""Plotting helpers used by the chapters, so that each page shows the idea and not the boilerplate.

All figures use the colour-blind-safe Okabe–Ito palette (:data:`PALETTE`), label their axes and
return the matplotlib ``Figure`` so a chapter can give it a caption.
"""

#: Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#999999", "#882255")
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
    plot_softmax_curves,
    plot_temperatures,
)
