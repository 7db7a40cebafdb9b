"""The course's colours: one leaf module (no imports), shared by the figures and the in-page widgets.

The widgets (:mod:`lecture_lib.explorer`, :mod:`lecture_lib.trainer`) take their colours from here
rather than from :mod:`lecture_lib.plotting`, so that importing them imports no matplotlib and
leaves its settings alone.
"""

#: Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#999999", "#882255")
