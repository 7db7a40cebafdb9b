r"""The softmax explorer: move the logits and the temperature, watch the probabilities.

Three views of the same computation, :math:`a = \operatorname{softmax}(z / T)`:

- :func:`explorer_html` -- self-contained HTML + JavaScript (no request to any other host). It works
  in the static site and in JupyterLab, because it needs no kernel.
- :func:`softmax_explorer` -- the ipywidgets version for JupyterLab (needs a running kernel).
- :func:`lecture_lib.plotting.plot_softmax_bars` -- the static matplotlib figure of one setting.

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
from .palette import PALETTE

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
    .. math:: a_k = \frac{e^{z_k / T}}{\sum_{l=1}^{K} e^{z_l / T}}

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


def _bars_html(z, a, ids=None, exponentials=None, shown: int | None = None) -> str:
    """The probability bars (rows of label, bar, number) for logits ``z`` and probabilities ``a``.

    With ``exponentials`` each row also shows :math:`e_k = e^{z_k / T - c}` next to :math:`a_k`; rows from
    ``shown`` on are rendered ``hidden`` (the explorer reveals them when the number of classes grows).
    """
    rows = []
    for k, p in enumerate(a):
        colour = PALETTE[k % len(PALETTE)]
        out_id = f' id="{ids}-a{k + 1}"' if ids else ""
        hidden = " hidden" if shown is not None and k >= shown else ""
        exp_cell = ""
        if exponentials is not None:
            exp_cell = (f'<output class="sx-exp" id="{ids}-e{k + 1}" data-k="{k}">'
                        f"{_format_probability(exponentials[k])}</output>")
        rows.append(
            f'<div class="sx-bar-row"{hidden}>'
            f'<span class="sx-bar-label">a<sub>{k + 1}</sub></span>'
            f'<span class="sx-track"><span class="sx-bar" style="width:{100 * p:.2f}%;background:{colour}">'
            f"</span></span>"
            f"{exp_cell}"
            f'<output class="sx-prob"{out_id} data-k="{k}">{_format_probability(p)}</output>'
            f"</div>"
        )
    return "".join(rows)


#: Range of the number of classes K the explorer offers (the initial logits may have more).
CLASS_RANGE = (2, 10)

_CSS = """
#{id} {{ font-family: inherit; max-width: 40rem; margin: 0.5rem 0 1rem; padding: 0.75rem 1rem;
  border: 1px solid var(--pst-color-border, #ccc); border-radius: 0.4rem; box-sizing: border-box; }}
#{id} *, #{id} *::before, #{id} *::after {{ box-sizing: border-box; }}
#{id} fieldset {{ border: 0; margin: 0; padding: 0; min-width: 0; }}
#{id} legend {{ font-size: 1rem; font-weight: 600; padding: 0; margin: 0 0 0.25rem; float: none; }}
#{id} [hidden] {{ display: none !important; }}
#{id} .sx-row {{ display: grid; grid-template-columns: 7.5rem minmax(0, 1fr) 6.5rem; gap: 0.25rem 0.5rem;
  align-items: center; margin: 0.2rem 0; }}
#{id} .sx-error {{ grid-column: 1 / -1; color: var(--pst-color-danger, #b00020); font-size: 0.9em; margin: 0; }}
#{id} input[type=range] {{ width: 100%; min-width: 0; min-height: 1.75rem; accent-color: #0072B2; }}
#{id} input[type=number] {{ width: 100%; min-width: 0; font: inherit; min-height: 1.75rem; }}
#{id} input:focus-visible, #{id} button:focus-visible {{ outline: 3px solid #D55E00; outline-offset: 2px; }}
#{id} input[aria-invalid=true] {{ outline: 2px solid #D55E00; border-color: #D55E00; }}
#{id} .sx-tools {{ display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: center; margin: 0.4rem 0; }}
#{id} .sx-tools label {{ display: inline-flex; gap: 0.5rem; align-items: center; }}
#{id} .sx-tools input[type=number] {{ width: 4.5rem; }}
#{id} button {{ font: inherit; padding: 0.25rem 0.9rem; min-height: 2rem; border-radius: 0.3rem;
  border: 1px solid var(--pst-color-border, #767676); background: var(--pst-color-surface, #f3f3f3);
  color: var(--pst-color-text-base, inherit); cursor: pointer; }}
