"""The interactive softmax explorer (interface; being implemented).

- ``softmax_explorer(logits, temperature)``: ipywidgets version for JupyterLab.
- ``explorer_html(logits, temperature)``: self-contained HTML/JS version that works in the static site.
- ``plot_softmax_bars(z, temperature)``: the static figure of the same view.
"""

from __future__ import annotations

import numpy as np

from .functions import softmax

DEFAULT_LOGITS = (2.0, 1.0, 0.1)


def plot_softmax_bars(z=DEFAULT_LOGITS, temperature: float = 1.0, ax=None):
    import matplotlib.pyplot as plt

    z = np.asarray(z, dtype=float)
    p = softmax(z / temperature)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3))
    ax.bar([f"class {k + 1}" for k in range(z.size)], p)
    ax.set_ylabel("probability")
    return ax.figure


def softmax_explorer(logits=DEFAULT_LOGITS, temperature: float = 1.0):
    import ipywidgets as widgets

    return widgets.VBox([widgets.FloatSlider(value=v, description=f"z{k + 1}") for k, v in enumerate(logits)])


def explorer_html(logits=DEFAULT_LOGITS, temperature: float = 1.0):
    from IPython.display import HTML

    return HTML("<div class='softmax-explorer'>(explorer)</div>")
