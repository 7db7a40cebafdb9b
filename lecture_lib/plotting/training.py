r"""Figures for training and evaluating a classifier (chapters *Gradient derivation*,
*Handwritten digits* and *Comparisons*).

Every function returns the matplotlib ``Figure`` it drew on (the figure of ``ax`` when one is
given), labels its axes and takes its colours from the Okabe–Ito :data:`PALETTE`. Shapes follow
the book: ``m`` samples, ``d`` features, ``K`` classes; ``P (m, K)`` holds probabilities and
``W (d, K)`` the weights, one column per class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

from .._validation import as_float_array
from ..palette import PALETTE
from .panels import Panels, _positive_int
from .style import MIN_FONT_PT

__all__ = [
    "plot_class_weights",
    "plot_confusion_matrix",
    "plot_decision_regions",
    "plot_loss_curves",
    "plot_misclassified",
    "plot_reliability_curve",
    "reliability_bins",
]


def _axes(ax, figsize):
    """Return ``(fig, ax)``: a new figure when ``ax`` is None, else ``ax``'s figure."""
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def _check_labels(y, name: str, m: int | None = None) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{name} must be a 1-D array of integer class labels; got dtype {y.dtype}, shape {y.shape}.")
    if m is not None and y.shape[0] != m:
        raise ValueError(f"{name} must have {m} entries to match the other arguments; got {y.shape[0]}.")
    return y


