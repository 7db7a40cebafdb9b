"""Tests of lecture_lib.plotting.training: the figures build, label their axes, and the one
computation in the module (reliability_bins) matches scikit-learn's calibration_curve."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.datasets import make_classification

import lecture_lib as ll
from lecture_lib.plotting import (
    PALETTE,
    plot_class_weights,
    plot_confusion_matrix,
    plot_decision_regions,
    plot_loss_curves,
    plot_misclassified,
    plot_reliability_curve,
    reliability_bins,
)


@pytest.fixture
def probabilities():
    rng = np.random.default_rng(0)
    P = ll.softmax(rng.normal(scale=2.0, size=(500, 4)))
    y = np.array([rng.choice(4, p=p) for p in P])  # calibrated by construction
    return y, P


def test_reliability_bins_match_sklearn_calibration_curve(probabilities):
    y, P = probabilities
    confidence, accuracy, counts = reliability_bins(y, P, n_bins=10)
    correct = (P.argmax(axis=1) == y).astype(int)
    prob_true, prob_pred = calibration_curve(correct, P.max(axis=1), n_bins=10, strategy="uniform")
    np.testing.assert_allclose(accuracy, prob_true, rtol=1e-12)
    np.testing.assert_allclose(confidence, prob_pred, rtol=1e-12)
    assert counts.sum() == len(y) and np.all(counts > 0)


def test_reliability_bins_of_a_perfect_classifier():
    y = np.array([0, 1, 2, 1])
    confidence, accuracy, counts = reliability_bins(y, ll.one_hot(y, 3), n_bins=5)
    assert confidence.tolist() == [1.0] and accuracy.tolist() == [1.0] and counts.tolist() == [4]


@pytest.mark.parametrize("bad", [0, -3, 2.5])
def test_reliability_bins_rejects_bad_n_bins(probabilities, bad):
    with pytest.raises(ValueError, match="n_bins"):
        reliability_bins(*probabilities, n_bins=bad)


def test_reliability_bins_rejects_non_probabilities():
    with pytest.raises(ValueError, match="P must hold probabilities"):
        reliability_bins([0, 1], [[0.5, 0.6], [0.2, 0.8]])


def test_loss_curves_plot_gap_on_log_axis():
    fig = plot_loss_curves({"a": [3.0, 2.0, 1.5], "b": [2.5, 1.6, 1.2]}, optimum=1.0)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch" and "J^\\star" in ax.get_ylabel()
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [2.0, 1.0, 0.5])
    assert [line.get_color() for line in ax.lines] == list(PALETTE[:2])
    plt.close(fig)
    with pytest.raises(TypeError, match="histories"):
        plot_loss_curves([1.0, 2.0])


def test_confusion_matrix_counts_and_labels():
    fig = plot_confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0])
    ax = fig.axes[0]
    C = ax.images[0].get_array()
    np.testing.assert_array_equal(C, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    plt.close(fig)
    with pytest.raises(ValueError, match="y_pred"):
        plot_confusion_matrix([0, 1], [0, 1, 1])


def test_class_weights_one_panel_per_class_with_a_shared_symmetric_scale():
    W = np.arange(64 * 3, dtype=float).reshape(64, 3) - 50
    panels = plot_class_weights(W, ncols=2)
    for fig in (panels.wide, panels.stacked):
        images = [ax.images[0] for ax in fig.axes if ax.images]
        assert len(images) == 3
        for k, image in enumerate(images):
            np.testing.assert_array_equal(image.get_array(), W[:, k].reshape(8, 8))
            assert image.get_clim() == (-np.abs(W).max(), np.abs(W).max())
    with pytest.raises(ValueError, match="ncols must be a positive integer"):
        plot_class_weights(W, ncols=0)
    with pytest.raises(ValueError, match="W must have d"):
        plot_class_weights(np.zeros((10, 3)))


def test_misclassified_titles_name_true_and_predicted_class():
    P = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    panels = plot_misclassified(np.zeros((2, 64)), [1, 0], P)
    for fig in (panels.wide, panels.stacked):
        titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
        assert titles == ["true 1: 0.20\npred 0: 0.70", "true 0: 0.10\npred 2: 0.60"]
    with pytest.raises(ValueError, match="one row per image"):
        plot_misclassified(np.zeros((3, 64)), [0, 1, 2], P)


def test_decision_regions_colour_the_plane_by_the_prediction():
    X, y = make_classification(n_samples=90, n_features=2, n_informative=2, n_redundant=0,
                               n_clusters_per_class=1, n_classes=3, random_state=0)
    model = ll.SoftmaxRegression(l2=1e-2).fit(X, y)
    fig = plot_decision_regions(model, X, y, resolution=50)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "$x_1$" and [t.get_text() for t in ax.get_legend().get_texts()] == [
        "class 1", "class 2", "class 3"]
    plt.close(fig)
    with pytest.raises(ValueError, match="exactly 2 features"):
        plot_decision_regions(model, np.zeros((5, 3)), np.zeros(5, dtype=int))


def test_reliability_curve_draws_the_diagonal_and_one_curve_per_model(probabilities):
    fig = plot_reliability_curve({"model": probabilities}, n_bins=5)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["perfectly calibrated", "model"]
    plt.close(fig)
