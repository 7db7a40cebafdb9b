#!/usr/bin/env python3
"""The course's task runner: one file, standard library only, safe to run twice.

    python3 tools/course.py build              # create/refresh .venv, then build the site into _build/html
    python3 tools/course.py test [PYTEST ...]  # create/refresh .venv, build the site, run every test and notebook
    python3 tools/course.py lab [JUPYTER ...]  # the chapters and exercises in JupyterLab, as a student sees them
    python3 tools/course.py lab --instructor   # JupyterLab in exercises/ with nbgrader's instructor tools
    python3 tools/course.py formgrader         # nbgrader's formgrader on exercises/ (--course DIR: another)
    python3 tools/course.py print              # one-page HTML and a PDF of the whole book (needs Chromium)
    python3 tools/course.py lock               # re-pin requirements.txt from the current .venv
    python3 tools/course.py version X.Y.Z      # set lecture_lib's version and every typed copy of its wheel's name

The virtual environment lives in ``.venv`` next to this repository's root. It is
(re)installed only when ``requirements.txt`` or ``pyproject.toml`` changed since the last
install, so a second run costs nothing.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import difflib
import hashlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".course-install-stamp"
SITE = ROOT / "_build" / "html"
NBVAL_DIR = ROOT / "_build" / "nbval"
#: npm project of the browser tests (axe-core); ``npm ci`` installs its lock into node_modules/ there.
NPM_DIR = ROOT / "tests" / "browser"
#: npm project of the build (KaTeX renders the math into the pages); its node_modules/ is at the root.
BUILD_NPM_DIR = ROOT

#: Files whose content decides what the environment must contain.
ENV_INPUTS = ("requirements.txt", "pyproject.toml")

#: JupyterLab settings the course ships in the venv (``share/jupyter/lab/settings/overrides.json``, read by
#: every JupyterLab started from it):
#:
#: - double-clicking a chapter (MyST Markdown, ``.md``) opens it as a notebook with jupytext, instead of as
#:   Markdown source;
#: - every cell is rendered when the notebook opens (no windowing): jupyterlab-myst evaluates a Markdown
#:   cell's ``{eval}`` roles only once the cell is rendered, so with JupyterLab's default lazy rendering a
#:   *Run All* would evaluate the cells below the screen late, after later code changed their variables
#:   (jupyter-book/jupyterlab-myst#133);
#: - no "Would you like to get notified about official Jupyter news?" pop-up on a student's first start (the
#:   ``lab`` task also gives JupyterLab no news URL).
LAB_OVERRIDES = {
    "@jupyterlab/docmanager-extension:plugin": {
        "defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"},
    },
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false"},
}
LAB_OVERRIDES_FILE = VENV / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
#: Every IPython kernel started from the venv reads this (IPython's per-environment config folder):
#: a copy of ``tools/ipython_kernel_config.py``, which keeps a warning nobody can act on out of the build log.
KERNEL_CONFIG_FILE = VENV / "etc" / "ipython" / "ipython_kernel_config.py"


def step_name(cmd) -> str:
    """A command as the task runner reports its time: the program and its first two arguments (no script)."""
    step = [Path(str(cmd[0])).name, *(str(c) for c in cmd[1:3])]
    return " ".join(step[:step.index("-c") + 1] if "-c" in step else step)


def run(*cmd: str | Path, check: bool = True, **kwargs) -> int:
    """Run a command from the repository root; prints the time it took. If it fails, stop the task runner
    (``check=False``: return its exit status)."""
    printable = " ".join(str(c) for c in cmd)
    print(f"+ {printable}", flush=True)
    env = {**os.environ, **kwargs.pop("env", {})}
    start = time.monotonic()
    result = subprocess.run([str(c) for c in cmd], cwd=kwargs.pop("cwd", ROOT), env=env, **kwargs)
    print(f"+ {time.monotonic() - start:.1f} s: {step_name(cmd)}", flush=True)
    if check and result.returncode != 0:
        sys.exit(result.returncode)
    return result.returncode


def run_all(commands: list[list], **kwargs) -> None:
    """Run ``commands`` at once, each as :func:`run` does (its time printed); once all have ended, stop the task
    runner with the status of the first that failed, if one did."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(len(commands), 1)) as pool:
        statuses = list(pool.map(lambda cmd: run(*cmd, check=False, **kwargs), commands))
    failed = [status for status in statuses if status]
    if failed:
        sys.exit(failed[0])


def _env_digest() -> str:
    h = hashlib.sha256()
    for name in ENV_INPUTS:
        h.update((ROOT / name).read_bytes())
    h.update(sys.version.encode())
    return h.hexdigest()


