#!/usr/bin/env python3
"""How fast is lecture_lib? Benchmarks against scikit-learn and against the matrix-product bound.

    python benchmarks/run.py                 # full run (~3 min, 2 idle cores) -> results/latest.json
    python benchmarks/run.py --quick         # smaller sizes, prints the table, writes nothing
    python benchmarks/run.py --only gradient --only memory --out /tmp/r.json

Benchmarks (``--only`` names):

``lbfgs``     ``SoftmaxRegression(solver="lbfgs")`` vs scikit-learn's ``LogisticRegression`` on the
              same objective (``C = 1 / (l2 m)``): fit time, final cost, test accuracy.
``gradient``  one full-batch cost-and-gradient and one ``gd`` iteration vs the two bare matrix
              products they need (``X @ W`` and ``X.T @ G``), in float64 and float32; PyTorch
              (CPU) in the same rounds: its autograd gradient, a hand-written one and its own
              two bare products (skipped with a note if torch is not installed).
``memory``    peak memory of a fit beyond ``X`` itself (tracemalloc, to which numpy reports).
``sgd``       mini-batch SGD throughput (samples per second) for several batch sizes.
``threads``   the default BLAS threads vs one thread for every BLAS library vs one thread for
              scipy's only (threadpoolctl), on a small and a large problem.
``strided``   an L-BFGS fit on a strided view ``X[:, ::2]`` (every other column) vs on the same data stored
              contiguously: ``fit`` copies such a view once; the gradient on the uncopied view
              shows what that copy saves (numpy's matmul copies a strided operand at every product).
``stream``    ``partial_fit`` streaming one epoch from a ``np.memmap`` file larger than the fit's
              working memory, chunk by chunk, in a subprocess: its peak RSS vs the file size.
``import``    ``import lecture_lib`` vs ``import numpy`` alone, each in fresh interpreters
              (target: at most numpy's time + 50 ms). The accuracy in ulps is ``accuracy.py``.

Every comparison runs both sides in this one process, interleaved, several times; the table
reports medians and their ratios. The JSON also describes the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from _harness import (RESULTS, digits, format_table, machine_info, ratio, summarize, synthetic_classification,
                      time_interleaved, write_json)

import lecture_lib
from lecture_lib import softmax_regression_cost
from lecture_lib.gradients import _softmax_cost_grad

BENCHMARKS = ("lbfgs", "gradient", "memory", "sgd", "threads", "strided", "stream", "import")

#: L2 strength of every fit (``C = 1 / (L2 m)`` for scikit-learn).
L2 = 1e-3
#: Stopping tolerance given to both L-BFGS implementations, and their iteration cap.
TOL, MAX_ITER = 1e-4, 1000  # 1e-4: the default of both
#: Sizes: the MNIST-sized synthetic problem, the test set, repetitions.
PRESETS = {
    "full": {"m": 60000, "m_test": 10000, "repeats": 5, "fit_repeats": 3, "digits_repeats": 5, "sgd_m": 20000,
             "stream_m": 180000},
    "quick": {"m": 10000, "m_test": 2000, "repeats": 3, "fit_repeats": 2, "digits_repeats": 3, "sgd_m": 5000,
              "stream_m": 30000},
}
K = 10
D = 784


def _models():
    """``lecture_lib.SoftmaxRegression``, or None while ``lecture_lib/models.py`` does not exist."""
    return getattr(lecture_lib, "SoftmaxRegression", None)


def _skipped(reason: str) -> dict:
    return {"skipped": reason}


def _median(seconds) -> float:
    return statistics.median(seconds)


# --------------------------------------------------------------------------- 1. L-BFGS vs scikit-learn
def bench_lbfgs(cfg: dict, data: dict) -> dict:
    SoftmaxRegression = _models()
    if SoftmaxRegression is None:
        return _skipped("lecture_lib.SoftmaxRegression is not available yet")
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    Xd, yd = digits()
    Xd_train, Xd_test, yd_train, yd_test = train_test_split(Xd, yd, test_size=0.25, random_state=0, stratify=yd)
    cases = {
        "digits": (Xd_train, yd_train, Xd_test, yd_test, cfg["digits_repeats"]),
        "synthetic": (*data["train"], *data["test"], cfg["fit_repeats"]),
    }
    out = {"l2": L2, "tol": TOL, "max_iter": MAX_ITER}
    for case, (X, y, X_test, y_test, repeats) in cases.items():
        m = X.shape[0]
        ours = SoftmaxRegression(l2=L2, solver="lbfgs", tol=TOL, max_iter=MAX_ITER)
        theirs = LogisticRegression(C=1.0 / (L2 * m), tol=TOL, max_iter=MAX_ITER)
        times = time_interleaved({"lecture_lib": lambda: ours.fit(X, y), "sklearn": lambda: theirs.fit(X, y)},
                                 repeats=repeats, warmup=1 if case == "digits" else 0)
        J_ours = softmax_regression_cost(X, y, ours.W_, ours.b_, l2=L2)
        J_theirs = softmax_regression_cost(X, y, theirs.coef_.T, theirs.intercept_, l2=L2)
        out[case] = {
            "m": m, "d": X.shape[1], "K": int(y.max()) + 1,
            "lecture_lib": {**summarize(times["lecture_lib"]), "cost": J_ours, "n_iter": int(np.max(ours.n_iter_)),
                            "test_accuracy": float(ours.score(X_test, y_test))},
            "sklearn": {**summarize(times["sklearn"]), "cost": J_theirs, "n_iter": int(np.max(theirs.n_iter_)),
                        "test_accuracy": float(theirs.score(X_test, y_test))},
            "time_ratio": ratio(times, "lecture_lib", "sklearn"),
            "cost_difference": J_ours - J_theirs,
        }
    out["gd_vs_lbfgs"] = _gd_vs_lbfgs(SoftmaxRegression, Xd_train, yd_train)
    return out


#: Iterations of plain gradient descent in the gd-vs-L-BFGS comparison.
GD_ITERATIONS = 2000


def _gd_vs_lbfgs(SoftmaxRegression, X, y) -> dict:
    """How far plain ``gd`` gets in ``GD_ITERATIONS`` iterations, and how soon L-BFGS gets as far.

    ``gd`` uses the step ``1 / L`` with ``L = ||[X, 1]||_2^2 / (2 m) + l2``, an upper bound on the
    curvature of the objective (softmax's Hessian ``diag(p) - p p^T`` is at most 1/2), so it
    cannot diverge. Run single-threaded (iteration counts do not depend on threads).
    """
    from threadpoolctl import ThreadpoolController

    m = X.shape[0]
    L = np.linalg.norm(np.column_stack([X, np.ones(m)]), 2) ** 2 / (2 * m) + L2
    with ThreadpoolController().limit(limits=1, user_api="blas"):
        lbfgs = SoftmaxRegression(l2=L2, solver="lbfgs", tol=0.0, max_iter=MAX_ITER).fit(X, y)
        start = time.perf_counter()
        gd = SoftmaxRegression(l2=L2, solver="gd", learning_rate=1.0 / L, tol=0.0, max_iter=GD_ITERATIONS).fit(X, y)
        gd_seconds = time.perf_counter() - start
    J_star = min(min(lbfgs.loss_history_), min(gd.loss_history_))
    gd_final = softmax_regression_cost(X, y, gd.W_, gd.b_, l2=L2)
    gap = gd_final - J_star
    lbfgs_gaps = np.asarray(lbfgs.loss_history_) - J_star
    return {"m": m, "learning_rate": float(1.0 / L), "gd_iterations": GD_ITERATIONS, "gd_seconds_1_thread": gd_seconds,
            "gd_final_gap": gap, "best_objective": J_star,
            "lbfgs_iterations_to_same_gap": int(np.argmax(lbfgs_gaps <= gap)) + 1,
            "lbfgs_iterations_to_1e-10_gap": int(np.argmax(lbfgs_gaps <= 1e-10)) + 1,
            "lbfgs_iterations_run": len(lbfgs_gaps)}


# --------------------------------------------------------------------------- 2. gradient vs matmul
def _gd_iteration_times(SoftmaxRegression, X, y, repeats: int, extra: int = 5) -> dict:
    """Seconds per ``gd`` iteration: (fit with 1 + extra iterations - fit with 1) / extra."""
    short = SoftmaxRegression(l2=L2, solver="gd", learning_rate=0.5, max_iter=1, tol=0.0)
    long = SoftmaxRegression(l2=L2, solver="gd", learning_rate=0.5, max_iter=1 + extra, tol=0.0)
    times = time_interleaved({"short": lambda: short.fit(X, y), "long": lambda: long.fit(X, y)}, repeats, warmup=0)
    per_iter = (_median(times["long"]) - _median(times["short"])) / extra
    return {"median_s": per_iter, "fit_1_iteration_s": _median(times["short"]),
            "fit_%d_iterations_s" % (1 + extra): _median(times["long"]), "dtype_of_W_": str(long.W_.dtype)}


def _torch_blas(torch) -> str:
    """The BLAS library torch's matrix products call (``BLAS_INFO`` of its build, e.g. ``mkl``)."""
    found = re.search(r"BLAS_INFO=([\w-]+)", torch.__config__.show())
    return found.group(1) if found else "unknown"


def _torch_gradients(X, y, W, b, G):
    """PyTorch (CPU) versions of the full-batch cost and gradient, on tensors sharing numpy's memory.

    Returns callables for ``time_interleaved``: ``torch_autograd`` (``F.cross_entropy`` plus the
    penalty, then ``torch.autograd.grad``), ``torch_manual`` (the formulas of chapter 4 written
    with tensors: ``G = (P - Y) / m``, ``dW = X^T G + lambda W``, ``db = 1^T G``) and
    ``torch_bare_products`` (``X @ W`` and ``X.T @ G``), plus ``check``, which returns the three
    gradients ``(dW, db)`` as numpy arrays. Empty if torch is not installed.
    """
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return {}
    Xt, yt, Gt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64)), torch.from_numpy(G)
    Wt = torch.from_numpy(W.copy()).requires_grad_(True)
    bt = torch.from_numpy(b.copy()).requires_grad_(True)
    m, rows = X.shape[0], torch.arange(X.shape[0])

    def autograd():
        J = F.cross_entropy(torch.addmm(bt, Xt, Wt), yt) + 0.5 * L2 * (Wt * Wt).sum()
        dW, db = torch.autograd.grad(J, (Wt, bt))
        return J, dW, db

    @torch.no_grad()
    def manual():
        Z = torch.addmm(bt, Xt, Wt)
        log_P = torch.log_softmax(Z, dim=1)
        J = -log_P[rows, yt].mean() + 0.5 * L2 * (Wt * Wt).sum()
        G = log_P.exp_()  # P, in place
        G[rows, yt] -= 1.0
        G /= m
        return J, torch.addmm(Wt, Xt.T, G, alpha=1.0, beta=L2), G.sum(dim=0)

    @torch.no_grad()
    def bare():
        return Xt @ Wt, Xt.T @ Gt

    def check():
        return {name: (f()[1].detach().numpy(), f()[2].detach().numpy())
                for name, f in (("torch_autograd", autograd), ("torch_manual", manual))}

    return {"torch_autograd": autograd, "torch_manual": manual, "torch_bare_products": bare, "check": check}


