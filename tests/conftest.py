"""Shared pytest configuration.

Fixture files under ``tests/fixtures/`` (e.g. deliberately wrong exercise submissions, a broken
notebook) are data for the tests, not notebooks to execute, so nbval must not collect them.

How the tests are spread over the pytest-xdist workers (``tools/course.py test`` passes ``--dist
loadgroup``): see :func:`group_of`. The wall time of a parallel run is bounded by its longest group, and
by a long group that starts last, so the long groups are split where their tests are independent and
start first (by the durations measured in a full run, :data:`DURATIONS`).
"""

import fcntl
import json
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
SPLIT_FILES = {"tests/test_exercise_diagnoses.py": 2}
#: Seconds each test file took in a full run, measured by :func:`pytest_runtest_logreport` and written by
#: :func:`pytest_sessionfinish`: ``_build/test-durations.json`` after every full run on this machine;
#: ``tests/durations.json`` is a copy of one from a full run on a 2-core machine, used until then.
DURATIONS = ("_build/test-durations.json", "tests/durations.json")
ROOT = Path(__file__).resolve().parent.parent
#: Seconds per file measured in this run (setup, call and teardown of each test, as the reports arrive).
_measured: dict[str, float] = {}


def measured_seconds() -> dict[str, float]:
    """Seconds per test file from the first durations file there is (empty when there is none)."""
    for name in DURATIONS:
        path = ROOT / name
        if path.is_file():
            return json.loads(path.read_text())["seconds"]
    return {}


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


def expected_seconds(nodeids: list[str], seconds: dict[str, float]) -> dict[str, float]:
    """Expected seconds of each test's group: its file's measured time shared evenly by the file's groups."""
    index_in_file: dict[str, int] = {}
    groups: dict[str, set[str]] = {}
    group = {}
    for nodeid in nodeids:
        file = file_of(nodeid)
        index = index_in_file[file] = index_in_file.get(file, -1) + 1
        group[nodeid] = group_of(nodeid, index)
        groups.setdefault(file, set()).add(group[nodeid])
    return {nodeid: seconds.get(file_of(nodeid), 0.0) / len(groups[file_of(nodeid)]) for nodeid in nodeids}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """The longest groups first, by the measured durations (a stable sort: every file keeps its own order)."""
    if config.getoption("dist", "no") == "loadgroup":
        expected = expected_seconds([item.nodeid for item in items], measured_seconds())
        items.sort(key=lambda item: -expected[item.nodeid])


def pytest_runtest_logreport(report):
    """Add each phase's time (setup, call, teardown) to its file's total."""
    file = file_of(report.nodeid)
    _measured[file] = _measured.get(file, 0.0) + report.duration


def pytest_sessionfinish(session, exitstatus):
    """After a run of every test (no ``-k``, ``-m``, ``--lf`` or ``-x``), merge the seconds per file measured
    in this run into ``_build/test-durations.json`` (in the controller, which gets every worker's reports)."""
    option = session.config.option
    partial = option.keyword or option.markexpr or getattr(option, "lf", False) or option.maxfail
    if hasattr(session.config, "workerinput") or partial or not _measured \
            or exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return
    # (Two runs may finish at once: tools/course.py test runs some files while the site is built.)
    merge_json(ROOT / DURATIONS[0], {file: round(total, 1) for file, total in _measured.items()}, key="seconds")


def merge_json(path: Path, entries: dict, key: str | None = None) -> None:
    """Add ``entries`` to the JSON object in ``path`` (created if missing), or to its object under ``key``,
    sorted by key.

    Several processes write the same files (pytest-xdist workers recording pages, two test runs finishing at
    once): the read-modify-write holds an exclusive lock (``path`` + ``.lock``), so no entry is lost or half
    written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(path.read_text()) if path.is_file() and path.stat().st_size else {}
        target = data.setdefault(key, {}) if key else data
        target.update(entries)
        if key:
            data[key] = dict(sorted(target.items()))
        path.write_text(json.dumps(dict(sorted(data.items())), indent=1) + "\n")


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

    config.option.loadscopereorder = False  # keep pytest_collection_modifyitems's order (xdist would sort by test count)
    return CourseScheduling(config, log)
