"""Tests of the Python side of lecture_lib.trainer (the browser side is in tests/browser/)."""

from __future__ import annotations

import inspect
import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from lecture_lib import softmax_regression_cost_and_gradient
from lecture_lib._static import read as read_static
from lecture_lib.plotting import PALETTE
from lecture_lib.trainer import (DEFAULT_CENTRES, DEFAULT_POINTS_PER_CLASS, DEFAULT_SEED, DEFAULT_SPREAD, DOMAIN, K,
                                 MARKERS, MAX_POINTS, default_data, trainer_html)

from ulp import ulp_distance


class Elements(HTMLParser):
    """Start tags with their attributes, the text inside each element with an id, and <label> nesting."""

    def __init__(self, markup: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: dict[str, str] = {}
        self.inside_label: set[str] = set()  # ids of inputs wrapped in a <label>
        self._open: list[tuple[str, str | None]] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "input" and any(t == "label" for t, _ in self._open):
            self.inside_label.add(attrs.get("id"))
        if tag not in ("input", "br", "meta", "circle", "rect", "polygon"):
            self._open.append((tag, attrs.get("id")))
            if attrs.get("id"):
                self.text[attrs["id"]] = ""

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data):
        for _, ident in self._open:
            if ident:
                self.text[ident] += data

    def find(self, tag, **attrs):
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def root_of(markup: str) -> dict:
    return Elements(markup).find("div", **{"class": "softmax-trainer"})[0]


# --- default_data -------------------------------------------------------------------------------

def test_default_data_is_reproducible_from_the_seed():
    X, y = default_data()
    X2, y2 = default_data(DEFAULT_SEED)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = default_data(DEFAULT_SEED + 1)
    assert not np.array_equal(X, X3)
    n = DEFAULT_POINTS_PER_CLASS
    assert X.shape == (K * n, 2) and X.dtype == np.float64
    assert np.bincount(y).tolist() == [n] * K
    assert DOMAIN[0] <= X.min() and X.max() <= DOMAIN[1]
    np.testing.assert_array_equal(X, np.round(X, 2))  # two decimals, as a click places them


def test_default_data_blobs_sit_at_their_centres():
    # With many points each class mean is within 4 standard errors of its centre.
    n = MAX_POINTS // K
    X, y = default_data(7, n)
    for k, centre in enumerate(DEFAULT_CENTRES):
        assert np.all(np.abs(X[y == k].mean(axis=0) - centre) < 4 * DEFAULT_SPREAD / np.sqrt(n)), k


