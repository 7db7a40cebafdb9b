"""Shared pytest configuration.

Fixture files under ``tests/fixtures/`` (e.g. deliberately wrong exercise submissions, a broken
notebook) are data for the tests, not notebooks to execute, so nbval must not collect them.

How the tests are spread over the pytest-xdist workers (``tools/course.py test`` passes ``--dist
loadgroup``): see :func:`group_of`. The wall time of a parallel run is bounded by its longest group, and
by a long group that starts last, so the long groups are split where their tests are independent and
start first (:data:`LONG_FIRST`).
"""

import re
from pathlib import Path

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


# -- Spreading the tests over the xdist workers ----------------------------------------------------
#: Files whose tests share nothing but session fixtures every worker has (the browser, the served
#: site): each test is a group of its own, so the pages spread over the workers.
SPREAD_FILES = ("tests/browser/test_layout.py", "tests/browser/test_pages.py", "tests/browser/test_css_cut.py")
#: Files cut into this many groups (round robin in collection order); each group builds its own module
#: fixtures (e.g. one JupyterLab server per worker), so the parts run at the same time.
SPLIT_FILES = {"tests/browser/test_jupyterlab.py": 2, "tests/test_exercise_diagnoses.py": 2}
#: Groups that start first, longest first: their share of the test time in a full run on the 2-core
#: machine (``--durations``, junit times): the download test 17.5% (a fresh environment from the registry,
#: then every chapter), the style-sheet cut compared on every page (about 8 and 5 minutes of one core for the
#: two widths, spread over the workers), JupyterLab 11.8% (every chapter, in two parts), the class run and the red team
#: 6% each (a sandbox per submission; the second red team and the formgrader XSS test about 2 minutes
#: each, measured alone), the other grading tests 4.4%, the benchmark smoke tests 3.4%, the
#: estimator checks 2.4%, the nbval gate 2.2%, the PyTorch chapter under nbval 2.1%. Every other group
#: keeps pytest's order after these; the spread page tests (test_layout 25%, test_pages 7%) fill the gaps.
LONG_FIRST = ("tests/browser/test_download.py", "tests/browser/test_css_cut.py", "tests/browser/test_jupyterlab.py",
              "tests/test_exercises.py",
              "tests/test_grading_redteam.py", "tests/test_grading_redteam2.py", "tests/test_grading.py",
              "tests/browser/test_grading_xss.py", "tests/test_student_work.py", "tests/test_grading_seeds.py",
              "tests/test_benchmarks_smoke.py", "tests/test_exercise_diagnoses.py",
              "tests/test_estimator_checks.py", "tests/test_notebook_gate.py", "_build/nbval/book/07_pytorch.ipynb")


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def group_of(nodeid: str, index_in_file: int = 0) -> str:
    """The work unit of a test: all tests of one group run in one worker, in their order.

    An explicit ``@pytest.mark.xdist_group(name)`` wins; a file of :data:`SPREAD_FILES` makes one group
    per test; a file of :data:`SPLIT_FILES` makes that many; any other file is one group (what ``--dist
    loadfile`` does: a notebook's cells run in order in one kernel, a module fixture is built once).
    """
    if nodeid.rfind("@") > nodeid.rfind("]"):  # xdist appends "@name" for an explicit mark
        return nodeid.rsplit("@", 1)[1]
    file = file_of(nodeid)
    if file in SPREAD_FILES:
        return nodeid
    if file in SPLIT_FILES:
        return f"{file}#{index_in_file % SPLIT_FILES[file]}"
    return file


def _long_first_rank(nodeid: str) -> int:
    file = file_of(nodeid)
    return LONG_FIRST.index(file) if file in LONG_FIRST else len(LONG_FIRST)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Long groups first (a stable sort: every file keeps its own order)."""
    if config.getoption("dist", "no") == "loadgroup":
        items.sort(key=lambda item: _long_first_rank(item.nodeid))


def check_xdist_version() -> None:
    """Fail with a clear message unless the installed pytest-xdist is the pinned one.

    :func:`pytest_xdist_make_scheduler` is the only place that uses pytest-xdist's private API: it
    overrides ``LoadScopeScheduling._split_scope`` and reads ``registered_collections``, written for
    the version pinned in ``requirements.txt`` (the one source of that version). A new pytest-xdist may
    rename either, and then the groups would silently fall apart; re-check the scheduler and the pin.
    """
    from importlib.metadata import version

    requirements = (Path(__file__).resolve().parent.parent / "requirements.txt").read_text()
    pinned = re.search(r"^pytest-xdist==(\S+)$", requirements, re.M)
    installed = version("pytest-xdist")
    if pinned is None or installed != pinned.group(1):
        raise pytest.UsageError(
            f"tests/conftest.py's xdist scheduler uses pytest-xdist's private API (LoadScopeScheduling."
            f"_split_scope, registered_collections), written for the pinned pytest-xdist "
            f"{pinned.group(1) if pinned else '(no pin in requirements.txt)'}; installed: {installed}. Install the pin "
            f"(python3 tools/course.py test does), or check the scheduler against the new version and update the pin.")


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` with the groups of :func:`group_of`, sent in collection order."""
    if config.getoption("dist") != "loadgroup":
        return None
    check_xdist_version()
    from xdist.scheduler import LoadScopeScheduling

    class CourseScheduling(LoadScopeScheduling):
        def __init__(self, config, log=None):
            super().__init__(config, log)
            self.groups: dict[str, str] = {}

        def _split_scope(self, nodeid: str) -> str:
            if not self.groups:
                seen: dict[str, int] = {}
                for other in next(iter(self.registered_collections.values())):
                    index = seen[file_of(other)] = seen.get(file_of(other), -1) + 1
                    self.groups[other] = group_of(other, index)
            return self.groups.get(nodeid) or group_of(nodeid)

    config.option.loadscopereorder = False  # keep LONG_FIRST's order (xdist would sort by test count)
    return CourseScheduling(config, log)
