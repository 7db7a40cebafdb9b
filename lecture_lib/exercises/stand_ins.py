"""Reference versions of earlier parts, as numpy-only code (a part's ``stand_ins``).

A part whose function calls an earlier part's (``softmax_with_temperature`` calls ``softmax``) is
checked with these in place of the student's earlier functions, so that one mistake costs one part.
They are code, not functions, because the grader defines them inside the sandbox, where
``lecture_lib`` may be absent.
"""

SOFTMAX = '''
import numpy as _np
def softmax(Z, axis=-1):
    Z = _np.asarray(Z)
    E = _np.exp(Z - Z.max(axis=axis, keepdims=True))
    return E / E.sum(axis=axis, keepdims=True)
'''
LOGITS = '''
def logits(X, W, b):
    return X @ W + b
'''
PREDICT_PROBA = SOFTMAX + LOGITS + '''
def predict_proba(X, W, b):
    return softmax(X @ W + b, axis=1)
'''
COST_AND_GRADIENT = SOFTMAX + '''
def cost_and_gradient(X, Y, W, b):
    Z = X @ W + b
    c = Z.max(axis=1, keepdims=True)
    log_P = Z - c - _np.log(_np.exp(Z - c).sum(axis=1, keepdims=True))
    G = (softmax(Z, axis=1) - Y) / X.shape[0]
    return float(-(Y * log_P).sum() / X.shape[0]), X.T @ G, G.sum(axis=0)
'''
STANDARDIZE = '''
def standardize(A, B):
    mean, std = A.mean(axis=0), A.std(axis=0)
    std[std == 0] = 1.0
    return (A - mean) / std, (B - mean) / std
'''
CONFUSION_MATRIX = '''
import numpy as _np
def confusion_matrix(y_true, y_pred, K):
    C = _np.zeros((K, K), dtype=int)
    _np.add.at(C, (y_true, y_pred), 1)
    return C
'''
