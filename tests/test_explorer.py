"""Tests of the Python side of lecture_lib.explorer (the browser side is in tests/browser/)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from html.parser import HTMLParser

import numpy as np
import pytest
from scipy.special import softmax as scipy_softmax

from lecture_lib import softmax
from lecture_lib.explorer import CLASS_RANGE, LOGIT_RANGE, TEMPERATURE_RANGE, explorer_html, softmax_explorer, tempered_softmax
from lecture_lib.plotting import PALETTE, plot_softmax_bars


class Elements(HTMLParser):
    """Collect start tags with their attributes, and the text of <label> and <output> elements."""

    def __init__(self, markup: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: dict[str, str] = {}
        self._open: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag in ("label", "output"):
            self._open.append(attrs.get("id") or attrs.get("for"))
            self.text[self._open[-1]] = ""

    def handle_endtag(self, tag):
        if tag in ("label", "output") and self._open:
            self._open.pop()

    def handle_data(self, data):
        if self._open:
            self.text[self._open[-1]] += data

    def find(self, tag, **attrs):
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def root_attrs(markup: str) -> dict:
    return Elements(markup).find("div", **{"class": "softmax-explorer"})[0]


# --- tempered_softmax --------------------------------------------------------------------------

def test_tempered_softmax_hand_values():
    # z = (0, log 3): e^0 : e^{log 3} = 1 : 3.  With T = 2 the ratio becomes 1 : sqrt(3).
    np.testing.assert_allclose(tempered_softmax([0.0, np.log(3.0)], 1.0), [0.25, 0.75], rtol=1e-15)
    r = np.sqrt(3.0)
    np.testing.assert_allclose(tempered_softmax([0.0, np.log(3.0)], 2.0), [1 / (1 + r), r / (1 + r)], rtol=1e-15)


@pytest.mark.parametrize("temperature", [0.05, 0.5, 1.0, 3.0, 100.0])
def test_tempered_softmax_matches_scipy(temperature):
    rng = np.random.default_rng(7)
    z = 5 * rng.standard_normal(6)
    np.testing.assert_allclose(tempered_softmax(z, temperature), scipy_softmax(z / temperature), rtol=1e-13)


def test_tempered_softmax_large_logits_are_stable():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = tempered_softmax([1e4, 1.0, -1e4], 0.5)
    assert np.all(np.isfinite(a)) and a.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(a, [1.0, 0.0, 0.0], atol=1e-300)


@pytest.mark.parametrize("bad, exc, word", [
    (([1.0, 2.0], 0.0), ValueError, "temperature"),
    (([1.0, 2.0], -1.0), ValueError, "temperature"),
    (([1.0, 2.0], "1"), TypeError, "temperature"),
    (([1.0, np.nan], 1.0), ValueError, "logits"),
    (([[1.0, 2.0]], 1.0), ValueError, "logits"),
    (([], 1.0), ValueError, "logits"),
    ((["a", "b"], 1.0), TypeError, "logits"),
])
def test_bad_input_is_rejected_with_the_argument_name(bad, exc, word):
    for function in (tempered_softmax, explorer_html, plot_softmax_bars):
        with pytest.raises(exc, match=word):
            function(*bad)


# --- explorer_html -----------------------------------------------------------------------------

@pytest.mark.parametrize("z, temperature", [((2.0, 1.0, 0.1), 1.0), ((1e4, -1e4, 0.0, 3.5), 0.5),
                                            ((0.0,), 2.0)])
def test_explorer_html_controls_and_initial_values(z, temperature):
    markup = explorer_html(z, temperature).data
    doc = Elements(markup)
    root = root_attrs(markup)
    uid, K = root["id"], len(z)
    assert int(root["data-k"]) == K
    assert json.loads(root["data-logits"]) == list(z)
    assert json.loads(root["data-temperature"]) == temperature
    # The initial probabilities are lecture_lib.softmax(z / T), to the last bit.
    expected = softmax(np.asarray(z, dtype=float) / temperature)
    assert json.loads(root["data-probabilities"]) == expected.tolist()

    # One slider row per class up to K_max = max(10, K); the rows beyond K are hidden until K grows.
    k_max = max(CLASS_RANGE[1], K)
    assert int(root["data-k-max"]) == k_max
    assert json.loads(root["data-all-logits"]) == list(z) + [0.0] * (k_max - K)
    ranges = doc.find("input", type="range")
    numbers = [n for n in doc.find("input", type="number") if n["id"] != f"{uid}-K"]
    assert [r["id"] for r in ranges] == [f"{uid}-z{k}" for k in range(1, k_max + 1)] + [f"{uid}-T"]
    assert [n["id"] for n in numbers] == [f"{uid}-z{k}-num" for k in range(1, k_max + 1)] + [f"{uid}-T-num"]
    rows = {a["id"]: "hidden" in a for a in doc.find("div", **{"class": "sx-row"})}
    assert [rows[f"{uid}-row-z{k}"] for k in range(1, k_max + 1)] == [False] * K + [True] * (k_max - K)
    lo, hi, step = LOGIT_RANGE
    for k, r in enumerate(ranges[:-1]):
        assert (float(r["min"]), float(r["max"]), float(r["step"])) == (lo, hi, step)
        assert float(numbers[k]["value"]) == (z[k] if k < K else 0.0)  # the box holds the exact value, e.g. 10000
        assert doc.find("label", **{"for": r["id"]}), f"slider {r['id']} has no <label for>"
        assert "logit" in doc.text[r["id"]]
        assert numbers[k]["step"] == "any" and "logit" in numbers[k]["aria-label"]
        assert numbers[k]["aria-describedby"] == f"{r['id']}-err"  # where its error message appears
    assert float(ranges[-1]["min"]) == TEMPERATURE_RANGE[0] > 0
    assert float(numbers[-1]["value"]) == temperature and numbers[-1]["min"] == "0"
    assert "temperature" in doc.text[ranges[-1]["id"]]

    k_box = doc.find("input", id=f"{uid}-K")[0]
    assert (int(k_box["min"]), int(k_box["max"]), int(k_box["value"])) == (min(2, K), k_max, K)
    assert "number of classes" in doc.text[f"{uid}-K"]
    assert doc.find("button", id=f"{uid}-reset", type="button")

    # The intermediates e_k = exp(z_k / T - c), c = max_l z_l / T, and their sum S, beside the probabilities.
    u = np.asarray(z, dtype=float) / temperature
    e = np.exp(u - u.max())
    assert json.loads(root["data-exponentials"]) == e.tolist()
    assert json.loads(root["data-sum"]) == float(np.sum(e))
    np.testing.assert_allclose(e / np.sum(e), expected, rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose([float(doc.text[f"{uid}-e{k}"]) for k in range(1, K + 1)], e, atol=5e-5 + 1e-12)
    assert float(doc.text[f"{uid}-sum-e"]) == pytest.approx(np.sum(e), abs=5e-5)
    assert float(doc.text[f"{uid}-c"]) == u.max()

    shown = [doc.text[f"{uid}-a{k}"] for k in range(1, K + 1)]
    np.testing.assert_allclose([float(s) for s in shown], expected, atol=5e-5 + 1e-12)
    status = doc.find("p", id=f"{uid}-status")[0]
    assert status["role"] == "status" and status["aria-live"] == "polite"


def test_explorer_html_is_self_contained_and_ids_are_unique():
    first, second = explorer_html().data, explorer_html().data
    for markup in (first, second):
        assert not re.search(r"https?:|//|\b(?:src|href)\s*=|url\(|@import|fetch\(", markup), \
            "the explorer must not load anything"
        assert "<script>" in markup and "window.softmaxExplorer" in markup and "addEventListener(\"input\"" in markup
    ids_first = {a["id"] for _, a in Elements(first).tags if "id" in a}
    ids_second = {a["id"] for _, a in Elements(second).tags if "id" in a}
    assert ids_first and not ids_first & ids_second


def test_explorer_html_displays_in_jupyter():
    shown = explorer_html()
    assert shown._repr_html_() == shown.data


# --- softmax_explorer (ipywidgets) --------------------------------------------------------------

def widget_probabilities(box) -> list[float]:
    html = box.children[-1].value
    return json.loads(re.search(r"data-probabilities='([^']*)'", html).group(1))


def test_widget_structure():
    import ipywidgets as widgets

    box = softmax_explorer((2.0, 1.0, 0.1), 1.0)
    sliders = box.children[:-1]
    assert all(isinstance(s, widgets.FloatSlider) for s in sliders) and len(sliders) == 4
    assert [s.description for s in sliders] == ["logit z1", "logit z2", "logit z3", "temperature T"]
    assert (sliders[0].min, sliders[0].max) == LOGIT_RANGE[:2] and sliders[-1].min > 0
    assert isinstance(box.children[-1], widgets.HTML)
    assert widget_probabilities(box) == softmax(np.array([2.0, 1.0, 0.1])).tolist()


def test_widget_recomputes_when_a_slider_moves():
    box = softmax_explorer((2.0, 1.0, 0.1), 1.0)
    z1, z2, z3, temperature = box.children[:-1]
    z3.value = 4.0
    assert widget_probabilities(box) == softmax(np.array([2.0, 1.0, 4.0])).tolist()
    temperature.value = 2.5
    assert widget_probabilities(box) == softmax(np.array([2.0, 1.0, 4.0]) / 2.5).tolist()
    assert np.argmax(widget_probabilities(box)) == 2
    z1.value = -10.0
    np.testing.assert_allclose(sum(widget_probabilities(box)), 1.0, rtol=1e-15)


def test_widget_clips_initial_values_to_the_slider_range():
    box = softmax_explorer((1e4, 0.0), 100.0)
    assert box.children[0].value == LOGIT_RANGE[1] and box.children[-2].value == TEMPERATURE_RANGE[1]
    assert widget_probabilities(box) == softmax(np.array([LOGIT_RANGE[1], 0.0]) / TEMPERATURE_RANGE[1]).tolist()


# --- plot_softmax_bars -------------------------------------------------------------------------

def test_plot_softmax_bars():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.colors as mcolors
    import matplotlib.pyplot as plt

    z, temperature = [2.0, 1.0, 0.1, -1.0], 0.5
    fig = plot_softmax_bars(z, temperature)
    ax = fig.axes[0]
    heights = [patch.get_height() for patch in ax.patches]
    np.testing.assert_allclose(heights, softmax(np.array(z) / temperature), rtol=1e-15)
    assert [mcolors.to_hex(p.get_facecolor()) for p in ax.patches] == [c.lower() for c in PALETTE[:4]]
    assert ax.get_xlabel() and ax.get_ylabel() and "T = 0.5" in ax.get_title()
    assert [t.get_text().split("\n")[0] for t in ax.get_xticklabels()] == ["1", "2", "3", "4"]
    plt.close(fig)

    fig2, ax2 = plt.subplots()
    assert plot_softmax_bars([1e4, 0.0], 1.0, ax=ax2) is fig2
    np.testing.assert_allclose([p.get_height() for p in ax2.patches], [1.0, 0.0], atol=1e-300)
    plt.close(fig2)


# --- the package's shape (issue 20, a) ------------------------------------------------------------
WIDGETS_ALONE = """
import sys
import lecture_lib.explorer, lecture_lib.trainer
lecture_lib.explorer.explorer_html()
assert "matplotlib" not in sys.modules and "lecture_lib.plotting" not in sys.modules, sorted(sys.modules)
import matplotlib
before = dict(matplotlib.rcParams)
lecture_lib.explorer.explorer_html()  # rendering with matplotlib loaded changes none of its settings either
assert dict(matplotlib.rcParams) == before
assert lecture_lib.explorer.plot_softmax_bars.__module__ == "lecture_lib.plotting.probabilities"
"""


def test_widgets_import_no_matplotlib_and_leave_its_settings():
    # Old code: explorer -> plotting (PALETTE) -> probabilities -> explorer, and importing plotting
    # applied the course style to matplotlib's rcParams.
    done = subprocess.run([sys.executable, "-W", "error", "-c", WIDGETS_ALONE], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