#: How many pip processes install the lock at once: pip installs one package after another, mostly on one core
#: (reading the index, unpacking the wheels).
INSTALL_PROCESSES = min(os.cpu_count() or 1, 4)


def install_lock() -> None:
    """Install ``requirements.txt`` as pip-tools' ``pip-sync`` does: it is a complete lock (``lock`` writes every
    installed package), so each line is installed with ``--no-deps``, and ``pip check`` then proves that nothing
    is missing or in conflict. Without a resolver to run, the lines split among :data:`INSTALL_PROCESSES`
    concurrent pip processes (different packages: no two write the same file). Measured in fresh-clone CI runs
    on a 2-core machine: 32-44 s in one process, 16-25 s in two."""
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    shards = [lines[i::INSTALL_PROCESSES] for i in range(INSTALL_PROCESSES) if lines[i::INSTALL_PROCESSES]]
    pip = [PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--no-compile", "--no-deps"]
    run_all([[*pip, *(word for line in shard for word in line.split())] for shard in shards])
    run(PY, "-m", "pip", "check", "--disable-pip-version-check")


def ensure_env() -> None:
    """Create ``.venv`` and install the pinned requirements (and lecture_lib) if needed."""
    too_old = python_too_old()
    if too_old:
        sys.exit(too_old)
    if not PY.exists():
        print(f"Creating the virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        # The lock pins its own setuptools (Python < 3.12 seeds one): without it here, no pip process of
        # install_lock replaces it while another reads the environment.
        run(PY, "-m", "pip", "uninstall", "--disable-pip-version-check", "-y", "-q", "setuptools")
    digest = _env_digest()
    if not (STAMP.exists() and STAMP.read_text() == digest):
        # pip compiles every installed file's bytecode one file after another (torch and sympy alone are
        # thousands); compileall does it on every core, and leaves out the packages' own test suites (a quarter
        # of the files: nothing imports them). Measured in fresh-clone CI runs on a 2-core machine: 59-82 s
        # with pip's compilation, 32-44 s + 15-19 s this way with the test suites. As with pip, a file that does
        # not compile on this Python (torch's Python 3.12 helpers) is skipped: it fails only if imported.
        install_lock()
        run(PY, "-c", "import compileall, os, re, sys; sep = re.escape(os.sep); compileall.compile_dir("
            "sys.argv[1], quiet=2, workers=0, rx=re.compile(sep + 'tests?' + sep))", VENV)
        STAMP.write_text(digest)
    write_lab_settings()  # also into a venv installed before these settings existed
    write_kernel_config()


def ensure_node_modules(npm_dir: Path = NPM_DIR, required: bool = False) -> None:
    """Install an npm project's packages (``npm ci``) when its ``package-lock.json`` changed.

    The browser tests' (``tests/browser``, axe-core): without npm nothing is installed, and the browser tests
    that need axe-core then skip (or fail on CI). The build's (the root, KaTeX): ``required``, no npm stops.
    """
    lock = npm_dir / "package-lock.json"
    stamp = npm_dir / "node_modules" / ".course-npm-stamp"
    npm = shutil.which("npm")
    if not lock.is_file() or npm is None:
        if npm is None and required:
            sys.exit("npm not found: the build renders the math with KaTeX in Node.js "
                     "(apt-get install nodejs npm)")
        if npm is None:
            print("npm not found: the accessibility (axe-core) browser tests will be skipped", flush=True)
        return
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.is_file() and stamp.read_text() == digest:
        return
    run(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", cwd=npm_dir)
    stamp.write_text(digest)


def write_lab_settings(path: Path = LAB_OVERRIDES_FILE) -> Path:
    """Write the course's JupyterLab defaults (:data:`LAB_OVERRIDES`) into the venv, merged with what is there."""
    settings = json.loads(path.read_text()) if path.is_file() else {}
    for plugin, values in LAB_OVERRIDES.items():
        settings.setdefault(plugin, {}).update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings, indent=2) + "\n")
    return path


def write_kernel_config(path: Path = KERNEL_CONFIG_FILE) -> Path:
    """Copy ``tools/ipython_kernel_config.py`` (the kernels' configuration, see its docstring) into the venv."""
    source = (ROOT / "tools" / "ipython_kernel_config.py").read_text()
    if not (path.is_file() and path.read_text() == source):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return path


def tool_env() -> dict[str, str]:
    """Environment for tools run inside the venv (no user site packages).

    MPLBACKEND is deliberately not set: kernels must keep matplotlib's inline backend, or every
    figure of a chapter would be stored as the text "<Figure size ...>".
    """
    return {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(VENV),
        "PYTHONNOUSERSITE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


#: One BLAS/OpenMP thread in every process the build and the tests start, the chapters' kernels included (a
#: variable already set in the environment is kept). Their problems are small, and on a 2-core machine running
#: two test workers a second thread pool per process only contends for the cores. Measured on such a machine:
#: chapter 5 ran in 24 s with the default threads, 16 s of it in scipy's L-BFGS-B (its MAP check), which calls
#: its own BLAS on vectors of length dK + K; 4 s with one thread. tests/conftest.py gives each test the same
#: limit (threadpoolctl) inside the test processes.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run_env() -> dict[str, str]:
    """:func:`tool_env` with :data:`ONE_THREAD` (unless the environment sets those): for the build and the tests."""
    return {**tool_env(), **{name: value for name, value in ONE_THREAD.items() if name not in os.environ}}


def prebuild() -> None:
    """Ensure the venv and the build's npm packages, then run every ``tools/prebuild_*.py`` (vendored assets,
    student release, wheel) at once: each writes files of its own, and each spends seconds on one core."""
    ensure_env()
    ensure_node_modules(BUILD_NPM_DIR, required=True)
    run_all([[PY, step] for step in sorted((ROOT / "tools").glob("prebuild_*.py"))], env=tool_env())


#: What the pages depend on that Sphinx does not track: it re-reads a page only when the page itself changed,
#: and copies static files only when some page is written. A change here rebuilds every page (``--all``):
#: the package every chapter runs, the static files and vendored assets, the local Sphinx extensions.
UNTRACKED_SITE_INPUTS = ("lecture_lib", "book/_static", "book/_templates", "_build/vendor", "tools")
SITE_STAMP = ROOT / "_build" / ".site-inputs-sha256"


def site_inputs_digest() -> str:
    """SHA-256 over the paths and contents of every file in :data:`UNTRACKED_SITE_INPUTS`."""
    h = hashlib.sha256()
    for top in UNTRACKED_SITE_INPUTS:
        for path in sorted(p for p in (ROOT / top).rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def build() -> None:
    """Build the site into ``_build/html``; a notebook error or any warning fails the build."""
    prebuild()
    build_site()


def build_site() -> None:
    """jupyter-book's build, once :func:`prebuild` has run.

    Sphinx's incremental build rewrites only the pages that changed; when a file from
    :data:`UNTRACKED_SITE_INPUTS` changed since the last successful build, every page is rebuilt.
    """
    digest = site_inputs_digest()
    untracked_changed = not (SITE_STAMP.is_file() and SITE_STAMP.read_text() == digest)
    run(BIN / "jupyter-book", "build", ".", "--warningiserror", "--keep-going", *(["--all"] if untracked_changed else []),
        env=run_env())
    SITE_STAMP.write_text(digest)
    print(f"\nThe site is in {SITE}; open {SITE / 'index.html'} in a browser.")


def convert_chapters() -> Path:
    """Convert the MyST Markdown chapters to .ipynb (nbval reads only .ipynb)."""
    if NBVAL_DIR.exists():
        shutil.rmtree(NBVAL_DIR)
    out = NBVAL_DIR / "book"
    out.mkdir(parents=True)
    chapters = sorted((ROOT / "book").glob("*.md"))
    notebooks = [p for p in chapters if p.read_text().startswith("---\njupytext:")]
    # jupytext's own command line, called once per chapter in one process (a process per chapter spends
    # seconds importing jupytext each time).
    script = ("import sys\nfrom jupytext.cli import jupytext\n"
              "for src, dst in zip(sys.argv[1::2], sys.argv[2::2]):\n"
              "    jupytext(['--quiet', '--to', 'ipynb', '--output', dst, src])")
    pairs = [str(arg) for chapter in notebooks for arg in (chapter, out / (chapter.stem + ".ipynb"))]
    run(PY, "-c", script, *pairs, env=tool_env())
    return out


#: Test files that read nothing the site's build writes, only the exercise sources and the student release
#: (which :func:`prebuild` makes first). In a full parallel run they run while Sphinx builds the site, on the
#: core the build leaves idle: it executes the chapters one after another. Measured in fresh-clone CI runs on a
#: 2-core machine: the build took 50-56 s with them beside it (52-57 s alone), and they ended 40-55 s after it,
#: beside the main run, which took 28 s less than with them in it.
TESTS_WHILE_BUILDING = ("tests/test_exercise_diagnoses.py", "tests/test_grading_redteam.py")
#: Their output, printed when they are done.
WHILE_BUILDING_LOG = ROOT / "_build" / "tests-while-building.log"


def test(extra: list[str]) -> None:
    """Build the site, then run unit tests, browser tests and every notebook.

    A full run (no extra arguments, several workers) starts :data:`TESTS_WHILE_BUILDING` in a pytest run of
    their own before the build; the main run leaves them out. The task fails if either run fails.
    """
    prebuild()
    early = start_tests_while_building() if not extra and parallel_args(extra) else None
    try:
        # npm ci mostly waits on the registry: it runs while the build keeps a core busy.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            npm = pool.submit(ensure_node_modules)
            build_site()
            npm.result()  # re-raises its failure (run() exits with npm's status)
        chapters = convert_chapters()
        targets = ["tests", str(chapters.relative_to(ROOT))]
        if (ROOT / "exercises" / "source").exists():
            targets.append("exercises/source")
        left_out = [f"--ignore={path}" for path in TESTS_WHILE_BUILDING] if early else []
        status = run(PY, "-m", "pytest", "--nbval-lax", "--nbval-current-env", *parallel_args(extra), *left_out,
                     *targets, *extra, env=run_env(), check=False)
    except BaseException:  # a failed build (SystemExit), Ctrl+C: the early run stops too
        if early:
            stop_tests_while_building(early[0])
        raise
    early_status = finish_tests_while_building(*early) if early else 0
    if status or early_status:
        sys.exit(status or early_status)


def start_tests_while_building() -> tuple[subprocess.Popen, float]:
    """Start pytest on :data:`TESTS_WHILE_BUILDING` in one process, its output into :data:`WHILE_BUILDING_LOG`
    (pytest's cache stays the main run's: two runs would write it at once)."""
    cmd = [PY, "-m", "pytest", "-p", "no:cacheprovider", *TESTS_WHILE_BUILDING]
    print(f"+ {' '.join(str(c) for c in cmd)}  (while the site is built; output: "
          f"{WHILE_BUILDING_LOG.relative_to(ROOT)})", flush=True)
    WHILE_BUILDING_LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(WHILE_BUILDING_LOG, "w") as log:
        # A session of its own: the kernels and sandboxes it starts stop with it (stop_tests_while_building).
        process = subprocess.Popen([str(c) for c in cmd], cwd=ROOT, env={**os.environ, **run_env()},
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return process, time.monotonic()


def stop_tests_while_building(process: subprocess.Popen) -> None:
    """Kill the run :func:`start_tests_while_building` started, with every process it started."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:  # it had ended
        pass
    process.wait()


def finish_tests_while_building(process: subprocess.Popen, start: float) -> int:
    """Wait for the run :func:`start_tests_while_building` started; print its output and time; its status."""
    status = process.wait()
    print(f"\n+ The tests run while the site was built ({', '.join(TESTS_WHILE_BUILDING)}):", flush=True)
    print(WHILE_BUILDING_LOG.read_text(errors="replace"), end="", flush=True)
    print(f"+ {time.monotonic() - start:.1f} s: {step_name([PY, '-m', 'pytest'])} (while building)", flush=True)
    return status


def parallel_args(extra: list[str]) -> list[str]:
    """pytest-xdist options: one worker per core (at most 4), the tests sent in groups (``tests/conftest.py``).

    ``--dist loadgroup`` with the course's groups: as ``--dist loadfile``, a file's tests run in one worker
    (a notebook's cells in one kernel, in order; a file's module fixtures built once), except for the files
    that conftest spreads test by test or splits in parts, and the longest groups start first.
    ``COURSE_TEST_WORKERS=0`` (or ``-n`` among the extra arguments, or ``-x``/``--pdb`` for debugging)
    runs everything in this process.
    """
    workers = int(os.environ.get("COURSE_TEST_WORKERS", min(os.cpu_count() or 1, 4)))
    if workers <= 1 or any(a in extra for a in ("-n", "-x", "--exitfirst", "--pdb")) or \
            any(a.startswith("--numprocesses") for a in extra):
        return []
    return ["-n", str(workers), "--dist", "loadgroup"]


def print_book() -> None:
    """One-page HTML (``_build/singlehtml``) and a PDF of it (``_build/pdf/book.pdf``), printed by Chromium.

    The site is built first (:func:`build`: the pages that changed since its last build); the print then starts
    from a copy of the site's Sphinx environment, so it reads and executes no page again and leaves the site's
    build cache as it was (``tools/print_book.py``).
    """
    build()
    run(PY, ROOT / "tools" / "print_book.py", env=tool_env())


#: nbgrader's JupyterLab plugins and server extensions that only an instructor uses: creating assignments
#: (cell toolbar), the formgrader, and the course and assignment lists (nbgrader's exchange, which this
#: course does not use: submissions come from the LMS, ``exercises/instructor.py collect``). ``lab`` turns them
#: off; ``lab --instructor`` leaves them on. The *Nbgrader* menu holds only those tools' commands.
INSTRUCTOR_LAB_PLUGINS = ("@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader",
                          "@jupyter/nbgrader:course-list", "@jupyter/nbgrader:assignment-list",
                          "@jupyter/nbgrader:menu")
#: nbgrader's *Validate* button, also off for students: it runs the visible tests and then says "Your notebook
#: passes all the tests", which is untrue while hidden inputs remain. Each test cell's ``check`` says what
#: it checked and that grading runs the checks again on other inputs.
STUDENT_OFF_PLUGINS = (*INSTRUCTOR_LAB_PLUGINS, "@jupyter/nbgrader:validate-assignment")
FORMGRADER_EXTENSION = "nbgrader.server_extensions.formgrader"
INSTRUCTOR_SERVER_EXTENSIONS = (FORMGRADER_EXTENSION, "nbgrader.server_extensions.course_list",
                                "nbgrader.server_extensions.assignment_list")
#: Where a student browses, nothing of the site's machinery (Sphinx's ``_static``/``_templates``, the build,
#: packaging metadata), on top of JupyterLab's own hidden files (these replace its default list, kept here).
LAB_HIDE_GLOBS = ("__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~", "*.so", "*.dylib",
                  "_static", "_templates", "_build", "_exercises", "*.egg-info", "node_modules")
#: A Jupyter config directory (``JUPYTER_CONFIG_PATH``) that only ``lab`` uses: its ``labconfig/page_config.json``
#: disables :data:`STUDENT_OFF_PLUGINS`, JupyterLab's own mechanism (``jupyter labextension disable``) for
#: this one command instead of for the whole environment.
STUDENT_LAB_CONFIG = ROOT / "_build" / "jupyter-student"
#: The student's own folder (git-ignored): ``lab`` opens it; no build or release writes there.
WORK = ROOT / "work"
#: The nbgrader course folder (its ``nbgrader_config.py``, sources, gradebook): ``lab --instructor`` and
#: ``formgrader`` serve it (``formgrader --course DIR``: another one, e.g. a copy).
COURSE = ROOT / "exercises"


def write_student_lab_config(folder: Path = STUDENT_LAB_CONFIG) -> Path:
    """Write the student lab's ``labconfig/page_config.json`` into ``folder`` and return ``folder``."""
    page_config = folder / "labconfig" / "page_config.json"
    page_config.parent.mkdir(parents=True, exist_ok=True)
    page_config.write_text(json.dumps({"disabledExtensions": {name: True for name in STUDENT_OFF_PLUGINS}},
                                      indent=2) + "\n")
    return folder


def lab_command(extra: list[str], instructor: bool = False, euid: int | None = None,
                course: Path = COURSE, root: Path = ROOT) -> tuple[list[str], Path, dict[str, str]]:
    """The JupyterLab command line of ``lab``: (arguments, working directory, environment variables to add).

    A student's lab (default) serves the repository root (``root``; ``tools/lab_save.py`` gives a copy)
    without nbgrader's instructor tools and opens :data:`WORK`, where the student's notebooks live; the
    instructor's serves the ``course`` folder (``exercises/``) from there, so that nbgrader (the
    formgrader) reads its ``nbgrader_config.py`` and keeps its gradebook there. Both add ``--allow-root`` when run as root (``euid`` 0; JupyterLab refuses
    root otherwise), hide :data:`LAB_HIDE_GLOBS`, ask no news server, and pass ``extra`` (e.g.
    ``--no-browser``, ``--port 8890``) on to JupyterLab, last, so that they win.
    """
    euid = (os.geteuid() if hasattr(os, "geteuid") else None) if euid is None else euid
    folder = course if instructor else root
    cmd = [str(BIN / "jupyter-lab"), f"--ServerApp.root_dir={folder}",
           f"--ContentsManager.hide_globs={json.dumps(list(LAB_HIDE_GLOBS))}",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    env = {}
    if not instructor:
        cmd += [f"--ServerApp.jpserver_extensions={name}=False" for name in INSTRUCTOR_SERVER_EXTENSIONS]
        cmd.append(f"--LabApp.default_url=/lab/tree/{WORK.relative_to(ROOT).as_posix()}")
        config_path = [str(STUDENT_LAB_CONFIG), *filter(None, os.environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep))]
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(config_path)
    if euid == 0 and "--allow-root" not in extra:
        cmd.append("--allow-root")
    return [*cmd, *extra], folder, env


def headless() -> bool:
    """Whether this is a Linux machine without a display (a server reached over SSH, a container)."""
    return sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def formgrader_command(extra: list[str], course: Path = COURSE, euid: int | None = None,
                       display: bool | None = None) -> tuple[list[str], Path, dict[str, str]]:
    """The JupyterLab command line of ``formgrader``: (arguments, working directory, environment to add).

    The instructor's lab (:func:`lab_command`) on ``course``, opening nbgrader's formgrader, on
    127.0.0.1 only (the formgrader shows every student's work), with formgrader's server extension
    on whatever the Jupyter configuration says. Why the working directory is the course folder:
    formgrader reads ``nbgrader_config.py`` from the working directory, and without one nbgrader's
    course root is the working directory itself, where it then creates an empty ``gradebook.db``
    (started from the repository root: "No data available" and a stray ``gradebook.db`` there).
    Without a display (``display`` False; default :func:`headless`), no browser is started: the
    address with its token is in the log. ``extra`` goes to JupyterLab, last; an address (``--ip``) or
    start page (``--LabApp.default_url``) in it replaces the command's own.
    """
    display = not headless() if display is None else display
    cmd, folder, env = lab_command([], instructor=True, euid=euid, course=course)
    cmd.append(f"--ServerApp.jpserver_extensions={FORMGRADER_EXTENSION}=True")
    # JupyterLab refuses an option given twice: these only when the user's arguments do not set them
    if not gives(extra, "--ip", "--ServerApp.ip"):
        cmd.append("--ServerApp.ip=127.0.0.1")
    if not gives(extra, "--LabApp.default_url", "--ServerApp.default_url"):
        cmd.append("--LabApp.default_url=/formgrader")
    if not display and "--no-browser" not in extra:
        cmd.append("--no-browser")
    return [*cmd, *extra], folder, env


def gives(extra: list[str], *options: str) -> bool:
    """Whether the command-line arguments ``extra`` set one of ``options`` (``--name value`` or ``--name=value``)."""
    return any(arg.split("=", 1)[0] in options for arg in extra)


def course_folder(path: str | Path) -> Path:
    """``path`` (from the working directory) as an nbgrader course folder; ValueError naming --course if not."""
    folder = Path(path).expanduser().resolve()
    if not folder.is_dir():
        raise ValueError(f"--course {path}: no such folder")
    if not (folder / "nbgrader_config.py").is_file():
        raise ValueError(f"--course {path}: no nbgrader_config.py in {folder}; give an nbgrader course folder "
                         "(exercises/ or a copy of it)")
    return folder


def lab(extra: list[str], instructor: bool = False) -> None:
    """JupyterLab: chapters open as notebooks (jupytext) and render MyST (jupyterlab-myst); see :func:`lab_command`."""
    ensure_env()
    cmd, folder, env = lab_command(extra, instructor)
    if not instructor:
        write_student_lab_config()
        WORK.mkdir(exist_ok=True)
    run(*cmd, cwd=folder, env={**tool_env(), **env})


def formgrader(extra: list[str], course: Path = COURSE) -> None:
    """JupyterLab with nbgrader's formgrader on ``course``; see :func:`formgrader_command`."""
    ensure_env()
    cmd, folder, env = formgrader_command(extra, course)
    run(*cmd, cwd=folder, env={**tool_env(), **env})


#: Packages that :func:`lock` leaves out although an optional extra of an installed package asks for them, each
#: with its reason (:func:`install_lock` installs without dependencies, so they stay out of .venv).
LEFT_OUT_OF_LOCK = {
    "rfc3987-syntax": "jupyter-events asks for jsonschema[format-nongpl], and with this package jsonschema's format "
                      "checkers compile 35 Earley parsers on import: 0.8 s in every process that imports nbformat "
                      "(the grader, each JupyterLab, nbval, the build), for the 'iri' formats, which no schema in "
                      "the environment uses (python-jsonschema/jsonschema#1428). Without it they are not checked.",
    "lark": "the parser generator of rfc3987-syntax; nothing else here needs it",
}


def lock() -> None:
    """Re-pin every package installed in .venv into requirements.txt (keeps the header).

    Every package but pip itself (and :data:`LEFT_OUT_OF_LOCK`): setuptools and wheel too (``pip freeze`` leaves
    them out by default, and some packages require them), since :func:`install_lock` installs exactly the lock,
    without dependencies."""
    ensure_env()
    frozen = subprocess.run([str(PY), "-m", "pip", "freeze", "--all", "--exclude-editable"], check=True,
                            capture_output=True, text=True).stdout.splitlines()
    header = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if line.startswith("#")]
    left_out = ("lecture", "pip==", *(f"{name}==" for name in LEFT_OUT_OF_LOCK))
    pins = sorted((p for p in frozen if "==" in p and not p.lower().replace("_", "-").startswith(left_out)),
                  key=str.lower)
    (ROOT / "requirements.txt").write_text("\n".join([*header, *pins, "-e .", ""]))


#: A version that ``version`` accepts: X.Y.Z in PEP 440's normal form (no leading zeros), optionally a
#: pre-release (X.Y.ZaN, X.Y.ZbN, X.Y.ZrcN), post-release (X.Y.Z.postN) or development release (X.Y.Z.devN), so
#: that the wheel's file name carries it as typed. (No example numbers here: this file must never type a version.)
_NUMBER = r"(?:0|[1-9][0-9]*)"
VERSION_FORM = re.compile(rf"{_NUMBER}\.{_NUMBER}\.{_NUMBER}"
                          rf"(?:(?:a|b|rc){_NUMBER})?(?:\.post{_NUMBER})?(?:\.dev{_NUMBER})?")
#: A typed copy of the wheel's file name in the prose (README, chapters, notebooks): plain text, which GitHub
#: and JupyterLab show as typed, so ``version`` rewrites it rather than the build substituting it.
WHEEL_COPY = re.compile(r"lecture_lib-[^\s\"'`<>/]*\.whl")
#: Folders that hold no course prose (a name anywhere, or a path from the root): installed, generated (nbgrader's
#: release, submissions and feedback) or the students' own (work/); and every folder named ".*" or "_*" (.venv, _build).
NOT_PROSE = ("node_modules", "work", "book/exercises", "exercises/release", "exercises/submitted",
             "exercises/autograded", "exercises/feedback", "exercises/regrades")


def prose_files(root: Path = ROOT) -> list[Path]:
    """The course's Markdown pages and notebooks under ``root`` (``*.md``, ``*.ipynb``), found by their suffix."""
    found = []
    for folder, subfolders, files in os.walk(root):
        here = Path(folder)
        subfolders[:] = sorted(name for name in subfolders if not name.startswith((".", "_")) and name not in NOT_PROSE
                               and (here / name).relative_to(root).as_posix() not in NOT_PROSE)
        found += [here / name for name in sorted(files) if name.endswith((".md", ".ipynb"))]
    return found


def set_version(version: str, root: Path = ROOT) -> list[str]:
    """Set lecture_lib's version in ``pyproject.toml`` (its one source) and every typed copy of the wheel's name.

    Returns one line per changed file (none when everything already says ``version``). ``lecture_lib.__version__``
    and the build's wheel derive from pyproject.toml; the prose's install lines are plain text, found by
    :data:`WHEEL_COPY` in :func:`prose_files`. Raises ValueError for a malformed ``version``.
    """
    if not VERSION_FORM.fullmatch(version):
        raise ValueError(f"version: {version!r} is not a version of the form X.Y.Z (three numbers without leading "
                         "zeros), optionally followed by aN, bN, rcN, .postN or .devN")
    pyproject = root / "pyproject.toml"
    text = pyproject.read_bytes().decode("utf-8")
    table = re.search(r"(?ms)^\[project\][ \t]*$.*?(?=^\[|\Z)", text)
    line = table and re.search(r'(?m)^(version[ \t]*=[ \t]*")([^"\n]*)"', table.group(0))
    if not line:
        raise ValueError(f'{pyproject} has no version = "..." line in its [project] table')
    changed = []
    if line.group(2) != version:
        start, end = table.start() + line.start(2), table.start() + line.end(2)
        pyproject.write_bytes((text[:start] + version + text[end:]).encode("utf-8"))
        changed.append(f"pyproject.toml: version {line.group(2)} -> {version}")
    spec = importlib.util.spec_from_file_location("prebuild_wheel", root / "tools" / "prebuild_wheel.py")
    prebuild_wheel = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(prebuild_wheel)
    wheel = prebuild_wheel.wheel_name(root)
    for path in prose_files(root):
        text = path.read_bytes().decode("utf-8")
        stale = [name for name in WHEEL_COPY.findall(text) if name != wheel]
        if stale:
            path.write_bytes(WHEEL_COPY.sub(wheel, text).encode("utf-8"))
            changed.append(f"{path.relative_to(root).as_posix()}: {', '.join(sorted(set(stale)))} -> {wheel} "
                           f"({len(stale)}x)")
    return changed


def version_task(version: str) -> None:
    """``course.py version X.Y.Z``: :func:`set_version` on this repository, saying what it changed."""
    changed = set_version(version)
    if not changed:
        print(f"lecture_lib's version is {version} everywhere already: nothing changed")
        return
    print("\n".join(changed))
    print("The next `python3 tools/course.py build` reinstalls lecture_lib into .venv (its __version__) and "
          "publishes the new wheel.")


#: The tasks: name, one-line help, whether extra arguments go on to the tool (pytest, JupyterLab).
TASKS = {
    "build": "create/refresh .venv, then build the site into _build/html",
    "test": "build the site, then run every test and notebook; extra arguments go to pytest",
    "lab": "JupyterLab on the chapters and exercises, as a student sees it; extra arguments go to JupyterLab",
    "formgrader": "nbgrader's formgrader (JupyterLab on 127.0.0.1 in the course folder): the graded "
                  "submissions, part by part; extra arguments go to JupyterLab",
    "print": "build the site, then one-page HTML and a PDF of the whole book (needs Chromium)",
    "lock": "re-pin requirements.txt from the current .venv",
    "version": "set lecture_lib's version in pyproject.toml and rewrite every typed copy of its wheel's name",
}
PASS_THROUGH = ("test", "lab", "formgrader")
MIN_PYTHON = (3, 11)


def python_too_old(version: tuple = tuple(sys.version_info)) -> str | None:
    """The one-line error for a Python older than :data:`MIN_PYTHON`, or None."""
    if tuple(version[:2]) >= MIN_PYTHON:
        return None
    need = ".".join(map(str, MIN_PYTHON))
    return (f"tools/course.py needs Python {need} or newer, but {sys.executable} is "
            f"{'.'.join(map(str, version[:3]))}: run it with a newer one, e.g. python{need} tools/course.py build")


def parser() -> argparse.ArgumentParser:
    """The command line: one sub-command per task, each with its own --help."""
    main = argparse.ArgumentParser(prog="course.py", description=__doc__, allow_abbrev=False,
                                   formatter_class=argparse.RawDescriptionHelpFormatter,
                                   epilog="Each task has --help, e.g. python3 tools/course.py lab --help.")
    tasks = main.add_subparsers(dest="task", metavar="TASK", title="tasks")
    main.tasks = {}  # each task's parser, for errors that show its own usage
    for name, summary in TASKS.items():
        task = main.tasks[name] = tasks.add_parser(name, help=summary, description=summary, allow_abbrev=False)
        if name == "test":
            task.usage = "course.py test [-h] [PYTEST ARGUMENTS ...]"
            task.epilog = "e.g. course.py test -k softmax; `course.py test -- --help` shows pytest's own help"
        if name == "lab":
            task.usage = "course.py lab [-h] [--instructor] [JUPYTERLAB ARGUMENTS ...]"
            task.add_argument("--instructor", action="store_true",
                              help="JupyterLab in exercises/ with nbgrader's instructor tools (create assignment, "
                                   "formgrader) for this course")
            task.epilog = "e.g. course.py lab --no-browser --port 8890 (every other argument goes to JupyterLab)"
        if name == "formgrader":
            task.usage = "course.py formgrader [-h] [--course DIR] [JUPYTERLAB ARGUMENTS ...]"
            task.add_argument("--course", metavar="DIR",
                              help="the nbgrader course folder, with its nbgrader_config.py (default: exercises/ "
                                   "of this repository)")
            task.epilog = ("Grade first (exercises/instructor.py grade). The address to open, with its token, is "
                           "printed. e.g. course.py formgrader --port 8891 (every other argument goes to JupyterLab)")
        if name == "version":
            task.add_argument("version", metavar="X.Y.Z", help="the new version: three numbers (or with a suffix: X.Y.ZrcN ...)")
            task.epilog = ("pyproject.toml is the version's one source (lecture_lib.__version__ and the wheel "
                           "derive from it); the README's and pages' install lines name the wheel as plain text, "
                           "and this rewrites each of them. Safe to run twice.")
    return main


def main(argv: list[str]) -> None:
    too_old = python_too_old()
    if too_old:
        sys.exit(too_old)
    cli = parser()
    if argv and not argv[0].startswith("-") and argv[0] not in TASKS:
        near = difflib.get_close_matches(argv[0], TASKS, n=1)
        hint = f"did you mean '{near[0]}'?" if near else f"choose one of {', '.join(TASKS)}"
        cli.error(f"unknown command '{argv[0]}': {hint}")
    args, extra = cli.parse_known_args(argv)
    if args.task is None:
        cli.print_help(sys.stderr)
        sys.exit(2)
    if args.task not in PASS_THROUGH and extra:
        cli.error(f"{args.task} takes no arguments, got: {' '.join(extra)}")
    if extra[:1] == ["--"]:
        extra = extra[1:]
    if args.task == "test":
        test(extra)
    elif args.task == "lab":
        lab(extra, instructor=args.instructor)
    elif args.task == "formgrader":
        try:
            folder = COURSE if args.course is None else course_folder(args.course)
        except ValueError as error:
            cli.tasks["formgrader"].error(str(error))
        formgrader(extra, folder)
    elif args.task == "version":
        try:
            version_task(args.version)
        except ValueError as error:
            cli.tasks["version"].error(str(error))
    else:
        {"build": build, "print": print_book, "lock": lock}[args.task]()


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except KeyboardInterrupt:  # Ctrl+C, e.g. to stop `lab`: no traceback
        sys.exit(130)
