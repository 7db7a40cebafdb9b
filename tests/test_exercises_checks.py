"""Unit tests of exercises/autograde_checks.py, the helpers every hidden test uses.

Each test names the cheat or the mistake that the check must catch (and checks that honest code
passes), so that the grading guards cannot quietly stop guarding.
"""

from __future__ import annotations

import math
import runpy
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import lecture_lib

CHECKS_PATH = Path(__file__).resolve().parent.parent / "exercises" / "autograde_checks.py"


@pytest.fixture()
def chk():
    """A fresh copy of the helpers, loaded the way a hidden test cell loads them."""
    return types.SimpleNamespace(**runpy.run_path(str(CHECKS_PATH)))


def notebook_function(source: str, name: str, **namespace):
    """Define ``name`` from ``source`` in a namespace that plays the notebook's ``__main__``."""
    glob = {"__name__": "__main__", "np": np, **namespace}
    exec(compile(source, "<cell>", "exec"), glob)
    return glob[name]


def test_assert_close_ignores_a_rebound_numpy(chk, monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isclose", lambda *a, **k: np.ones(1, dtype=bool))
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *a, **k: None)
    monkeypatch.setattr(math, "isclose", lambda *a, **k: True)
    with pytest.raises(AssertionError, match="wrong values"):
        chk.assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.5]), "f")
    chk.assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-12]), "f")


@pytest.mark.parametrize("actual, message", [
    (np.array([1.0, np.nan]), "wrong values"),       # NaN is never close
    (np.array([1.0, np.inf]), "wrong values"),
    (np.array([[1.0, 2.0]]), "shape"),
    (np.array([1.0, 2.0], dtype=np.float32), "dtype"),
    ([1.0, 2.0], "numpy array"),
    (np.ma.masked_array([1.0, 2.0]), "numpy array"),  # a subclass could redefine comparisons
])
def test_assert_close_rejects(chk, actual, message):
    with pytest.raises(AssertionError, match=message):
        chk.assert_close(actual, np.array([1.0, 2.0]), "f")


def test_assert_scalar_close(chk):
    chk.assert_scalar_close(np.float64(0.5), 0.5, "J")
    chk.assert_scalar_close(np.array(0.5), 0.5, "J")
    for wrong in (np.array([0.5]), True, "0.5", float("nan"), 0.6):
        with pytest.raises(AssertionError):
            chk.assert_scalar_close(wrong, 0.5, "J")


def test_reference_is_fresh_even_if_the_student_rebinds_the_library():
    # In a child process: reloading lecture_lib's modules here would hand the other tests of this
    # session new function objects.
    script = f"""
import runpy, types, numpy as np, lecture_lib
chk = types.SimpleNamespace(**runpy.run_path({str(CHECKS_PATH)!r}))
fake = lambda z, axis=-1: np.zeros_like(z)
lecture_lib.softmax = lecture_lib.functions.softmax = fake
ref = chk.reference("softmax")
assert ref is not fake and ref(np.array([0.0, 0.0]))[0] == 0.5
print("fresh")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "fresh", result.stderr


OWN = "def softmax(Z):\n    E = np.exp(Z - Z.max(axis=-1, keepdims=True))\n    return E / E.sum(axis=-1, keepdims=True)\n"


@pytest.mark.parametrize("source, namespace", [
    ("def softmax(Z):\n    return lecture_lib.softmax(Z)\n", {"lecture_lib": lecture_lib}),
    ("def softmax(Z):\n    return sm(Z)\n", {"sm": lecture_lib.softmax}),                       # an alias
    ("def softmax(Z):\n    from lecture_lib import softmax as s\n    return s(Z)\n", {}),         # a local import
    ("def helper(Z):\n    return lecture_lib.softmax(Z)\n\ndef softmax(Z):\n    return helper(Z)\n",
     {"lecture_lib": lecture_lib}),                                                             # via a helper
    ("def softmax(Z):\n    return special.softmax(Z, axis=-1)\n", {"special": pytest.importorskip("scipy.special")}),
])
def test_assert_own_code_catches_the_library(chk, source, namespace):
    with pytest.raises(AssertionError, match="must not use"):
        chk.assert_own_code(notebook_function(source, "softmax", **namespace), "softmax")


def test_assert_own_code_accepts_own_code_and_allowed_functions(chk):
    chk.assert_own_code(notebook_function(OWN, "softmax"), "softmax")
    uses_allowed = notebook_function("def proba(Z):\n    return softmax(Z, axis=1)\n", "proba",
                                     softmax=lecture_lib.softmax)
    chk.assert_own_code(uses_allowed, "proba", allowed=("softmax",))
    with pytest.raises(AssertionError):
        chk.assert_own_code(uses_allowed, "proba")
    stand_in = chk.trusted(lecture_lib.softmax)  # an earlier part replaced by the reference
    chk.assert_own_code(notebook_function("def t(Z, T):\n    return softmax(Z / T)\n", "t", softmax=stand_in), "t")


def test_forbidden_catches_dynamic_lookups(chk):
    sneaky = notebook_function("def softmax(Z):\n    return getattr(__import__('lecture' + '_lib'), 'softmax')(Z)\n",
                               "softmax")
    chk.assert_own_code(sneaky, "softmax")  # invisible to the static check ...
    with chk.forbidden("softmax"), pytest.raises(AssertionError, match="write it yourself"):
        sneaky(np.zeros(2))                 # ... but not at run time
    assert lecture_lib.softmax(np.zeros(2))[0] == 0.5  # restored afterwards


def test_trusted_calls_through(chk):
    assert chk.trusted(lecture_lib.softmax)(np.zeros(4))[0] == 0.25