def bench_gradient(cfg: dict, data: dict) -> dict:
    X64, y = data["train"]
    m, d = X64.shape
    rng = np.random.default_rng(1)
    out = {"m": m, "d": d, "K": K,
           "multiply_adds_per_product": m * d * K,
           "flops_per_gradient_products": 2 * 2 * m * d * K}
    SoftmaxRegression = _models()
    for dtype in (np.float64, np.float32):
        X = X64 if dtype == np.float64 else X64.astype(np.float32)
        W = (0.01 * rng.standard_normal((d, K))).astype(dtype)
        b = np.zeros(K, dtype=dtype)
        G = rng.standard_normal((m, K)).astype(dtype)
        funcs = {
            "bare_products": lambda: (X @ W, X.T @ G),
            "X_at_W": lambda: X @ W,
            "XT_at_G": lambda: X.T @ G,
            "gradient": lambda: _softmax_cost_grad(X, y, W, b, L2),
        }
        torch_funcs = _torch_gradients(X, y, W, b, G)
        check = torch_funcs.pop("check", None)
        funcs.update(torch_funcs)  # the same interleaved rounds as lecture_lib and numpy's products
        times = time_interleaved(funcs, cfg["repeats"])
        _, dW, db = _softmax_cost_grad(X, y, W, b, L2)
        res = {name: summarize(t) for name, t in times.items()}
        bare = _median(times["bare_products"])
        res["gradient_ratio"] = ratio(times, "gradient", "bare_products")
        if check is None:
            res["torch"] = "skipped: torch is not installed"
        else:
            import torch

            scale = float(np.abs(dW).max())
            res["torch"] = {
                "version": torch.__version__, "threads": torch.get_num_threads(),
                "blas": _torch_blas(torch),
                "autograd_ratio": ratio(times, "torch_autograd", "bare_products"),
                "manual_ratio": ratio(times, "torch_manual", "bare_products"),
                "torch_bare_ratio": ratio(times, "torch_bare_products", "bare_products"),
                "autograd_vs_lecture_lib": ratio(times, "torch_autograd", "gradient"),
                # Largest difference to lecture_lib's gradient, relative to its largest entry.
                "max_rel_difference": {name: max(float(np.abs(tdW - dW).max()) / scale,
                                                 float(np.abs(tdb - db).max()) / scale)
                                       for name, (tdW, tdb) in check().items()},
            }
        res["gradient_output_dtype"] = str(dW.dtype)
        res["bare_gflops"] = out["flops_per_gradient_products"] / bare / 1e9
        res["bare_gbytes_per_s"] = 2 * X.nbytes / bare / 1e9  # each product reads X once
        if SoftmaxRegression is not None:
            gd = _gd_iteration_times(SoftmaxRegression, X, y, max(2, cfg["fit_repeats"]))
            res["gd_iteration"] = gd
            res["gd_iteration_ratio"] = gd["median_s"] / bare
        out[np.dtype(dtype).name] = res
    return out


