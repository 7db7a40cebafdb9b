"""The task runner's command line (``tools/course.py``) and the instructor script's first-contact errors,
as a new user meets them.

Most tests run the script in a subprocess with the Python that runs the tests (course.py needs only the
standard library); the JupyterLab command line is checked through :func:`course.lab_command`, and once for
real: ``course.py lab --no-browser`` started on 127.0.0.1 (as root when the tests run as root), whose page
configuration must disable nbgrader's instructor plugins and whose server must not serve the formgrader.
"""

from __future__ import annotations

import ast
import contextlib
import html
import importlib.util
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from course_tools import free_port

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "tools" / "course.py"
INSTRUCTOR = ROOT / "exercises" / "instructor.py"


def _load_course():
    spec = importlib.util.spec_from_file_location("course_cli", COURSE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


course = _load_course()


def _course(*args: str, python: str = sys.executable, code: str | None = None) -> subprocess.CompletedProcess:
    cmd = [python, "-c", code, *args] if code else [python, str(COURSE), *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)


# --- the command line --------------------------------------------------------------------------------


def test_help_exits_0_and_lists_every_task():
    result = _course("--help")
    assert result.returncode == 0, result.stderr
    for task in course.TASKS:
        assert re.search(rf"^\s+{task}\s", result.stdout, re.M), f"--help does not list {task}:\n{result.stdout}"


@pytest.mark.parametrize("task", list(course.TASKS))
def test_every_task_has_help(task):
    result = _course(task, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: course.py {task}"), result.stdout


def test_no_task_prints_usage_and_fails():
    result = _course()
    assert result.returncode == 2
    assert "usage: course.py" in result.stderr and "build" in result.stderr


@pytest.mark.parametrize("typo, suggestion", [("bulid", "build"), ("tset", "test"), ("xyzzy", None), ("pirnt", "print")])
def test_unknown_command_says_so_and_suggests_the_nearest(typo, suggestion):
    result = _course(typo)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert f"unknown command '{typo}'" in last, result.stderr
    if suggestion:
        assert f"did you mean '{suggestion}'?" in last
    else:
        assert "choose one of build, test, lab, formgrader, print, lock" in last


def test_tasks_without_extra_arguments_refuse_them():
    result = _course("build", "--fast")
    assert result.returncode == 2
    assert "build takes no arguments, got: --fast" in result.stderr


def test_too_old_python_is_one_line_with_the_fix():
    """An older Python gets one line naming the version needed and how to run it, before any work."""
    fake_old = ("import runpy, sys; sys.version_info = (3, 9, 18, 'final', 0); sys.argv[0] = 'course.py'; "
                f"runpy.run_path({str(COURSE)!r}, run_name='__main__')")
    result = _course("build", code=fake_old)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "needs Python 3.11 or newer" in lines[0] and "3.9.18" in lines[0]
    assert "python3.11 tools/course.py build" in lines[0]
    assert course.python_too_old((3, 11, 0)) is None and course.python_too_old((3, 13, 1)) is None


def test_course_py_parses_on_old_pythons():
    """An old Python must reach the version check: no syntax newer than 3.8 in the task runner."""
    ast.parse(COURSE.read_text(), feature_version=(3, 8))


@pytest.mark.parametrize("argv, expected", [
    (["test"], []),
    (["test", "-k", "softmax and not slow", "--co", "tests/test_functions.py"],
     ["-k", "softmax and not slow", "--co", "tests/test_functions.py"]),
    (["test", "--", "--help"], ["--help"]),
    (["test", "-x", "--", "tests/a.py"], ["-x", "--", "tests/a.py"]),
])
def test_test_passes_its_arguments_to_pytest_in_order(monkeypatch, argv, expected):
    seen = []
    monkeypatch.setattr(course, "test", seen.append)
    course.main(argv)
    assert seen == [expected]


class _FakeRun:
    """Stands in for the pytest process run beside the build: its exit status, and whether it was stopped."""

    def __init__(self, status: int):
        self.status, self.killed = status, False

    def wait(self):
        return self.status


@pytest.mark.parametrize("extra, early_status, main_status, exit_status", [
    ([], 0, 0, None),      # a full run: the early files beside the build, the rest after it
    ([], 1, 0, 1),         # an early failure fails the task, after the main run
    ([], 0, 2, 2),
    (["-k", "softmax"], None, 0, None),  # a chosen subset: one run, after the build
])
def test_a_full_run_tests_some_files_while_the_site_is_built(monkeypatch, tmp_path, extra, early_status,
                                                              main_status, exit_status):
    events, main_runs = [], []
    early = _FakeRun(early_status)
    monkeypatch.setattr(course, "prebuild", lambda: events.append("prebuild"))
    monkeypatch.setattr(course, "build_site", lambda: events.append("build"))
    monkeypatch.setattr(course, "ensure_node_modules", lambda: None)
    monkeypatch.setattr(course, "convert_chapters", lambda: course.NBVAL_DIR / "book")
    monkeypatch.setattr(course, "parallel_args", lambda extra: ["-n", "2", "--dist", "loadgroup"])
    monkeypatch.setattr(course, "start_tests_while_building", lambda: events.append("early") or (early, 0.0))
    monkeypatch.setattr(course, "finish_tests_while_building", lambda process, start: process.wait())

    def fake_run(*cmd, check=True, **kwargs):
        main_runs.append([str(c) for c in cmd])
        return main_status

    monkeypatch.setattr(course, "run", fake_run)
    if exit_status is None:
        course.test(extra)
    else:
        with pytest.raises(SystemExit) as stop:
            course.test(extra)
        assert stop.value.code == exit_status
    [argv] = main_runs
    ignored = [a.removeprefix("--ignore=") for a in argv if a.startswith("--ignore=")]
    if extra:
        assert events == ["prebuild", "build"] and ignored == [] and argv[-len(extra):] == extra
    else:
        assert events == ["prebuild", "early", "build"]  # started before the build
        assert ignored == list(course.TESTS_WHILE_BUILDING)
        assert all((ROOT / path).is_file() for path in course.TESTS_WHILE_BUILDING)


def test_a_failed_build_stops_the_tests_run_beside_it(monkeypatch):
    early = _FakeRun(0)
    monkeypatch.setattr(course, "prebuild", lambda: None)
    monkeypatch.setattr(course, "ensure_node_modules", lambda: None)
    monkeypatch.setattr(course, "parallel_args", lambda extra: ["-n", "2"])
    monkeypatch.setattr(course, "start_tests_while_building", lambda: (early, 0.0))
    monkeypatch.setattr(course, "stop_tests_while_building", lambda process: setattr(process, "killed", True))
    monkeypatch.setattr(course, "build_site", lambda: sys.exit(1))
    with pytest.raises(SystemExit):
        course.test([])
    assert early.killed


@pytest.mark.parametrize("failing", [None, "prebuild_b.py"])
def test_prebuild_runs_every_step_and_stops_on_a_failed_one(monkeypatch, tmp_path, failing):
    (tmp_path / "tools").mkdir()
    for name in ("prebuild_a.py", "prebuild_b.py", "prebuild_c.py", "other.py"):
        (tmp_path / "tools" / name).write_text("")
    monkeypatch.setattr(course, "ROOT", tmp_path)
    monkeypatch.setattr(course, "ensure_env", lambda: None)
    monkeypatch.setattr(course, "ensure_node_modules", lambda *a, **kw: None)
    ran = []

    def fake_run(*cmd, check=True, **kwargs):
        ran.append(Path(cmd[1]).name)
        return 2 if Path(cmd[1]).name == failing and not check else 0

    monkeypatch.setattr(course, "run", fake_run)
    if failing:
        with pytest.raises(SystemExit) as stopped:
            course.prebuild()
        assert stopped.value.code == 2
    else:
        course.prebuild()
    assert sorted(ran) == ["prebuild_a.py", "prebuild_b.py", "prebuild_c.py"]


@pytest.mark.parametrize("statuses", [(0, 0), (0, 3)], ids=["installed", "a-process-fails"])
def test_the_lock_is_installed_by_concurrent_pips_without_dependencies_then_checked(monkeypatch, tmp_path, statuses):
    lines = ["alpha==1.0", "beta==2.0", "gamma==3.0", "-e ."]
    (tmp_path / "requirements.txt").write_text("# header\n# python3 tools/course.py lock\n" + "\n".join(lines) + "\n\n")
    monkeypatch.setattr(course, "ROOT", tmp_path)
    monkeypatch.setattr(course, "INSTALL_PROCESSES", 2)
    installs, checked, ends = [], [], iter(statuses)

    def fake_run(*cmd, check=True, **kwargs):
        cmd = [str(c) for c in cmd]
        if "install" in cmd:
            assert not check  # each pip process's status is collected (run_all), none stops the others
            installs.append(cmd)
            return next(ends)
        checked.append(cmd)
        return 0

    monkeypatch.setattr(course, "run", fake_run)
    if any(statuses):
        with pytest.raises(SystemExit) as stopped:
            course.install_lock()
        assert stopped.value.code == 3 and checked == []  # nothing checked after a failed install
    else:
        course.install_lock()
        assert checked == [[str(course.PY), "-m", "pip", "check", "--disable-pip-version-check"]]
    assert len(installs) == 2
    installed = []
    for argv in installs:
        assert argv[:4] == [str(course.PY), "-m", "pip", "install"] and "--no-deps" in argv
        installed += argv[argv.index("--no-deps") + 1:]
    assert sorted(installed) == sorted(["alpha==1.0", "beta==2.0", "gamma==3.0", "-e", "."])


def test_what_the_lock_leaves_out_only_optional_extras_ask_for():
    """Each package of ``LEFT_OUT_OF_LOCK`` is absent from requirements.txt, and no installed package requires it
    except through an extra (``pip check``, run after every install, would not see a missing extra's package)."""
    import importlib.metadata

    from packaging.requirements import Requirement

    pinned = {line.split("==")[0].lower().replace("_", "-") for line in
              (ROOT / "requirements.txt").read_text().splitlines() if "==" in line}
    left_out = set(course.LEFT_OUT_OF_LOCK)
    assert not left_out & pinned
    needs = []
    for dist in importlib.metadata.distributions():
        if dist.metadata["Name"].lower().replace("_", "-") in left_out:
            continue  # installed some other way (pip install -r requirements.txt resolves the extras)
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.name.lower().replace("_", "-") in left_out and \
                    (requirement.marker is None or "extra" not in str(requirement.marker)):
                needs.append(f"{dist.metadata['Name']} requires {text}")
    assert needs == [], needs


def test_the_lock_pins_setuptools_and_wheel_but_not_pip():
    """``pip freeze`` hides setuptools and wheel by default; an install without dependencies needs their pins."""
    pinned = {line.split("==")[0].lower() for line in (ROOT / "requirements.txt").read_text().splitlines()
              if "==" in line}
    assert {"setuptools", "wheel"} <= pinned and "pip" not in pinned


def test_stopping_the_run_beside_the_build_stops_what_it_started(tmp_path):
    """The run beside the build has a session of its own; stopping it kills its children too."""
    child_pid = tmp_path / "child.pid"
    script = (f"import subprocess, sys, time, pathlib; p = subprocess.Popen([sys.executable, '-c', "
              f"'import time; time.sleep(60)']); pathlib.Path({str(child_pid)!r}).write_text(str(p.pid)); "
              f"time.sleep(60)")
    process = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    deadline = time.monotonic() + 30
    while not child_pid.is_file() or not child_pid.read_text():
        assert time.monotonic() < deadline, "the child did not start"
        time.sleep(0.05)
    child = int(child_pid.read_text())
    course.stop_tests_while_building(process)
    assert process.returncode == -signal.SIGKILL

    def alive(pid: int) -> bool:  # a killed child no one has reaped yet is a zombie: dead
        try:
            return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 10
    while alive(child):
        assert time.monotonic() < deadline, "the child outlived the run"
        time.sleep(0.05)


@pytest.mark.parametrize("argv, extra, instructor", [
    (["lab"], [], False),
    (["lab", "--no-browser", "--port", "8890"], ["--no-browser", "--port", "8890"], False),
    (["lab", "--no-browser", "--instructor", "--ServerApp.ip=127.0.0.1"], ["--no-browser", "--ServerApp.ip=127.0.0.1"],
     True),
])
def test_lab_passes_its_arguments_to_jupyterlab(monkeypatch, argv, extra, instructor):
    seen = []
    monkeypatch.setattr(course, "lab", lambda args, instructor=False: seen.append((args, instructor)))
    course.main(argv)
    assert seen == [(extra, instructor)]


@pytest.mark.parametrize("argv, extra", [
    (["formgrader"], []),
    (["formgrader", "--port", "8891", "--no-browser"], ["--port", "8891", "--no-browser"]),
    (["formgrader", "--", "--course", "x"], ["--course", "x"]),
])
def test_formgrader_passes_its_arguments_to_jupyterlab(monkeypatch, argv, extra):
    seen = []
    monkeypatch.setattr(course, "formgrader", lambda args, folder: seen.append((args, folder)))
    course.main(argv)
    assert seen == [(extra, ROOT / "exercises")]


def test_formgrader_course_is_a_folder_from_the_working_directory(monkeypatch, tmp_path):
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "nbgrader_config.py").write_text("c = get_config()\n")
    monkeypatch.chdir(tmp_path)
    seen = []
    monkeypatch.setattr(course, "formgrader", lambda args, folder: seen.append((args, folder)))
    course.main(["formgrader", "--course", "copy", "--port", "8891"])
    assert seen == [(["--port", "8891"], tmp_path / "copy")]


@pytest.mark.parametrize("args, message", [
    (["--course", "no/such/folder"], "--course no/such/folder: no such folder"),
    (["--course", "book"], "--course book: no nbgrader_config.py in"),
    (["--course"], "argument --course: expected one argument"),
])
def test_formgrader_refuses_a_course_that_is_not_one(args, message):
    result = _course("formgrader", *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("usage: course.py formgrader"), result.stderr
    assert message in result.stderr.strip().splitlines()[-1], result.stderr


# --- the JupyterLab command line ---------------------------------------------------------------------


def _option(cmd: list[str], name: str) -> list[str]:
    return [a.split("=", 1)[1] for a in cmd if a.startswith(f"--{name}=")]


@pytest.mark.parametrize("euid", [0, 1000])
def test_student_lab_command(euid):
    cmd, cwd, env = course.lab_command(["--no-browser", "--port", "8890"], euid=euid)
    assert Path(cmd[0]).name == "jupyter-lab"
    assert _option(cmd, "ServerApp.root_dir") == [str(ROOT)] and cwd == ROOT
    assert _option(cmd, "LabApp.default_url") == ["/lab/tree/work"] and course.WORK == ROOT / "work", \
        "the student's lab opens work/, where their notebooks live"
    assert "work/" in (ROOT / ".gitignore").read_text().splitlines(), "work/ is git-ignored"
    assert cmd[-3:] == ["--no-browser", "--port", "8890"], "the user's arguments come last, so they win"
    assert ("--allow-root" in cmd) == (euid == 0), "--allow-root exactly when running as root"
    disabled = {a.split("=")[0] for a in _option(cmd, "ServerApp.jpserver_extensions") if a.endswith("=False")}
    assert disabled == {"nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list",
                        "nbgrader.server_extensions.assignment_list"}
    hidden = json.loads(_option(cmd, "ContentsManager.hide_globs")[0])
    assert {"_static", "_templates", "__pycache__", "*.pyc"} <= set(hidden)
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0] == str(course.STUDENT_LAB_CONFIG)


def test_instructor_lab_command_serves_exercises_with_nbgrader_on():
    cmd, cwd, env = course.lab_command(["--no-browser"], instructor=True, euid=1000)
    assert cwd == ROOT / "exercises" and (cwd / "nbgrader_config.py").is_file(), \
        "formgrader reads nbgrader_config.py (and the gradebook's place) from the working directory"
    assert _option(cmd, "ServerApp.root_dir") == [str(ROOT / "exercises")]
    assert not _option(cmd, "ServerApp.jpserver_extensions") and "JUPYTER_CONFIG_PATH" not in env
    assert "--allow-root" not in cmd


@pytest.mark.parametrize("euid, display", [(0, False), (1000, True)])
def test_formgrader_command_serves_the_course_on_localhost(tmp_path, euid, display):
    cmd, cwd, env = course.formgrader_command(["--port", "8891"], tmp_path, euid=euid, display=display)
    assert Path(cmd[0]).name == "jupyter-lab"
    assert cwd == tmp_path and _option(cmd, "ServerApp.root_dir") == [str(tmp_path)], \
        "formgrader reads nbgrader_config.py from the working directory: the course folder, also the server's root"
    assert _option(cmd, "ServerApp.ip") == ["127.0.0.1"]
    assert _option(cmd, "LabApp.default_url") == ["/formgrader"]
    assert _option(cmd, "ServerApp.jpserver_extensions") == ["nbgrader.server_extensions.formgrader=True"]
    assert "JUPYTER_CONFIG_PATH" not in env, "no student configuration: every instructor tool is on"
    assert ("--allow-root" in cmd) == (euid == 0)
    assert ("--no-browser" in cmd) == (not display), "no browser is started on a machine without a display"
    assert cmd[-2:] == ["--port", "8891"], "the user's arguments come last, so they win"
    assert course.formgrader_command(["--no-browser"], tmp_path, display=False)[0].count("--no-browser") == 1


@pytest.mark.parametrize("extra", [["--ip=0.0.0.0"], ["--ServerApp.ip", "0.0.0.0"], ["--ServerApp.ip=::1"]])
def test_formgrader_takes_the_users_address_instead_of_its_own(tmp_path, extra):
    """JupyterLab stops on an option given twice ("ip only accepts one value"): the user's replaces 127.0.0.1."""
    cmd, _, _ = course.formgrader_command(extra, tmp_path, euid=1000, display=True)
    assert "--ServerApp.ip=127.0.0.1" not in cmd and cmd[-len(extra):] == extra
    cmd, _, _ = course.formgrader_command(["--LabApp.default_url=/lab"], tmp_path, euid=1000, display=True)
    assert _option(cmd, "LabApp.default_url") == ["/lab"]


def test_allow_root_is_not_doubled():
    cmd, _, _ = course.lab_command(["--allow-root"], euid=0)
    assert cmd.count("--allow-root") == 1


def test_student_page_config_disables_the_instructor_plugins(tmp_path):
    folder = course.write_student_lab_config(tmp_path / "student")
    config = json.loads((folder / "labconfig" / "page_config.json").read_text())
    assert config["disabledExtensions"] == {name: True for name in course.STUDENT_OFF_PLUGINS}
    assert {"@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader"} <= set(course.INSTRUCTOR_LAB_PLUGINS)


def test_lab_overrides_turn_off_the_news():
    assert course.LAB_OVERRIDES["@jupyterlab/apputils-extension:notification"] == {"fetchNews": "false"}


def test_instructor_plugins_exist_in_the_installed_nbgrader():
    """The names disabled above are nbgrader's real plugin and server-extension names (a renamed plugin
    would silently stay on)."""
    nbgrader = pytest.importorskip("nbgrader")
    package = Path(nbgrader.__file__).parent
    lab_extension = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader"
    if not lab_extension.is_dir():
        pytest.skip(f"no nbgrader lab extension in {lab_extension}")
    built = " ".join(p.read_text(errors="replace") for p in lab_extension.rglob("*.js"))
    for plugin in course.INSTRUCTOR_LAB_PLUGINS:
        assert f'"{plugin}"' in built or f"'{plugin}'" in built, f"nbgrader has no plugin {plugin}"
    for extension in course.INSTRUCTOR_SERVER_EXTENSIONS:
        module = extension.removeprefix("nbgrader.").replace(".", "/")
        assert (package / module).exists() or (package / f"{module}.py").exists(), extension


# --- a real JupyterLab --------------------------------------------------------------------------------


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


@pytest.fixture
def student_lab(tmp_path):
    yield from _start_lab(tmp_path)


@pytest.fixture
def instructor_lab(tmp_path):
    yield from _start_lab(tmp_path, "--instructor")


@pytest.fixture
def formgrader_copy(tmp_path):
    """``course.py formgrader --course <a copy of the course's configuration and sources>``."""
    copy = tmp_path / "course"
    (copy / "source").mkdir(parents=True)
    (copy / "nbgrader_config.py").write_text((ROOT / "exercises" / "nbgrader_config.py").read_text())
    for assignment in (ROOT / "exercises" / "source").iterdir():
        if assignment.is_dir():
            (copy / "source" / assignment.name).mkdir()
    before = {p.name for p in ROOT.iterdir()}, {p.name for p in (ROOT / "exercises").iterdir()}
    for server in _start_lab(tmp_path, "--course", str(copy), task="formgrader"):
        yield (*server, copy, before)


def _start_lab(tmp_path, *options: str, task: str = "lab"):
    """``course.py <task> --no-browser`` (``lab`` or ``formgrader``) on 127.0.0.1 with a token, its Jupyter
    user folders in tmp_path."""
    if not (course.BIN / "jupyter-lab").exists() or not course.STAMP.is_file():
        pytest.skip("no course environment: run `python3 tools/course.py build` first")
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "ws")}
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen([sys.executable, str(COURSE), task, *options, "--no-browser", "--ServerApp.ip=127.0.0.1",
                               f"--ServerApp.port={port}", f"--IdentityProvider.token={token}"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while _get_status(f"{url}/api/status?token={token}") != 200:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"course.py {task} did not start:\n{(tmp_path / 'lab.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield url, token, tmp_path / "lab.log"
    finally:
        with contextlib.suppress(ProcessLookupError):  # already ended (it failed to start)
            os.killpg(server.pid, signal.SIGTERM)  # course.py and the jupyter-lab it started
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _get_status(url: str) -> int:
    try:
        return _get(url)[0]
    except OSError:
        return 0


def _page_config(url: str, token: str) -> dict:
    status, page = _get(f"{url}/lab?token={token}")
    assert status == 200
    return json.loads(html.unescape(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)'
                                              r'</script>', page, re.S)[1]))


