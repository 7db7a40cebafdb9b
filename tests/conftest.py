"""Shared pytest configuration.

Fixture files under ``tests/fixtures/`` (e.g. deliberately wrong exercise submissions, a broken
notebook) are data for the tests, not notebooks to execute, so nbval must not collect them.
"""

import pytest
from hypothesis import settings
from threadpoolctl import threadpool_limits

# Property tests draw the same examples on every run (a failure in CI reproduces locally), and
# have no per-example deadline (a busy 2-core machine would make timing flaky).
settings.register_profile("course", derandomize=True, deadline=None, max_examples=200)
settings.load_profile("course")

collect_ignore_glob = ["fixtures/*", "fixtures/**/*"]


@pytest.fixture(autouse=True)
def one_blas_thread():
    """One BLAS thread per test: the test problems are small, and on a busy 2-core machine
    multi-threaded BLAS makes them many times slower (see benchmarks/ on thread settings)."""
    with threadpool_limits(1):
        yield