# --------------------------------------------------------------------------- 3. memory
def _peak_beyond_inputs(func) -> int:
    """Peak bytes that numpy (and Python) allocate while ``func()`` runs, beyond what existed before."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        func()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def bench_memory(cfg: dict, data: dict) -> dict:
    X64, y = data["train"]
    SoftmaxRegression = _models()
    out = {"m": X64.shape[0], "d": X64.shape[1]}
    W = np.zeros((X64.shape[1], K))
    b = np.zeros(K)
    cases = {"gradient core, float64": (X64, lambda X: _softmax_cost_grad(X, y, W, b, L2))}
    if SoftmaxRegression is not None:
        cases.update({
            "lbfgs fit, float64": (X64, lambda X: SoftmaxRegression(l2=L2, solver="lbfgs", max_iter=5).fit(X, y)),
            "gd fit, float64": (X64, lambda X: SoftmaxRegression(l2=L2, solver="gd", max_iter=3).fit(X, y)),
            "sgd fit, float64": (X64, lambda X: SoftmaxRegression(l2=L2, solver="sgd", batch_size=256, max_iter=1,
                                                                  random_state=0).fit(X, y)),
            "lbfgs fit, float32": (X64.astype(np.float32),
                                   lambda X: SoftmaxRegression(l2=L2, solver="lbfgs", max_iter=5).fit(X, y)),
        })
    from sklearn.linear_model import LogisticRegression
    cases["sklearn LogisticRegression fit, float64 (context)"] = (
        X64, lambda X: LogisticRegression(C=1.0 / (L2 * X.shape[0]), max_iter=5).fit(X, y))
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    for case, (X, func) in cases.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # 5 iterations on purpose
            peak = _peak_beyond_inputs(lambda: func(X))
        out[case] = {"X_bytes": X.nbytes, "peak_bytes": peak, "fraction_of_X": peak / X.nbytes}
    if SoftmaxRegression is None:
        out["note"] = "lecture_lib.SoftmaxRegression is not available yet: only the gradient core was measured"
    return out


# --------------------------------------------------------------------------- 4. SGD throughput
def bench_sgd(cfg: dict, data: dict) -> dict:
    SoftmaxRegression = _models()
    if SoftmaxRegression is None:
        return _skipped("lecture_lib.SoftmaxRegression is not available yet")
    X, y = data["train"]
    m = min(cfg["sgd_m"], X.shape[0])
    X, y = X[:m], y[:m]
    out = {"m": m, "d": X.shape[1], "K": K, "epochs": 1}
    batch_sizes = [bs for bs in (16, 64, 256, 1024, 4096) if bs <= m]
    models = {bs: SoftmaxRegression(l2=L2, solver="sgd", batch_size=bs, learning_rate=0.1, max_iter=1, tol=0.0,
                                    random_state=0) for bs in batch_sizes}
    times = time_interleaved({str(bs): (lambda bs=bs: models[bs].fit(X, y)) for bs in batch_sizes},
                             repeats=max(2, cfg["fit_repeats"]))
    W = np.zeros((X.shape[1], K))
    b = np.zeros(K)
    full = time_interleaved({"full": lambda: _softmax_cost_grad(X, y, W, b, L2)}, repeats=cfg["repeats"])
    out["full_batch_gradient_samples_per_s"] = m / _median(full["full"])
    out["batches"] = {str(bs): {**summarize(times[str(bs)]), "samples_per_s": m / _median(times[str(bs)])}
                      for bs in batch_sizes}
    return out


# --------------------------------------------------------------------------- 5. threads
THREAD_SETTINGS = ("default", "all BLAS 1 thread", "scipy BLAS 1 thread")


def _blas_setter():
    """Return ``set(setting)`` switching the OpenBLAS thread counts, and the libraries it controls.

    numpy and scipy each ship their own OpenBLAS (numpy's for ``@``, scipy's for the L-BFGS-B
    code), each with its own pool of threads. ``"default"`` leaves both at their start-up count.
    """
    from threadpoolctl import ThreadpoolController

    blas = [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]
    default = {lib.filepath: lib.num_threads for lib in blas}

    def set_threads(setting):
        for lib in blas:
            one = setting == "all BLAS 1 thread" or (setting == "scipy BLAS 1 thread" and "scipy.libs" in lib.filepath)
            lib.set_num_threads(1 if one else default[lib.filepath])

    return set_threads, [Path(lib.filepath).name for lib in blas]


@contextlib.contextmanager
def _without_lecture_lib_limit(active: bool):
    """Temporarily make ``lecture_lib._blas_threads._lbfgs_blas`` control no library (when ``active``)."""
    from threadpoolctl import ThreadpoolController

    from lecture_lib import _blas_threads

    original = _blas_threads._lbfgs_blas
    if active:
        _blas_threads._lbfgs_blas = lambda: ThreadpoolController().select(filepath=[])
    try:
        yield
    finally:
        _blas_threads._lbfgs_blas = original


def bench_threads(cfg: dict, data: dict) -> dict:
    import scipy.optimize  # noqa: F401  (loads scipy's OpenBLAS before the libraries are listed)

    set_threads, libraries = _blas_setter()
    X_small, y_small = digits()
    X_large, y_large = data["train"]
    SoftmaxRegression = _models()
    problems = {}
    for name, (X, y) in {"digits": (X_small, y_small), "synthetic": (X_large, y_large)}.items():
        W = np.zeros((X.shape[1], K))
        b = np.zeros(K)
        size = f"{X.shape[0]}x{X.shape[1]}"
        problems[f"gradient, {name} {size}"] = (
            lambda X=X, y=y, W=W, b=b: _softmax_cost_grad(X, y, W, b, L2), 20 if name == "digits" else 1)
        if SoftmaxRegression is None:
            continue
        if name == "digits":
            problems[f"lbfgs fit, {name} {size}"] = (
                lambda X=X, y=y: SoftmaxRegression(l2=L2, solver="lbfgs", tol=TOL, max_iter=MAX_ITER).fit(X, y), 1)
            problems[f"sgd epoch (batch 64), {name} {size}"] = (
                lambda X=X, y=y: SoftmaxRegression(l2=L2, solver="sgd", batch_size=64, max_iter=1, tol=0.0,
                                                   random_state=0).fit(X, y), 1)
        else:
            problems[f"lbfgs, 10 iterations, {name} {size}"] = (
                lambda X=X, y=y: SoftmaxRegression(l2=L2, solver="lbfgs", tol=0.0, max_iter=10).fit(X, y), 1)
    out = {"available_cores": machine_info()["usable_cores"], "blas_libraries": libraries,
           "settings": list(THREAD_SETTINGS)}
    try:
        for name, (func, inner) in problems.items():
            def limited(setting, func=func, inner=inner):
                def run():
                    set_threads(setting)
                    # "default" measures BLAS as it starts: lecture_lib's own limit on scipy's copy
                    # during L-BFGS (_blas_threads._lbfgs_blas) is switched off for it, so the ratios show
                    # what that limit buys.
                    with _without_lecture_lib_limit(setting == "default"):
                        for _ in range(inner):
                            func()
                return run
            repeats = cfg["repeats"] if inner > 1 or "gradient" in name else cfg["fit_repeats"]
            times = time_interleaved({s: limited(s) for s in THREAD_SETTINGS}, repeats=repeats)
            out[name] = {s: _median(times[s]) / inner for s in THREAD_SETTINGS}
            out[name]["speedup_of_all_1_thread"] = ratio(times, "default", "all BLAS 1 thread")
            out[name]["speedup_of_scipy_1_thread"] = ratio(times, "default", "scipy BLAS 1 thread")
    finally:
        set_threads("default")
    return out


# --------------------------------------------------------------------------- 6. strided X
#: L-BFGS iterations of the strided-vs-contiguous fits (tol=0: the same work on both sides).
STRIDED_ITERATIONS = 10


def bench_strided(cfg: dict, data: dict) -> dict:
    SoftmaxRegression = _models()
    if SoftmaxRegression is None:
        return _skipped("lecture_lib.SoftmaxRegression is not available yet")
    X, y = data["train"]
    m = max(100, X.shape[0] // 4)
    wide = np.empty((m, 2 * X.shape[1]))
    wide[:, ::2] = X[:m]
    view, y_half = wide[:, ::2], y[:m]  # every other column: strided along both axes, BLAS cannot read it
    contiguous = np.ascontiguousarray(view)
    model = SoftmaxRegression(l2=L2, solver="lbfgs", tol=0.0, max_iter=STRIDED_ITERATIONS)
    W, b = np.zeros((X.shape[1], K)), np.zeros(K)
    fits = time_interleaved({"strided view": lambda: model.fit(view, y_half),
                             "contiguous": lambda: model.fit(contiguous, y_half)}, repeats=cfg["fit_repeats"])
    grads = time_interleaved({"uncopied view": lambda: _softmax_cost_grad(view, y_half, W, b, L2),
                              "contiguous": lambda: _softmax_cost_grad(contiguous, y_half, W, b, L2),
                              "one copy": lambda: np.ascontiguousarray(view)}, repeats=cfg["repeats"])
    return {"m": view.shape[0], "d": view.shape[1], "K": K, "lbfgs_iterations": STRIDED_ITERATIONS,
            "fit": {name: summarize(t) for name, t in fits.items()},
            "fit_ratio_strided_vs_contiguous": ratio(fits, "strided view", "contiguous"),
            "gradient": {name: summarize(t) for name, t in grads.items()},
            "gradient_ratio_uncopied_view_vs_contiguous": ratio(grads, "uncopied view", "contiguous"),
            "copy_vs_one_gradient": ratio(grads, "one copy", "contiguous"),
            "decision": "fit copies X once to C order only when BLAS cannot read it in place (strided along "
                        "both axes); C/F-ordered X and views with one unit stride are never copied"}


# --------------------------------------------------------------------------- 7. streaming from a memmap
#: Rows per partial_fit chunk and the mini-batch size of the stream.
STREAM_CHUNK, STREAM_BATCH = 5000, 256


def _rss_bytes() -> int:
    """Resident set now: mapped file pages that were read count too."""
    import psutil

    return psutil.Process().memory_info().rss


def stream_worker(path: str, rows: int, d: int, chunk: int) -> dict:
    """In a fresh process: one epoch of ``partial_fit`` over the memmap, one chunk mapped at a time.

    ``peak_rss_bytes`` is the largest resident set sampled after each chunk's ``partial_fit``,
    while the chunk is still mapped (its pages resident); ``baseline_rss_bytes`` the resident set
    with the libraries loaded and no data.
    """
    SoftmaxRegression = _models()
    labels = np.load(path + ".labels.npy")
    classes = np.unique(labels)
    model = SoftmaxRegression(l2=L2, solver="sgd", batch_size=STREAM_BATCH, learning_rate=0.1)
    itemsize = np.dtype(np.float32).itemsize
    baseline = _rss_bytes()  # the interpreter with numpy, scipy and scikit-learn loaded, no data
    warm = np.zeros((STREAM_BATCH, d), dtype=np.float32)  # lazy imports and caches, outside the stream
    model.partial_fit(warm, labels[:STREAM_BATCH], classes=classes)
    model = SoftmaxRegression(l2=L2, solver="sgd", batch_size=STREAM_BATCH, learning_rate=0.1)
    start_time, during = time.perf_counter(), 0
    for start in range(0, rows, chunk):
        stop = min(start + chunk, rows)
        X = np.memmap(path, dtype=np.float32, mode="r", offset=start * d * itemsize, shape=(stop - start, d))
        model.partial_fit(X, labels[start:stop], classes=classes)
        during = max(during, _rss_bytes())  # the chunk's pages are still resident here
        del X  # unmaps the chunk: its pages leave the resident set
    seconds = time.perf_counter() - start_time
    last = np.memmap(path, dtype=np.float32, mode="r", offset=(rows - min(chunk, rows)) * d * itemsize,
                     shape=(min(chunk, rows), d))
    # (getrusage's ru_maxrss is no use here: Linux carries the parent's high-water mark over fork + exec)
    return {"peak_rss_bytes": during, "baseline_rss_bytes": baseline, "seconds": seconds,
            "updates": model.t_, "accuracy_last_chunk": float(model.score(last, labels[-len(last):]))}


def bench_stream(cfg: dict, data: dict) -> dict:
    if _models() is None:
        return _skipped("lecture_lib.SoftmaxRegression is not available yet")
    X, y = data["train"]
    rows, d = cfg["stream_m"], X.shape[1]
    chunk = min(STREAM_CHUNK, max(1, rows // 4))  # at least four chunks, even for a tiny run
    with tempfile.TemporaryDirectory(prefix="lecture_lib_stream_") as folder:
        path = os.path.join(folder, "X.f32")
        stored = np.memmap(path, dtype=np.float32, mode="w+", shape=(rows, d))
        for start in range(0, rows, X.shape[0]):  # the training set, repeated, written chunk by chunk
            stop = min(start + X.shape[0], rows)
            stored[start:stop] = X[: stop - start]
        stored.flush()
        del stored
        np.save(path + ".labels.npy", np.resize(y, rows))
        proc = subprocess.run([sys.executable, __file__, "--stream-worker", path, "--stream-rows", str(rows),
                               "--stream-d", str(d), "--stream-chunk", str(chunk)],
                              capture_output=True, text=True, check=True, env={**os.environ})
        worker = json.loads(proc.stdout.strip().splitlines()[-1])
        file_bytes = os.path.getsize(path)
    chunk_bytes = chunk * d * np.dtype(np.float32).itemsize
    return {"rows": rows, "d": d, "K": K, "chunk_rows": chunk, "batch_size": STREAM_BATCH, "file_bytes": file_bytes,
            "chunk_bytes": chunk_bytes, **worker,
            "peak_rss_vs_file": worker["peak_rss_bytes"] / file_bytes,
            "peak_rss_above_baseline_vs_file": (worker["peak_rss_bytes"] - worker["baseline_rss_bytes"]) / file_bytes,
            "samples_per_s": rows / worker["seconds"]}
# --------------------------------------------------------------------------- 8. import time
#: What an exercise kernel pays before its first cell: lecture_lib at most numpy's time + this.
IMPORT_BUDGET_S = 0.05
_IMPORT_TIMER = ("import time, sys\nstart = time.perf_counter()\nimport {module}\n"
                 "print(time.perf_counter() - start)\nprint(' '.join(sorted(m for m in sys.modules if '.' not in m)))")


def _import_seconds(module: str) -> tuple[float, list]:
    """Seconds to import ``module`` in a fresh interpreter (startup excluded), and the top-level
    modules loaded by then."""
    proc = subprocess.run([sys.executable, "-c", _IMPORT_TIMER.format(module=module)], check=True,
                          capture_output=True, text=True)
    seconds, modules = proc.stdout.splitlines()[:2]
    return float(seconds), modules.split()


def bench_import(cfg: dict, data: dict) -> dict:
    repeats = max(5, 2 * cfg["repeats"] + 1)
    times = {"numpy": [], "lecture_lib": []}
    loaded = {}
    for r in range(repeats + 1):  # interleaved; the first round warms the file cache and is dropped
        for module in (("numpy", "lecture_lib") if r % 2 else ("lecture_lib", "numpy")):
            seconds, loaded[module] = _import_seconds(module)
            if r:
                times[module].append(seconds)
    difference = _median(times["lecture_lib"]) - _median(times["numpy"])
    heavy = sorted(set(loaded["lecture_lib"]) & {"scipy", "sklearn", "matplotlib", "pandas", "threadpoolctl"})
    return {"numpy": summarize(times["numpy"]), "lecture_lib": summarize(times["lecture_lib"]),
            "difference_s": difference, "ratio": ratio(times, "lecture_lib", "numpy"),
            "budget_s": IMPORT_BUDGET_S, "heavy_modules_loaded": heavy}


# --------------------------------------------------------------------------- table
def summary_rows(results: dict) -> list[dict]:
    """One row per headline number: what was measured, the value, the target and whether it is met."""
    rows = []
    b = results["benchmarks"]
    if "lbfgs" in b and "skipped" not in b["lbfgs"]:
        for case in ("digits", "synthetic"):
            r = b["lbfgs"][case]
            rows.append({"benchmark": "lbfgs vs sklearn", "case": f"{case} {r['m']}x{r['d']}",
                         "metric": "fit time ratio", "value": r["time_ratio"], "target": "<= 0.9",
                         "met": r["time_ratio"] <= 0.9})
            rows.append({"benchmark": "lbfgs vs sklearn", "case": f"{case} {r['m']}x{r['d']}",
                         "metric": "cost ours - sklearn", "value": r["cost_difference"], "target": "<= 1e-6",
                         "met": r["cost_difference"] <= 1e-6})
    if "gradient" in b:
        g = b["gradient"]
        for dtype in ("float64", "float32"):
            r = g[dtype]
            case = f"{g['m']}x{g['d']}x{g['K']} {dtype}"
            rows.append({"benchmark": "gradient vs matmul", "case": case, "metric": "time ratio",
                         "value": r["gradient_ratio"], "target": "<= 1.2", "met": r["gradient_ratio"] <= 1.2})
            if isinstance(r.get("torch"), dict):
                for side, key in (("autograd", "autograd_ratio"), ("hand-written", "manual_ratio"),
                                  ("bare products", "torch_bare_ratio")):
                    rows.append({"benchmark": f"torch {side} vs numpy matmul", "case": case, "metric": "time ratio",
                                 "value": r["torch"][key], "target": "", "met": None})
            if "gd_iteration_ratio" in r:
                rows.append({"benchmark": "gd iteration vs matmul", "case": case, "metric": "time ratio",
                             "value": r["gd_iteration_ratio"], "target": "<= 1.2",
                             "met": r["gd_iteration_ratio"] <= 1.2})
    if "memory" in b:
        for case, r in b["memory"].items():
            if isinstance(r, dict) and "fraction_of_X" in r:
                context = "sklearn" in case
                rows.append({"benchmark": "peak memory", "case": case, "metric": "fraction of X",
                             "value": r["fraction_of_X"], "target": "" if context else "<= 0.1",
                             "met": None if context else r["fraction_of_X"] <= 0.1})
    if "sgd" in b and "skipped" not in b["sgd"]:
        for bs, r in b["sgd"]["batches"].items():
            rows.append({"benchmark": "sgd throughput", "case": f"batch {bs}", "metric": "samples/s",
                         "value": r["samples_per_s"], "target": "", "met": None})
    if "threads" in b:
        for case, r in b["threads"].items():
            if isinstance(r, dict):
                rows.append({"benchmark": "BLAS threads", "case": case, "metric": "speed-up, all BLAS 1 thread",
                             "value": r["speedup_of_all_1_thread"], "target": "", "met": None})
    if "strided" in b and "skipped" not in b["strided"]:
        r = b["strided"]
        case = f"{r['m']}x{r['d']} view X[:, ::2]"
        rows.append({"benchmark": "strided X", "case": case, "metric": "fit time, view (copied once) / contiguous",
                     "value": r["fit_ratio_strided_vs_contiguous"], "target": "", "met": None})
        rows.append({"benchmark": "strided X", "case": case, "metric": "gradient time, uncopied view / contiguous",
                     "value": r["gradient_ratio_uncopied_view_vs_contiguous"], "target": "", "met": None})
    if "stream" in b and "skipped" not in b["stream"]:
        r = b["stream"]
        case = f"memmap {r['rows']}x{r['d']} float32, chunks of {r['chunk_rows']}"
        rows.append({"benchmark": "memmap partial_fit", "case": case, "metric": "peak RSS above baseline / file",
                     "value": r["peak_rss_above_baseline_vs_file"], "target": "< 1",
                     "met": r["peak_rss_above_baseline_vs_file"] < 1})
        rows.append({"benchmark": "memmap partial_fit", "case": case, "metric": "peak RSS / file",
                     "value": r["peak_rss_vs_file"], "target": "", "met": None})
        rows.append({"benchmark": "memmap partial_fit", "case": case, "metric": "chunk / file",
                     "value": r["chunk_bytes"] / r["file_bytes"], "target": "", "met": None})
    if "import" in b:
        r = b["import"]
        rows.append({"benchmark": "import time", "case": "lecture_lib - numpy", "metric": "seconds",
                     "value": r["difference_s"], "target": f"<= {r['budget_s']}",
                     "met": r["difference_s"] <= r["budget_s"]})
        rows.append({"benchmark": "import time", "case": "lecture_lib / numpy", "metric": "time ratio",
                     "value": r["ratio"], "target": "", "met": None})
    return rows


COLUMNS = [("benchmark", "benchmark"), ("case", "case"), ("metric", "metric"), ("value", "value"),
           ("target", "target"), ("met", "met")]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller problem sizes and fewer repetitions")
    parser.add_argument("--only", action="append", choices=BENCHMARKS, help="run only this benchmark (repeatable)")
    parser.add_argument("--out", type=Path, help="JSON file to write (default for a full run: results/latest.json)")
    parser.add_argument("--m", type=int, help="samples of the synthetic problem (default 60000, quick 10000)")
    parser.add_argument("--repeats", type=int, help="timed repetitions of each measurement")
    parser.add_argument("--stream-worker", help=argparse.SUPPRESS)  # the subprocess of the stream benchmark
    parser.add_argument("--stream-rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stream-d", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stream-chunk", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stream_worker:
        print(json.dumps(stream_worker(args.stream_worker, args.stream_rows, args.stream_d, args.stream_chunk)))
        return {}

    cfg = dict(PRESETS["quick" if args.quick else "full"])
    if args.m is not None:
        cfg["m"] = args.m
        cfg["m_test"] = max(100, args.m // 6)
        cfg["sgd_m"] = min(cfg["sgd_m"], args.m)
        cfg["stream_m"] = min(cfg["stream_m"], 3 * args.m)
    if args.repeats is not None:
        cfg["repeats"] = cfg["fit_repeats"] = cfg["digits_repeats"] = args.repeats
    only = args.only or list(BENCHMARKS)
    full_run = not (args.quick or args.only or args.m or args.repeats)
    out_path = args.out if args.out is not None else (RESULTS / "latest.json" if full_run else None)

    X, y = synthetic_classification(cfg["m"] + cfg["m_test"], D, K, seed=0)
    data = {"train": (X[:cfg["m"]], y[:cfg["m"]]), "test": (X[cfg["m"]:], y[cfg["m"]:])}
    results = {"machine": machine_info(), "config": {**cfg, "l2": L2, "tol": TOL, "max_iter": MAX_ITER,
                                                     "full_run": full_run, "command": " ".join(sys.argv)},
               "benchmarks": {}}
    functions = {"lbfgs": bench_lbfgs, "gradient": bench_gradient, "memory": bench_memory, "sgd": bench_sgd,
                 "threads": bench_threads, "strided": bench_strided, "stream": bench_stream,
                 "import": bench_import}
    for name in only:
        start = time.perf_counter()
        print(f"[{name}] ...", flush=True)
        results["benchmarks"][name] = functions[name](cfg, data)
        print(f"[{name}] done in {time.perf_counter() - start:.1f} s", flush=True)
    results["summary"] = summary_rows(results)
    print(format_table(results["summary"], COLUMNS))
    if out_path is not None:
        write_json(results, out_path)
        print(f"wrote {out_path}")
    return results


if __name__ == "__main__":
    main()