def test_student_lab_starts_without_instructor_tools(student_lab):
    url, token, log = student_lab
    config = _page_config(url, token)
    assert set(course.INSTRUCTOR_LAB_PLUGINS) <= set(config["disabledExtensions"]), config["disabledExtensions"]
    assert "@jupyter/nbgrader:validate-assignment" in config["disabledExtensions"]  # its "passes all the tests"
    assert _get(f"{url}/formgrader?token={token}")[0] == 404, "the formgrader must not be served to a student"
    status, listing = _get(f"{url}/api/contents/book?token={token}")
    assert status == 200
    names = {item["name"] for item in json.loads(listing)["content"]}
    assert "intro.md" in names and (ROOT / "book" / "_static").is_dir(), names
    assert not names & {"_static", "_templates"}, f"Sphinx's folders shown to a student: {names}"
    assert not (ROOT / "gradebook.db").exists(), "a student's lab must not create a gradebook"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        assert "Running as root is not recommended" not in log.read_text()


def test_instructor_lab_has_the_formgrader_on_the_course(instructor_lab):
    """The instructor's lab serves exercises/ with every nbgrader tool; the formgrader finds the course's
    nbgrader_config.py, so its gradebook is exercises/gradebook.db and none appears in the repository root."""
    url, token, _ = instructor_lab
    config = _page_config(url, token)
    assert not set(course.INSTRUCTOR_LAB_PLUGINS) & set(config["disabledExtensions"]), config["disabledExtensions"]
    status, listing = _get(f"{url}/api/contents?token={token}")
    assert "nbgrader_config.py" in {item["name"] for item in json.loads(listing)["content"]}
    assert _get(f"{url}/formgrader?token={token}")[0] == 200
    status, listing = _get(f"{url}/formgrader/api/assignments?token={token}")
    assert status == 200, status
    assert {a["name"] for a in json.loads(listing)} == {
        p.name for p in (ROOT / "exercises" / "source").iterdir() if p.is_dir()}, "the course's assignments"
    assert not (ROOT / "gradebook.db").exists(), "the gradebook belongs in exercises/"


