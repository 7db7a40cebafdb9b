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
"""

from __future__ import annotations

import json
import uuid

import numpy as np

from ._validation import as_float_array, check_class_indices, check_positive, check_same_length
from .explorer import _JS_LIBRARY as _EXPLORER_JS
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


_CSS = """
#{id} {{ font-family: inherit; max-width: 54rem; margin: 0.5rem 0 1rem; padding: 0.75rem;
  border: 1px solid var(--pst-color-border, #ccc); border-radius: 0.4rem; box-sizing: border-box; }}
#{id} *, #{id} *::before, #{id} *::after {{ box-sizing: border-box; }}
#{id} .st-layout {{ display: flex; flex-wrap: wrap; gap: 0.75rem 1rem; align-items: flex-start; }}
#{id} .st-plot {{ flex: 1 1 17rem; max-width: 30rem; min-width: 0; }}
#{id} .st-side {{ flex: 1 1 16rem; min-width: 0; }}
#{id} canvas {{ display: block; width: 100%; max-width: 100%; }}
#{id} .st-regions {{ aspect-ratio: 1 / 1; touch-action: none; cursor: crosshair;
  border: 1px solid var(--pst-color-border, #999); border-radius: 0.2rem; }}
#{id} .st-curve {{ aspect-ratio: 5 / 2; border: 1px solid var(--pst-color-border, #999); border-radius: 0.2rem; }}
#{id} fieldset {{ border: 0; margin: 0 0 0.5rem; padding: 0; min-width: 0; }}
#{id} legend {{ font-size: 1rem; font-weight: 600; padding: 0; margin: 0 0 0.25rem; float: none; }}
#{id} .st-classes {{ display: flex; flex-wrap: wrap; gap: 0.25rem 0.9rem; }}
#{id} .st-classes label {{ display: inline-flex; align-items: center; gap: 0.3rem; white-space: nowrap; }}
#{id} .st-buttons {{ display: flex; flex-wrap: wrap; gap: 0.4rem; margin: 0 0 0.5rem; }}
#{id} button {{ font: inherit; padding: 0.3rem 0.8rem; min-height: 2.2rem; border-radius: 0.3rem;
  border: 1px solid currentColor; background: transparent; color: inherit; cursor: pointer; }}
#{id} button[aria-pressed=true] {{ background: rgba(0, 114, 178, 0.18); }}
#{id} .st-field {{ display: grid; grid-template-columns: minmax(0, 9rem) minmax(0, 8rem); gap: 0.15rem 0.5rem;
  align-items: center; margin: 0.2rem 0; }}
#{id} .st-field input {{ font: inherit; width: 100%; }}
#{id} .st-msg {{ grid-column: 1 / -1; font-size: 0.9em; color: #D55E00; min-height: 0; }}
#{id} .st-msg:empty {{ display: none; }}
#{id} input[aria-invalid=true] {{ outline: 2px solid #D55E00; }}
#{id} button:focus-visible, #{id} input:focus-visible, #{id} canvas:focus-visible {{
  outline: 3px solid #D55E00; outline-offset: 2px; }}
