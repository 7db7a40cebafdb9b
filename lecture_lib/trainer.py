r"""The softmax trainer: gradient descent on three classes of 2-D points, in the page.

:func:`trainer_html` returns one self-contained ``<div>`` (HTML, scoped CSS and plain JavaScript; no
request to any other host) that trains softmax regression on points the reader places on a plot:
click to add a point of the selected class, drag to move it, or use the keyboard. *Step*, *Run* and
*Reset* drive batch gradient descent; the decision regions and the loss curve are redrawn as it learns.

The JavaScript is a line-by-line port of :func:`lecture_lib.gradients._softmax_cost_grad` and of the
``solver="gd"`` loop of :class:`lecture_lib.SoftmaxRegression`: start at :math:`W = 0, b = 0`, minimise

.. math:: J_\lambda(W, b) = \frac{1}{m}\sum_{i=1}^{m}\Bigl(\log\sum_{k=1}^{K} e^{z^{(i)}_k - c_i}
          - (z^{(i)}_{y_i} - c_i)\Bigr) + \frac{\lambda}{2}\lVert W\rVert_F^2,
          \qquad Z = XW + b,\; c_i = \max_k z^{(i)}_k ,

with the update :math:`W \leftarrow W - \alpha \nabla_W J_\lambda,\ b \leftarrow b - \alpha \nabla_b J_\lambda`
(the bias is not penalised), and the same divergence rule (the objective not finite, or above
:math:`10^4 \max(1, J_0)`). The browser tests compare it with ``SoftmaxRegression(solver="gd")``.

The style sheet and the script are package data (:mod:`lecture_lib._static`): ``static/trainer.css``
(scoped by ``#__ID__``) and ``static/trainer.js``, installed once per page as ``window.softmaxTrainer``.
Its ``costGrad`` follows ``_softmax_cost_grad`` operation by operation: ``Z = XW``, ``Z += b``, subtract
the row maximum, the picked logits and the row log-sums added with numpy's pairwise summation (the
explorer's ``pairwiseSum`` from ``static/explorer.js``, which the page loads first), ``P / m`` as
``e / (s m)``, the true class's ``1 / m`` subtracted, then ``X^T G`` and the column sums of ``G``
accumulated in sample order (as OpenBLAS does for these short products). ``train()`` is the gd loop of
``SoftmaxRegression`` with ``tol = 0``, including its divergence rule.
"""

from __future__ import annotations

import json
import uuid

import numpy as np

from ._static import render
from ._validation import as_float_array, check_class_indices, check_positive, check_same_length
from .gradients import _softmax_cost_grad
from .palette import PALETTE

#: Number of classes of the trainer (the points are labelled 0, 1, 2; the page shows classes 1, 2, 3).
K = 3
#: Both features range over this interval on the plot; points must lie inside it.
DOMAIN = (-3.0, 3.0)
#: Seed of the default data set.
DEFAULT_SEED = 2026
#: Points per class in the default data set.
DEFAULT_POINTS_PER_CLASS = 8
#: Centres of the three Gaussian blobs of the default data set, and their standard deviation.
DEFAULT_CENTRES = ((-1.4, -1.0), (1.4, -1.0), (0.0, 1.4))
DEFAULT_SPREAD = 0.7
#: Marker of each class: the same shapes as the scatter plots of lecture_lib.plotting ("o", "s", "^").
MARKERS = ("circle", "square", "triangle")
#: The page refuses to hold more points than this (each step costs O(m K)).
MAX_POINTS = 400


def default_data(seed: int = DEFAULT_SEED, n_per_class: int = DEFAULT_POINTS_PER_CLASS):
    r"""The trainer's default data set: three Gaussian blobs in the plane, one per class.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same points.
    n_per_class : int
        Points per class, so ``m = 3 * n_per_class``.

    Returns
    -------
    X : ndarray, ``(m, 2)``
        Coordinates rounded to two decimals (as a click on the page would place them) and clipped
        to :data:`DOMAIN`.
    y : ndarray, ``(m,)``
        Class indices 0, 1, 2 (in blocks of ``n_per_class``).

    Notes
    -----
    .. math:: x^{(i)} \sim \mathcal N(\mu_{y_i}, \sigma^2 I), \qquad \sigma = 0.7
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"seed must be a non-negative integer; got {seed!r}.")
    check_positive(n_per_class, "n_per_class", integer=True)
    if K * n_per_class > MAX_POINTS:
        raise ValueError(f"n_per_class must be at most {MAX_POINTS // K} (the page holds {MAX_POINTS} points); "
                         f"got {n_per_class}.")
    rng = np.random.default_rng(seed)
    centres = np.repeat(np.asarray(DEFAULT_CENTRES), n_per_class, axis=0)
    X = np.clip(np.round(centres + DEFAULT_SPREAD * rng.standard_normal(centres.shape), 2), *DOMAIN)
    y = np.repeat(np.arange(K), n_per_class)
    return X, y


def _check(X, y, learning_rate, l2):
    """Validate the trainer's arguments; return ``X (m, 2)`` float64, ``y (m,)`` ints, ``alpha``, ``lambda``."""
    if (X is None) != (y is None):
        raise ValueError("X and y must be given together (or both omitted for the default data set).")
    if X is None:
        X, y = default_data()
    X = as_float_array(X, "X", ndim=2).astype(np.float64)
    if X.shape[1] != 2:
        raise ValueError(f"X must have shape (m, 2): the trainer's points are 2-D; got {X.shape}.")
    if X.shape[0] > MAX_POINTS:
        raise ValueError(f"X has {X.shape[0]} points; the trainer holds at most {MAX_POINTS}.")
    lo, hi = DOMAIN
    if X.min() < lo or X.max() > hi:
        raise ValueError(f"X must lie inside the plot, every coordinate in [{lo:g}, {hi:g}]; "
                         f"got values from {X.min():g} to {X.max():g}.")
    y = check_class_indices(y, "y", K)
    check_same_length("X", X, "y", y)
    check_positive(learning_rate, "learning_rate")
    check_positive(l2, "l2", allow_zero=True)
    return X, y, float(learning_rate), float(l2)


