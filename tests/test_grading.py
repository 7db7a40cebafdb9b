"""The sandboxed grader's pieces: the sandbox is really on, the protocol is data only, the hidden
tests agree with the source notebooks, and ``grade`` refuses to run without bubblewrap.

The class runs are in ``test_exercises.py`` (mutations, robustness) and
``test_grading_redteam.py`` (attacks).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
sys.path.insert(0, str(EXERCISES / "grading"))

import checker  # noqa: E402
import hidden_tests  # noqa: E402
import sandbox  # noqa: E402
from inside import wire  # noqa: E402

needs_bwrap = pytest.mark.skipif(sandbox.bwrap_path() is None and not os.environ.get("CI"),
                                 reason="bubblewrap (bwrap) is not installed (in CI it must be)")
LIMITS = sandbox.Limits(memory_bytes=1024**3, cpu_seconds=20, cell_seconds=10, notebook_seconds=60)
#: The full score of the first exercise, from its parts' declarations.
FULL_01 = float(sum(part.points for part in hidden_tests.PARTS["01_modeling"]))


@pytest.fixture(scope="module")
def isolation():
    """The isolation of a grading run on this machine (a control group per sandbox when root)."""
    return sandbox.Isolation(cgroup=os.geteuid() == 0)


# -- the sandbox is on ---------------------------------------------------------------------------
PROBE = '''
import os, socket

def attempt(action):
    try:
        return repr(action())[:200]
    except Exception as error:
        return type(error).__name__

def probe(course, secret, port, host_tmp):
    return (
        attempt(lambda: os.listdir(course)),
        attempt(lambda: open(secret).read()),
        attempt(lambda: open(host_tmp, "w").write("written from the sandbox")),
        attempt(lambda: socket.create_connection(("127.0.0.1", port), timeout=2).sendall(b"hello")),
        attempt(lambda: os.listdir("/root")),
        attempt(lambda: os.getuid()),
        attempt(lambda: len([p for p in os.listdir("/proc") if p.isdigit()])),
    )
'''


@needs_bwrap
def test_the_sandbox_sees_nothing_of_the_course_the_host_or_the_network(tmp_path, isolation):
    course = tmp_path / "course"
    course.mkdir()
    secret = course / "gradebook.db"
    secret.write_text("the gradebook")
    host_tmp = Path("/tmp") / f"written-by-sandbox-{os.getpid()}"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.1)
    connections = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connections.append(listener.accept())
            except (TimeoutError, OSError):
                pass

    thread = threading.Thread(target=accept)
    thread.start()
    views = checker.Views()
    try:
        with sandbox.Sandbox(views.get(()), LIMITS, (course,), isolation) as box:
            assert box.request({"op": "cell", "source": PROBE}) == {"ok": True}
            reply = box.request({"op": "call", "name": "probe",
                                 "args": [str(course), str(secret), listener.getsockname()[1], str(host_tmp)]})
    finally:
        stop.set()
        thread.join()
        listener.close()
        views.close()
    listing, read, write, connect, root, uid, processes = wire.decode(reply["value"], 100)
    assert listing == "FileNotFoundError" and read == "FileNotFoundError"
    assert write == repr(len("written from the sandbox"))  # it writes to its own /tmp ...
    assert not host_tmp.exists()                            # ... not to the host's
    assert connect in ("ConnectionRefusedError", "OSError")
    # /root holds at most the way to the interpreter bound read-only (here: pyenv's)
    interpreter = sorted({Path(p).relative_to("/root").parts[0] for p in (sys.base_prefix, sys.prefix)
                          if p.startswith("/root/")})
    assert root == repr(interpreter)
    # grading as root: a host uid of the sandbox's own; otherwise "nobody" in a user namespace
    assert int(uid) >= sandbox.UID_BASE if os.geteuid() == 0 else uid == "65534"
    assert int(processes) <= 3                               # its own PID namespace: bwrap's init and the runner
    assert connections == []
    assert secret.read_text() == "the gradebook"


@needs_bwrap
@pytest.mark.parametrize("modules, present, absent", [
    ((), [], ["softmax", "cross_entropy"]),
    (hidden_tests.FUNCTIONS, ["softmax", "one_hot"], ["softmax_regression_cost_and_gradient", "gradient_check"]),
])
def test_a_part_sees_only_the_library_it_allows(modules, present, absent, isolation):
    code = ("import importlib, lecture_lib, numpy as np\n"
            "def probe(names):\n"
            "    out = []\n"
            "    for n in names:\n"
            "        try:\n"
            "            getattr(lecture_lib, n)(np.zeros((1, 2)))\n"
            "            out.append('works')\n"
            "        except ImportError:\n"
            "            out.append('absent')\n"
            "        except Exception:\n"
            "            out.append('works')\n"
            "    for m in ('scipy.special', 'sklearn.linear_model', 'lecture_lib.gradients', 'lecture_lib.losses'):\n"
            "        try:\n"
            "            importlib.import_module(m)\n"
            "            out.append(m)\n"
            "        except ImportError:\n"
            "            pass\n"
            "    return out\n")
    views = checker.Views()
    try:
        with sandbox.Sandbox(views.get(modules), LIMITS, (), isolation) as box:
            assert box.request({"op": "cell", "source": code})["ok"]
            reply = box.request({"op": "call", "name": "probe", "args": [[*present, *absent]]})
    finally:
        views.close()
    assert wire.decode(reply["value"], 100) == ["works"] * len(present) + ["absent"] * len(absent)


@needs_bwrap
def test_a_sandbox_that_loops_is_killed_with_its_children(isolation):
    views = checker.Views()
    try:
        box = sandbox.Sandbox(views.get(()), sandbox.Limits(cell_seconds=2), (), isolation)
        box.request({"op": "cell", "source": "import subprocess\nsubprocess.Popen(['setsid', 'sleep', '876543'])"})
        with pytest.raises(sandbox.SandboxError, match="time limit"):
            box.request({"op": "cell", "source": "while True:\n    pass\n"})
    finally:
        views.close()
    left = [p for p in Path("/proc").iterdir() if p.name.isdigit() and b"876543" in _cmdline(p)]
    assert left == []


@needs_bwrap
def test_default_limits_stop_3_gib_and_a_20_mib_file(isolation):
    views = checker.Views()
    try:
        with sandbox.Sandbox(views.get(()), sandbox.Limits(), (), isolation) as box:
            assert box.request({"op": "cell", "source": "hog = bytearray(3 * 1024**3)"})["error"] == "MemoryError"
            big = box.request({"op": "cell", "source": "open('big', 'wb').write(b'0' * (20 * 1024**2))"})
            assert big["error"] == "OSError" and "too large" in big["message"]
            assert box.request({"op": "cell", "source": "open('small', 'wb').write(b'0' * 1024**2)"})["ok"]
    finally:
        views.close()


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""


# -- the protocol carries data only --------------------------------------------------------------
@pytest.mark.parametrize("value", [
    np.array([[1.0, -0.0, 1e-310], [np.inf, -np.inf, 2.5]]), np.float32([1 / 3, 1e-40]),
    np.arange(6, dtype=np.int32).reshape(2, 3, 1), np.zeros((0, 3)), np.float32(0.1), np.int64(-7),
    (np.ones(2), [1, 2.5, None, True], "text"), 3, 0.1,
])
def test_wire_round_trips_exactly(value):
    back = wire.decode(json.loads(json.dumps(wire.encode(value))), max_items=1000)
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape
        assert back.tobytes() == value.tobytes()  # the same numbers, bit for bit (no arithmetic involved)
    elif isinstance(value, tuple):
        assert back[1:] == value[1:] and back[0].tobytes() == value[0].tobytes()
    else:
        assert back == value and np.asarray(back).dtype == np.asarray(value).dtype


def test_wire_nan_stays_nan():
    back = wire.decode(json.loads(json.dumps(wire.encode(np.array([np.nan])))), max_items=10)
    assert math.isnan(back[0])


@pytest.mark.parametrize("obj, message", [
    ({"ndarray": [[1.0], [2.0, 3.0]], "dtype": "float64", "shape": [2, 1]}, "rectangular"),
    ({"ndarray": [1.0, 2.0], "dtype": "float64", "shape": [3]}, "match"),
    ({"ndarray": [1.0], "dtype": "object", "shape": [1]}, "unknown"),
    ({"ndarray": ["a"], "dtype": "float64", "shape": [1]}, "numbers"),
    ({"ndarray": [], "dtype": "float64", "shape": [10**9]}, "shape"),
    ({"scalar": 1e300, "dtype": "float32"}, None),
    ({"pickle": "gASVAAAAAAAAAAA="}, "unknown"),
    ({"tuple": [1]} | {"extra": 1}, "unknown"),
    ([1] * 20, "too long"),
])
def test_wire_rejects_what_is_not_protocol_data(obj, message):
    if message is None:  # float32 overflow: inf, as numpy casts it (not an error, not a crash)
        with np.errstate(over="ignore"):
            assert np.isinf(wire.decode(obj, max_items=10))
        return
    with pytest.raises(wire.WireError, match=message):
        wire.decode(obj, max_items=10)


def test_wire_sends_other_objects_as_opaque():
    back = wire.decode(wire.encode({"a": 1}), max_items=10)
    assert isinstance(back, wire.Opaque) and back.type_name == "dict"


# -- the declarations agree with the source notebooks ---------------------------------------------
HIDDEN_CALL = re.compile(r"### BEGIN HIDDEN TESTS\n# CANARY-7f3a-hidden-test\nimport pathlib as _pl, runpy as _rp\n"
                         r"_rp\.run_path\(.*?\)\[\"grade\"\]\(\"(\w+)\", \"([\w-]+)\", globals\(\)\)\n### END HIDDEN TESTS\n"
                         r"from lecture_lib\.exercises import check\n\ncheck\((\w+)(, exercise=\d)?\)$", re.S)


@pytest.mark.parametrize("assignment", sorted(p.name for p in (EXERCISES / "source").iterdir() if p.is_dir()))
def test_each_graded_cell_is_a_call_of_its_declaration(assignment):
    """A test cell holds no case, seed or tolerance: its hidden block calls the part's declaration,
    its visible part the student's check; points and titles are the declaration's."""
    (path,) = (EXERCISES / "source" / assignment).glob("*.ipynb")
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if checker.nbgrader_meta(c).get("grade")]
    parts = hidden_tests.PARTS[assignment]
    assert [checker.nbgrader_meta(c)["grade_id"] for c in cells] == [p.grade_id for p in parts]
    headings = re.findall(r"^## Part (\d+) · (.+) \((\d+) points?\)$", "\n".join(
        c.source for c in nb.cells if c.cell_type == "markdown"), re.M)
    assert [(int(n), title, float(points)) for n, title, points in headings] == \
        [(i + 1, p.title, float(p.points)) for i, p in enumerate(parts)]
    total = sum(p.points for p in parts)
    assert re.search(rf"parts?, {total:g} points\.", nb.cells[0].source)
    for cell, part in zip(cells, parts):
        assert checker.nbgrader_meta(cell)["points"] == part.points
        match = HIDDEN_CALL.fullmatch(cell.source)
        assert match and match.groups()[:3] == (assignment, part.grade_id, part.function), cell.source
    solutions = "\n".join(c.source for c in nb.cells if checker.nbgrader_meta(c).get("solution"))
    for part in parts:
        assert f"def {part.function}(" in solutions
        assert part.grade_id == f"{part.function}-tests"
        assert set(part.lecture_lib) <= {"functions", "losses", "gradients"}
        for name in part.stand_in_names:  # a stand-in replaces an earlier part's function
            assert name in [p.function for p in parts[:parts.index(part)]]


def test_every_assignment_has_hidden_tests():
    assert set(hidden_tests.PARTS) == {p.name for p in (EXERCISES / "source").iterdir() if p.is_dir()}


# -- grade without bubblewrap ---------------------------------------------------------------------
def _tiny_course(tmp_path: Path) -> Path:
    course = tmp_path / "course"
    course.mkdir()
    for name in ("nbgrader_config.py", "autograde_checks.py"):
        shutil.copy(EXERCISES / name, course / name)
    shutil.copytree(EXERCISES / "source", course / "source")
    return course


def test_grade_refuses_without_bubblewrap(tmp_path):
    course = _tiny_course(tmp_path)
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # no /usr/bin: no bwrap
    result = subprocess.run([sys.executable, str(EXERCISES / "instructor.py"), "grade", "--course", str(course)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode != 0
    assert "bwrap" in result.stderr and "apt-get install bubblewrap" in result.stderr
    assert "--no-sandbox" in result.stderr
    assert not (course / "grades.csv").exists()


def test_no_sandbox_is_loudly_warned_and_still_grades_outside(tmp_path):
    course = _tiny_course(tmp_path)
    name = "softmax.ipynb"
    folder = course / "submitted" / "alice" / "01_modeling"
    folder.mkdir(parents=True)
    solved = nbformat.read(EXERCISES / "source" / "01_modeling" / name, as_version=4)
    for cell in solved.cells:  # what a student hands in: the answers without the solution markers
        cell.source = "\n".join(line for line in cell.source.splitlines() if "SOLUTION" not in line)
    nbformat.write(solved, folder / name)
    result = subprocess.run([sys.executable, str(EXERCISES / "instructor.py"), "grade", "--no-sandbox",
                             "--course", str(course)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING: --no-sandbox" in result.stderr and "WITHOUT isolation" in result.stderr
    assert "02_forward_pass: no submissions" in result.stdout and "ERROR" not in result.stdout + result.stderr
    rows = (course / "grades.csv").read_text().splitlines()
    assert any(row.startswith("01_modeling,") and ",alice," in row and row.endswith(f",{FULL_01},{FULL_01}") for row in rows)

    # What formgrader shows comes from nbgrader's API; a manual grade overrides the autograder's.
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
    shown = NbGraderAPI(config=config).get_submission("01_modeling", "alice")
    assert shown["autograded"] and shown["score"] == FULL_01 and not shown["needs_manual_grade"]
    with Gradebook(config.CourseDirectory.db_url, "softmax-regression") as gb:
        grade = gb.find_grade("softmax-tests", "softmax", "01_modeling", "alice")
        grade.manual_score = 1.0
        gb.db.commit()
    softmax_points = hidden_tests.PARTS["01_modeling"][0].points  # the manual 1.0 replaces them
    assert NbGraderAPI(config=config).get_submission("01_modeling", "alice")["score"] == FULL_01 - softmax_points + 1.0


def test_course_option_goes_anywhere(tmp_path):
    course = _tiny_course(tmp_path)
    for args in (["--course", str(course), "release", "01_modeling"], ["release", "01_modeling", "--course", str(course)]):
        result = subprocess.run([sys.executable, str(EXERCISES / "instructor.py"), *args],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        assert (course / "release" / "01_modeling" / "softmax.ipynb").is_file()
        shutil.rmtree(course / "release")


# -- the whole sandbox is bounded, by the kernel ----------------------------------------------------
needs_root_cgroups = pytest.mark.skipif(os.geteuid() != 0 and not os.environ.get("CI"),
                                        reason="control groups per sandbox need root (CI grades as root)")
SMALL = sandbox.Limits(memory_bytes=512 * 1024**2, processes=32, disk_bytes=16 * 1024**2, cell_seconds=10,
                       notebook_seconds=60)


def _run(box, source: str) -> dict:
    return box.request({"op": "cell", "source": source}, timeout=30)


@needs_bwrap
@needs_root_cgroups
def test_children_together_cannot_pass_the_memory_limit(isolation):
    """Six children of 200 MiB each (each far under the per-process limit) exceed 512 MiB together: the
    kernel stops them as a group, and the group never held more than its limit."""
    views = checker.Views()
    try:
        with sandbox.Sandbox(views.get(()), SMALL, (), isolation) as box:
            reply = _run(box, "import os, time\n"
                              "pids = []\n"
                              "for _ in range(6):\n"
                              "    pid = os.fork()\n"
                              "    if pid == 0:\n"
                              "        block = bytearray(200 * 1024**2)\n"
                              "        block[::4096] = b'x' * len(block[::4096])\n"
                              "        time.sleep(3)\n"
                              "        os._exit(0)\n"
                              "    pids.append(pid)\n"
                              "codes = [os.waitpid(p, 0)[1] for p in pids]\n"
                              "assert any(os.WIFSIGNALED(c) for c in codes), codes\n")
            peak = _peak_memory(box.group)
            assert reply["ok"], reply
            assert box.group.oom_kills() >= 1
    finally:
        views.close()
    assert peak <= SMALL.memory_bytes


def _peak_memory(group) -> int:
    for name in ("memory.max_usage_in_bytes", "memory.peak"):
        for folder in group.dirs.values():
            if (folder / name).is_file():
                return int((folder / name).read_text())
    return 0


@needs_bwrap
@needs_root_cgroups
def test_forks_stop_at_the_process_limit_of_the_whole_sandbox(isolation):
    views = checker.Views()
    try:
        with sandbox.Sandbox(views.get(()), SMALL, (), isolation) as box:
            reply = box.request({"op": "cell", "source": (
                "import os, time\n"
                "made = 0\n"
                "try:\n"
                "    for _ in range(1000):\n"
                "        if os.fork() == 0:\n"
                "            os.setsid()\n"
                "            time.sleep(60)\n"
                "            os._exit(0)\n"
                "        made += 1\n"
                "except OSError:\n"
                "    pass\n")}, timeout=30)
            assert reply["ok"]
            assert len(box.group.pids()) <= SMALL.processes
            group = box.group
    finally:
        views.close()
    assert group.pids() == [] and box.survivors == []


@needs_bwrap
def test_its_disk_is_capped_and_its_user_reads_no_root_file(isolation):
    views = checker.Views()
    try:
        with sandbox.Sandbox(views.get(()), SMALL, (), isolation) as box:
            for folder in (".", "/tmp"):  # files under the per-file limit, more than the disk together
                full = _run(box, "for i in range(8):\n"
                                 f"    with open('{folder}/fill-' + str(i), 'wb') as f:\n"
                                 "        f.write(b'0' * 4 * 1024**2)\n")
                assert full["error"] == "OSError" and "No space left" in full["message"], full
            shadow = _run(box, "open('/etc/shadow').read()")
            if os.geteuid() == 0:  # the sandbox's user is not host root
                assert shadow["error"] == "PermissionError"
            else:
                assert shadow["error"] in ("PermissionError", "FileNotFoundError")
    finally:
        views.close()


PTRACE = '''
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def trace(pid):
    if libc.ptrace(16, pid, 0, 0) != 0:  # PTRACE_ATTACH
        return ctypes.get_errno()
    return 0
'''


@needs_bwrap
def test_nothing_in_it_can_trace_its_init_or_make_namespaces(isolation):
    import errno as errnos

    views = checker.Views()
    try:
        with sandbox.Sandbox(views.get(()), SMALL, (), isolation) as box:
            assert _run(box, PTRACE)["ok"]
            for pid in (1, 2):  # bubblewrap's init and the runner itself
                reply = box.request({"op": "call", "name": "trace", "args": [pid]})
                assert wire.decode(reply["value"], 10) == errnos.EPERM
            unshare = _run(box, "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                                "assert libc.unshare(0x10000000) != 0 and ctypes.get_errno() == 1\n"  # CLONE_NEWUSER
                                "assert libc.unshare(0x40000000) != 0\n")  # CLONE_NEWNET
            assert unshare["ok"], unshare
    finally:
        views.close()


@needs_bwrap
@needs_root_cgroups
def test_cpu_budgets_count_the_sandbox_own_time(isolation):
    """A call that waits (no CPU) ends only at the wall-clock backstop; a busy one at its CPU budget."""
    views = checker.Views()
    try:  # the backstop far away: however loaded the machine, the CPU budget ends the busy loop
        box = sandbox.Sandbox(views.get(()), dataclasses.replace(SMALL, wall_factor=100.0), (), isolation)
        with pytest.raises(sandbox.SandboxError, match="CPU time"):
            box.request({"op": "cell", "source": "while True:\n    pass\n"}, timeout=1.0)
        assert box.survivors == [] and box.group.pids() == []
        box = sandbox.Sandbox(views.get(()), dataclasses.replace(SMALL, wall_factor=3.0), (), isolation)
        with pytest.raises(sandbox.SandboxError, match="did not finish in time"):
            box.request({"op": "cell", "source": "import time\ntime.sleep(60)\n"}, timeout=1.0)
    finally:
        views.close()


@needs_bwrap
def test_numpy_only_parts_have_no_other_array_library(isolation):
    views = checker.Views()
    try:
        for libraries, present in ((sandbox.BASE_LIBRARIES, ["numpy", "matplotlib"]),
                                   (hidden_tests.TORCH, ["numpy", "matplotlib", "torch"])):
            with sandbox.Sandbox(views.get((), libraries), LIMITS, (), isolation) as box:
                code = ("import importlib.util\n"
                        "def found(names):\n"
                        "    return [n for n in names if importlib.util.find_spec(n) is not None]\n")
                assert _run(box, code)["ok"]
                names = ["numpy", "matplotlib", "torch", "jax", "scipy", "sklearn", "pandas", "IPython", "nbgrader"]
                reply = box.request({"op": "call", "name": "found", "args": [names]}, timeout=30)
                assert wire.decode(reply["value"], 100) == present
    finally:
        views.close()


def test_exception_names_reach_feedback_only_as_fixed_words():
    assert checker.exception_category("ValueError") == "ValueError"
    for name in ("<img src=x onerror=alert(1)>", "root:$y$j9T$secret", "ValueError ", 3, None, "0.8414709848078965"):
        assert checker.exception_category(name) == checker.OTHER_EXCEPTION


def test_hidden_input_values_are_secrets_the_scanner_finds(tmp_path):
    import report

    values = checker.hidden_values((np.array([[0.123456789012, 2.0]]), 7.25))
    assert "0.123456789012" in values and "2.0" not in values
    scanner = report.LeakScanner([], "CANARY-x")
    assert scanner.leaks("<p>the input was 0.123456789012</p>", extra=values) == ["0.123456789012"]
    assert scanner.leaks("<p>nothing here</p>", extra=values) == []


# -- control groups: v2 as well as v1 ------------------------------------------------------------
def _fake_v2(root: Path, controllers="cpuset cpu io memory pids") -> Path:
    """A folder shaped like a cgroup v2 root (the kernel's files as plain files)."""
    root.mkdir()
    (root / "cgroup.controllers").write_text(controllers + "\n")
    (root / "cgroup.subtree_control").write_text("")
    return root


def test_cgroup_v2_groups_get_the_sandbox_limits(tmp_path, monkeypatch):
    import cgroups

    hierarchy = cgroups.detect(_fake_v2(tmp_path / "cg"))
    assert hierarchy.version == 2
    assert set((tmp_path / "cg" / "course-grading" / "cgroup.subtree_control").read_text().split()) == \
        {"+memory", "+pids", "+cpu"}
    original_mkdir = Path.mkdir

    def mkdir_with_kernel_files(self, *args, **kwargs):  # the kernel makes these files in a new group
        original_mkdir(self, *args, **kwargs)
        if self.name.startswith("sandbox-"):
            (self / "cgroup.procs").write_text("")
            (self / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\n")
            (self / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n")
            (self / "memory.swap.max").write_text("max\n")

    monkeypatch.setattr(Path, "mkdir", mkdir_with_kernel_files)
    group = hierarchy.group(sandbox.Limits(memory_bytes=512 * 1024**2, processes=32))
    folder = group.dirs["unified"]
    assert (folder / "memory.max").read_text() == str(512 * 1024**2)
    assert (folder / "memory.swap.max").read_text() == "0"
    assert (folder / "pids.max").read_text() == "32"
    assert (folder / "cpu.max").read_text() == "100000 100000"
    assert group.procs_files == [folder / "cgroup.procs"]
    assert group.cpu_seconds() == 2.5 and group.oom_kills() == 2
    assert group.kill() == []  # no process in it
    (folder / "cgroup.kill").write_text("")
    hierarchy.kill_all(group.dirs)
    assert (folder / "cgroup.kill").read_text() == "1"


def test_no_usable_cgroup_is_said_clearly(tmp_path):
    import cgroups

    with pytest.raises(cgroups.CgroupError, match="lacks the controllers"):
        cgroups.detect(_fake_v2(tmp_path / "cg", controllers="cpuset io"))


def test_grade_without_cgroups_stops_and_says_why(tmp_path):
    course = _tiny_course(tmp_path)
    result = subprocess.run([sys.executable, str(EXERCISES / "instructor.py"), "grade", "--cgroup-root",
                             str(tmp_path / "no-such-cgroup"), "--course", str(course)],
                            capture_output=True, text=True, timeout=300)
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "no control groups to bound each sandbox" in result.stderr and "--no-cgroups" in result.stderr


def test_collect_maps_a_renamed_notebook_and_says_what_it_replaced(tmp_path):
    course = _tiny_course(tmp_path)
    run = lambda *args: subprocess.run([sys.executable, str(EXERCISES / "instructor.py"), *args, "--course",  # noqa: E731
                                        str(course)], capture_output=True, text=True, timeout=300)
    assert run("release", "01_modeling").returncode == 0
    release = (course / "release" / "01_modeling" / "softmax.ipynb").read_bytes()
    inbox = tmp_path / "inbox"
    for student, names in {"alice": ["softmax (1).ipynb"], "bob": ["softmax-Copy1.ipynb", "notes.ipynb"],
                           "carol": ["softmax (1).ipynb", "softmax-Copy2.ipynb"]}.items():
        (inbox / student).mkdir(parents=True)
        for name in names:
            (inbox / student / name).write_bytes(release)
    first = run("collect", "01_modeling", str(inbox))
    assert first.returncode == 0, first.stderr
    assert sorted(p.name for p in (course / "submitted" / "alice" / "01_modeling").iterdir()) == \
        ["softmax.ipynb", "timestamp.txt"]
    assert sorted(p.name for p in (course / "submitted" / "bob" / "01_modeling").iterdir()) == \
        ["notes.ipynb", "softmax.ipynb", "timestamp.txt"]
    assert not (course / "submitted" / "carol").exists()
    assert "softmax (1).ipynb, softmax-Copy2.ipynb could each be softmax.ipynb" in first.stdout
    assert "replaced" not in first.stdout
    again = run("collect", "01_modeling", str(inbox))
    assert "replaced 2 earlier submissions: alice (the submission of" in again.stdout


def test_two_grading_runs_never_share_a_sandbox_uid():
    first, second = sandbox.Isolation(cgroup=False), sandbox.Isolation(cgroup=False)
    taken = [first.take_slot(), second.take_slot(), first.take_slot(), second.take_slot()]
    assert len(set(taken)) == 4
    first.free_slot(taken[0])
    assert second.take_slot() == taken[0]  # a freed slot is free for every run
    for slot in taken[1:]:
        (first if slot in first._slots else second).free_slot(slot)
    second.free_slot(taken[0])
    assert first._slots == second._slots == {}
