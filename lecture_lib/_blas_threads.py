"""One thread for the BLAS library that scipy alone uses, while an L-BFGS fit runs.

:func:`scipy_blas_one_thread` is the context manager the models' L-BFGS solver runs in; the rest
finds the library (:func:`_lbfgs_blas`). Kept apart from :mod:`lecture_lib.models`, which only uses it.
"""

from __future__ import annotations

import functools
import threading
from contextlib import contextmanager
from pathlib import Path

from threadpoolctl import ThreadpoolController


def _package_dirs(package):
    """Folders of an installed wheel: the package itself and ``<package>.libs`` (its bundled libraries)."""
    module = __import__(package)
    folder = Path(module.__file__).resolve().parent
    return (folder, folder.with_name(f"{package}.libs"))


def _inside(filepath, folders):
    path = Path(filepath).resolve()
    return any(path.is_relative_to(folder) for folder in folders)


@functools.cache
def _lbfgs_blas():
    """threadpoolctl controller of the BLAS libraries that scipy alone uses (its wheel's OpenBLAS).

    scipy's L-BFGS-B calls its own BLAS for vector operations of length ``dK + K``, far too short
    to gain from threads, while numpy's BLAS computes the gradient. Each library keeps a pool of
    threads that spin between calls, and the two pools fight for the cores: on 2 cores, one
    thread for scipy's library made an L-BFGS fit of the digits ~12 times faster and 10
    iterations on 60000 x 784 ~1.25 times faster (appendix "How fast is lecture_lib?").

    Only a library loaded from scipy's own folders (``scipy/``, ``scipy.libs/``) and not from
    numpy's is selected. Where numpy and scipy share one BLAS (conda-forge, Debian, MKL builds:
    the library lives in a common ``lib/``) nothing is selected, so the limit can never throttle
    numpy's gradient products. Listing the libraries takes ~10 ms, so it is done once.
    """
    numpy_dirs, scipy_dirs = _package_dirs("numpy"), _package_dirs("scipy")
    controller = ThreadpoolController()
    scipy_only = [lib.filepath for lib in controller.lib_controllers if lib.user_api == "blas"
                  and _inside(lib.filepath, scipy_dirs) and not _inside(lib.filepath, numpy_dirs)]
    return controller.select(filepath=scipy_only)


_blas_lock = threading.Lock()
_blas_state = {"fits": 0, "limiter": None}


@contextmanager
def scipy_blas_one_thread():
    """One thread for :func:`_lbfgs_blas` while at least one L-BFGS fit runs, in any thread.

    A thread limit is process-wide, so fits that overlap in several threads share it: the first
    to enter sets it and saves the original counts, the last to leave restores them. (Nesting
    threadpoolctl's own context managers would let the second fit save "1 thread" and restore
    it after the first had already restored the original: the limit would leak.) OpenBLAS
    0.3.x ignores a thread count set from any thread but the main one, so a fit running in a
    worker thread gets no limit there; a BLAS whose count is process-wide (MKL, BLIS) gets it.
    """
    with _blas_lock:
        if _blas_state["fits"] == 0:
            _blas_state["limiter"] = _lbfgs_blas().limit(limits=1)
        _blas_state["fits"] += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_state["fits"] -= 1
            if _blas_state["fits"] == 0:
                _blas_state["limiter"].restore_original_limits()
                _blas_state["limiter"] = None