def _marker_svg(k: int, size: int = 14) -> str:
    """A small inline SVG of class ``k``'s marker in its palette colour (for the class selector)."""
    c, h = PALETTE[k], size / 2
    r = 0.36 * size
    if MARKERS[k] == "circle":
        shape = f'<circle cx="{h}" cy="{h}" r="{r:.2f}"/>'
    elif MARKERS[k] == "square":
        shape = f'<rect x="{h - r:.2f}" y="{h - r:.2f}" width="{2 * r:.2f}" height="{2 * r:.2f}"/>'
    else:
        pts = f"{h:.2f},{h - 1.15 * r:.2f} {h + r:.2f},{h + 0.75 * r:.2f} {h - r:.2f},{h + 0.75 * r:.2f}"
        shape = f'<polygon points="{pts}"/>'
    return (f'<svg class="st-marker" width="{size}" height="{size}" viewBox="0 0 {size} {size}" aria-hidden="true" '
            f'focusable="false"><g fill="{c}" stroke="currentColor" stroke-width="1.2">{shape}</g></svg>')





def _trainer_js() -> str:
    """``static/trainer.js`` with the module's constants (palette, markers, plot range, point limit) filled in."""
    lo, hi = DOMAIN
    return render("trainer.js", palette=json.dumps(list(PALETTE[:K])), markers=json.dumps(list(MARKERS)),
                  lo=json.dumps(lo), hi=json.dumps(hi), max_points=json.dumps(MAX_POINTS))


