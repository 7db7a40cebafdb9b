"""nbgrader's formgrader on a course folder, for the browser tests: start it, log in, find a submission.

A test module's fixture serves formgrader with :func:`running_formgrader`, a ``with`` block around
:func:`start_formgrader` and :func:`stop_formgrader` that yields the server's :class:`Server` (address,
token, log). :func:`start_formgrader` runs the instructor's command, ``python3 tools/course.py formgrader
--course <course>`` (JupyterLab with nbgrader's formgrader, in the course folder, on 127.0.0.1), from the
repository root as an instructor would, on a free port with a random token, and returns ``(url, token,
process)`` once formgrader answers; :func:`stop_formgrader` ends it (the task runner and the server
it started). The server's Jupyter config, data and runtime folders are temporary ones (nothing of the
user's is read or written), and its log is ``<work>/formgrader.log``.

The page formgrader renders a submitted notebook on is :func:`submission_url` (nbgrader's
``SubmissionHandler``, ``/formgrader/submissions/<submission notebook id>/``), with the id of
:func:`submission_notebook_id`. :func:`log_in` logs a page's browser context in with the token, as an
instructor does (the session cookie and ``_xsrf`` cookie a page's scripts could use are then set).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import typing
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from course_tools import free_port

#: Seconds formgrader may take to answer after the server starts (a loaded 2-core machine).
START_TIMEOUT_S = 180
ROOT = Path(__file__).resolve().parents[2]
#: The task runner whose ``formgrader`` command starts the server.
COURSE_PY = ROOT / "tools" / "course.py"


def server_env(work: Path) -> dict[str, str]:
    """The environment of a Jupyter server that reads and writes only under ``work`` (and the venv)."""
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(work / "jupyter-config"), "JUPYTER_DATA_DIR": str(work / "jupyter-data"),
           "JUPYTER_RUNTIME_DIR": str(work / "jupyter-runtime"), "PYTHONNOUSERSITE": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("MPLBACKEND", None)
    return env


def start_formgrader(course: Path, work: Path) -> tuple[str, str, subprocess.Popen]:
    """``course.py formgrader`` over ``course``: ``(url, token, process)``.

    ``url`` has no trailing slash. The process leads a session of its own (the task runner and its
    JupyterLab), which :func:`stop_formgrader` ends. Raises ``RuntimeError`` (with the server's log) if
    formgrader does not answer within :data:`START_TIMEOUT_S`; the processes are then already ended.
    """
    work.mkdir(parents=True, exist_ok=True)
    port, token = free_port(), secrets.token_hex(16)
    cmd = [sys.executable, str(COURSE_PY), "formgrader", "--course", str(course), "--no-browser", f"--port={port}",
           f"--IdentityProvider.token={token}"]
    log_path = work / "formgrader.log"
    with open(log_path, "w") as log:  # the child has its own descriptor
        process = subprocess.Popen(cmd, env=server_env(work), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(f"{url}/formgrader/api/assignments?token={token}", timeout=5) as response:
                json.loads(response.read())
            return url, token, process
        except (OSError, ValueError) as error:
            last = error
        if process.poll() is not None or time.monotonic() > deadline:
            stop_formgrader(process)
            raise RuntimeError(f"formgrader did not answer on {url} ({last}); log of `{' '.join(cmd[1:4])}`:\n"
                               + log_path.read_text()[-4000:])
        time.sleep(0.5)


def stop_formgrader(process: subprocess.Popen) -> None:
    """End what :func:`start_formgrader` started, by the process's id: its session (the task runner and the
    JupyterLab it started, which outlives it); SIGTERM, then SIGKILL after 30 s."""
    def alive() -> bool:
        process.poll()  # reaps the task runner once it has ended
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return False
        return True

    for sig, wait_s in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        deadline = time.monotonic() + wait_s
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        while alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        if not alive():
            return


class Server(typing.NamedTuple):
    """A running formgrader: its address (no trailing slash), login token and log file."""

    url: str
    token: str
    log: Path


@contextlib.contextmanager
def running_formgrader(course: Path, work: Path) -> typing.Iterator[Server]:
    """Formgrader over ``course`` for the ``with`` block (e.g. a module fixture's ``yield``), then ended.

    A server that does not answer fails the test with its log (``pytest.fail``); see :func:`start_formgrader`.
    """
    try:
        url, token, process = start_formgrader(course, work)
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield Server(url, token, work / "formgrader.log")
    finally:
        stop_formgrader(process)


def log_in(page, url: str, token: str, then: str = "/api/status") -> None:
    """Log ``page``'s browser context in as the instructor: the server's login form, with the token.

    The form leads to ``then`` (a light page by default, not the whole notebook application).
    """
    page.goto(f"{url}/login?next={urllib.parse.quote(then, safe='')}", wait_until="load")
    page.fill("input[name=password]", token)
    with page.expect_navigation(wait_until="load"):
        page.click("[type=submit]")
    cookies = {c["name"] for c in page.context.cookies(url)}
    if not any(name.startswith("username-") for name in cookies):
        raise RuntimeError(f"logging in to {url} with the token set no session cookie (cookies: {sorted(cookies)})")


def submission_notebook_id(course: Path, assignment: str, notebook: str, student: str) -> str:
    """The id formgrader uses for ``student``'s ``notebook`` of ``assignment`` (from the course's gradebook)."""
    import runpy

    from nbgrader.api import Gradebook

    config = runpy.run_path(str(course / "nbgrader_config.py"), init_globals={"get_config": _Config})["c"]
    with Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id) as gradebook:
        return gradebook.find_submission_notebook(notebook, assignment, student).id


def submission_url(url: str, submission_id: str, index: int = 0) -> str:
    """The formgrader page that renders one submitted (autograded) notebook."""
    return f"{url}/formgrader/submissions/{urllib.parse.quote(submission_id)}/?index={index}"


def _Config():  # noqa: N802 - stands in for traitlets' get_config when reading nbgrader_config.py
    from traitlets.config import Config

    return Config()