def test_formgrader_command_grades_in_the_course_folder_only(formgrader_copy):
    """``course.py formgrader --course DIR``, started from the repository root, is formgrader on DIR: its
    assignments, its gradebook; the repository's root and exercises/ gain nothing (formgrader started in
    the repository root used to create an empty gradebook.db there: "No data available")."""
    url, token, _, copy, (root_before, exercises_before) = formgrader_copy
    status, page = _get(f"{url}/?token={token}")
    assert status == 200 and "formgrader" in page.lower(), "the command opens the formgrader"
    status, listing = _get(f"{url}/formgrader/api/assignments?token={token}")
    assert status == 200, status
    assert {a["name"] for a in json.loads(listing)} == {p.name for p in (copy / "source").iterdir()}
    assert (copy / "gradebook.db").is_file(), "the gradebook is the course folder's"
    assert {p.name for p in ROOT.iterdir()} <= root_before and \
        {p.name for p in (ROOT / "exercises").iterdir()} <= exercises_before, "formgrader wrote in the repository"


# --- exercises/instructor.py: errors a new instructor meets --------------------------------------------


def test_instructor_without_the_course_environment_says_how_to_run_it(tmp_path):
    """Run by a Python without nbgrader (here: -I -S, no site-packages), one line with the fix."""
    result = subprocess.run([sys.executable, "-I", "-S", str(INSTRUCTOR), "release"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "not installed" in lines[0] and ".venv/bin/python exercises/instructor.py" in lines[0]
    assert "python3 tools/course.py build" in lines[0]


def _instructor(*args: str) -> subprocess.CompletedProcess:
    pytest.importorskip("nbgrader")
    return subprocess.run([sys.executable, str(INSTRUCTOR), *args], capture_output=True, text=True, timeout=120)


def test_collect_from_a_missing_inbox_is_one_line(tmp_path):
    missing = tmp_path / "no" / "such" / "folder"
    assignment = sorted(p.name for p in (ROOT / "exercises" / "source").iterdir() if p.is_dir())[0]
    result = _instructor("collect", assignment, str(missing))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip() == (f"inbox {missing} is not a folder: give the folder of submissions "
                                     "(<student>.ipynb files or <student>/ folders of notebooks)")


def test_unknown_assignment_is_one_line(tmp_path):
    result = _instructor("collect", "no_such_assignment", str(tmp_path))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip().startswith("unknown assignment 'no_such_assignment'; expected one of [")


# --- the build log: no kernel warning a reader cannot act on ---------------------------------------------


def test_kernel_config_drops_only_the_tcp_warning():
    import logging

    spec = importlib.util.spec_from_file_location("course_kernel_config", ROOT / "tools" / "ipython_kernel_config.py")
    config = importlib.util.module_from_spec(spec)
    logger = logging.getLogger("IPKernelApp")
    before = list(logger.filters)
    try:
        spec.loader.exec_module(config)
        added = [f for f in logger.filters if f not in before]
        assert len(added) == 1

        def record(msg):
            return logging.LogRecord("IPKernelApp", logging.WARNING, __file__, 1, msg, None, None)

        assert not added[0].filter(record("Kernel is running over TCP without encryption. All communication ..."))
        assert added[0].filter(record("Parent appears to have exited, shutting down."))
    finally:
        logger.filters[:] = before


def test_kernels_of_the_course_environment_do_not_warn_about_tcp():
    """A kernel started from .venv the way the build starts one (jupyter_client's default TCP transport) logs no
    "running over TCP without encryption" (ipykernel's exact words are checked, not our copy of them)."""
    if not course.PY.exists():
        pytest.skip("no course environment: run `python3 tools/course.py build` first")
    course.write_kernel_config()  # what every task does (ensure_env)
    script = ("import inspect, nbformat, ipykernel.kernelapp; from nbclient import NotebookClient\n"
              "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('print(6 * 7)')])\n"
              "NotebookClient(nb, kernel_name='python3', timeout=120).execute()\n"
              "print(nb.cells[0].outputs[0]['text'], end='')\n"
              "print('Kernel is running over TCP without encryption' in inspect.getsource(ipykernel.kernelapp))\n")
    result = subprocess.run([str(course.PY), "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "42\nTrue\n", ("ipykernel no longer logs that message: drop or update "
                                            f"tools/ipython_kernel_config.py\n{result.stdout}")
    assert "without encryption" not in result.stderr, result.stderr