def trainer_html(X=None, y=None, learning_rate: float = 0.5, l2: float = 0.01):
    r"""A self-contained in-page trainer of softmax regression (HTML + scoped CSS + plain JavaScript).

    The reader places points of three classes on a plot (click, drag, or keyboard) and trains
    softmax regression on them by batch gradient descent with *Step*, *Run*/*Pause* and *Reset*,
    watching the decision regions (argmax of the scores) and the loss curve. The learning rate
    :math:`\alpha` and the L2 strength :math:`\lambda` are number fields. It needs no kernel and
    requests nothing from any other host, so it works on the static site and in JupyterLab.

    Parameters
    ----------
    X : array_like, ``(m, 2)``, optional
        Initial points, every coordinate in :data:`DOMAIN`; default :func:`default_data`.
    y : array_like, ``(m,)``, optional
        Their classes 0, 1, 2; given together with ``X``.
    learning_rate : float
        Initial step size :math:`\alpha > 0`.
    l2 : float
        Initial L2 strength :math:`\lambda \ge 0` on ``W`` (the bias is not penalised).

    Returns
    -------
    IPython.display.HTML
        The trainer. Its root ``div.softmax-trainer`` carries the current state for tests as
        ``data-*`` attributes (JSON, full precision): ``points``, ``labels``, ``lr``, ``l2``,
        ``step``, ``loss``, ``grad-norm``, ``w`` (``(2, 3)``), ``b``, ``losses``, ``state``; the page
        gets ``window.softmaxTrainer.train(points, labels, {lr, l2, steps})``.

    Raises
    ------
    ValueError, TypeError
        If ``X`` is not ``(m, 2)`` inside the plot, ``y`` not ``m`` class indices 0..2, only one
        of them is given, ``learning_rate`` is not > 0, or ``l2`` is not >= 0.

    Notes
    -----
    Each step is :math:`W \leftarrow W - \alpha\bigl(\tfrac{1}{m}X^\top(P - Y) + \lambda W\bigr)`,
    :math:`b \leftarrow b - \alpha\,\tfrac{1}{m}\sum_i (p^{(i)} - y^{(i)})`, exactly
    ``SoftmaxRegression(solver="gd", learning_rate=alpha, l2=l2, tol=0)``. The readout before
    JavaScript runs (loss :math:`\log 3` at :math:`W = 0`) is computed here by the same core as the
    library. Every call uses fresh element ids, so several trainers can share a page. Where the
    page's scripts do not run (an untrusted notebook in JupyterLab) a sentence says so.
    """
    from IPython.display import HTML

    X, y, alpha, lam = _check(X, y, learning_rate, l2)
    m = X.shape[0]
    J, dW, db = _softmax_cost_grad(X, y, np.zeros((2, K)), np.zeros(K), lam)
    norm = float(np.sqrt(np.sum(dW * dW) + np.sum(db * db)))
    uid = f"st-{uuid.uuid4().hex[:12]}"

    classes = "".join(
        f'<label><input type="radio" name="{uid}-class" id="{uid}-class{k + 1}" value="{k}"'
        f'{" checked" if k == 0 else ""}>{_marker_svg(k)} class {k + 1} ({MARKERS[k]})</label>'
        for k in range(K))

    def number_field(key: str, label: str, value: float, minimum: str) -> str:
        return (f'<div class="st-field"><label for="{uid}-{key}">{label}</label>'
                f'<input type="number" id="{uid}-{key}" step="any" min="{minimum}" value="{value!r}" '
                f'inputmode="decimal" aria-describedby="{uid}-{key}-msg">'
                f'<span class="st-msg" id="{uid}-{key}-msg" aria-live="polite"></span></div>')

    lo, hi = DOMAIN
    markup = (
        f'<div class="softmax-trainer" id="{uid}" data-nojs="true" '
        f"data-points='{json.dumps(X.tolist())}' data-labels='{json.dumps(y.tolist())}' "
        f"data-lr='{json.dumps(alpha)}' data-l2='{json.dumps(lam)}' data-step='0' data-loss='{json.dumps(J)}' "
        f"data-grad-norm='{json.dumps(norm)}' data-state='paused'>"
        f"<style>{render('trainer.css', id=uid)}</style>"
        f'<p class="st-status" id="{uid}-nojs" data-kind="error">The trainer is a script, and it has not run '
        f"here. On the course site it runs in any browser with JavaScript. In JupyterLab, run this cell (or use "
        f"<em>Trust Notebook</em> from the command palette): JupyterLab runs scripts only in outputs it "
        f"trusts.</p>"
        f'<div class="st-layout"><div class="st-plot">'
        f'<canvas class="st-regions" id="{uid}-plot" tabindex="0" role="application" '
        f'aria-roledescription="scatter plot" '
        f'aria-label="Training points and decision regions, x1 and x2 from {lo:g} to {hi:g}" '
        f'aria-describedby="{uid}-help"></canvas>'
        f'<p class="st-help" id="{uid}-help">Click to add a point of the selected class, drag a point to move '
        f"it, Shift+click removes it. With the keyboard: focus the plot, move the cursor with the arrow keys "
        f"(Shift for bigger steps), Enter adds a point, Space picks up or drops the nearest point, Delete "
        f"removes it, 1&ndash;3 choose the class.</p></div>"
        f'<div class="st-side">'
        f'<fieldset><legend>Class of new points</legend><div class="st-classes">{classes}</div></fieldset>'
        f'<div class="st-buttons" role="group" aria-label="Gradient descent">'
        f'<button type="button" id="{uid}-step">Step</button>'
        f'<button type="button" id="{uid}-run" aria-pressed="false">Run</button>'
        f'<button type="button" id="{uid}-reset">Reset</button>'
        f'<button type="button" id="{uid}-restore">Default points</button></div>'
        f"<fieldset><legend>Settings</legend>"
        f"{number_field('lr', 'learning rate &alpha;', alpha, '0')}"
        f"{number_field('l2', 'L2 strength &lambda;', lam, '0')}</fieldset>"
        f'<p class="st-readout" id="{uid}-readout">Step 0: loss J = {J:.6g}, gradient norm = {norm:.3g} '
        f"({m} points).</p>"
        f'<canvas class="st-curve" id="{uid}-curve" role="img" '
        f'aria-label="Loss curve: the objective J after each step"></canvas>'
        f'<p class="st-status" id="{uid}-status" role="status" aria-live="polite">Press Step or Run to train '
        f"softmax regression from W = 0, b = 0.</p>"
        f"</div></div>"
        f"<script>{render('explorer.js')}{_trainer_js()}(function (s) {{ window.softmaxTrainer.init("
        f"(s && s.closest('div.softmax-trainer')) || document.getElementById({json.dumps(uid)})); }})"
        f"(document.currentScript);</script>"
        f"</div>"
    )
    return HTML(markup)
