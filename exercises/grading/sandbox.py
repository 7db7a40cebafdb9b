"""Run untrusted code: one bubblewrap sandbox per submission (and per library view).

This is the only module that starts a student's code. The sandbox

- sees only the system folders of :data:`SYSTEM`, the Python interpreter and the course's
  environment, all read-only, and ``lecture_lib`` as the :class:`View` of the part allows;
  nothing else of the host exists in it (not the course folder, the repository, ``/root``,
  ``/home``, the host's ``/tmp``), and a course folder inside a system folder is covered by an
  empty tmpfs;
- has its own user, PID, network, IPC, UTS and cgroup namespaces (no network but its own
  loopback), runs as uid/gid 65534, and dies with the grader (``--die-with-parent``);
- writes only to a private tmpfs (``/home/student``, its working folder) and its own ``/tmp``;
- has the resource limits of :class:`Limits` (address space, CPU time, processes, open files,
  file size), set by the runner before any student code exists in it;
- talks to the grader only through two pipes the grader owns (requests and replies); its
  stdout and stderr go to a third pipe that the grader drains, counts and discards.

The grader enforces wall-clock time per request and per notebook and the output cap, and ends
every sandbox with SIGKILL to bubblewrap, whose PID namespace (and so every process the student
started, ``setsid`` or not) dies with it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

INSIDE = Path(__file__).resolve().parent / "inside"
#: Where the runner and the protocol module appear in the sandbox.
GRADER_DIR = "/run/grader"
WORKDIR = "/home/student"
#: System folders the sandbox sees (read-only); nothing else of the host's file system is there.
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
INSTALL_HINT = ("grading runs every submission in a bubblewrap sandbox, and `bwrap` was not found. "
                "Install it (Debian/Ubuntu: `apt-get install bubblewrap`; Fedora: `dnf install bubblewrap`), "
                "or pass --no-sandbox on a trusted single-user machine.")


class SandboxError(RuntimeError):
    """The sandbox ended or misbehaved; ``reason`` says how, for the "needs attention" report."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox."""

    memory_bytes: int = 2 * 1024**3       #: RLIMIT_AS
    cpu_seconds: int = 120                #: RLIMIT_CPU
    processes: int = 64                   #: RLIMIT_NPROC (threads count), in the sandbox's user namespace
    open_files: int = 256                 #: RLIMIT_NOFILE
    file_bytes: int = 16 * 1024**2        #: RLIMIT_FSIZE: the largest file it may write
    cell_seconds: float = 30.0            #: wall-clock time per cell and per call
    notebook_seconds: float = 300.0       #: wall-clock time for everything one sandbox does
    output_bytes: int = 4 * 1024**2       #: stdout and stderr together; more kills the sandbox
    reply_bytes: int = 64 * 1024**2       #: one reply on the protocol pipe

    def rlimits(self) -> dict:
        return {"as": self.memory_bytes, "cpu": self.cpu_seconds, "nproc": self.processes,
                "nofile": self.open_files, "fsize": self.file_bytes, "core": 0}


@dataclasses.dataclass(frozen=True)
class View:
    """What of the libraries a sandbox sees.

    ``lecture_lib`` is the folder bound read-only where lecture_lib is imported from (the real
    package, or a restricted copy made by the checker; ``None``: an empty folder, so the package
    is absent). ``hidden`` are folders (e.g. ``site-packages/scipy``) replaced by empty ones.
    """

    lecture_lib: Path | None
    hidden: tuple[Path, ...] = ()


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def _env() -> dict[str, str]:
    return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": WORKDIR, "LANG": "C.UTF-8",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}


def bwrap_command(view: View, limits: Limits, hide: tuple[Path, ...], lecture_lib_dir: Path) -> list[str]:
    """The bubblewrap command line that starts the runner."""
    cmd = [bwrap_path() or "bwrap", "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534",
           "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    for folder in SYSTEM:
        if os.path.islink(folder):
            cmd += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            cmd += ["--ro-bind", folder, folder]
    cmd += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    # Back, read-only: the interpreter, the environment, lecture_lib (as the view says), the runner.
    for folder in dict.fromkeys((sys.base_prefix, sys.prefix)):
        cmd += ["--ro-bind", folder, folder]
    bound = [Path(p).resolve() for p in (*SYSTEM, sys.base_prefix, sys.prefix) if os.path.isdir(p)]
    for folder in hide:  # only a course inside a bound folder would be visible: cover it
        folder = Path(folder).resolve()
        if folder.is_dir() and any(folder == b or b in folder.parents for b in bound):
            cmd += ["--tmpfs", str(folder)]
    if view.lecture_lib is not None:
        cmd += ["--ro-bind", str(view.lecture_lib), str(lecture_lib_dir)]
    elif lecture_lib_dir.is_dir():
        cmd += ["--tmpfs", str(lecture_lib_dir)]
    for folder in view.hidden:
        cmd += ["--tmpfs", str(folder)]
    cmd += ["--ro-bind", str(INSIDE), GRADER_DIR, "--tmpfs", WORKDIR, "--chdir", WORKDIR,
            sys.executable, "-I", f"{GRADER_DIR}/runner.py", json.dumps(limits.rlimits())]
    return cmd


def check_works(view: View, lecture_lib_dir: Path) -> str | None:
    """None if bubblewrap can start a sandbox here, else its error message."""
    cmd = bwrap_command(view, Limits(), (), lecture_lib_dir)
    cmd = cmd[:cmd.index(sys.executable, len(cmd) - 5)] + [sys.executable, "-I", "-c", "pass"]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=_env())
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    return None if result.returncode == 0 else (result.stderr.strip() or f"exit status {result.returncode}")


