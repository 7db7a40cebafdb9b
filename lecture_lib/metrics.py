r"""How good are the predictions: top-k accuracy, and precision, recall and F1 per class or averaged.

Shapes: labels ``y (m,)`` with class indices ``0..K-1``; scores ``P (m, K)`` (probabilities, or
any scores whose order within a row is what counts: logits give the same result).
Chapter: *Handwritten digits*.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import as_float_array, check_class_indices, check_positive, check_same_length

_AVERAGES = ("macro", "micro", None)


def top_k_accuracy(y, P, k: int = 1) -> float:
    r"""Share of the samples whose true class is among the ``k`` highest scores of its row.

    Parameters
    ----------
    y : array_like of int, ``(m,)``
        True classes, ``0 <= y_i < K``.
    P : array_like, ``(m, K)``
        Scores: probabilities ``softmax(Z)`` or the logits ``Z`` themselves (only the order of
        the scores within a row matters).
    k : int, ``1 <= k <= K``
        How many guesses each sample gets. ``k = 1`` is the accuracy, ``k = K`` is always 1.

    Returns
    -------
    float in ``[0, 1]``

    Notes
    -----
    With :math:`g_i = \#\{l : P_{il} > P_{i y_i}\}` classes scored strictly above the true one and
    :math:`t_i = \#\{l : P_{il} = P_{i y_i}\}` scored the same (the true class included),

    .. math:: \text{top-}k = \frac{1}{m}\sum_{i=1}^{m} \min\Big(1, \max\Big(0, \frac{k - g_i}{t_i}\Big)\Big).

    **Ties** are broken at random, and the function returns the *expected* top-k accuracy: the
    true class then holds each of the ranks :math:`g_i + 1, \dots, g_i + t_i` with probability
    :math:`1/t_i`, so a sample counts :math:`(k - g_i)/t_i` when only part of its tie fits in the
    top ``k``. A constant score (every class tied) earns :math:`k / K`, what guessing would.
    Without ties this is ``sklearn.metrics.top_k_accuracy_score(y, P, k=k, labels=range(K))``
    (``tests/test_metrics.py``); scikit-learn breaks ties by class index instead (the higher index
    first), so a constant score earns it 1 for the top classes and 0 for the others.

    Raises
    ------
    ValueError, TypeError
        If ``P`` is not a finite 2-D array, ``y`` not class indices of ``P``'s ``K`` classes or of
        another length, or ``k`` not an integer in ``1..K``.
    """
    P = as_float_array(P, "P", ndim=2)
    K = P.shape[1]
    y = check_class_indices(y, "y", K)
    check_same_length("y", y, "P", P)
    check_positive(k, "k", integer=True)
    if k > K:
        raise ValueError(f"k must be at most the number of classes K = {K}; got k = {k}.")
    true_score = P[np.arange(P.shape[0]), y][:, None]
    above = (P > true_score).sum(axis=1)
    tied = (P == true_score).sum(axis=1)
    return float(np.clip((int(k) - above) / tied, 0.0, 1.0).mean())


def _check_zero_division(zero_division):
    ok = isinstance(zero_division, numbers.Real) and not isinstance(zero_division, bool)
    if not ok or not (zero_division in (0, 1) or np.isnan(zero_division)):
        raise ValueError(f"zero_division must be 0.0, 1.0 or np.nan (the value of a 0/0 score); "
                         f"got {zero_division!r}.")
    return float(zero_division)


def _ratio(numerator, denominator, zero_division):
    """numerator / denominator elementwise, ``zero_division`` where the denominator is 0."""
    out = np.full(np.shape(denominator), zero_division, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def precision_recall_f1(y_true, y_pred, K: int, average: str | None = "macro", zero_division: float = 0.0):
    r"""Precision, recall and F1 score of predicted classes, per class or averaged over the ``K`` classes.

    Parameters
    ----------
    y_true, y_pred : array_like of int, ``(m,)``
        True and predicted classes, ``0..K-1``.
    K : int
        Number of classes. Every class ``0..K-1`` counts, also one that occurs in neither array.
    average : {"macro", "micro", None}
        ``None``: one score per class; ``"macro"``: the unweighted mean of the ``K`` per-class
        scores (every class counts the same, however rare); ``"micro"``: the scores of the counts
        summed over the classes (every sample counts the same).
    zero_division : {0.0, 1.0, nan}
        The value of a score whose denominator is 0: the precision of a class that is never
        predicted, the recall of a class that never occurs, the F1 of a class that does neither.
        With ``nan`` such a score is left out of the macro average (as scikit-learn).

    Returns
    -------
    precision, recall, f1 : floats, or ndarrays ``(K,)`` for ``average=None``

    Notes
    -----
    For class :math:`k`, with :math:`\mathrm{TP}_k` the samples of class :math:`k` predicted
    :math:`k`, :math:`\mathrm{FP}_k` the other samples predicted :math:`k` and :math:`\mathrm{FN}_k`
    the samples of class :math:`k` predicted otherwise,

    .. math::
        \mathrm{precision}_k = \frac{\mathrm{TP}_k}{\mathrm{TP}_k + \mathrm{FP}_k}, \qquad
        \mathrm{recall}_k = \frac{\mathrm{TP}_k}{\mathrm{TP}_k + \mathrm{FN}_k}, \qquad
        F_{1,k} = \frac{2\,\mathrm{TP}_k}{2\,\mathrm{TP}_k + \mathrm{FP}_k + \mathrm{FN}_k},

    the last being the harmonic mean of the first two (0 when the class is never predicted
    right). Micro averaging sums :math:`\mathrm{TP}, \mathrm{FP}, \mathrm{FN}` over the classes
    first; for single-label classification with all ``K`` classes each sample is one FP and one
    FN when it is wrong, so micro precision = micro recall = micro F1 = accuracy. The same numbers
    as ``sklearn.metrics.precision_recall_fscore_support(y_true, y_pred, labels=range(K),
    average=average, zero_division=zero_division)`` (``tests/test_metrics.py``).

    Raises
    ------
    ValueError, TypeError
        For labels that are not class indices ``0..K-1``, arrays of different lengths, or an
        unknown ``average`` or ``zero_division``.
    """
    check_positive(K, "K", integer=True)
    y_true = check_class_indices(y_true, "y_true", K)
    y_pred = check_class_indices(y_pred, "y_pred", K)
    check_same_length("y_true", y_true, "y_pred", y_pred)
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {_AVERAGES}; got {average!r}.")
    zero_division = _check_zero_division(zero_division)
    K = int(K)
    confusion = np.bincount(y_true * K + y_pred, minlength=K * K).reshape(K, K)  # rows: true, columns: predicted
    tp = np.diag(confusion).astype(np.float64)
    fp = confusion.sum(axis=0) - tp
    fn = confusion.sum(axis=1) - tp
    if average == "micro":
        tp, fp, fn = tp.sum(keepdims=True), fp.sum(keepdims=True), fn.sum(keepdims=True)
    scores = (_ratio(tp, tp + fp, zero_division), _ratio(tp, tp + fn, zero_division),
              _ratio(2 * tp, 2 * tp + fp + fn, zero_division))
    if average is None:
        return scores
    if average == "micro":
        return tuple(float(s[0]) for s in scores)
    return tuple(float(np.nanmean(s)) if not np.isnan(s).all() else float("nan") for s in scores)
