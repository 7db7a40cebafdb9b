"""Shared helpers of the benchmark scripts: machine description, interleaved timing, data, tables.

The scripts in this folder import it as a sibling module (``python benchmarks/run.py`` puts this
folder first on ``sys.path``). Nothing here depends on ``lecture_lib``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


# --------------------------------------------------------------------------- the machine
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict:
    """CPU, cores, library versions, the BLAS in use (from threadpoolctl) and the date (UTC)."""
    from threadpoolctl import threadpool_info

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    blas = [
        {key: pool.get(key) for key in ("user_api", "internal_api", "version", "num_threads",
                                        "threading_layer", "architecture")}
        for pool in threadpool_info()
    ]
    return {
        "date_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu_model": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {name: _version(name) for name in
                     ("numpy", "scipy", "scikit-learn", "threadpoolctl", "lecture_lib",
                      "jupyter-book", "nbgrader")},
        "blas": blas,
        # Other programs share the cores: the load average (1, 5, 15 min) when the run started.
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


# --------------------------------------------------------------------------- timing
def time_interleaved(funcs: dict[str, Callable[[], object]], repeats: int, warmup: int = 1) -> dict[str, list]:
    """Wall-clock seconds of each callable, run in alternating order, ``repeats`` times each.

    Round ``r`` starts with callable number ``r mod n`` so that no side always runs first (caches,
    CPU frequency and the other tenants of a shared machine then affect every side alike).
    ``warmup`` untimed rounds come first.
    """
    names = list(funcs)
    times: dict[str, list] = {name: [] for name in names}
    for r in range(warmup + repeats):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            start = time.perf_counter()
            funcs[name]()
            elapsed = time.perf_counter() - start
            if r >= warmup:
                times[name].append(elapsed)
    return times


def summarize(seconds: list[float]) -> dict:
    """Median, minimum and all repetitions of a list of timings (seconds)."""
    return {"median_s": statistics.median(seconds), "min_s": min(seconds), "all_s": list(seconds)}


def ratio(times: dict[str, list], num: str, den: str) -> float:
    """Ratio of the medians ``num / den``."""
    return statistics.median(times[num]) / statistics.median(times[den])


# --------------------------------------------------------------------------- data
def synthetic_classification(m: int, d: int = 784, K: int = 10, seed: int = 0, dtype=np.float64):
    """A seeded, MNIST-sized stand-in: ``X (m, d)`` with values in [0, 1] and labels ``y (m,)``.

    All classes share a sparse mean image; each class moves it a tenth of the way towards its own
    sparse image. A sample is its class mean plus low-rank (correlated) and independent noise,
    clipped to [0, 1]. The classes overlap (softmax regression reaches about 94 % test accuracy,
    like on MNIST) and the features are correlated, so the problem is ill-conditioned like pixels.
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(K, size=m)
    density, contrast, rank = 0.3, 0.1, 20
    common = rng.uniform(0.0, 1.0, size=d) * (rng.uniform(size=d) < density)
    own = rng.uniform(0.0, 1.0, size=(K, d)) * (rng.uniform(size=(K, d)) < density)
    means = common + contrast * (own - common)
    basis = rng.standard_normal((rank, d)) / np.sqrt(rank)
    X = np.empty((m, d), dtype=dtype)
    block = 8192  # fill in blocks: no (m, d) float64 temporaries beyond X itself
    for start in range(0, m, block):
        stop = min(start + block, m)
        part = means[y[start:stop]] + 0.35 * rng.standard_normal((stop - start, rank)) @ basis
        part += 0.15 * rng.standard_normal(part.shape)
        np.clip(part, 0.0, 1.0, out=part)
        X[start:stop] = part
    return X, y


def digits():
    """scikit-learn's 8x8 digits (bundled, no download), scaled to [0, 1] by dividing by 16."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


# --------------------------------------------------------------------------- output
def format_table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    """A plain-text table: ``columns`` are ``(key, header)`` pairs; floats get 3 significant digits."""
    def cell(value):
        if isinstance(value, bool):
            return "yes" if value else "NO"
        if isinstance(value, float):
            return f"{value:.3g}"
        return "" if value is None else str(value)

    body = [[cell(row.get(key)) for key, _ in columns] for row in rows]
    headers = [header for _, header in columns]
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in body]
    return "\n".join(lines)


def write_json(data: dict, path: Path) -> None:
    """Write ``data`` as indented JSON (creating the folder)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
