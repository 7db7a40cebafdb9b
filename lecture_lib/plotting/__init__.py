"""Plotting helpers used by the chapters, so that each page shows the idea and not the boilerplate.

All figures use the colour-blind-safe Okabe–Ito palette (:data:`PALETTE`), label their axes and
return the matplotlib ``Figure`` so a chapter can give it a caption.
"""

#: Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#999999", "#882255")
