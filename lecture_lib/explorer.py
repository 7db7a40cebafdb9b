r"""The softmax explorer: move the logits and the temperature, watch the probabilities.

Three views of the same computation, :math:`a = \operatorname{softmax}(z / T)`:

- :func:`explorer_html` -- self-contained HTML + JavaScript (no request to any other host). It works
  in the static site and in JupyterLab, because it needs no kernel.
- :func:`softmax_explorer` -- the ipywidgets version for JupyterLab (needs a running kernel).
- :func:`plot_softmax_bars` -- the static matplotlib figure of one setting.

The JavaScript repeats the arithmetic of :func:`lecture_lib.softmax` step by step (divide by
:math:`T`, subtract the maximum, exponentiate, normalise with numpy's pairwise summation order),
so the page shows the numbers the library computes; the browser tests check this.
"""

from __future__ import annotations

import html
import json
import uuid

import numpy as np

from ._validation import as_float_array, check_positive
from .functions import softmax
from .plotting import PALETTE

DEFAULT_LOGITS = (2.0, 1.0, 0.1)

#: Range of the logit sliders; the number box next to each slider accepts any finite value.
LOGIT_RANGE = (-10.0, 10.0, 0.1)
#: Range of the temperature slider; its number box accepts any positive value.
TEMPERATURE_RANGE = (0.1, 5.0, 0.05)


def _check(logits, temperature):
    """Validate the explorer's inputs; return the logits as a float64 ``(K,)`` array and ``T``."""
    z = as_float_array(logits, "logits", ndim=1).astype(np.float64)
    check_positive(temperature, "temperature")
    return z, float(temperature)


def tempered_softmax(z, temperature: float = 1.0):
    r"""Probabilities of the explorer: the softmax of the logits divided by the temperature.

    Parameters
    ----------
    z : array_like, ``(K,)``
        Logits of one sample.
    temperature : float
        :math:`T > 0`. Large :math:`T` flattens the distribution, small :math:`T` sharpens it.

    Returns
    -------
    a : ndarray, ``(K,)``
        Probabilities, positive and summing to one.

    Notes
    -----
    .. math:: a_k = \frac{e^{z_k / T}}{\sum_{j=1}^{K} e^{z_j / T}}

    computed as ``softmax(z / temperature)``, i.e. stably (the maximum is subtracted first).
    """
    z, temperature = _check(z, temperature)
    return softmax(z / temperature)


def _format_probability(p: float) -> str:
    """Four decimals, or scientific notation for tiny non-zero values (the JavaScript does the same)."""
    return f"{p:.4f}" if p == 0 or p >= 1e-4 else f"{p:.2e}"


def _format_number(x: float) -> str:
    """Short text that reads back as ``x``: integers without a trailing ``.0``, others as ``repr``."""
    return repr(float(x)) if not float(x).is_integer() or abs(x) >= 1e16 else str(int(x))


def _bars_html(z, a, ids=None) -> str:
    """The probability bars (rows of label, bar, number) for logits ``z`` and probabilities ``a``."""
    rows = []
    for k, p in enumerate(a):
        colour = PALETTE[k % len(PALETTE)]
        out_id = f' id="{ids}-a{k + 1}"' if ids else ""
        rows.append(
            f'<div class="sx-bar-row">'
            f'<span class="sx-bar-label">a<sub>{k + 1}</sub></span>'
            f'<span class="sx-track"><span class="sx-bar" style="width:{100 * p:.2f}%;background:{colour}">'
            f"</span></span>"
            f'<output class="sx-prob"{out_id} data-k="{k}">{_format_probability(p)}</output>'
            f"</div>"
        )
    return "".join(rows)


