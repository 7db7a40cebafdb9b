"""How the tests are spread over the xdist workers (``tests/conftest.py``), and the JSON records that
several workers and runs write into at once (``merge_json``: the browser tests' per-page records, the measured
durations)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from conftest import DURATIONS, SPLIT_FILES, SPREAD_FILES, expected_seconds, group_of, merge_json


def test_a_file_is_one_group():
    assert group_of("tests/test_models.py::test_fit[0]") == "tests/test_models.py"
    assert group_of("_build/nbval/book/01_modeling.ipynb::Cell 3") == "_build/nbval/book/01_modeling.ipynb"


def test_an_explicit_mark_wins_and_a_parameter_with_an_at_sign_does_not():
    assert group_of("tests/test_models.py::test_fit@solvers") == "solvers"
    assert group_of("tests/test_models.py::test_fit[a@b]") == "tests/test_models.py"


def test_spread_files_make_one_group_per_test():
    file = SPREAD_FILES[0]
    ids = [f"{file}::test_page[a.html]", f"{file}::test_page[b.html]"]
    assert [group_of(i) for i in ids] == ids


def test_split_files_make_that_many_groups_round_robin():
    file, parts = next(iter(SPLIT_FILES.items()))
    groups = [group_of(f"{file}::test_{i}", i) for i in range(2 * parts)]
    assert len(set(groups)) == parts
    assert groups[:parts] == groups[parts:]


def test_the_named_files_exist():
    root = Path(__file__).resolve().parent.parent
    book = {f"_build/nbval/book/{p.stem}.ipynb" for p in (root / "book").glob("*.md")}  # converted by the runner
    missing = [f for f in [*SPREAD_FILES, *SPLIT_FILES] if not (root / f).is_file() and f not in book]
    assert not missing, f"conftest names files that do not exist: {missing}"


def test_the_committed_durations_are_a_measured_run():
    """``tests/durations.json`` holds seconds per file of a full run, the spread and split files among them."""
    root = Path(__file__).resolve().parent.parent
    seconds = json.loads((root / DURATIONS[-1]).read_text())["seconds"]
    assert {*SPREAD_FILES, *SPLIT_FILES} <= set(seconds)
    assert all(type(s) is float and s >= 0 for s in seconds.values())


def test_groups_are_expected_to_take_their_share_of_the_file():
    split, parts = next(iter(SPLIT_FILES.items()))
    spread = SPREAD_FILES[0]
    nodeids = [*(f"{split}::test_{i}" for i in range(2 * parts)), f"{spread}::test_a", f"{spread}::test_b",
               "tests/test_one.py::test_x", "tests/test_one.py::test_y", "tests/test_new.py::test_z"]
    seconds = {split: 60.0, spread: 10.0, "tests/test_one.py": 7.0}
    expected = expected_seconds(nodeids, seconds)
    assert [expected[n] for n in nodeids] == [60.0 / parts] * (2 * parts) + [5.0, 5.0, 7.0, 7.0, 0.0]


def test_merge_json_under_a_key_keeps_the_rest(tmp_path):
    """The durations file: entries go into its ``seconds`` object, sorted; what else it holds stays."""
    path = tmp_path / "durations.json"
    path.write_text(json.dumps({"seconds": {"b.py": 2.0, "c.py": 3.0}, "note": "kept"}))
    merge_json(path, {"a.py": 1.0, "c.py": 4.0}, key="seconds")
    data = json.loads(path.read_text())
    assert data == {"note": "kept", "seconds": {"a.py": 1.0, "b.py": 2.0, "c.py": 4.0}}
    assert list(data["seconds"]) == ["a.py", "b.py", "c.py"]


def test_merge_json_keeps_every_entry_of_concurrent_writers(tmp_path):
    """Writers that each open the lock file hold separate locks (flock), as two xdist workers do."""
    path, writers, n = tmp_path / "record.json", 4, 50
    errors = []

    def write_many(writer):
        try:
            for i in range(n):
                merge_json(path, {f"w{writer}-{i:03d}": i})
        except Exception as exc:  # a torn read would raise JSONDecodeError here
            errors.append(exc)

    threads = [threading.Thread(target=write_many, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    data = json.loads(path.read_text())
    assert len(data) == writers * n
    assert list(data) == sorted(data)


def test_the_scheduler_refuses_an_xdist_it_was_not_written_for(monkeypatch):
    """The private pytest-xdist API is used with the pinned version only (conftest.check_xdist_version)."""
    import importlib.metadata

    import pytest

    import conftest

    conftest.check_xdist_version()  # the course's environment has the pin
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.0.1")
    with pytest.raises(pytest.UsageError, match=r"private API.*pinned pytest-xdist \d.*installed: 0\.0\.1"):
        conftest.check_xdist_version()


def test_a_default_timeout_is_configured():
    """A hung test fails (pytest-timeout, pinned) instead of stalling CI."""
    import tomllib

    root = Path(__file__).resolve().parent.parent
    options = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert 0 < options["timeout"] <= 900 and options["timeout_method"] in {"signal", "thread"}
    assert any(line.startswith("pytest-timeout==") for line in (root / "requirements.txt").read_text().splitlines())
