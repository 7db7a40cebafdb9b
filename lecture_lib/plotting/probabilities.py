r"""Figures for the chapters on modeling, the forward pass and the loss.

Each helper draws one idea, labels its axes, uses the Okabe–Ito palette
(:data:`lecture_lib.plotting.PALETTE`) and returns the matplotlib ``Figure`` so that a chapter can
``glue`` it with a caption and then close it. Every number drawn is computed with
:mod:`lecture_lib` (``softmax``, ``sigmoid``, ``cross_entropy``), never re-implemented here.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from .._validation import as_float_array, check_positive
from ..explorer import DEFAULT_LOGITS, _format_number
from ..explorer import _check as _check_explorer_input
from ..functions import sigmoid, softmax
from ..information import smooth_labels
from ..losses import cross_entropy
from ..palette import PALETTE
from .panels import Panels

__all__ = [
    "plot_negative_log",
    "plot_probabilities",
    "plot_sigmoid_as_softmax",
    "plot_smoothed_loss",
    "plot_softmax_curves",
    "plot_temperatures",
]


def _class_names(K: int, class_names, start: int = 1) -> list[str]:
    if class_names is None:
        return [f"class {k + start}" for k in range(K)]
    names = [str(c) for c in class_names]
    if len(names) != K:
        raise ValueError(f"class_names must have one name per class (K={K}); got {len(names)} names.")
    return names


def _new_axes(ax, figsize):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return ax.figure, ax


def plot_probabilities(a, class_names=None, ax=None, title: str | None = None):
    r"""Bar chart of one probability vector, with the predicted class highlighted.

    Parameters
    ----------
    a : array_like, ``(K,)``
        Probabilities :math:`a_k` of one sample (non-negative, summing to one).
    class_names : sequence of str, optional
        One label per bar; default ``"class 1"`` … ``"class K"`` (the page numbers classes from 1).
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made if omitted.
    title : str, optional

    Returns
    -------
    fig : matplotlib Figure

    Notes
    -----
    The highlighted bar is the prediction :math:`\hat y = \arg\max_k a_k`; each bar is
    labelled with its value to four decimals.
    """
    a = as_float_array(a, "a", ndim=1)
    if a.min() < 0 or not np.isclose(a.sum(), 1.0, atol=1e-6):
        raise ValueError("a must hold probabilities: non-negative and summing to 1; did you pass logits?")
    names = _class_names(a.size, class_names)
    fig, ax = _new_axes(ax, (5, 3))
    colours = [PALETTE[1] if k == int(np.argmax(a)) else PALETTE[0] for k in range(a.size)]
    bars = ax.bar(names, a, color=colours)
    ax.bar_label(bars, labels=[f"{v:.4f}" for v in a], padding=2)
    ax.set_ylim(0, 1.1)
    ax.set_xlabel("class $k$")
    ax.set_ylabel("probability $a_k$")
    if title:
        ax.set_title(title)
    return fig


def plot_softmax_curves(z, k: int = 0, z_range=(-6.0, 6.0), n_points: int = 241, ax=None):
    r"""How every probability changes when one logit moves and the others stay fixed.

    Parameters
    ----------
    z : array_like, ``(K,)``
        Logits; entry ``k`` is replaced by the values on the horizontal axis.
    k : int
        Index (from 0, as in code) of the logit that varies.
    z_range : (float, float)
        Interval of values taken by :math:`z_k`.
    n_points : int
        Number of grid points.
    ax : matplotlib Axes, optional

    Returns
    -------
    fig : matplotlib Figure

    Notes
    -----
    Draws :math:`a_l = \operatorname{softmax}(z)_l` for every class :math:`l` as a function of
    :math:`z_k`, plus their sum (a flat line at 1). The curves are smooth (softmax is
    differentiable), stay strictly between 0 and 1, and :math:`a_k` is the only one that rises.
    """
    z = as_float_array(z, "z", ndim=1)
    if not isinstance(k, (int, np.integer)) or not 0 <= k < z.size:
        raise ValueError(f"k must be a class index in 0..{z.size - 1}; got {k!r}.")
    check_positive(n_points, "n_points", integer=True)
    lo, hi = (float(v) for v in z_range)
    if not lo < hi:
        raise ValueError(f"z_range must be (low, high) with low < high; got {z_range!r}.")
    grid = np.linspace(lo, hi, n_points)
    Z = np.tile(z, (n_points, 1))
    Z[:, k] = grid
    P = softmax(Z)
    fig, ax = _new_axes(ax, (6, 3.5))
    for l in range(z.size):  # l: a class index, as on the notation page
        label = f"$a_{{{l + 1}}}$" + (f" (its logit $z_{{{k + 1}}}$ varies)" if l == k else "")
        ax.plot(grid, P[:, l], color=PALETTE[l % len(PALETTE)], lw=2, label=label)
    ax.plot(grid, P.sum(axis=1), color=PALETTE[7], ls="--", lw=1, label="sum of all $a_l$")
    ax.set_xlabel(f"logit $z_{{{k + 1}}}$")
    ax.set_ylabel("probability")
    ax.set_ylim(-0.05, 1.1)
    ax.legend(loc="center left", fontsize="small")
    return fig


def plot_sigmoid_as_softmax(z_range=(-6.0, 6.0), n_points: int = 241, ax=None):
    r"""The sigmoid next to the two-class softmax with logits :math:`(0, z)`: the same curve.

    Parameters
    ----------
    z_range : (float, float)
        Interval of the logit :math:`z`.
    n_points : int
        Number of grid points.
    ax : matplotlib Axes, optional

    Returns
    -------
    fig : matplotlib Figure

    Notes
    -----
    .. math:: \operatorname{softmax}(z_1, z_2)_2 = \frac{e^{z_2}}{e^{z_1} + e^{z_2}}
              = \sigma(z_2 - z_1),

    so with :math:`z_1 = 0` the second softmax probability is exactly :math:`\sigma(z_2)`: the binary label
    1 is class 2 (class index 1 in code), as in the book.
    The sigmoid is drawn as a thick line and the softmax as dots on top of it.
    """
    check_positive(n_points, "n_points", integer=True)
    lo, hi = (float(v) for v in z_range)
    if not lo < hi:
        raise ValueError(f"z_range must be (low, high) with low < high; got {z_range!r}.")
    grid = np.linspace(lo, hi, n_points)
    a_softmax = softmax(np.column_stack([np.zeros_like(grid), grid]))[:, 1]
    fig, ax = _new_axes(ax, (6, 3.5))
    ax.plot(grid, sigmoid(grid), color=PALETTE[0], lw=4, label=r"sigmoid $\sigma(z)$")
    ax.plot(grid[::8], a_softmax[::8], "o", color=PALETTE[1], ms=4,
            label=r"softmax$(0, z)_2$")
    ax.set_xlabel("logit $z$")
    ax.set_ylabel("$P(y = 1 \\mid x)$")
    ax.legend(loc="upper left")
    return fig


def plot_temperatures(z, temperatures=(0.5, 1.0, 5.0)):
    r"""One softmax bar chart per temperature, side by side (stacked on a phone), for the same logits.

    Parameters
    ----------
    z : array_like, ``(K,)``
        Logits.
    temperatures : sequence of float
        Temperatures :math:`T > 0`.

    Returns
    -------
    Panels
        One panel per temperature (:class:`~lecture_lib.plotting.panels.Panels`: the panels in a row,
        and stacked for narrow screens); ``.wide`` is the matplotlib Figure.

    Notes
    -----
    Panel :math:`t` shows :math:`\operatorname{softmax}(z / T_t)`, drawn by
    :func:`plot_softmax_bars` (the static view of the softmax explorer).
    A small :math:`T` sharpens the distribution towards the arg max, a large one flattens it
    towards uniform; the order of the bars never changes.
    """

    z = as_float_array(z, "z", ndim=1)
    temperatures = [float(T) for T in temperatures]
    if not temperatures:
        raise ValueError("temperatures must contain at least one temperature.")
    for T in temperatures:
        check_positive(T, "temperature")

    def draw(axes):
        for ax, T in zip(axes, temperatures):
            plot_softmax_bars(z, temperature=T, ax=ax)  # titles each panel with its T

    return Panels(draw, len(temperatures), panel_size=(3.3, 3.4), sharey=True)


def plot_negative_log(marks=None, ax=None, p_min: float = 1e-3, n_points: int = 400):
    r"""The loss :math:`-\log p` of a sample whose true class gets probability :math:`p`.

    Parameters
    ----------
    marks : sequence of float in (0, 1], optional
        Probabilities to mark on the curve with their loss.
    ax : matplotlib Axes, optional
    p_min : float
        Left end of the plotted interval :math:`[p_{\min}, 1]` (the curve goes to infinity at 0).
    n_points : int
        Number of grid points (spaced logarithmically, so the steep part is smooth).

    Returns
    -------
    fig : matplotlib Figure

    Notes
    -----
    .. math:: L = -\log a_{y}, \qquad L(1) = 0, \qquad L \to \infty \text{ as } a_y \to 0.
    """
    check_positive(p_min, "p_min")
    if not p_min < 1:
        raise ValueError(f"p_min must be in (0, 1); got {p_min!r}.")
    check_positive(n_points, "n_points", integer=True)
    p = np.geomspace(p_min, 1.0, n_points)
    fig, ax = _new_axes(ax, (6, 3.5))
    ax.plot(p, -np.log(p), color=PALETTE[0], lw=2, label=r"$\ell = -\log a_y$")
    if marks is not None:
        marks = as_float_array(marks, "marks", ndim=1)
        if marks.min() <= 0 or marks.max() > 1:
            raise ValueError("marks must be probabilities in (0, 1].")
        ax.plot(marks, -np.log(marks), "o", color=PALETTE[5], ms=7, label="marked points")
        for q in marks:
            ax.annotate(f"$a_y = {q:.4f}$\n$\\ell = {-np.log(q):.4f}$", (q, -np.log(q)), textcoords="offset points",
                        xytext=(8, 6), fontsize="small")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("probability $a_y$ given to the true class $y$")
    ax.set_ylabel(r"loss $\ell = -\log a_y$")
    ax.legend(loc="upper right")
    return fig


def plot_smoothed_loss(K: int, epsilon: float, gap_max: float = 15.0, ax=None, n_points: int = 400):
    r"""The loss of one sample against the gap between its true class's logit and the others'.

    Parameters
    ----------
    K : int
        Number of classes.
    epsilon : float
        Label smoothing, ``0 < epsilon <= 1``.
    gap_max : float
        Right end of the plotted gaps :math:`g \in [0, g_{\max}]`.
    ax : matplotlib Axes, optional
    n_points : int
        Number of grid points.

    Returns
    -------
    fig : matplotlib Figure

    Notes
    -----
    The logits are :math:`z = (g, 0, \dots, 0)` (true class first); the curves are
    ``cross_entropy`` of the one-hot target, :math:`\log(1 + (K - 1) e^{-g})`, which falls towards 0
    for ever larger :math:`g`, and of the smoothed target :math:`\tilde y` (:func:`lecture_lib.smooth_labels`),
    smallest at :math:`g^* = \log\bigl((1 - \varepsilon + \varepsilon / K) / (\varepsilon / K)\bigr)`,
    where it equals :math:`H(\tilde y)`; the minimum is marked.
    """
    check_positive(K, "K", integer=True)
    check_positive(epsilon, "epsilon")
    if epsilon > 1:
        raise ValueError(f"epsilon must be in (0, 1]; got {epsilon!r}.")
    check_positive(gap_max, "gap_max")
    check_positive(n_points, "n_points", integer=True)
    gaps = np.linspace(0.0, gap_max, n_points)
    Z = np.zeros((n_points, K))
    Z[:, 0] = gaps
    one_hot_loss = cross_entropy(np.zeros(n_points, dtype=int), Z, reduction="none")
    smoothed = smooth_labels(np.zeros(n_points, dtype=int), K, epsilon)
    smoothed_loss = cross_entropy(smoothed, Z, reduction="none")
    best = math.log((1 - epsilon + epsilon / K) / (epsilon / K))
    best_loss = cross_entropy(smoothed[:1], np.array([[best] + [0.0] * (K - 1)]))
    fig, ax = _new_axes(ax, (6, 3.5))
    ax.plot(gaps, one_hot_loss, color=PALETTE[0], lw=2, label="one-hot target")
    ax.plot(gaps, smoothed_loss, color=PALETTE[5], lw=2, ls="--", label=rf"smoothed target, $\varepsilon = {epsilon:g}$")
    ax.plot([best], [best_loss], "o", color=PALETTE[5], ms=7, label=rf"smoothed minimum, gap {best:.2f}")
    ax.set_xlim(0, gap_max)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(f"gap between the true class's logit and the other {K - 1} logits")
    ax.set_ylabel("loss of the sample")
    ax.legend(loc="upper right")
    return fig


def plot_softmax_bars(z=DEFAULT_LOGITS, temperature: float = 1.0, ax=None):
    r"""Bar chart of :math:`a = \operatorname{softmax}(z / T)` with the probabilities written on the bars.

    Parameters
    ----------
    z : array_like, ``(K,)``
        Logits, finite.
    temperature : float
        :math:`T > 0`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created if omitted.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the chart (Okabe-Ito colours, labelled axes).
    """
    z, temperature = _check_explorer_input(z, temperature)
    a = softmax(z / temperature)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3), layout="constrained")
    K = z.size
    colours = [PALETTE[k % len(PALETTE)] for k in range(K)]
    bars = ax.bar(np.arange(1, K + 1), a, color=colours, edgecolor="black", linewidth=0.5)
    ax.bar_label(bars, labels=[f"{p:.3f}" for p in a], padding=2, fontsize="small")
    ax.set_xticks(np.arange(1, K + 1), [f"{k}\n$z_{{{k}}}$={_format_number(v)}" for k, v in enumerate(z, 1)])
    ax.set_xlabel("class $k$")
    ax.set_ylabel("probability $a_k$")
    ax.set_ylim(0, 1.12)
    ax.set_title(rf"$a = \mathrm{{softmax}}(z / T)$ with $T = {_format_number(temperature)}$")
    ax.spines[["top", "right"]].set_visible(False)
    return ax.figure
