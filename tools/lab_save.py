#!/usr/bin/env python3
"""Save the book's pages as JupyterLab does, or check that such a save leaves every page unchanged.

    python3 tools/lab_save.py --check        # which pages a save from JupyterLab would change (diffs; exit 1)
    python3 tools/lab_save.py                # rewrite those pages in the form a save writes
    python3 tools/lab_save.py book/01_modeling.md ...   # only these pages

A chapter opens in JupyterLab through jupytext's contents manager, which turns the MyST Markdown into a
notebook and, on *Save*, writes the notebook back as MyST Markdown in jupytext's own form. A chapter is
stored in exactly that form (``book/authoring.md``), so that a save changes nothing. This script does that
save the way JupyterLab does it, on a copy of the pages:

- the server is the one ``python3 tools/course.py lab`` starts (:func:`course.lab_command`, the same
  configuration), serving a temporary folder that holds the pages in ``book/`` and every jupytext
  configuration file of ``book/`` and of the repository root, at the same places;
- each page is read through the server's contents API as JupyterLab reads it (``GET`` the notebook
  model with its content) and written back as JupyterLab's save writes it (``PUT`` the model), after
  the two changes JupyterLab makes when the notebook's kernel starts: ``kernelspec`` becomes
  ``{name, display_name, language}`` of the installed kernel, in that order, and ``language_info`` the
  kernel's (its ``pygments_lexer`` names the lexer of every ``{code-cell}``).

``tests/test_lab_save.py`` runs the check; ``tests/browser/test_jupyterlab.py`` saves one chapter with
Ctrl+S in a real JupyterLab and compares the bytes, which checks this emulation.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

_spec = importlib.util.spec_from_file_location("course_for_lab_save", Path(__file__).resolve().with_name("course.py"))
course = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(course)

ROOT = course.ROOT
BOOK = ROOT / "book"
#: Seconds JupyterLab may take to start on a loaded machine.
START_TIMEOUT_S = 180


def pages() -> list[Path]:
    """Every page of the book: JupyterLab opens each ``book/*.md`` as a notebook (course.LAB_OVERRIDES)."""
    return sorted(BOOK.glob("*.md"))


def config_files() -> list[Path]:
    """The jupytext configuration files that jupytext's contents manager reads for a page of ``book/``
    when the server's root is the repository (``book/`` first, then the root)."""
    from jupytext.config import JUPYTEXT_CONFIG_FILES, PYPROJECT_FILE

    return [folder / name for folder in (BOOK, ROOT) for name in (*JUPYTEXT_CONFIG_FILES, PYPROJECT_FILE)
            if (folder / name).is_file()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A client of a running Jupyter server's REST API (``url``, ``token``)."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token

    def request(self, method: str, path: str, body: dict | None = None, timeout: float = 60) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method, headers={
            "Authorization": f"token {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            message = error.read().decode(errors="replace")[:500]
            raise RuntimeError(f"{method} {path}: HTTP {error.code}: {message}") from None

    def save_as_jupyterlab(self, path: str, language_info: dict) -> None:
        """Open the file ``path`` (relative to the server's root) as a notebook and save it, as JupyterLab does
        once the notebook's kernel has started (see the module's docstring)."""
        quoted = urllib.parse.quote(path)
        # JupyterLab's query (@jupyterlab/services' Drive.get drops `format` for a notebook)
        notebook = self.request("GET", f"/api/contents/{quoted}?type=notebook&content=1&hash=0")["content"]
        metadata = notebook["metadata"]
        name = (metadata.get("kernelspec") or {}).get("name")
        specs = self.request("GET", "/api/kernelspecs")["kernelspecs"]
        if name in specs:  # otherwise JupyterLab asks for a kernel: the page is saved as it was read
            spec = specs[name]["spec"]
            metadata["kernelspec"] = {"name": name, "display_name": spec["display_name"],
                                      "language": spec["language"]}
            metadata["language_info"] = language_info
        self.request("PUT", f"/api/contents/{quoted}", {"type": "notebook", "format": "json", "content": notebook})


@contextlib.contextmanager
def course_lab(root: Path, home: Path) -> Iterator[Lab]:
    """``course.py lab`` (:func:`course.lab_command`) serving ``root`` on 127.0.0.1, its Jupyter user folders
    (configuration, runtime, settings) in ``home``, so that the user's own configuration plays no part."""
    port, token = _free_port(), secrets.token_hex(16)
    cmd, _, lab_env = course.lab_command(["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                                          f"--IdentityProvider.token={token}"], root=root)
    env = {**os.environ, **course.tool_env(), **lab_env, "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    log_path = home / "jupyterlab.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        lab = Lab(f"http://127.0.0.1:{port}", token)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                try:
                    lab.request("GET", "/api/status", timeout=5)
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"JupyterLab did not start:\n{log_path.read_text()[-3000:]}") from None
                    time.sleep(0.3)
            yield lab
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def kernel_language_info() -> dict:
    """The ``language_info`` the course's kernel (ipykernel) reports, which JupyterLab stores in the notebook."""
    from ipykernel.ipkernel import IPythonKernel

    return dict(IPythonKernel.language_info)


def saved(texts: dict[str, str], workdir: Path) -> dict[str, str]:
    """Each page's text after a save from JupyterLab: ``texts`` maps a file name in ``book/`` to its text.

    One server for all pages, over a copy in ``workdir`` (which must be empty or missing).
    """
    root = workdir / "course"
    (root / "book").mkdir(parents=True)
    for config in config_files():
        shutil.copy2(config, root / config.relative_to(ROOT))
    for name, text in texts.items():
        (root / "book" / name).write_text(text, encoding="utf-8")
    language_info = kernel_language_info()
    with course_lab(root, workdir) as lab:
        for name in texts:
            lab.save_as_jupyterlab(f"book/{name}", language_info)
    return {name: (root / "book" / name).read_text(encoding="utf-8") for name in texts}


def changes(paths: list[Path], workdir: Path) -> dict[Path, tuple[str, str]]:
    """The pages among ``paths`` that a save from JupyterLab changes: path -> (text, text after the save)."""
    texts = {path.name: path.read_text(encoding="utf-8") for path in paths}
    after = saved(texts, workdir)
    return {path: (texts[path.name], after[path.name]) for path in paths if after[path.name] != texts[path.name]}


def diff(path: Path, before: str, after: str) -> str:
    """A unified diff of a page before and after the save."""
    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), f"{name}",
                                        f"{name} (saved from JupyterLab)", n=1))


def main(argv: list[str]) -> int:
    cli = argparse.ArgumentParser(prog="lab_save.py", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--check", action="store_true", help="change nothing; list the pages a save would change")
    cli.add_argument("pages", nargs="*", type=Path, help="pages of book/ (default: every book/*.md)")
    args = cli.parse_args(argv)
    paths = [p.resolve() for p in args.pages] or pages()
    wrong = [str(p) for p in paths if p.parent != BOOK or p.suffix != ".md" or not p.is_file()]
    if wrong:
        cli.error(f"not a page of {BOOK}: {', '.join(wrong)}")
    with tempfile.TemporaryDirectory(prefix="lab_save-") as workdir:
        changed = changes(paths, Path(workdir))
    for path, (before, after) in changed.items():
        print(diff(path, before, after))
        if not args.check:
            path.write_text(after, encoding="utf-8")
    verb = "would change" if args.check else "changed"
    print(f"A save from JupyterLab {verb} {len(changed)} of {len(paths)} pages"
          + (f": {', '.join(p.name for p in changed)}" if changed else "."), file=sys.stderr)
    return 1 if changed and args.check else 0


if __name__ == "__main__":
    if Path(sys.prefix).resolve() != course.VENV.resolve():  # jupytext and ipykernel live in the course's venv
        course.ensure_env()
        os.execv(course.PY, [str(course.PY), __file__, *sys.argv[1:]])
    sys.exit(main(sys.argv[1:]))