class Sandbox:
    """One running sandbox: send requests, get replies; :meth:`kill` ends it and all it started."""

    def __init__(self, view: View, limits: Limits, hide: tuple[Path, ...], lecture_lib_dir: Path,
                 isolated: bool = True):
        self.limits = limits
        self.output_bytes = 0
        self.flooded = False
        req_r, self._requests = os.pipe()
        self._replies, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        os.set_inheritable(req_r, True)
        os.set_inheritable(rep_w, True)
        if isolated:
            command, cwd = bwrap_command(view, limits, hide, lecture_lib_dir), None
        else:  # --no-sandbox: the same runner and limits, but no namespaces and every library
            self._tmp = tempfile.TemporaryDirectory(prefix="grading-unsandboxed-")
            command = [sys.executable, "-I", str(INSIDE / "runner.py"), json.dumps(limits.rlimits())]
            cwd = self._tmp.name
        try:
            self.process = subprocess.Popen(
                [*command, str(req_r), str(rep_w)], cwd=cwd, stdin=subprocess.DEVNULL, stdout=out_w,
                stderr=out_w, env=_env(), start_new_session=True, pass_fds=(req_r, rep_w))
        finally:
            for fd in (req_r, rep_w, out_w):
                os.close(fd)
        self._output = out_r
        self._drain = threading.Thread(target=self._drain_output, daemon=True)
        self._drain.start()
        self.deadline = time.monotonic() + limits.notebook_seconds
        self._buffer = b""
        self.ready = self._reply(limits.cell_seconds)

    def _drain_output(self) -> None:
        """Read and discard the sandbox's output; past the cap, kill the sandbox."""
        while True:
            try:
                chunk = os.read(self._output, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output_bytes += len(chunk)
            if self.output_bytes > self.limits.output_bytes and not self.flooded:
                self.flooded = True
                self._signal()

    def _signal(self) -> None:
        # Only while bubblewrap is not yet reaped: its pid (and process group id) cannot be reused then.
        if self.process.poll() is None:
            with _quiet():
                os.killpg(self.process.pid, signal.SIGKILL)
            with _quiet():
                self.process.kill()

    def request(self, message: dict, timeout: float | None = None) -> dict:
        """Send one request; return its reply, or raise :class:`SandboxError`."""
        try:
            os.write(self._requests, json.dumps(message, separators=(",", ":")).encode() + b"\n")
        except (BrokenPipeError, OSError):
            raise self._ended() from None
        return self._reply(timeout or self.limits.cell_seconds)

    def _reply(self, timeout: float) -> dict:
        end = min(time.monotonic() + timeout, self.deadline)
        while b"\n" not in self._buffer:
            left = end - time.monotonic()
            if left <= 0:
                self.kill()
                raise SandboxError("time limit: the notebook's code did not finish in time (killed)")
            ready, _, _ = select.select([self._replies], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._replies, 1 << 20)
            if not chunk:
                raise self._ended()
            self._buffer += chunk
            if len(self._buffer) > self.limits.reply_bytes:
                self.kill()
                raise SandboxError("protocol: a reply was larger than the limit (killed)")
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            reply = json.loads(line)
        except ValueError:
            self.kill()
            raise SandboxError("protocol: the sandbox sent something that is not a reply (killed)") from None
        if type(reply) is not dict or type(reply.get("ok")) is not bool:
            self.kill()
            raise SandboxError("protocol: malformed reply (killed)")
        return reply

    def _ended(self) -> SandboxError:
        try:
            status = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            status = None
        self.kill()
        if self.flooded:
            return SandboxError(f"output limit: the notebook printed more than {self.limits.output_bytes} bytes "
                                "(killed)")
        how = f"signal {-status}" if status is not None and status < 0 else f"exit status {status}"
        return SandboxError(f"the notebook's process ended during grading ({how}): e.g. it exited, killed "
                            "itself or its parent, or hit the memory or CPU limit")

    def kill(self) -> None:
        """End the sandbox and every process in it (its PID namespace dies with bubblewrap)."""
        self._signal()
        with _quiet():
            self.process.wait(timeout=10)
        self._drain.join(timeout=10)
        if hasattr(self, "_tmp"):
            self._tmp.cleanup()
        for fd in ("_requests", "_replies", "_output"):
            if getattr(self, fd) >= 0:
                with _quiet():
                    os.close(getattr(self, fd))
                setattr(self, fd, -1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


class _quiet:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        return kind is not None and issubclass(kind, (OSError, subprocess.TimeoutExpired, ProcessLookupError))