@pytest.mark.parametrize("kwargs, exc, word", [
    ({"seed": -1}, TypeError, "seed"),
    ({"seed": 1.5}, TypeError, "seed"),
    ({"seed": True}, TypeError, "seed"),
    ({"n_per_class": 0}, ValueError, "n_per_class"),
    ({"n_per_class": 2.0}, TypeError, "n_per_class"),
    ({"n_per_class": MAX_POINTS}, ValueError, "n_per_class"),
])
def test_default_data_bad_arguments(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        default_data(**kwargs)


# --- trainer_html -------------------------------------------------------------------------------

def test_markup_carries_the_default_data_and_settings():
    markup = trainer_html().data
    root = root_of(markup)
    X, y = default_data()
    assert json.loads(root["data-points"]) == X.tolist()
    assert json.loads(root["data-labels"]) == y.tolist()
    defaults = inspect.signature(trainer_html).parameters
    lr, l2 = defaults["learning_rate"].default, defaults["l2"].default
    assert json.loads(root["data-lr"]) == lr and json.loads(root["data-l2"]) == l2
    assert root["data-step"] == "0" and root["data-state"] == "paused"
    # At W = 0, b = 0 every class has probability 1/3, so J = log 3 (up to the rounding of a mean of
    # m equal terms: a few ulps) and the readout shows it before any script runs.
    J = json.loads(root["data-loss"])
    assert ulp_distance(J, np.log(3.0)) <= 4
    J_lib, dW, db = softmax_regression_cost_and_gradient(X, y, np.zeros((2, K)), np.zeros(K), l2)
    assert J == J_lib
    norm = np.sqrt(np.sum(dW ** 2) + np.sum(db ** 2))
    assert json.loads(root["data-grad-norm"]) == pytest.approx(norm, rel=1e-15)
    readout = Elements(markup).text[f"{root['id']}-readout"]
    assert f"{J:.6g}" in readout and f"{norm:.3g}" in readout and f"{len(y)} points" in readout


def test_markup_with_given_data():
    X = np.array([[0.0, 1.0], [-2.5, 2.25], [3.0, -3.0]])
    root = root_of(trainer_html(X, [2, 0, 1], learning_rate=0.25, l2=0).data)
    assert json.loads(root["data-points"]) == X.tolist() and json.loads(root["data-labels"]) == [2, 0, 1]
    assert json.loads(root["data-lr"]) == 0.25 and json.loads(root["data-l2"]) == 0.0


def test_controls_are_labelled_and_accessible():
    markup = trainer_html().data
    doc = Elements(markup)
    uid = root_of(markup)["id"]
    radios = doc.find("input", type="radio")
    assert [r["value"] for r in radios] == ["0", "1", "2"] and all(r["name"] == f"{uid}-class" for r in radios)
    assert all(r["id"] in doc.inside_label for r in radios), "each radio button sits in its <label>"
    assert sum("checked" in r for r in radios) == 1
    labels = re.findall(r"<label><input type=\"radio\"[^>]*>(.*?)</label>", markup)
    for k, label in enumerate(labels):
        assert f"class {k + 1}" in label and MARKERS[k] in label and PALETTE[k] in label
    assert len(set(MARKERS)) == K  # a shape per class, not only a colour

    numbers = doc.find("input", type="number")
    assert [n["id"] for n in numbers] == [f"{uid}-lr", f"{uid}-l2"]
    for n, words in zip(numbers, ("learning rate", "L2 strength")):
        assert re.search(f'<label for="{n["id"]}">{words} ', markup), n["id"]
        msg = doc.find("span", id=n["aria-describedby"])[0]
        assert msg["aria-live"] == "polite"
        assert n["step"] == "any" and n["min"] == "0"

    buttons = doc.find("button")
    assert [b["id"] for b in buttons] == [f"{uid}-{name}" for name in ("step", "run", "reset", "restore")]
    assert all(b["type"] == "button" and doc.text[b["id"]].strip() for b in buttons)
    assert doc.find("button", id=f"{uid}-run")[0]["aria-pressed"] == "false"

    plot = doc.find("canvas", id=f"{uid}-plot")[0]
    assert plot["tabindex"] == "0" and plot["aria-label"] and plot["aria-describedby"] == f"{uid}-help"
    help_text = doc.text[f"{uid}-help"]
    for key in ("arrow keys", "Enter", "Space", "Delete"):
        assert key in help_text
    assert doc.find("canvas", id=f"{uid}-curve")[0]["aria-label"]
    status = doc.find("p", id=f"{uid}-status")[0]
    assert status["role"] == "status" and status["aria-live"] == "polite"


def test_fallback_text_for_pages_without_scripts():
    markup = trainer_html().data
    doc = Elements(markup)
    uid = root_of(markup)["id"]
    text = doc.text[f"{uid}-nojs"]
    assert "JupyterLab" in text and "Trust Notebook" in text
    assert root_of(markup)["data-nojs"] == "true"  # the script removes both the attribute and the sentence
    assert "fallback.remove()" in markup and 'root.removeAttribute("data-nojs")' in markup


def test_markup_is_self_contained_and_ids_are_unique():
    first, second = trainer_html().data, trainer_html().data
    for markup in (first, second):
        assert not re.search(r"https?:|//|\b(?:src|href)\s*=|url\(|@import|fetch\(|XMLHttpRequest", markup), \
            "the trainer must not load anything"
        assert markup.count("<script>") == 1 and "window.softmaxTrainer" in markup
        ids = [a["id"] for _, a in Elements(markup).tags if "id" in a]
        assert len(ids) == len(set(ids)), "ids repeat inside one trainer"
    ids_first = {a["id"] for _, a in Elements(first).tags if "id" in a}
    ids_second = {a["id"] for _, a in Elements(second).tags if "id" in a}
    assert ids_first and not ids_first & ids_second
    # Every id the trainer's own script looks up exists in the markup (the explorer's library, which the
    # trainer embeds for its pairwise sum, looks up the explorer's ids).
    uid = root_of(first)["id"]
    looked_up = set(re.findall(r'el\("([a-z0-9-]+)"\)', first.replace(read_static("explorer.js"), "")))
    assert looked_up and {f"{uid}-{s}" for s in looked_up} <= ids_first, looked_up


def test_displays_in_jupyter():
    shown = trainer_html()
    assert shown._repr_html_() == shown.data


X_OK = np.array([[0.0, 0.0], [1.0, 1.0]])


@pytest.mark.parametrize("args, kwargs, exc, word", [
    ((X_OK, None), {}, ValueError, "X and y"),
    ((None, [0, 1]), {}, ValueError, "X and y"),
    ((np.zeros((2, 3)), [0, 1]), {}, ValueError, "X must have shape"),
    ((np.zeros(2), [0, 1]), {}, ValueError, "X must be a 2-D"),
    ((np.array([[0.0, np.nan], [1.0, 1.0]]), [0, 1]), {}, ValueError, "X contains NaN"),
    ((np.array([[0.0, 3.5], [1.0, 1.0]]), [0, 1]), {}, ValueError, "X must lie inside"),
    (([["a", "b"], ["c", "d"]], [0, 1]), {}, TypeError, "X must hold real numbers"),
    ((np.zeros((MAX_POINTS + 1, 2)), np.zeros(MAX_POINTS + 1, int)), {}, ValueError, "at most"),
    ((X_OK, [0, 3]), {}, ValueError, "y must hold class indices 0..2"),
    ((X_OK, [0, -1]), {}, ValueError, "y must hold class indices"),
    ((X_OK, [0, 1, 2]), {}, ValueError, "X has 2 rows but y has 3"),
    ((X_OK, ["a", "b"]), {}, TypeError, "y must hold integer"),
    ((X_OK, [0, 1]), {"learning_rate": 0}, ValueError, "learning_rate"),
    ((X_OK, [0, 1]), {"learning_rate": -0.5}, ValueError, "learning_rate"),
    ((X_OK, [0, 1]), {"learning_rate": float("inf")}, ValueError, "learning_rate"),
    ((X_OK, [0, 1]), {"learning_rate": "0.5"}, TypeError, "learning_rate"),
    ((X_OK, [0, 1]), {"l2": -1e-3}, ValueError, "l2"),
    ((X_OK, [0, 1]), {"l2": float("nan")}, ValueError, "l2"),
    ((X_OK, [0, 1]), {"l2": None}, TypeError, "l2"),
])
def test_bad_arguments_name_the_argument(args, kwargs, exc, word):
    with pytest.raises(exc, match=re.escape(word)):
        trainer_html(*args, **kwargs)