_CSS = """
#{id} {{ font-family: inherit; max-width: 40rem; margin: 0.5rem 0 1rem; padding: 0.75rem 1rem;
  border: 1px solid var(--pst-color-border, #ccc); border-radius: 0.4rem; }}
#{id} fieldset {{ border: 0; margin: 0; padding: 0; }}
#{id} legend {{ font-size: 1rem; font-weight: 600; padding: 0; margin: 0 0 0.25rem; float: none; }}
#{id} .sx-row {{ display: grid; grid-template-columns: 7.5rem 1fr 6.5rem; gap: 0.5rem; align-items: center;
  margin: 0.2rem 0; }}
#{id} input[type=range] {{ width: 100%; accent-color: #0072B2; }}
#{id} input[type=number] {{ width: 100%; font: inherit; }}
#{id} input:focus-visible {{ outline: 3px solid #D55E00; outline-offset: 2px; }}
#{id} input[aria-invalid=true] {{ outline: 2px solid #D55E00; }}
#{id} .sx-bars {{ margin-top: 0.6rem; }}
#{id} .sx-bar-row {{ display: grid; grid-template-columns: 2.5rem 1fr 6.5rem; gap: 0.5rem; align-items: center;
  margin: 0.15rem 0; }}
#{id} .sx-track {{ display: block; height: 1.1rem; background: rgba(127, 127, 127, 0.2);
  border-radius: 0.2rem; overflow: hidden; }}
#{id} .sx-bar {{ display: block; height: 100%; }}
#{id} .sx-prob {{ font-variant-numeric: tabular-nums; text-align: right; }}
#{id} .sx-status {{ margin: 0.4rem 0 0; font-size: 0.9em; }}
"""

# One copy of the arithmetic, installed once per page as window.softmaxExplorer; every explorer on the
# page uses it. ``pairwiseSum`` follows numpy's pairwise summation (blocks of 8, 8 accumulators), so
# the sums -- and hence the probabilities -- agree with lecture_lib.softmax to the last bit or two.
_JS_LIBRARY = r"""
if (!window.softmaxExplorer) {
  window.softmaxExplorer = (function () {
    "use strict";
    function pairwiseSum(a, start, n) {
      var i, res;
      if (n < 8) {
        res = -0.0;
        for (i = start; i < start + n; i++) { res += a[i]; }
        return res;
      }
      if (n <= 128) {
        var r = a.slice(start, start + 8);
        for (i = 8; i < n - (n % 8); i += 8) {
          for (var j = 0; j < 8; j++) { r[j] += a[start + i + j]; }
        }
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) { res += a[start + i]; }
        return res;
      }
      var n2 = Math.floor(n / 2);
      n2 -= n2 % 8;
      return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
    }
    /* softmax(z / T) exactly as lecture_lib.softmax: divide, subtract the max, exp, normalise. */
    function compute(z, T) {
      if (!(typeof T === "number" && T > 0 && isFinite(T))) {
        throw new RangeError("temperature must be a positive finite number; got " + T);
      }
      if (!z.length) { throw new RangeError("logits must not be empty"); }
      var u = z.map(function (v) { return v / T; });
      if (!u.every(isFinite)) { throw new RangeError("logits / temperature must be finite"); }
      var c = Math.max.apply(null, u);
      var e = u.map(function (v) { return Math.exp(v - c); });
      var s = pairwiseSum(e, 0, e.length);
      return e.map(function (v) { return v / s; });
    }
    function format(p) { return (p === 0 || p >= 1e-4) ? p.toFixed(4) : p.toExponential(2); }
    function init(root) {
      if (!root || root.dataset.ready) { return; }
      var K = Number(root.dataset.k), id = root.id;
      var z = JSON.parse(root.dataset.logits), T = Number(root.dataset.temperature);
      function el(suffix) { return root.querySelector("[id='" + id + "-" + suffix + "']"); }
      var status = el("status");
      function render() {
        var a;
        try { a = compute(z, T); } catch (err) { status.textContent = err.message; return; }
        var best = 0;
        for (var k = 0; k < K; k++) {
          el("a" + (k + 1)).textContent = format(a[k]);
          el("a" + (k + 1)).previousElementSibling.firstElementChild.style.width = (100 * a[k]).toFixed(2) + "%";
          if (a[k] > a[best]) { best = k; }
        }
        root.dataset.logits = JSON.stringify(z);
        root.dataset.temperature = String(T);
        root.dataset.probabilities = JSON.stringify(a);
        status.textContent = "Most probable: class " + (best + 1) + " (a" + (best + 1) + " = " + format(a[best]) +
          ") at temperature T = " + T + ".";
      }
      function bind(slider, box, set, valid) {
        slider.addEventListener("input", function () {
          var v = Number(slider.value);
          set(v); box.value = slider.value; box.removeAttribute("aria-invalid"); render();
        });
        box.addEventListener("input", function () {
          var v = box.value.trim() === "" ? NaN : Number(box.value);
          if (!valid(v)) { box.setAttribute("aria-invalid", "true"); return; }
          box.removeAttribute("aria-invalid");
          set(v); slider.value = String(v); render();
        });
      }
      for (var k = 0; k < K; k++) {
        (function (k) {
          bind(el("z" + (k + 1)), el("z" + (k + 1) + "-num"), function (v) { z[k] = v; }, isFinite);
        })(k);
      }
      bind(el("T"), el("T-num"), function (v) { T = v; }, function (v) { return isFinite(v) && v > 0; });
      render();
      root.dataset.ready = "true";
    }
    return { compute: compute, pairwiseSum: pairwiseSum, format: format, init: init };
  })();
}
"""


