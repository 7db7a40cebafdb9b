"""The benchmark scripts run end to end at a tiny size, so they cannot rot unnoticed.

No timing is asserted (times depend on the machine); the tests check that every benchmark
runs and that the JSON has the structure the appendix page ``book/performance.md`` reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"

# One BLAS/OpenMP thread: the tiny problems then take a fraction of a second each, whatever else runs.
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}


def _run(script: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCHMARKS / script), *args], cwd=ROOT, env=ENV, timeout=timeout,
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def tiny_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "tiny.json"
    proc = _run("run.py", "--quick", "--m", "300", "--repeats", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text()), proc.stdout


def test_every_benchmark_runs_and_reports(tiny_results):
    results, stdout = tiny_results
    assert set(results["benchmarks"]) == {"lbfgs", "gradient", "memory", "sgd", "threads", "strided", "stream",
                                          "import"}
    assert not results["config"]["full_run"]  # a tiny run must never pass for the committed results
    assert results["config"]["m"] == 300
    for name, result in results["benchmarks"].items():
        assert "skipped" not in result, f"{name}: {result.get('skipped')}"
    machine = results["machine"]
    assert machine["cpu_model"] and machine["usable_cores"] >= 1 and machine["blas"]
    assert {"numpy", "scipy", "scikit-learn"} <= set(machine["versions"])
    assert "benchmark" in stdout and "met" in stdout  # the printed table


def test_results_have_what_the_appendix_reads(tiny_results):
    results, _ = tiny_results
    b = results["benchmarks"]
    for case in ("digits", "synthetic"):
        for side in ("lecture_lib", "sklearn"):
            assert {"median_s", "all_s", "cost", "n_iter", "test_accuracy"} <= set(b["lbfgs"][case][side])
        assert b["lbfgs"][case]["time_ratio"] > 0
    assert b["lbfgs"]["gd_vs_lbfgs"]["lbfgs_iterations_to_same_gap"] >= 1
    for dtype in ("float64", "float32"):
        r = b["gradient"][dtype]
        assert r["gradient_output_dtype"] == dtype
        assert {"gradient", "bare_products", "gradient_ratio", "gd_iteration_ratio"} <= set(r)
        # PyTorch in the same interleaved rounds: autograd, hand-written, its own bare products.
        assert {"torch_autograd", "torch_manual", "torch_bare_products"} <= set(r)
        torch_result = r["torch"]
        assert torch_result["threads"] >= 1 and torch_result["version"].startswith("2.")
        assert all(torch_result[key] > 0 for key in ("autograd_ratio", "manual_ratio", "torch_bare_ratio"))
        # Both PyTorch gradients are lecture_lib's, to rounding of the dtype (float32: ~1e-7 per entry).
        tolerance = 1e-12 if dtype == "float64" else 1e-4
        assert set(torch_result["max_rel_difference"]) == {"torch_autograd", "torch_manual"}
        assert all(0 <= v < tolerance for v in torch_result["max_rel_difference"].values()), torch_result
    assert b["memory"]["gradient core, float64"]["peak_bytes"] > 0
    assert all(r["samples_per_s"] > 0 for r in b["sgd"]["batches"].values())
    assert any(case.startswith("lbfgs fit, digits") for case in b["threads"])
    imp = b["import"]
    assert imp["numpy"]["median_s"] > 0 and imp["lecture_lib"]["median_s"] > 0 and len(imp["numpy"]["all_s"]) >= 5
    assert imp["heavy_modules_loaded"] == []  # machine independent, unlike the seconds
    assert {row["benchmark"] for row in results["summary"]} >= {"lbfgs vs sklearn", "gradient vs matmul",
                                                               "peak memory", "sgd throughput", "BLAS threads",
                                                               "strided X", "memmap partial_fit", "import time",
                                                               "torch autograd vs numpy matmul"}
    strided = b["strided"]
    assert strided["fit_ratio_strided_vs_contiguous"] > 0 and strided["gradient_ratio_uncopied_view_vs_contiguous"] > 0
    stream = b["stream"]
    assert stream["file_bytes"] == stream["rows"] * stream["d"] * 4 and stream["chunk_bytes"] < stream["file_bytes"]
    assert stream["peak_rss_bytes"] > 0 and stream["updates"] >= stream["rows"] // stream["batch_size"]


def test_only_and_no_default_output(tmp_path):
    proc = _run("run.py", "--quick", "--m", "200", "--repeats", "1", "--only", "gradient")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "wrote" not in proc.stdout  # partial runs write a file only when --out is given


def test_budgets_chapters(tmp_path):
    chapter = tmp_path / "01_tiny.md"
    chapter.write_text("---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
                       "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n\n"
                       "# Tiny\n\n```{code-cell} ipython3\nx = 1 + 1\n```\n")
    out = tmp_path / "budgets.json"
    proc = _run("budgets.py", "--only", "chapters", "--chapters", str(chapter), "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(out.read_text())
    run = results["budgets"]["chapters"]["per_chapter"]["01_tiny.md"]
    assert run["error"] is None and run["seconds"] > 0
    assert results["summary"][0]["budget"] == "execute all chapters"


@pytest.mark.slow
def test_budgets_autograde_one_submission(tmp_path):
    out = tmp_path / "budgets.json"
    proc = _run("budgets.py", "--only", "autograde", "--submissions", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    autograde = json.loads(out.read_text())["budgets"]["autograde"]
    if "skipped" in autograde:
        pytest.skip(autograde["skipped"])
    assert autograde["exit_code"] == 0 and autograde["graded"] == 1 and autograde["autograde_per_min"] > 0


def test_accuracy_benchmark_prints_and_records_the_ulps(tmp_path):
    out = tmp_path / "accuracy.json"
    proc = _run("accuracy.py", "--out", str(out), timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(out.read_text())
    assert {"machine", "reference", "avx2_measurement", "bound_ulps", "max_ulps", "rows"} <= set(results)
    functions = {row["function"] for row in results["rows"]}
    assert {"softmax", "log_softmax", "logsumexp", "cross_entropy", "softmax_regression_cost",
            "binary_cross_entropy", "logistic_regression_cost", "sigmoid"} <= functions
    assert {row["dtype"] for row in results["rows"]} == {"float64", "float32"}
    assert all(row["met"] for row in results["rows"])
    assert "largest error except softmax" in proc.stdout and "max ulps" in proc.stdout


@pytest.mark.slow
def test_grading_cluster_benchmark_grades_the_class_on_1_and_2_workers(tmp_path):
    out = tmp_path / "cluster.json"
    proc = _run("grading_cluster.py", "--submissions", "2", "--out", str(out), timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads(out.read_text())
    if "skipped" in results:
        pytest.skip(results["skipped"])
    assert not results["config"]["full_run"]  # a tiny run must never pass for the committed results
    assert set(results["runs"]) == {"1", "2"}
    for run in results["runs"].values():
        for kind in ("cluster", "local_jobs"):
            assert run[kind]["exit_code"] == 0 and run[kind]["graded"] == 2, run[kind]["log_tail"]
        assert run["cluster_vs_local_time"] > 0
    extrapolation = results["extrapolation"]
    assert extrapolation["students"] == 10_000 and extrapolation["hours_on_1_worker"] > 0
    assert "Extrapolated" in out.with_suffix(".md").read_text() and "extrapolation:" in proc.stdout