#{id} .sx-bars {{ margin-top: 0.6rem; }}
#{id} .sx-bar-row, #{id} .sx-bar-head {{ display: grid; grid-template-columns: 2.5rem minmax(0, 1fr) 5.5rem 5.5rem;
  gap: 0.5rem; align-items: center; margin: 0.15rem 0; }}
#{id} .sx-bar-head {{ font-size: 0.9em; font-weight: 600; }}
#{id} .sx-bar-head span, #{id} .sx-sum output {{ text-align: right; }}
#{id} .sx-sum {{ border-top: 1px solid var(--pst-color-border, #ccc); padding-top: 0.15rem; }}
#{id} .sx-track {{ display: block; height: 1.1rem; background: rgba(127, 127, 127, 0.2);
  border-radius: 0.2rem; overflow: hidden; }}
#{id} .sx-bar {{ display: block; height: 100%; }}
#{id} .sx-prob, #{id} .sx-exp {{ font-variant-numeric: tabular-nums; text-align: right; }}
#{id} .sx-status, #{id} .sx-formula {{ margin: 0.4rem 0 0; font-size: 0.9em; }}
@media (max-width: 36rem) {{
  #{id} {{ padding: 0.6rem 0.6rem; }}
  #{id} .sx-row {{ grid-template-columns: minmax(0, 1fr) 5.5rem; }}
  #{id} .sx-row > label {{ grid-column: 1 / -1; }}
  #{id} .sx-bar-row, #{id} .sx-bar-head {{ grid-template-columns: 2rem minmax(0, 1fr) 4.75rem 4.75rem;
    gap: 0.35rem; }}
}}
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
    /* Every step of lecture_lib.softmax(z / T): u = z / T, c = max u, e = exp(u - c), s = sum e, a = e / s. */
    function steps(z, T) {
      if (!(typeof T === "number" && T > 0 && isFinite(T))) {
        throw new RangeError("temperature must be a positive finite number; got " + T);
      }
      if (!z.length) { throw new RangeError("logits must not be empty"); }
      var u = z.map(function (v) { return v / T; });
      if (!u.every(isFinite)) { throw new RangeError("logits / temperature must be finite"); }
      var c = Math.max.apply(null, u);
      var e = u.map(function (v) { return Math.exp(v - c); });
      var s = pairwiseSum(e, 0, e.length);
      return { c: c, exponentials: e, sum: s, probabilities: e.map(function (v) { return v / s; }) };
    }
    function compute(z, T) { return steps(z, T).probabilities; }
    function format(p) { return (p === 0 || p >= 1e-4) ? p.toFixed(4) : p.toExponential(2); }
    function formatNumber(x) { return String(x); }
    function init(root) {
      if (!root || root.dataset.ready) { return; }
      var id = root.id, K = Number(root.dataset.k), Kmax = Number(root.dataset.kMax);
      var z0 = JSON.parse(root.dataset.logits), T0 = Number(root.dataset.temperature), K0 = K;
      var all = JSON.parse(root.dataset.allLogits), T = T0;
      function el(suffix) { return root.querySelector("[id='" + id + "-" + suffix + "']"); }
      var status = el("status"), problems = {};
      function setError(key, message) {
        var box = el(key + "-num") || el(key), err = el(key + "-err");  /* K has a box only */
        if (message) {
          problems[key] = message; box.setAttribute("aria-invalid", "true");
          err.textContent = message; err.hidden = false;
        } else {
          delete problems[key]; box.removeAttribute("aria-invalid");
          err.textContent = ""; err.hidden = true;
        }
      }
      function render() {
        var z = all.slice(0, K), r;
        try { r = steps(z, T); } catch (err) { status.textContent = err.message; return; }
        var a = r.probabilities, best = 0;
        for (var k = 0; k < Kmax; k++) {
          var shown = k < K;
          el("row-z" + (k + 1)).hidden = !shown;
          el("a" + (k + 1)).parentNode.hidden = !shown;
          if (!shown) { continue; }
          el("a" + (k + 1)).textContent = format(a[k]);
          el("e" + (k + 1)).textContent = format(r.exponentials[k]);
          el("a" + (k + 1)).parentNode.querySelector(".sx-bar").style.width = (100 * a[k]).toFixed(2) + "%";
          if (a[k] > a[best]) { best = k; }
        }
        el("sum-e").textContent = format(r.sum);
        el("sum-a").textContent = format(pairwiseSum(a, 0, a.length));
        el("c").textContent = formatNumber(r.c);
        root.dataset.k = String(K);
        root.dataset.logits = JSON.stringify(z);
        root.dataset.temperature = String(T);
        root.dataset.probabilities = JSON.stringify(a);
        root.dataset.exponentials = JSON.stringify(r.exponentials);
        root.dataset.sum = JSON.stringify(r.sum);
        var text = "Showing K = " + K + " classes at temperature T = " + formatNumber(T) + ". Most probable: class " +
          (best + 1) + " (a" + (best + 1) + " = " + format(a[best]) + ").";
        var bad = Object.keys(problems);
        if (bad.length) {
          text = "Not updated: " + bad.map(function (key) { return problems[key]; }).join(" ") + " " + text;
        }
        status.textContent = text;
      }
      function bind(key, set, check) {
        var slider = el(key), box = el(key + "-num");
        slider.addEventListener("input", function () {
          set(Number(slider.value)); box.value = slider.value; setError(key, null); render();
        });
        box.addEventListener("input", function () {
          var v = box.value.trim() === "" ? NaN : Number(box.value), message = check(v, box.value.trim());
          setError(key, message);
          if (!message) { set(v); slider.value = String(v); }
          render();
        });
      }
      function logitCheck(k) {
        return function (v, text) {
          return isFinite(v) ? null : "Logit z" + k + " must be a finite number" +
            (text === "" ? " (the box is empty)." : "; \u201c" + text + "\u201d is not.");
        };
      }
      for (var k = 0; k < Kmax; k++) {
        (function (k) { bind("z" + (k + 1), function (v) { all[k] = v; }, logitCheck(k + 1)); })(k);
      }
      bind("T", function (v) { T = v; }, function (v, text) {
        return (isFinite(v) && v > 0) ? null : "Temperature T must be a positive number" +
          (text === "" ? " (the box is empty)." : "; " + text + " is not.");
      });
      var kBox = el("K"), kMin = Number(kBox.min);
      kBox.addEventListener("input", function () {
        var v = kBox.value.trim() === "" ? NaN : Number(kBox.value);
        if (!(Number.isInteger(v) && v >= kMin && v <= Kmax)) {
          setError("K", "The number of classes K must be a whole number from " + kMin + " to " + Kmax + ".");
          render(); return;
        }
        setError("K", null);
        K = v; render();  /* a class shown again keeps the logit it had */
      });
      el("reset").addEventListener("click", function () {
        all = JSON.parse(root.dataset.allLogits); T = T0; K = K0;
        for (var k = 0; k < Kmax; k++) {
          el("z" + (k + 1)).value = String(all[k]); el("z" + (k + 1) + "-num").value = String(all[k]);
          setError("z" + (k + 1), null);
        }
        el("T").value = String(T0); el("T-num").value = String(T0); setError("T", null);
        kBox.value = String(K0); setError("K", null);
        render();
      });
      render();
      root.dataset.ready = "true";
    }
    return { compute: compute, steps: steps, pairwiseSum: pairwiseSum, format: format, init: init };
  })();
}
"""


def explorer_html(logits=DEFAULT_LOGITS, temperature: float = 1.0):
    r"""A self-contained interactive softmax explorer (HTML + inline CSS + vanilla JavaScript).

    One slider and one number box per logit :math:`z_k` (the box takes values outside the slider's
    range, such as :math:`10^4`), the same pair for the temperature :math:`T`, a box for the number of
    classes :math:`K` (2 to 10), a reset button, and the probabilities :math:`a_k` as bars and numbers
    next to the intermediate exponentials :math:`e_k = e^{z_k / T - c}` and their sum, recomputed on every
    ``input`` event. An invalid value gets a message next to its box, and the status line says which
    setting is shown. It needs no kernel and requests nothing from any other host, so it works on the
    static site and in JupyterLab.

    Parameters
    ----------
    logits : array_like, ``(K,)``
        Initial logits :math:`z`, finite.
    temperature : float
        Initial temperature :math:`T > 0`.

    Returns
    -------
    IPython.display.HTML
        The explorer. Its root ``div.softmax-explorer`` carries ``data-k``, ``data-logits``,
        ``data-temperature``, ``data-probabilities``, ``data-exponentials`` and ``data-sum`` (JSON, full
        precision) for tests, and the page gets ``window.softmaxExplorer.compute(z, T)`` (the
        probabilities) and ``window.softmaxExplorer.steps(z, T)`` (every intermediate).

    Raises
    ------
    ValueError, TypeError
        If ``logits`` is not a non-empty 1-D array of finite numbers or ``temperature`` is not > 0.

    Notes
    -----
    .. math:: a_k = \frac{e_k}{S}, \qquad e_k = e^{z_k / T - c}, \qquad S = \sum_{l=1}^{K} e_l,
              \qquad c = \max_l z_l / T

    Subtracting :math:`c` multiplies numerator and denominator by the same :math:`e^{-c}`, so
    :math:`a_k = e^{z_k/T} / \sum_l e^{z_l/T}` is unchanged, and no exponential overflows. The initial
    bars are computed here by :func:`lecture_lib.softmax`, so the page shows the right numbers even
    before (or without) JavaScript. Every call uses fresh element ids, so several explorers can share a
    page. Rows for classes beyond the initial ``K`` (up to 10, logit 0) are in the markup, hidden until
    ``K`` grows.
    """
    from IPython.display import HTML

    z, temperature = _check(logits, temperature)
    K = z.size
    u = z / temperature
    a = softmax(u)
    c = float(u.max())
    with np.errstate(under="ignore"):  # e^(very negative) -> 0, as in lecture_lib.softmax
        e = np.exp(u - c)  # the intermediate of softmax(u) that the explorer shows
    k_min, k_max = min(CLASS_RANGE[0], K), max(CLASS_RANGE[1], K)
    all_z = np.concatenate([z, np.zeros(k_max - K)])
    all_u = all_z / temperature
    all_e = np.concatenate([e, np.exp(all_u[K:] - c)]) if k_max > K else e
    uid = f"sx-{uuid.uuid4().hex[:12]}"
    lo, hi, step = LOGIT_RANGE
    t_lo, t_hi, t_step = TEMPERATURE_RANGE

    def slider_row(key: str, label: str, value: float, lo, hi, step, number_min: str, description: str,
                   hidden: bool = False) -> str:
        shown = _format_number(value)
        return (
            f'<div class="sx-row" id="{uid}-row-{key}"{" hidden" if hidden else ""}>'
            f'<label for="{uid}-{key}">{label}</label>'
            f'<input type="range" id="{uid}-{key}" min="{lo}" max="{hi}" step="{step}" value="{shown}" '
            f'aria-describedby="{uid}-help">'
            f'<input type="number" id="{uid}-{key}-num" step="any"{number_min} value="{shown}" '
            f'aria-label="{html.escape(description)} (exact value)" aria-describedby="{uid}-{key}-err">'
            f'<p class="sx-error" id="{uid}-{key}-err" hidden></p>'
            f"</div>"
        )

    rows = [slider_row(f"z{k + 1}", f"logit z<sub>{k + 1}</sub>", v, lo, hi, step, "", f"logit z{k + 1}",
                       hidden=k >= K)
            for k, v in enumerate(all_z)]
    temperature_row = slider_row("T", "temperature T", temperature, t_lo, t_hi, t_step, ' min="0"',
                                 "temperature T")
    best = int(np.argmax(a))
    shown_t = _format_number(temperature)
    markup = (
        f'<div class="softmax-explorer" id="{uid}" data-k="{K}" data-k-max="{k_max}" '
        f"data-logits='{json.dumps(z.tolist())}' data-all-logits='{json.dumps(all_z.tolist())}' "
        f"data-temperature='{json.dumps(temperature)}' data-probabilities='{json.dumps(a.tolist())}' "
        f"data-exponentials='{json.dumps(e.tolist())}' data-sum='{json.dumps(float(e.sum()))}'>"
        f"<style>{_CSS.format(id=uid)}</style>"
        f'<div class="sx-tools"><label for="{uid}-K">number of classes K '
        f'<input type="number" id="{uid}-K" min="{k_min}" max="{k_max}" step="1" value="{K}" '
        f'aria-describedby="{uid}-K-err"></label>'
        f'<button type="button" id="{uid}-reset">Reset</button>'
        f'<p class="sx-error" id="{uid}-K-err" hidden></p></div>'
        f'<fieldset><legend>Logits</legend>{"".join(rows)}</fieldset>'
        f"<fieldset><legend>Temperature</legend>{temperature_row}</fieldset>"
        f'<p class="sx-status" id="{uid}-help">Use a slider (arrow keys move it) or type any value in the '
        f"box next to it, for example 10000.</p>"
        f'<div class="sx-bars" role="group" aria-label="Probabilities a = softmax(z / T) and the exponentials">'
        f'<div class="sx-bar-head" aria-hidden="true"><span></span><span></span>'
        f"<span>e<sub>k</sub></span><span>a<sub>k</sub></span></div>"
        f"{_bars_html(all_z, np.concatenate([a, np.zeros(k_max - K)]), uid, all_e, shown=K)}"
        f'<div class="sx-bar-row sx-sum"><span class="sx-bar-label">sum</span><span></span>'
        f'<output id="{uid}-sum-e" aria-label="sum S of the exponentials">{_format_probability(e.sum())}</output>'
        f'<output id="{uid}-sum-a" aria-label="sum of the probabilities">{_format_probability(a.sum())}</output>'
        f"</div></div>"
        f'<p class="sx-formula">Each probability is a<sub>k</sub> = e<sub>k</sub> / S, where '
        f"e<sub>k</sub> = exp(z<sub>k</sub>/T &minus; c) with c = max<sub>j</sub> z<sub>j</sub>/T = "
        f'<output id="{uid}-c">{_format_number(c)}</output>, and S = e<sub>1</sub> + &hellip; + '
        f"e<sub>K</sub>. Subtracting c scales every e<sub>k</sub> and S by the same factor e<sup>&minus;c</sup>, "
        f"so the ratios are those of e<sup>z<sub>k</sub>/T</sup>, and no exponential overflows.</p>"
        f'<p class="sx-status" id="{uid}-status" role="status" aria-live="polite">Showing K = {K} classes at '
        f"temperature T = {shown_t}. Most probable: class {best + 1} "
        f"(a{best + 1} = {_format_probability(a[best])}).</p>"
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


def __getattr__(name):
    """``plot_softmax_bars`` lives in :mod:`lecture_lib.plotting` (it needs matplotlib); still found here."""
    if name == "plot_softmax_bars":
        from .plotting import plot_softmax_bars

        return plot_softmax_bars
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