def explorer_html(logits=DEFAULT_LOGITS, temperature: float = 1.0):
    r"""A self-contained interactive softmax explorer (HTML + inline CSS + vanilla JavaScript).

    One slider and one number box per logit :math:`z_k` (the box takes values outside the slider's
    range, such as :math:`10^4`), the same pair for the temperature :math:`T`, and the probabilities
    :math:`a_k` as bars and numbers, recomputed on every ``input`` event. It needs no kernel and
    requests nothing from any other host, so it works on the static site and in JupyterLab.

    Parameters
    ----------
    logits : array_like, ``(K,)``
        Initial logits :math:`z`, finite.
    temperature : float
        Initial temperature :math:`T > 0`.

    Returns
    -------
    IPython.display.HTML
        The explorer. Its root ``div.softmax-explorer`` carries ``data-logits``,
        ``data-temperature`` and ``data-probabilities`` (JSON, full precision) for tests, and the
        page gets ``window.softmaxExplorer.compute(z, T)``.

    Raises
    ------
    ValueError, TypeError
        If ``logits`` is not a non-empty 1-D array of finite numbers or ``temperature`` is not > 0.

    Notes
    -----
    .. math:: a_k = \frac{e^{z_k / T - c}}{\sum_{j=1}^{K} e^{z_j / T - c}}, \qquad c = \max_j z_j / T

    The initial bars are computed here by :func:`lecture_lib.softmax`, so the page shows the right
    numbers even before (or without) JavaScript. Every call uses fresh element ids, so several
    explorers can share a page.
    """
    from IPython.display import HTML

    z, temperature = _check(logits, temperature)
    a = softmax(z / temperature)
    uid = f"sx-{uuid.uuid4().hex[:12]}"
    lo, hi, step = LOGIT_RANGE
    t_lo, t_hi, t_step = TEMPERATURE_RANGE

    def slider_row(key: str, label: str, value: float, lo, hi, step, number_min: str, description: str) -> str:
        shown = _format_number(value)
        return (
            f'<div class="sx-row">'
            f'<label for="{uid}-{key}">{label}</label>'
            f'<input type="range" id="{uid}-{key}" min="{lo}" max="{hi}" step="{step}" value="{shown}" '
            f'aria-describedby="{uid}-help">'
            f'<input type="number" id="{uid}-{key}-num" step="any"{number_min} value="{shown}" '
            f'aria-label="{html.escape(description)} (exact value)">'
            f"</div>"
        )

    rows = [slider_row(f"z{k + 1}", f"logit z<sub>{k + 1}</sub>", v, lo, hi, step, "", f"logit z{k + 1}")
            for k, v in enumerate(z)]
    temperature_row = slider_row("T", "temperature T", temperature, t_lo, t_hi, t_step, ' min="0"',
                                 "temperature T")
    best = int(np.argmax(a))
    markup = (
        f'<div class="softmax-explorer" id="{uid}" data-k="{z.size}" '
        f"data-logits='{json.dumps(z.tolist())}' data-temperature='{json.dumps(temperature)}' "
        f"data-probabilities='{json.dumps(a.tolist())}'>"
        f"<style>{_CSS.format(id=uid)}</style>"
        f'<fieldset><legend>Logits</legend>{"".join(rows)}</fieldset>'
        f"<fieldset><legend>Temperature</legend>{temperature_row}</fieldset>"
        f'<p class="sx-status" id="{uid}-help">Use a slider (arrow keys move it) or type any value in the '
        f"box next to it, for example 10000.</p>"
        f'<div class="sx-bars" role="group" aria-label="Probabilities a = softmax(z / T)">'
        f"{_bars_html(z, a, uid)}</div>"
        f'<p class="sx-status" id="{uid}-status" role="status" aria-live="polite">Most probable: class '
        f"{best + 1} (a{best + 1} = {_format_probability(a[best])}) at temperature T = "
        f"{_format_number(temperature)}.</p>"
        f"<script>{_JS_LIBRARY}(function (s) {{ window.softmaxExplorer.init("
        f"(s && s.closest('div.softmax-explorer')) || document.getElementById({json.dumps(uid)})); }})"
        f"(document.currentScript);</script>"
        f"</div>"
    )
    return HTML(markup)