def _check_probabilities(P, name: str = "P") -> np.ndarray:
    P = as_float_array(P, name, ndim=2)
    if P.min() < 0 or not np.allclose(P.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError(f"{name} must hold probabilities: non-negative rows of shape (m, K) that sum to 1.")
    return P


def plot_loss_curves(histories: Mapping[str, Sequence[float]], *, ax=None, optimum: float | None = None,
                     xlabel: str = "epoch", logy: bool = True, title: str | None = None, legend: bool = True):
    r"""Plot one cost curve per entry of ``histories`` on shared axes.

    Parameters
    ----------
    histories : mapping of str to sequence of float
        Label -> costs :math:`J` recorded after each epoch/iteration (e.g. a model's ``loss_history_``).
        The first entry is plotted at x = 1.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made if omitted.
    optimum : float, optional
        A reference value :math:`J^\star` (the minimum of the cost). If given, the curves show the
        gap :math:`J - J^\star`, which on a log axis shows the rate of convergence.
    xlabel : str
        Label of the x axis (what one step of the history is).
    logy : bool
        Logarithmic y axis.
    title : str, optional
        Axes title.
    legend : bool
        Draw a legend (switch off for the second of two panels that share one).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(histories, Mapping) or not histories:
        raise TypeError("histories must be a non-empty mapping from a label to a sequence of costs.")
    fig, ax = _axes(ax, (6, 4))
    for (label, history), colour in zip(histories.items(), _cycle(len(histories))):
        J = as_float_array(history, f"histories[{label!r}]", ndim=1).astype(np.float64)
        if optimum is not None:
            J = J - optimum
        ax.plot(np.arange(1, J.size + 1), J, label=label, color=colour, lw=1.8)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(r"$J - J^\star$" if optimum is not None else "cost $J$")
    if title:
        ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    if legend:
        ax.legend(frameon=False)
    return fig


def _cycle(n: int):
    return [PALETTE[i % len(PALETTE)] for i in range(n)]


def plot_confusion_matrix(y_true, y_pred, *, class_names: Sequence[str] | None = None, ax=None):
    r"""Draw the confusion matrix: row = true class, column = predicted class, cell = count.

    Parameters
    ----------
    y_true, y_pred : array_like of int, ``(m,)``
        True and predicted class indices in ``0..K-1``.
    class_names : sequence of str, optional
        Tick labels, ``K`` of them (default ``0..K-1``).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Cell :math:`(k, l)` counts the samples with :math:`y^{(i)} = k` and :math:`\hat y^{(i)} = l`;
    the diagonal holds the correct predictions.
    """
    y_true = _check_labels(y_true, "y_true")
    y_pred = _check_labels(y_pred, "y_pred", y_true.shape[0])
    K = int(max(y_true.max(), y_pred.max())) + 1 if class_names is None else len(class_names)
    if min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= K:
        raise ValueError(f"labels must lie in 0..{K - 1}.")
    C = np.zeros((K, K), dtype=int)
    np.add.at(C, (y_true, y_pred), 1)
    names = [str(k) for k in range(K)] if class_names is None else [str(c) for c in class_names]

    fig, ax = _axes(ax, (0.52 * K + 0.6, 0.52 * K + 2.0))
    image = ax.imshow(C, cmap="Blues")
    threshold = C.max() / 2
    for (k, l), count in np.ndenumerate(C):
        if count:
            ax.text(l, k, str(count), ha="center", va="center", fontsize=MIN_FONT_PT,
                    color="white" if count > threshold else "black")
    ax.set_xticks(range(K), names)
    ax.set_yticks(range(K), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    # The colour bar under the matrix, not beside it: with ten classes the figure is about 4.5 inches wide,
    # so a phone's 330 px column shows it whole with its counts at 10 px (tests/browser/test_layout.py).
    fig.colorbar(image, ax=ax, label="number of samples", location="bottom", shrink=0.8, aspect=30, pad=0.12)
    return fig


def plot_class_weights(W, *, image_shape: tuple[int, int] = (8, 8), class_names: Sequence[str] | None = None,
                       ncols: int = 5):
    r"""Show each class's weight vector :math:`w_k` (column ``k`` of ``W``) as an image.

    Parameters
    ----------
    W : array_like, ``(d, K)``
        Weights, with ``d = image_shape[0] * image_shape[1]`` (one weight per pixel).
    image_shape : (int, int)
        Height and width of an image.
    class_names : sequence of str, optional
        Panel titles (default ``"class k"``).
    ncols : int
        Panels per row (on a phone: at most three).

    Returns
    -------
    Panels
        The panels in rows of ``ncols``, and in narrower rows for phones
        (:class:`~lecture_lib.plotting.panels.Panels`); ``.wide`` is the matplotlib Figure.

    Notes
    -----
    All panels share one symmetric colour scale centred on zero: orange pixels push the logit
    :math:`z_k = w_k^\top x + b_k` up when they are inked, purple pixels push it down.
    """
    W = as_float_array(W, "W", ndim=2)
    d, K = W.shape
    if int(np.prod(image_shape)) != d:
        raise ValueError(f"W must have d = {image_shape[0]}*{image_shape[1]} rows to be shown as "
                         f"{image_shape} images; got W of shape {W.shape}.")
    names = [f"class {k}" for k in range(K)] if class_names is None else [str(c) for c in class_names]
    limit = float(np.abs(W).max()) or 1.0

    def draw(axes):
        for k, ax in enumerate(axes):
            ax.set_xticks([])
            ax.set_yticks([])
            image = ax.imshow(W[:, k].reshape(image_shape), cmap="PuOr_r", vmin=-limit, vmax=limit)
            ax.set_title(names[k], fontsize=MIN_FONT_PT)
        axes[0].figure.colorbar(image, ax=list(axes), label="weight $w_{j,k}$", shrink=0.9)

    # 1.7 in per panel (10 pt titles), and room for the colour bar; on a phone rows of three.
    ncols = _positive_int(ncols, "ncols")
    return Panels(draw, K, panel_size=(1.7 + 0.8 / ncols, 1.8), ncols=ncols, stacked_ncols=min(3, ncols))


def plot_misclassified(images, y_true, P, *, image_shape: tuple[int, int] = (8, 8),
                       class_names: Sequence[str] | None = None, ncols: int = 6):
    r"""Show images with their true class, the predicted class and both probabilities.

    Parameters
    ----------
    images : array_like, ``(n, d)``
        The samples to show (typically the misclassified ones), one flattened image per row.
    y_true : array_like of int, ``(n,)``
        Their true classes.
    P : array_like, ``(n, K)``
        The model's probabilities for them; the prediction is :math:`\arg\max_k a_k`.
    image_shape : (int, int)
        Height and width of an image.
    class_names : sequence of str, optional
        Names of the classes (default ``0..K-1``).
    ncols : int
        Panels per row (on a phone: at most four).

    Returns
    -------
    Panels
        The panels in rows of ``ncols``, and in narrower rows for phones
        (:class:`~lecture_lib.plotting.panels.Panels`); ``.wide`` is the matplotlib Figure.
    """
    images = as_float_array(images, "images", ndim=2)
    n = images.shape[0]
    y_true = _check_labels(y_true, "y_true", n)
    P = _check_probabilities(P)
    if P.shape[0] != n:
        raise ValueError(f"P must have one row per image ({n}); got {P.shape[0]}.")
    if n == 0:
        raise ValueError("images must hold at least one image.")
    names = [str(k) for k in range(P.shape[1])] if class_names is None else [str(c) for c in class_names]
    y_pred = P.argmax(axis=1)

    def draw(axes):
        for i, ax in enumerate(axes):
            ax.set_xticks([])
            ax.set_yticks([])
            ax.imshow(images[i].reshape(image_shape), cmap="gray_r")
            t, p = y_true[i], y_pred[i]
            ax.set_title(f"true {names[t]}: {P[i, t]:.2f}\npred {names[p]}: {P[i, p]:.2f}", fontsize=MIN_FONT_PT,
                         color=PALETTE[5] if t != p else "black")

    # 1.25 in per panel: eight in a row are 10 in, so the 10 pt titles stay >= 9 px in the text column;
    # on a phone rows of four.
    return Panels(draw, n, panel_size=(1.25, 1.9), ncols=ncols, stacked_ncols=min(4, ncols))


def plot_decision_regions(model, X, y, *, ax=None, resolution: int = 300, padding: float = 0.5,
                          class_names: Sequence[str] | None = None, feature_names=("$x_1$", "$x_2$")):
    r"""Colour the plane by the class a fitted two-feature classifier predicts, and overlay the data.

    Parameters
    ----------
    model : fitted classifier
        Anything with ``predict(X (n, 2)) -> (n,)`` returning class indices ``0..K-1``.
    X : array_like, ``(m, 2)``
        The samples to scatter.
    y : array_like of int, ``(m,)``
        Their classes.
    ax : matplotlib Axes, optional
    resolution : int
        Grid points per axis.
    padding : float
        Margin added around the data range.
    class_names : sequence of str, optional
        Legend labels (default ``"class k"`` for ``k = 1..K``, the book's numbering).
    feature_names : (str, str)
        Axis labels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    X = as_float_array(X, "X", ndim=2)
    if X.shape[1] != 2:
        raise ValueError(f"X must have exactly 2 features to draw decision regions; got shape {X.shape}.")
    y = _check_labels(y, "y", X.shape[0])
    K = int(y.max()) + 1 if class_names is None else len(class_names)
    names = [f"class {k + 1}" for k in range(K)] if class_names is None else [str(c) for c in class_names]
    lo, hi = X.min(axis=0) - padding, X.max(axis=0) + padding
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    regions = np.asarray(model.predict(np.c_[g1.ravel(), g2.ravel()])).reshape(g1.shape)

    fig, ax = _axes(ax, (6, 5))
    colours = _cycle(K)
    # The regions as a small image (one pixel per grid point; an SVG embeds it as a PNG of a few kB, where
    # filled contours would spell out every step of their staircase), the boundaries as lines on top.
    ax.imshow(regions, origin="lower", extent=(lo[0], hi[0], lo[1], hi[1]), aspect="auto", interpolation="nearest",
              cmap=ListedColormap(colours), vmin=-0.5, vmax=K - 0.5, alpha=0.25)
    ax.contour(g1, g2, regions, levels=np.arange(0.5, K - 1), colors="black", linewidths=0.8)
    markers = "osD^vP*Xph"
    for k in range(K):
        ax.scatter(*X[y == k].T, color=colours[k], marker=markers[k % len(markers)], edgecolor="black",
                   linewidth=0.5, s=28, label=names[k])
    ax.set_xlabel(feature_names[0])
    ax.set_ylabel(feature_names[1])
    ax.legend(frameon=True, loc="best")
    return fig


def reliability_bins(y_true, P, n_bins: int = 10):
    r"""Group predictions by confidence and compare each group's confidence with its accuracy.

    Parameters
    ----------
    y_true : array_like of int, ``(m,)``
        True classes.
    P : array_like, ``(m, K)``
        Predicted probabilities.
    n_bins : int
        Number of equal-width confidence bins on :math:`[0, 1]`.

    Returns
    -------
    confidence : ndarray, ``(B,)``
        Mean confidence :math:`\max_k a_k^{(i)}` of the samples in each non-empty bin.
    accuracy : ndarray, ``(B,)``
        Fraction of those samples predicted correctly.
    counts : ndarray of int, ``(B,)``
        Number of samples per non-empty bin (``B <= n_bins``).

    Notes
    -----
    A model is *calibrated* when, among the samples it predicts with confidence about
    :math:`c`, a fraction :math:`c` is right. The expected calibration error summarises the gap:

    .. math:: \mathrm{ECE} = \sum_{b} \frac{n_b}{m} \left|\mathrm{acc}_b - \mathrm{conf}_b\right|

    Bin :math:`b` of :math:`B` holds the confidences in :math:`((b-1)/B, b/B]` (the first also holds 0),
    the convention of :func:`sklearn.calibration.calibration_curve`.
    """
    P = _check_probabilities(P)
    y_true = _check_labels(y_true, "y_true", P.shape[0])
    if not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer; got {n_bins!r}.")
    confidence = P.max(axis=1)
    correct = (P.argmax(axis=1) == y_true).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bin_of = np.searchsorted(edges[1:-1], confidence)
    counts = np.bincount(bin_of, minlength=n_bins)
    filled = counts > 0
    conf_sum = np.bincount(bin_of, weights=confidence, minlength=n_bins)
    acc_sum = np.bincount(bin_of, weights=correct, minlength=n_bins)
    return conf_sum[filled] / counts[filled], acc_sum[filled] / counts[filled], counts[filled]


def plot_reliability_curve(predictions: Mapping[str, tuple], *, n_bins: int = 10, ax=None):
    r"""Reliability diagram: accuracy against confidence, one curve per model.

    Parameters
    ----------
    predictions : mapping of str to (y_true, P)
        Label -> true classes ``(m,)`` and predicted probabilities ``(m, K)`` on held-out data.
    n_bins : int
        Number of confidence bins (see :func:`reliability_bins`).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Points on the diagonal are calibrated; points below it are over-confident. The marker area
    grows with the number of samples in the bin.
    """
    if not isinstance(predictions, Mapping) or not predictions:
        raise TypeError("predictions must be a non-empty mapping from a label to a (y_true, P) pair.")
    fig, ax = _axes(ax, (5, 5))
    ax.plot([0, 1], [0, 1], color=PALETTE[8], ls="--", lw=1, label="perfectly calibrated")
    markers = "osD^v"
    for i, ((label, (y_true, P)), colour) in enumerate(zip(predictions.items(), _cycle(len(predictions)))):
        confidence, accuracy, counts = reliability_bins(y_true, P, n_bins)
        ax.plot(confidence, accuracy, color=colour, lw=1.5, label=label)
        ax.scatter(confidence, accuracy, s=12 + 150 * counts / counts.sum(), color=colour,
                   marker=markers[i % len(markers)], edgecolor="black", linewidth=0.4, zorder=3)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_aspect("equal")
    ax.set_xlabel(r"confidence $\max_k a_k$ (bin mean)")
    ax.set_ylabel("accuracy in the bin")
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, loc="lower right")
    return fig