#{id} .st-readout {{ font-variant-numeric: tabular-nums; margin: 0.4rem 0 0.2rem; overflow-wrap: anywhere; }}
#{id} .st-status, #{id} .st-help {{ margin: 0.4rem 0 0; font-size: 0.9em; overflow-wrap: anywhere; }}
#{id} .st-status[data-kind=error] {{ color: #D55E00; font-weight: 600; }}
#{id} .st-marker {{ flex: none; }}
#{id}[data-nojs] .st-layout {{ display: none; }}
"""

# The trainer's code, installed once per page as window.softmaxTrainer. costGrad follows
# lecture_lib.gradients._softmax_cost_grad operation by operation: Z = XW, Z += b, subtract the row
# maximum, the picked logits and the row log-sums added with numpy's pairwise summation (the explorer's
# pairwiseSum), P / m as e / (s m), the true class's 1 / m subtracted, then X^T G and the column sums of G
# accumulated in sample order (as OpenBLAS does for these short products). train() is the gd loop of
# SoftmaxRegression with tol = 0, including its divergence rule.
_JS_TRAINER = r"""
if (!window.softmaxTrainer) {
  window.softmaxTrainer = (function () {
    "use strict";
    var pairwiseSum = window.softmaxExplorer.pairwiseSum;
    var PALETTE = __PALETTE__, MARKERS = __MARKERS__, LO = __LO__, HI = __HI__, MAX_POINTS = __MAX_POINTS__;

    function zeros(d, K) {
      var W = [];
      for (var j = 0; j < d; j++) { W.push(new Array(K).fill(0)); }
      return W;
    }
    function allFinite(W, b) {
      return W.every(function (row) { return row.every(isFinite); }) && b.every(isFinite);
    }
    /* Objective J and gradient (dW, db) at (W, b): lecture_lib.gradients._softmax_cost_grad. */
    function costGrad(X, y, W, b, l2) {
      var m = X.length, d = W.length, K = b.length, i, j, k;
      var E = new Array(m * K), picked = new Array(m), logs = new Array(m), s = new Array(m);
      for (i = 0; i < m; i++) {
        var c = -Infinity;
        for (k = 0; k < K; k++) {
          var z = X[i][0] * W[0][k];
          for (j = 1; j < d; j++) { z += X[i][j] * W[j][k]; }
          z += b[k];
          E[i * K + k] = z;
          if (z > c || k === 0) { c = z; }
        }
        for (k = 0; k < K; k++) { E[i * K + k] -= c; }
        picked[i] = E[i * K + y[i]];
        var si = 0;
        for (k = 0; k < K; k++) { E[i * K + k] = Math.exp(E[i * K + k]); si += E[i * K + k]; }
        s[i] = si;
        logs[i] = Math.log(si);
      }
      var J = (pairwiseSum(logs, 0, m) - pairwiseSum(picked, 0, m)) / m;
      var ww = 0;
      if (l2) {
        for (j = 0; j < d; j++) { for (k = 0; k < K; k++) { ww += W[j][k] * W[j][k]; } }
        J += 0.5 * l2 * ww;
      }
      var inv = 1.0 / m;
      for (i = 0; i < m; i++) {
        var sm = s[i] * m;
        for (k = 0; k < K; k++) { E[i * K + k] /= sm; }
        E[i * K + y[i]] -= inv;
      }
      var dW = zeros(d, K), db = new Array(K).fill(0);
      for (j = 0; j < d; j++) {
        for (k = 0; k < K; k++) {
          var acc = 0;
          for (i = 0; i < m; i++) { acc += X[i][j] * E[i * K + k]; }
          dW[j][k] = l2 ? acc + l2 * W[j][k] : acc;
        }
      }
      for (k = 0; k < K; k++) {
        var col = 0;
        for (i = 0; i < m; i++) { col += E[i * K + k]; }
        db[k] = col;
      }
      return {J: J, dW: dW, db: db};
    }
    function gradNorm(g) {
      var ss = 0;
      g.dW.forEach(function (row) { row.forEach(function (v) { ss += v * v; }); });
      g.db.forEach(function (v) { ss += v * v; });
      return Math.sqrt(ss);
    }
    /* One gradient step from (W, b) with the gradient g there; returns the new parameters. */
    function step(W, b, g, lr) {
      return {W: W.map(function (row, j) { return row.map(function (w, k) { return w - lr * g.dW[j][k]; }); }),
              b: b.map(function (v, k) { return v - lr * g.db[k]; })};
    }
    /* lecture_lib's divergence rule: the objective not finite or above 1e4 max(1, J_0). */
    function diverges(J, J0) { return !(J <= 1e4 * Math.max(1, J0)); }
    function checkArgs(points, labels, lr, l2, steps) {
      if (!Array.isArray(points) || !points.length ||
          !points.every(function (p) { return Array.isArray(p) && p.length === 2 && p.every(isFinite); })) {
        throw new RangeError("points must be a non-empty array of [x1, x2] pairs of finite numbers");
      }
      if (!Array.isArray(labels) || labels.length !== points.length ||
          !labels.every(function (c) { return c === 0 || c === 1 || c === 2; })) {
        throw new RangeError("labels must hold one class index 0, 1 or 2 per point");
      }
      if (!(typeof lr === "number" && lr > 0 && isFinite(lr))) {
        throw new RangeError("lr (the learning rate) must be a positive finite number; got " + lr);
      }
      if (!(typeof l2 === "number" && l2 >= 0 && isFinite(l2))) {
        throw new RangeError("l2 must be a finite number >= 0; got " + l2);
      }
      if (steps !== undefined && !(Number.isInteger(steps) && steps >= 0)) {
        throw new RangeError("steps must be an integer >= 0; got " + steps);
      }
    }
    /* SoftmaxRegression(solver="gd", learning_rate=lr, l2=l2, max_iter=steps, tol=0).fit, from W = 0, b = 0.
       losses[t] is J at the parameters after t steps (t < steps), as loss_history_; loss and the gradient
       are those at the returned parameters. On divergence it stops where lecture_lib raises. */
    function train(points, labels, opts) {
      opts = opts || {};
      var lr = opts.lr, l2 = opts.l2 === undefined ? 0 : opts.l2, steps = opts.steps === undefined ? 1 : opts.steps;
      checkArgs(points, labels, lr, l2, steps);
      var W = zeros(2, 3), b = [0, 0, 0], losses = [], diverged = null, t;
      for (t = 1; t <= steps; t++) {
        var g = costGrad(points, labels, W, b, l2);
        losses.push(g.J);
        if (diverges(g.J, losses[0])) { diverged = {iteration: t, loss: g.J}; break; }
        var next = step(W, b, g, lr);
        if (!allFinite(next.W, next.b)) { diverged = {iteration: t + 1, loss: NaN}; break; }
        W = next.W; b = next.b;
      }
      var now = costGrad(points, labels, W, b, l2);
      return {W: W, b: b, losses: losses, loss: now.J, gradW: now.dW, gradb: now.db, gradNorm: gradNorm(now),
              diverged: diverged};
    }
    function formatNumber(v, digits) {
      if (!isFinite(v)) { return "too large to show"; }
      var a = Math.abs(v);
      return (a !== 0 && (a < 1e-3 || a >= 1e5)) ? v.toExponential(digits - 1) : v.toPrecision(digits);
    }

    function init(root) {
      if (!root || root.dataset.ready) { return; }
      var id = root.id;
      function el(suffix) { return root.querySelector("[id='" + id + "-" + suffix + "']"); }
      var start = {points: JSON.parse(root.dataset.points), labels: JSON.parse(root.dataset.labels)};
      var S = {points: start.points.map(function (p) { return p.slice(); }), labels: start.labels.slice(),
               lr: Number(root.dataset.lr), l2: Number(root.dataset.l2), cursor: [0, 0], held: -1, mode: "paused"};
      var plot = el("plot"), curve = el("curve"), status = el("status"), readout = el("readout");
      var runButton = el("run"), frame = 0;

      function resetTraining() {
        S.W = zeros(2, 3); S.b = [0, 0, 0]; S.step = 0;
        S.g = costGrad(S.points, S.labels, S.W, S.b, S.l2);
        S.losses = [S.g.J]; S.J0 = S.g.J;
        if (S.mode === "diverged") { S.mode = "paused"; }
      }
      function say(text, kind) { status.textContent = text; status.dataset.kind = kind || "info"; }
      /* The state as data-* attributes; while running, the (long) loss history only when paused. */
      function publish(running) {
        root.dataset.points = JSON.stringify(S.points);
        root.dataset.labels = JSON.stringify(S.labels);
        root.dataset.lr = String(S.lr); root.dataset.l2 = String(S.l2);
        root.dataset.step = String(S.step);
        root.dataset.loss = String(S.g.J);
        root.dataset.gradNorm = String(gradNorm(S.g));
        root.dataset.w = JSON.stringify(S.W); root.dataset.b = JSON.stringify(S.b);
        if (!running) { root.dataset.losses = JSON.stringify(S.losses); }
        root.dataset.state = S.mode;
        root.dataset.cursor = JSON.stringify(S.cursor);
        readout.textContent = "Step " + S.step + ": loss J = " + formatNumber(S.g.J, 6) + ", gradient norm = " +
          formatNumber(gradNorm(S.g), 3) + " (" + S.points.length + " points).";
      }
      /* Data changed: the loss and gradient at the current parameters change with it. */
      function dataChanged() {
        S.g = costGrad(S.points, S.labels, S.W, S.b, S.l2);
        S.losses[S.losses.length - 1] = S.g.J;
        draw(); publish();
      }
      function doStep() {
        if (S.mode === "diverged") { return false; }
        var next = step(S.W, S.b, S.g, S.lr), g = null;
        if (allFinite(next.W, next.b)) { g = costGrad(S.points, S.labels, next.W, next.b, S.l2); }
        if (!g || diverges(g.J, S.J0) || !allFinite(g.dW, g.db)) {
          S.mode = "diverged"; setRunning(false);
          say("Gradient descent diverged: step " + (S.step + 1) + " would raise the loss from " + formatNumber(S.J0, 4) +
              " at the start to " + (g ? formatNumber(g.J, 3) : "beyond any number") + ". The learning rate \u03b1 = " +
              S.lr + " is too large for these points" + (S.lr * S.l2 > 2 ? " (with \u03b1\u03bb = " +
              formatNumber(S.lr * S.l2, 3) + " > 2 the penalty alone makes every step overshoot)" : "") + "; try " +
              (S.lr / 10) + ", then press Reset.", "error");
          publish();
          return false;
        }
        S.W = next.W; S.b = next.b; S.g = g; S.step += 1; S.losses.push(g.J);
        return true;
      }
      function setRunning(on) {
        runButton.setAttribute("aria-pressed", on ? "true" : "false");
        runButton.textContent = on ? "Pause" : "Run";
        if (on) { S.mode = "running"; frame = window.requestAnimationFrame(tick); }
        else { if (S.mode === "running") { S.mode = "paused"; } window.cancelAnimationFrame(frame); }
      }
      function tick() {
        if (S.mode !== "running") { return; }
        for (var n = 0; n < 2; n++) {
          if (!doStep()) { draw(); return; }
        }
        if (gradNorm(S.g) < 1e-6) {
          setRunning(false);
          say("Paused at step " + S.step + ": the gradient norm is below 1e-6, so the parameters barely move.");
        } else if (S.step >= 100000) {
          setRunning(false); say("Paused after 100000 steps.");
        }
        draw(); publish(S.mode === "running");
        if (S.mode === "running") { frame = window.requestAnimationFrame(tick); }
      }

      /* ---- drawing ---- */
      function fit(canvas) {
        var w = canvas.clientWidth, h = canvas.clientHeight, r = window.devicePixelRatio || 1;
        if (canvas.width !== Math.round(w * r) || canvas.height !== Math.round(h * r)) {
          canvas.width = Math.round(w * r); canvas.height = Math.round(h * r);
        }
        var ctx = canvas.getContext("2d");
        ctx.setTransform(canvas.width / Math.max(w, 1), 0, 0, canvas.height / Math.max(h, 1), 0, 0);
        return {ctx: ctx, w: w, h: h};
      }
      function rgb(hex) { return [1, 3, 5].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); }); }
      var tints = PALETTE.map(rgb), grid = document.createElement("canvas"), G = 0;
      function toPixel(p, w, h) { return [(p[0] - LO) / (HI - LO) * w, (HI - p[1]) / (HI - LO) * h]; }
      function toData(px, py, w, h) { return [LO + px / w * (HI - LO), HI - py / h * (HI - LO)]; }
      function marker(ctx, k, x, y, r) {
        ctx.beginPath();
        if (MARKERS[k] === "circle") { ctx.arc(x, y, r, 0, 2 * Math.PI); }
        else if (MARKERS[k] === "square") { ctx.rect(x - 0.9 * r, y - 0.9 * r, 1.8 * r, 1.8 * r); }
        else { ctx.moveTo(x, y - 1.25 * r); ctx.lineTo(x + 1.1 * r, y + 0.8 * r); ctx.lineTo(x - 1.1 * r, y + 0.8 * r);
               ctx.closePath(); }
        ctx.fillStyle = PALETTE[k]; ctx.fill(); ctx.stroke();
      }
      function drawRegions() {
        var f = fit(plot), ctx = f.ctx, w = f.w, h = f.h, ink = getComputedStyle(root).color;
        var cells = Math.min(240, Math.max(60, Math.round(w)));  /* about one cell per CSS pixel */
        if (cells !== G) { G = cells; grid.width = G; grid.height = G; }
        var g = grid.getContext("2d"), img = g.createImageData(G, G), W = S.W, b = S.b;
        for (var r = 0; r < G; r++) {
          for (var c = 0; c < G; c++) {
            var x1 = LO + (c + 0.5) / G * (HI - LO), x2 = HI - (r + 0.5) / G * (HI - LO), best = 0, top = -Infinity;
            for (var k = 0; k < 3; k++) {
              var z = x1 * W[0][k] + x2 * W[1][k] + b[k];
              if (z > top) { top = z; best = k; }
            }
            var o = 4 * (r * G + c), t = tints[best];
            img.data[o] = t[0]; img.data[o + 1] = t[1]; img.data[o + 2] = t[2]; img.data[o + 3] = S.step ? 70 : 0;
          }
        }
        g.putImageData(img, 0, 0);
        ctx.clearRect(0, 0, w, h);
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(grid, 0, 0, w, h);
        ctx.strokeStyle = ink; ctx.globalAlpha = 0.25; ctx.lineWidth = 1;
        for (var v = Math.ceil(LO); v <= HI; v++) {
          var p = toPixel([v, v], w, h);
          ctx.beginPath(); ctx.moveTo(p[0], 0); ctx.lineTo(p[0], h); ctx.moveTo(0, p[1]); ctx.lineTo(w, p[1]); ctx.stroke();
        }
        ctx.globalAlpha = 1; ctx.fillStyle = ink; ctx.font = "11px sans-serif";
        for (v = Math.ceil(LO) + 1; v < HI; v++) {
          p = toPixel([v, v], w, h);
          ctx.fillText(String(v), p[0] + 2, h - 4); ctx.fillText(String(v), 3, p[1] - 3);
        }
        ctx.font = "12px sans-serif";
        ctx.fillText("x\u2081 \u2192", w - 34, h - 6); ctx.fillText("x\u2082 \u2191", 4, 14);
        ctx.lineWidth = 1.3; ctx.strokeStyle = ink;
        var radius = Math.max(4.5, Math.min(7, w / 55));
        S.points.forEach(function (q, i) {
          var p = toPixel(q, w, h);
          marker(ctx, S.labels[i], p[0], p[1], i === S.held ? radius * 1.4 : radius);
        });
        if (root.contains(document.activeElement) && document.activeElement === plot) {
          var cp = toPixel(S.cursor, w, h);
          ctx.lineWidth = 2; ctx.strokeStyle = "#D55E00";
          ctx.beginPath(); ctx.arc(cp[0], cp[1], radius * 2, 0, 2 * Math.PI);
          ctx.moveTo(cp[0] - radius * 3, cp[1]); ctx.lineTo(cp[0] + radius * 3, cp[1]);
          ctx.moveTo(cp[0], cp[1] - radius * 3); ctx.lineTo(cp[0], cp[1] + radius * 3); ctx.stroke();
        }
      }
      function drawCurve() {
        var f = fit(curve), ctx = f.ctx, w = f.w, h = f.h, ink = getComputedStyle(root).color, L = S.losses;
        var top = 0, n = Math.max(L.length - 1, 10), stride = Math.max(1, Math.floor(L.length / Math.max(w, 1)));
        for (var t = 0; t < L.length; t++) { if (L[t] > top) { top = L[t]; } }
        top = top || 1;
        var left = 34, pad = 8, bottom = h - 16;
        ctx.clearRect(0, 0, w, h);
        ctx.strokeStyle = ink; ctx.fillStyle = ink; ctx.lineWidth = 1; ctx.font = "11px sans-serif";
        ctx.beginPath(); ctx.moveTo(left, pad); ctx.lineTo(left, bottom); ctx.lineTo(w - pad, bottom); ctx.stroke();
        ctx.fillText(formatNumber(top, 2), 2, pad + 8); ctx.fillText("0", left - 10, bottom);
        ctx.fillText("loss J per step (" + (L.length - 1) + ")", left + 6, h - 3);
        ctx.strokeStyle = PALETTE[0]; ctx.lineWidth = 2; ctx.beginPath();
        for (t = 0; t < L.length; t += (t + stride < L.length ? stride : Math.max(1, L.length - 1 - t))) {
          var x = left + t / n * (w - pad - left), yy = bottom - L[t] / top * (bottom - pad);
          if (t === 0) { ctx.moveTo(x, yy); } else { ctx.lineTo(x, yy); }
        }
        ctx.stroke();
      }
      function draw() { drawRegions(); drawCurve(); }

      /* ---- editing the points ---- */
      function clamp(v) { return Math.min(HI, Math.max(LO, Math.round(v * 100) / 100)); }
      function selected() { return Number(root.querySelector("input[name='" + id + "-class']:checked").value); }
      function nearest(q, within) {
        var best = -1, dmin = within;
        S.points.forEach(function (p, i) {
          var dd = Math.hypot(p[0] - q[0], p[1] - q[1]);
          if (dd <= dmin) { dmin = dd; best = i; }
        });
        return best;
      }
      function where(p) { return "(" + p[0].toFixed(2) + ", " + p[1].toFixed(2) + ")"; }
      function add(q) {
        if (S.points.length >= MAX_POINTS) { say("The trainer holds at most " + MAX_POINTS + " points."); return; }
        var k = selected();
        S.points.push([clamp(q[0]), clamp(q[1])]); S.labels.push(k);
        dataChanged();
        say("Added a class " + (k + 1) + " point at " + where(S.points[S.points.length - 1]) + "; " +
            S.points.length + " points.");
      }
      function remove(i) {
        if (S.points.length <= 1) { say("At least one point is needed."); return; }
        var p = S.points.splice(i, 1)[0], k = S.labels.splice(i, 1)[0];
        dataChanged();
        say("Removed the class " + (k + 1) + " point at " + where(p) + "; " + S.points.length + " points.");
      }
      function moveTo(i, q) { S.points[i] = [clamp(q[0]), clamp(q[1])]; dataChanged(); }
      var drag = -1;
      function eventData(e) {
        var r = plot.getBoundingClientRect();
        return toData(e.clientX - r.left, e.clientY - r.top, r.width, r.height);
      }
      plot.addEventListener("pointerdown", function (e) {
        if (e.button !== 0) { return; }
        var q = eventData(e), r = plot.getBoundingClientRect();
        var hit = nearest(q, (e.pointerType === "touch" ? 16 : 10) / r.width * (HI - LO));
        S.cursor = [clamp(q[0]), clamp(q[1])];
        if (hit >= 0 && e.shiftKey) { remove(hit); return; }
        if (hit >= 0) {
          drag = hit; S.held = hit;
          if (plot.setPointerCapture) { plot.setPointerCapture(e.pointerId); }
          draw();
        } else { add(q); }
        e.preventDefault();
        plot.focus({preventScroll: true});
      });
      plot.addEventListener("pointermove", function (e) {
        if (drag < 0) { return; }
        var q = eventData(e);
        moveTo(drag, q); S.cursor = S.points[drag].slice();
      });
      function endDrag() {
        if (drag < 0) { return; }
        var p = S.points[drag], k = S.labels[drag];
        drag = -1; S.held = -1; draw(); publish();
        say("Moved a class " + (k + 1) + " point to " + where(p) + ".");
      }
      plot.addEventListener("pointerup", endDrag);
      plot.addEventListener("pointercancel", endDrag);
      plot.addEventListener("keydown", function (e) {
        var big = e.shiftKey ? 0.5 : 0.1, dx = 0, dy = 0;
        if (e.key === "ArrowLeft") { dx = -big; } else if (e.key === "ArrowRight") { dx = big; }
        else if (e.key === "ArrowUp") { dy = big; } else if (e.key === "ArrowDown") { dy = -big; }
        if (dx || dy) {
          S.cursor = [clamp(S.cursor[0] + dx), clamp(S.cursor[1] + dy)];
          if (S.held >= 0) { moveTo(S.held, S.cursor); } else { draw(); publish(); }
          var near = nearest(S.cursor, 0.25);
          say("Cursor at " + where(S.cursor) + (S.held >= 0 ? ", carrying a class " + (S.labels[S.held] + 1) +
              " point." : near >= 0 ? ", on a class " + (S.labels[near] + 1) + " point." : "."));
        } else if (e.key === "Enter") {
          add(S.cursor);
        } else if (e.key === " ") {
          if (S.held >= 0) {
            var p = S.points[S.held], k = S.labels[S.held];
            S.held = -1; draw(); publish();
            say("Dropped the class " + (k + 1) + " point at " + where(p) + ".");
          } else {
            var hit = nearest(S.cursor, 0.25);
            if (hit < 0) { say("No point near the cursor " + where(S.cursor) + " to pick up."); }
            else {
              S.held = hit; S.cursor = S.points[hit].slice(); draw(); publish();
              say("Picked up a class " + (S.labels[hit] + 1) + " point; move it with the arrow keys, Space drops it.");
            }
          }
        } else if (e.key === "Delete" || e.key === "Backspace") {
          var gone = S.held >= 0 ? S.held : nearest(S.cursor, 0.25);
          S.held = -1;
          if (gone >= 0) { remove(gone); } else { say("No point near the cursor to remove."); }
        } else if (e.key === "Escape" && S.held >= 0) {
          S.held = -1; draw(); say("Dropped the point.");
        } else if (e.key === "1" || e.key === "2" || e.key === "3") {
          root.querySelector("input[name='" + id + "-class'][value='" + (Number(e.key) - 1) + "']").checked = true;
          say("New points are class " + e.key + ".");
        } else { return; }
        e.preventDefault();
      });
      plot.addEventListener("focus", function () { draw(); });
      plot.addEventListener("blur", function () { if (S.held >= 0) { S.held = -1; } draw(); });

      /* ---- buttons and fields ---- */
      el("step").addEventListener("click", function () {
        setRunning(false);
        if (S.mode === "diverged") { say(status.textContent, "error"); return; }
        if (doStep()) { say("Took step " + S.step + "."); }
        draw(); publish();
      });
      runButton.addEventListener("click", function () {
        if (S.mode === "running") { setRunning(false); say("Paused at step " + S.step + "."); publish(); return; }
        if (S.mode === "diverged") { say(status.textContent, "error"); return; }
        setRunning(true); say("Running gradient descent."); publish();
      });
      el("reset").addEventListener("click", function () {
        setRunning(false); S.mode = "paused"; resetTraining(); draw(); publish();
        say("Reset: W = 0 and b = 0, step 0 (the points are kept).");
      });
      el("restore").addEventListener("click", function () {
        setRunning(false); S.mode = "paused";
        S.points = start.points.map(function (p) { return p.slice(); }); S.labels = start.labels.slice();
        S.held = -1; resetTraining(); draw(); publish();
        say("Restored the " + S.points.length + " default points and reset W = 0, b = 0.");
      });
      function field(name, set, valid, rule) {
        var box = el(name), msg = el(name + "-msg");
        box.addEventListener("input", function () {
          var v = box.value.trim() === "" ? NaN : Number(box.value);
          if (!valid(v)) {
            box.setAttribute("aria-invalid", "true");
            msg.textContent = rule + "; still using " + (name === "lr" ? S.lr : S.l2) + ".";
            return;
          }
          box.removeAttribute("aria-invalid"); msg.textContent = "";
          set(v);
          if (S.mode === "diverged") { S.mode = "paused"; say("Changed; press Reset to start again from zero."); }
          S.g = costGrad(S.points, S.labels, S.W, S.b, S.l2);
          S.losses[S.losses.length - 1] = S.g.J;
          draw(); publish();
        });
      }
      field("lr", function (v) { S.lr = v; }, function (v) { return isFinite(v) && v > 0; },
            "The learning rate must be a number > 0, e.g. 0.5");
      field("l2", function (v) { S.l2 = v; }, function (v) { return isFinite(v) && v >= 0; },
            "The L2 strength must be a number \u2265 0, e.g. 0.01");

      var fallback = el("nojs");
      if (fallback) { fallback.remove(); }
      root.removeAttribute("data-nojs");
      resetTraining(); draw(); publish();
      if (window.ResizeObserver) { new ResizeObserver(function () { draw(); }).observe(plot); }
      else { window.addEventListener("resize", draw); }
      /* The canvases draw in the text colour: redraw when the site's theme or the system's scheme changes. */
      new MutationObserver(function () { draw(); }).observe(document.documentElement,
        {attributes: true, attributeFilter: ["data-theme", "data-mode", "class"]});
      if (window.matchMedia) {
        var scheme = window.matchMedia("(prefers-color-scheme: dark)");
        if (scheme.addEventListener) { scheme.addEventListener("change", function () { draw(); }); }
      }
      root.dataset.ready = "true";
    }
    return {costGrad: costGrad, train: train, gradNorm: gradNorm, init: init};
  })();
}
"""


def _trainer_js() -> str:
    lo, hi = DOMAIN
    return (_JS_TRAINER.replace("__PALETTE__", json.dumps(list(PALETTE[:K])))
            .replace("__MARKERS__", json.dumps(list(MARKERS))).replace("__LO__", repr(lo))
            .replace("__HI__", repr(hi)).replace("__MAX_POINTS__", str(MAX_POINTS)))


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
        f"<style>{_CSS.format(id=uid)}</style>"
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
        f"<script>{_EXPLORER_JS}{_trainer_js()}(function (s) {{ window.softmaxTrainer.init("
        f"(s && s.closest('div.softmax-trainer')) || document.getElementById({json.dumps(uid)})); }})"
        f"(document.currentScript);</script>"
        f"</div>"
    )
    return HTML(markup)