def softmax_explorer(logits=DEFAULT_LOGITS, temperature: float = 1.0):
    r"""The ipywidgets explorer for JupyterLab: sliders for the logits and the temperature.

    Parameters
    ----------
    logits : array_like, ``(K,)``
        Initial logits :math:`z`, finite; each slider spans ``LOGIT_RANGE`` (values outside it are
        clipped to it).
    temperature : float
        Initial temperature :math:`T > 0`.

    Returns
    -------
    ipywidgets.VBox
        Children: one ``FloatSlider`` per logit, one for the temperature, then an ``HTML`` widget with
        the probability bars. Moving any slider recomputes ``softmax(z / T)`` with
        :func:`lecture_lib.softmax` (via ``observe``); the bars' root carries the probabilities as JSON
        in ``data-probabilities``.

    Notes
    -----
    Needs a running kernel; the static site shows :func:`explorer_html` instead.
    """
    import ipywidgets as widgets

    z, temperature = _check(logits, temperature)
    lo, hi, step = LOGIT_RANGE
    t_lo, t_hi, t_step = TEMPERATURE_RANGE
    style = {"description_width": "7rem"}
    logit_sliders = [
        widgets.FloatSlider(value=float(np.clip(v, lo, hi)), min=lo, max=hi, step=step, description=f"logit z{k + 1}",
                            continuous_update=True, readout_format=".2f", style=style)
        for k, v in enumerate(z)
    ]
    temperature_slider = widgets.FloatSlider(value=float(np.clip(temperature, t_lo, t_hi)), min=t_lo, max=t_hi,
                                             step=t_step, description="temperature T", readout_format=".2f",
                                             style=style)
    bars = widgets.HTML()

    def update(_change=None):
        z_now = np.array([s.value for s in logit_sliders])
        a = tempered_softmax(z_now, temperature_slider.value)
        bars.value = (f"<div class='softmax-explorer-bars' data-probabilities='{json.dumps(a.tolist())}' "
                      f"style='max-width:36rem'>{_bars_html(z_now, a)}</div><style>{_WIDGET_CSS}</style>")

    for slider in (*logit_sliders, temperature_slider):
        slider.observe(update, names="value")
    update()
    return widgets.VBox([*logit_sliders, temperature_slider, bars])


_WIDGET_CSS = """
.softmax-explorer-bars .sx-bar-row { display: grid; grid-template-columns: 2.5rem 1fr 6.5rem; gap: 0.5rem;
  align-items: center; margin: 0.15rem 0; }
.softmax-explorer-bars .sx-track { display: block; height: 1.1rem; background: rgba(127, 127, 127, 0.2);
  border-radius: 0.2rem; overflow: hidden; }
.softmax-explorer-bars .sx-bar { display: block; height: 100%; }
.softmax-explorer-bars .sx-prob { text-align: right; font-variant-numeric: tabular-nums; }
"""


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
    import matplotlib.pyplot as plt

    z, temperature = _check(z, temperature)
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
