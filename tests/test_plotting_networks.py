"""Tests of lecture_lib.plotting.networks: the layout puts every unit where it belongs, the
drawing has one line per drawn weight, and bad sizes are refused with a clear message."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lecture_lib.plotting.networks import network_layout, plot_network


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_small_layers_are_drawn_whole_and_centred():
    layers = network_layout([3, 2], max_units=8)
    assert [layer["size"] for layer in layers] == [3, 2]
    np.testing.assert_array_equal(layers[0]["index"], [0, 1, 2])
    np.testing.assert_allclose(layers[0]["y"], [1.0, 0.0, -1.0])
    np.testing.assert_allclose(layers[1]["y"], [0.5, -0.5])
    assert layers[0]["ellipsis"] is None and [layer["x"] for layer in layers] == [0.0, 1.0]


@pytest.mark.parametrize("n, max_units", [(64, 8), (10, 9), (11, 10), (100, 3), (9, 8)])
def test_large_layers_keep_first_and_last_units_around_an_ellipsis(n, max_units):
    (layer, _) = network_layout([n, 1], max_units=max_units)
    index, y = layer["index"], layer["y"]
    assert len(index) == max_units - 1 and index[0] == 0 and index[-1] == n - 1
    assert np.all(np.diff(index) > 0)
    head = int(np.sum(index < n - max_units // 2))
    assert head == max_units - 1 - max_units // 2
    # The ellipsis sits in the free slot between the head and the tail; the slots are one unit apart.
    slots = np.sort(np.append(y, layer["ellipsis"]))[::-1]
    np.testing.assert_allclose(-np.diff(slots), 1.0)
    assert y[head - 1] > layer["ellipsis"] > y[head]
    assert abs(slots.mean()) < 1e-12


def test_plot_draws_one_line_per_weight_between_drawn_units():
    fig = plot_network([5, 4, 3], title="MLP")
    ax = fig.axes[0]
    assert len(ax.lines) == 5 * 4 + 4 * 3
    assert len(ax.collections) == 3  # one scatter per layer
    texts = [t.get_text() for t in ax.texts]
    assert "inputs\n5 units" in texts and "hidden 1\n4 units" in texts and "outputs\n3 units" in texts
    assert ax.get_title() == "MLP"


def test_plot_on_given_axes_with_ellipsis_and_names():
    fig, (left, right) = plt.subplots(1, 2)
    assert plot_network([64, 10], ax=right, layer_names=["pixels", "logits"]) is fig
    assert len(right.lines) == 7 * 7 and not left.lines
    texts = [t.get_text() for t in right.texts]
    assert texts.count("\u22ee") == 2 and "pixels\n64 units" in texts


@pytest.mark.parametrize("sizes, message", [
    ([10], "at least two layer sizes"),
    ("64", "at least two layer sizes"),
    (5, "at least two layer sizes"),
    ([64, 0], r"sizes\[1\] must be a positive integer"),
    ([64, 2.5], r"sizes\[1\] must be a positive integer"),
    ([True, 3], r"sizes\[0\] must be a positive integer"),
])
def test_bad_sizes_are_named(sizes, message):
    with pytest.raises(ValueError, match=message):
        plot_network(sizes)


def test_bad_max_units_and_layer_names():
    with pytest.raises(ValueError, match="max_units must be at least 3"):
        network_layout([4, 2], max_units=2)
    with pytest.raises(TypeError, match="max_units must be a positive integer"):
        network_layout([4, 2], max_units=2.0)
    with pytest.raises(ValueError, match="layer_names must have one name per layer"):
        plot_network([4, 3, 2], layer_names=["in", "out"])
