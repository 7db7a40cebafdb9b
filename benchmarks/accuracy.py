#!/usr/bin/env python3
"""How accurate is lecture_lib? The largest error in ulps against a 200-bit mpmath reference.

    python benchmarks/accuracy.py               # prints the table, writes results/accuracy.json
    python benchmarks/accuracy.py --out /tmp/a.json

For every function, dtype (float64, float32) and input range (logits up to 30, 1e4, 1e15 and
1e308; ties, tiny and subnormal results included) it measures the largest distance in ulps
between lecture_lib's result and the exact result rounded once to the dtype. The inputs and the
references are those of ``tests/test_accuracy.py`` (``tests/mp_reference.py``), which asserts
the bound. Each case is measured twice: with numpy's default SIMD code and, in a second
process, with its AVX-512 code disabled (``NPY_DISABLE_CPU_FEATURES``), since numpy's ``exp``
and ``log1p`` differ in the last bit between code paths.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from _harness import RESULTS, ROOT, format_table, machine_info, write_json

sys.path.insert(0, str(ROOT / "tests"))
from test_accuracy import BOUND, _min_abs  # noqa: E402  (the bound the tests assert)

#: numpy's AVX-512 dispatch targets, disabled for the second measurement.
AVX512_FEATURES = ("AVX512_ICL", "X86_V4")


def measure_all() -> list[dict]:
    """One row per (function, dtype, range): the largest error in ulps on this process's numpy."""
    import lecture_lib
    import mp_reference as R

    rows = []
    for name in R.FUNCTIONS:
        for dtype in R.DTYPES:
            for range_name, scale in R.RANGES.items():
                min_abs = _min_abs(name, dtype)
                result = R.measure(lecture_lib, name, dtype, scale, min_abs=min_abs)
                rows.append({"function": name, "dtype": result["dtype"], "range": range_name,
                             "max_ulps": result["max_ulps"], "max_ulps_beyond_shift": result["max_ulps_beyond_shift"],
                             "n": result["n"], "results_at_least": min_abs,
                             "bound_ulps": BOUND if name != "softmax" else f"{BOUND} + |z_k - c|"})
    return rows


def _avx2_rows() -> tuple[list[dict] | None, str]:
    from numpy._core._multiarray_umath import __cpu_features__

    present = [f for f in AVX512_FEATURES if __cpu_features__.get(f)]
    if not present:
        return None, "this CPU has no AVX-512: the default measurement is numpy's AVX2 (or older) code"
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(present)}
    proc = subprocess.run([sys.executable, __file__, "--rows-only"], env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(proc.stdout), f"NPY_DISABLE_CPU_FEATURES={' '.join(present)}"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=RESULTS / "accuracy.json", help="JSON file to write")
    parser.add_argument("--rows-only", action="store_true", help=argparse.SUPPRESS)  # the second process
    args = parser.parse_args(argv)
    rows = measure_all()
    if args.rows_only:
        print(json.dumps(rows))
        return {"rows": rows}
    other, how = _avx2_rows()
    for row, row2 in zip(rows, other or [None] * len(rows)):
        row["max_ulps_avx2"] = None if row2 is None else row2["max_ulps"]
        row["max_ulps_beyond_shift_avx2"] = None if row2 is None else row2["max_ulps_beyond_shift"]
        worst = max(row["max_ulps_beyond_shift"], row["max_ulps_beyond_shift_avx2"] or 0)
        row["met"] = worst <= BOUND
    results = {"machine": machine_info(), "reference": "mpmath, 200 bits, rounded once to the dtype",
               "avx2_measurement": how, "bound_ulps": BOUND,
               "softmax_bound": "BOUND + |z_k - c| ulps: the rounding of the shift z - c is not corrected in softmax",
               "max_ulps": max(max(r["max_ulps"], r["max_ulps_avx2"] or 0) for r in rows if r["function"] != "softmax"),
               "rows": rows}
    print(format_table(rows, [("function", "function"), ("dtype", "dtype"), ("range", "range"),
                              ("max_ulps", "max ulps"), ("max_ulps_avx2", "max ulps (AVX2)"),
                              ("max_ulps_beyond_shift", "beyond |z_k - c|"), ("bound_ulps", "bound"),
                              ("met", "met")]))
    print(f"largest error except softmax: {results['max_ulps']} ulps (bound {BOUND}); AVX2 run: {how}")
    write_json(results, args.out)
    print(f"wrote {args.out}")
    return results


if __name__ == "__main__":
    main()
