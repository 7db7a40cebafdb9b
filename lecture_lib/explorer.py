r"""The softmax explorer: move the logits and the temperature, watch the probabilities.

Three views of the same computation, :math:`a = \operatorname{softmax}(z / T)`:

- :func:`explorer_html` -- self-contained HTML + JavaScript (no request to any other host). It works
  in the static site and in JupyterLab, because it needs no kernel.
- :func:`softmax_explorer` -- the ipywidgets version for JupyterLab (needs a running kernel).
- :func:`lecture_lib.plotting.plot_softmax_bars` -- the static matplotlib figure of one setting.

The JavaScript repeats the arithmetic of :func:`lecture_lib.softmax` step by step (divide by
:math:`T`, subtract the maximum, exponentiate, normalise with numpy's pairwise summation order),
so the page shows the numbers the library computes; the browser tests check this.

The style sheets and the script are package data (:mod:`lecture_lib._static`): ``static/explorer.css``
(scoped to one explorer by ``#__ID__``), ``static/explorer-widget.css`` (the ipywidgets bars) and
``static/explorer.js``, one copy of the arithmetic that the page installs once as
``window.softmaxExplorer`` for every explorer (and trainer) on it. Its ``pairwiseSum`` follows numpy's
pairwise summation (blocks of 8, 8 accumulators), so the sums -- and hence the probabilities -- agree
with :func:`lecture_lib.softmax` to the last bit or two.
"""

from __future__ import annotations

import html
import json
import uuid

import numpy as np

from ._static import render
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
        f"<style>{render('explorer.css', id=uid)}</style>"
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
        f"e<sub>k</sub> = exp(z<sub>k</sub>/T &minus; c) with c = max<sub>l</sub> z<sub>l</sub>/T = "
        f'<output id="{uid}-c">{_format_number(c)}</output>, and S = e<sub>1</sub> + &hellip; + '
        f"e<sub>K</sub>. Subtracting c scales every e<sub>k</sub> and S by the same factor e<sup>&minus;c</sup>, "
        f"so the ratios are those of e<sup>z<sub>k</sub>/T</sup>, and no exponential overflows.</p>"
        f'<p class="sx-status" id="{uid}-status" role="status" aria-live="polite">Showing K = {K} classes at '
        f"temperature T = {shown_t}. Most probable: class {best + 1} "
        f"(a{best + 1} = {_format_probability(a[best])}).</p>"
        f"<script>{render('explorer.js')}(function (s) {{ window.softmaxExplorer.init("
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
                      f"style='max-width:36rem'>{_bars_html(z_now, a)}</div>"
                      f"<style>{render('explorer-widget.css')}</style>")

    for slider in (*logit_sliders, temperature_slider):
        slider.observe(update, names="value")
    update()
    return widgets.VBox([*logit_sliders, temperature_slider, bars])



def __getattr__(name):
    """``plot_softmax_bars`` lives in :mod:`lecture_lib.plotting` (it needs matplotlib); still found here."""
    if name == "plot_softmax_bars":
        from .plotting import plot_softmax_bars

        return plot_softmax_bars
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
