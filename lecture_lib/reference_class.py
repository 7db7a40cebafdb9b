r"""The reference-class parameterisation: ``K - 1`` weight vectors instead of ``K``.

Softmax is unchanged when the same number is added to every logit, so :math:`(W, b)` and
:math:`(W - w_r \mathbf{1}^\top, b - b_r \mathbf{1})` give the same probabilities for any class
:math:`r`. Fixing the reference class's weights and bias at zero removes that freedom: the
remaining ``K - 1`` columns are the log-odds of each class against the reference,

.. math:: \log \frac{a_k}{a_r} = (w_k - w_r)^\top x + (b_k - b_r).

This is the parameterisation of statsmodels' ``MNLogit`` (reference: the first class) and of
most statistics texts. Chapter: *Comparisons*.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import as_float_array, check_shape


def _check_reference(reference, K: int, name_K: str) -> int:
    if isinstance(reference, bool) or not isinstance(reference, numbers.Integral):
        raise TypeError(f"reference must be an integer class index; got {reference!r} of type "
                        f"{type(reference).__name__}.")
    if not 0 <= reference < K:
        raise ValueError(f"reference must be a class index 0..{K - 1} ({name_K}); got {reference}.")
    return int(reference)


def to_reference_class(W, b, reference: int = 0):
    r"""The ``K - 1`` log-odds weight vectors against a reference class.

    Parameters
    ----------
    W : array_like, ``(d, K)``
    b : array_like, ``(K,)``
    reference : int, default 0
        The class ``r`` whose weights become zero (statsmodels' ``MNLogit`` uses the first class).

    Returns
    -------
    V : ndarray, ``(d, K - 1)``
        Columns :math:`w_k - w_r` for the classes :math:`k \ne r`, in class order.
    c : ndarray, ``(K - 1,)``
        Entries :math:`b_k - b_r` for :math:`k \ne r`.

    Notes
    -----
    .. math:: v_k = w_k - w_r, \qquad c_k = b_k - b_r \qquad (k \ne r),

    and ``from_reference_class(V, c, r)`` is a model with the same probabilities
    :math:`\operatorname{softmax}(W^\top x + b)` for every :math:`x` (each logit moved by the same
    :math:`w_r^\top x + b_r`). It is not ``(W, b)`` itself: the ``K``-vector form has one free vector per feature
    (and one constant) that the reference form fixes.

    Raises
    ------
    ValueError, TypeError
        For a ``W`` that is not 2-D with ``K >= 2`` columns, a ``b`` of another length, NaN/inf,
        or a ``reference`` that is not a class index.
    """
    W = as_float_array(W, "W", ndim=2)
    b = as_float_array(b, "b", ndim=1)
    K = W.shape[1]
    if K < 2:
        raise ValueError(f"W must have K >= 2 columns (one per class); got shape {W.shape}.")
    check_shape(b, "b", (K,))
    r = _check_reference(reference, K, f"K = {K} columns of W")
    keep = np.arange(K) != r
    return W[:, keep] - W[:, [r]], b[keep] - b[r]


def from_reference_class(V, c, reference: int = 0):
    r"""The ``K`` weight vectors of softmax regression from the ``K - 1`` of the reference form.

    Parameters
    ----------
    V : array_like, ``(d, K - 1)``
        Log-odds weights of each class against the reference (as :func:`to_reference_class`).
    c : array_like, ``(K - 1,)``
        Their biases.
    reference : int, default 0
        The reference class ``r``, ``0 <= r <= K - 1``.

    Returns
    -------
    W : ndarray, ``(d, K)``
        ``V`` with a column of zeros inserted at position ``r``.
    b : ndarray, ``(K,)``
        ``c`` with a zero inserted at position ``r``.

    Notes
    -----
    .. math:: a_k = \frac{e^{v_k^\top x + c_k}}{1 + \sum_{l \ne r} e^{v_l^\top x + c_l}}, \qquad
              a_r = \frac{1}{1 + \sum_{l \ne r} e^{v_l^\top x + c_l}},

    which is :math:`\operatorname{softmax}(W^\top x + b)` for the returned :math:`(W, b)`. For
    ``K = 2`` and ``r = 0`` this is logistic regression with :math:`w = v_1`. Checked against a
    direct fit of the ``K - 1`` parameters (``tests/test_reference_class.py``).

    Raises
    ------
    ValueError, TypeError
        For a ``V`` that is not 2-D, a ``c`` of another length, NaN/inf, or a ``reference``
        outside ``0..K-1``.
    """
    V = as_float_array(V, "V", ndim=2, allow_empty=True)
    if V.shape[0] == 0:
        raise ValueError(f"V must have d >= 1 rows (one per feature); got shape {V.shape}.")
    c = as_float_array(c, "c", ndim=1, allow_empty=True)
    check_shape(c, "c", (V.shape[1],))
    K = V.shape[1] + 1
    r = _check_reference(reference, K, f"K = {K}: the {K - 1} columns of V plus the reference")
    W = np.insert(V, r, 0.0, axis=1)
    b = np.insert(c, r, 0.0)
    return W, b
