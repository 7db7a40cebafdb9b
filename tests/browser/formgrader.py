"""nbgrader's formgrader on a course folder, for the browser tests: start it, log in, find a submission.

:func:`start_formgrader` runs a Jupyter server of the course's environment (``python -m jupyter_server``,
with nbgrader's server extension) on 127.0.0.1, a free port and a random token, in the course folder
(so formgrader reads that folder's ``nbgrader_config.py`` and ``gradebook.db``), and returns
``(url, token, process)`` once formgrader answers; :func:`stop_formgrader` ends it. The server's
Jupyter config, data and runtime folders are temporary ones (nothing of the user's is read or written),
and its log is ``<work>/formgrader.log``.

The page formgrader renders a submitted notebook on is :func:`submission_url` (nbgrader's
``SubmissionHandler``, ``/formgrader/submissions/<submission notebook id>/``), with the id of
:func:`submission_notebook_id`. :func:`log_in` logs a page's browser context in with the token, as an
instructor does (the session cookie and ``_xsrf`` cookie a page's scripts could use are then set).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .conftest import stop_server

#: Seconds formgrader may take to answer after the server starts (a loaded 2-core machine).
START_TIMEOUT_S = 180
#: The module of nbgrader's formgrader server extension.
FORMGRADER_EXTENSION = "nbgrader.server_extensions.formgrader"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(work: Path) -> dict[str, str]:
    """The environment of a Jupyter server that reads and writes only under ``work`` (and the venv)."""
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(work / "jupyter-config"), "JUPYTER_DATA_DIR": str(work / "jupyter-data"),
           "JUPYTER_RUNTIME_DIR": str(work / "jupyter-runtime"), "PYTHONNOUSERSITE": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("MPLBACKEND", None)
    return env


def formgrader_enabled(work: Path) -> bool:
    """Whether ``jupyter server extension list`` (in ``work``'s environment) shows nbgrader's formgrader enabled."""
    listed = subprocess.run([sys.executable, "-m", "jupyter", "server", "extension", "list"], capture_output=True,
                            text=True, env=server_env(work), timeout=120)
    text = listed.stdout + listed.stderr
    return any(FORMGRADER_EXTENSION in line and "enabled" in line and "disabled" not in line
               for line in text.splitlines())


def start_formgrader(course: Path, work: Path) -> tuple[str, str, subprocess.Popen]:
    """A Jupyter server with formgrader over ``course`` on 127.0.0.1: ``(url, token, process)``.

    ``url`` has no trailing slash. Raises ``RuntimeError`` (with the server's log) if formgrader does
    not answer within :data:`START_TIMEOUT_S`; the process is then already ended.
    """
    work.mkdir(parents=True, exist_ok=True)
    port, token = free_port(), secrets.token_hex(16)
    # nbgrader's server extension is enabled by its own config file in the environment
    # (etc/jupyter/jupyter_server_config.d/nbgrader.json); this server's config enables it too (merged
    # with that file), so that a missing or disabled file cannot start a server without formgrader.
    config_dir = Path(server_env(work)["JUPYTER_CONFIG_DIR"])
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {FORMGRADER_EXTENSION: True}}}, indent=1))
    cmd = [sys.executable, "-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log_path = work / "formgrader.log"
    log = open(log_path, "w")
    process = subprocess.Popen(cmd, env=server_env(work), stdout=log, stderr=subprocess.STDOUT, cwd=course)
    log.close()  # the child has its own descriptor
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
            enabled = "enabled" if formgrader_enabled(work) else "NOT enabled"
            raise RuntimeError(f"formgrader did not answer on {url} ({last}); `jupyter server extension list`: "
                               f"{FORMGRADER_EXTENSION} {enabled}; server log:\n" + log_path.read_text()[-4000:])
        time.sleep(0.5)


def stop_formgrader(process: subprocess.Popen) -> None:
    """End the server started by :func:`start_formgrader` (this process only, by its id)."""
    stop_server(process)


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
