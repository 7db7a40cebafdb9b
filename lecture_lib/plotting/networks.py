r"""Diagrams of fully connected networks (chapter *PyTorch*).

Softmax regression is a network with one linear layer, ``d`` inputs and ``K`` outputs; an MLP
puts hidden layers in between. :func:`plot_network` draws such a network from its layer sizes,
one column of units per layer and one line per weight, and :func:`network_layout` computes where
the units go (so the drawing can be tested without looking at it).

A layer with more units than fit is drawn with its first and last few units and a vertical
ellipsis between them; the label under the column gives the true size.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from .._validation import check_positive
from ..palette import PALETTE

__all__ = ["network_layout", "plot_network"]


def _check_sizes(sizes) -> list[int]:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ValueError(f"sizes must be a sequence of at least two layer sizes (inputs, ..., outputs); "
                         f"got {sizes!r}.")
    for i, n in enumerate(sizes):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"sizes[{i}] must be a positive integer (units in that layer); got {n!r}.")
    return [int(n) for n in sizes]


def network_layout(sizes: Sequence[int], max_units: int = 8) -> list[dict]:
    r"""Positions of the units drawn for each layer of a fully connected network.

    Parameters
    ----------
    sizes : sequence of int, length ``L + 1 >= 2``
        Units per layer, inputs first: ``(d, K)`` for softmax regression, ``(d, h, K)`` for an
        MLP with one hidden layer of ``h`` units.
    max_units : int, default 8
        At most this many units are drawn per layer (at least 3). A larger layer shows its first
        ``max_units - 1 - max_units // 2`` and last ``max_units // 2`` units (``max_units - 1`` in all),
        with an ellipsis in the freed slot.

    Returns
    -------
    list of dict, one per layer
        ``x`` (float, the column), ``y`` (ndarray ``(n_drawn,)``, heights of the drawn units,
        centred on 0 and one unit apart), ``index`` (ndarray ``(n_drawn,)``, which units of the
        layer they are, 0-based), ``ellipsis`` (float or None, the height of the ellipsis) and
        ``size`` (the true number of units).
    """
    sizes = _check_sizes(sizes)
    check_positive(max_units, "max_units", integer=True)
    if max_units < 3:
        raise ValueError(f"max_units must be at least 3 (first unit, ellipsis, last unit); got {max_units}.")
    layers = []
    for column, n in enumerate(sizes):
        if n <= max_units:
            index, gap = np.arange(n), None
        else:
            tail = max_units // 2
            head = max_units - 1 - tail
            index, gap = np.concatenate([np.arange(head), np.arange(n - tail, n)]), head
        slots = len(index) + (gap is not None)
        heights = (slots - 1) / 2 - np.arange(slots, dtype=float)  # top to bottom, centred on 0
        if gap is None:
            y, ellipsis = heights, None
        else:
            y, ellipsis = np.delete(heights, gap), float(heights[gap])
        layers.append({"x": float(column), "y": y, "index": index, "ellipsis": ellipsis, "size": n})
    return layers


def plot_network(sizes: Sequence[int], *, layer_names: Sequence[str] | None = None, max_units: int = 8,
                 title: str | None = None, ax=None):
    r"""Draw a fully connected network: a column of units per layer, a line per weight.

    Parameters
    ----------
    sizes : sequence of int
        Units per layer, inputs first, e.g. ``(64, 10)`` for softmax regression on the digits
        (:math:`Z = XW + b`, ``W (d, K)``) or ``(64, 32, 10)`` for an MLP with one hidden layer.
    layer_names : sequence of str, optional
        One label per layer, shown under its column above the layer's size (default: "inputs",
        "hidden 1", ..., "outputs").
    max_units : int, default 8
        Units drawn per layer at most; see :func:`network_layout`.
    title : str, optional
        Axes title.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made if omitted.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Between layers of :math:`n` and :math:`n'` units there are :math:`n n'` weights and :math:`n'`
    biases; only the lines between drawn units are drawn. Input units are grey, hidden units
    blue and output units (the logits, which the softmax turns into probabilities) orange.
    """
    layers = network_layout(sizes, max_units)
    n_layers = len(layers)
    if layer_names is None:
        layer_names = ["inputs", *[f"hidden {i}" for i in range(1, n_layers - 1)], "outputs"]
    layer_names = [str(name) for name in layer_names]
    if len(layer_names) != n_layers:
        raise ValueError(f"layer_names must have one name per layer ({n_layers}); got {len(layer_names)}.")
    if ax is None:
        fig, ax = plt.subplots(figsize=(1.6 * n_layers + 0.8, 3.6), layout="constrained")
    else:
        fig = ax.figure
    colours = [PALETTE[8], *[PALETTE[0]] * (n_layers - 2), PALETTE[1]]
    for left, right in zip(layers, layers[1:]):
        for y0 in left["y"]:
            for y1 in right["y"]:
                ax.plot([left["x"], right["x"]], [y0, y1], color="0.75", lw=0.5, zorder=1)
    top = max(len(layer["y"]) + (layer["ellipsis"] is not None) for layer in layers) / 2
    for layer, colour, name in zip(layers, colours, layer_names):
        ax.scatter(np.full(len(layer["y"]), layer["x"]), layer["y"], s=160, color=colour,
                   edgecolors="black", linewidths=0.6, zorder=2)
        if layer["ellipsis"] is not None:
            ax.text(layer["x"], layer["ellipsis"], "\u22ee", ha="center", va="center", fontsize=14, zorder=2)
        ax.text(layer["x"], -top - 0.3, f"{name}\n{layer['size']} units", ha="center", va="top", fontsize=9)
    ax.set_xlim(-0.5, n_layers - 0.5)
    ax.set_ylim(-top - 1.6, top + 0.2)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig
