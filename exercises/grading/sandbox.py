"""Run untrusted code: one bubblewrap sandbox per submission (and per library view).

This is the only module that starts a student's code. A sandbox

- sees only the system folders of :data:`SYSTEM`, the Python interpreter and, of the course's
  environment, the packages its :class:`View` allows (numpy and matplotlib by default; PyTorch
  only where a part uses it; scipy, scikit-learn and every other library are absent), and
  ``lecture_lib`` as the view allows; nothing else of the host exists in it (not the course
  folder, the repository, ``/root``, ``/home``, the host's ``/tmp``);
- has its own PID, network, IPC, UTS and cgroup namespaces (no network but its own loopback)
  and dies with the grader (``--die-with-parent``);
- runs the student's code as an unprivileged host user: when the grader is root, a uid of its
  own per running sandbox (:data:`UID_BASE` + slot, as CMS's ``isolate`` does) with no
  capabilities, so root-only files such as ``/etc/shadow`` are unreadable and ``RLIMIT_NPROC``
  binds; otherwise the instructor's own uid, through a user namespace;
- cannot ``ptrace`` or otherwise reach other processes (bubblewrap's init among them), create
  namespaces, mount, load BPF or use io_uring: a seccomp filter from libseccomp
  (:func:`seccomp_program`) is loaded by bubblewrap before the runner starts;
- writes only to two size-capped tmpfs mounts (``/home/student``, its working folder, and
  ``/tmp``);
- is bounded as a whole by a control group (:mod:`cgroups`): memory (tmpfs included),
  processes and one CPU for all its processes together; the time budgets of
  :class:`Limits` are counted in the group's CPU time, so another sandbox's load cannot make
  an honest submission run out of time (a wall-clock backstop, ``wall_factor`` times longer,
  ends sandboxes that sleep);
- has per-process resource limits too (address space, CPU time, processes, open files, file
  size), set by the runner before any student code exists in it;
- talks to the grader only through two pipes the grader owns (requests and replies); its
  stdout and stderr go to a third pipe that the grader drains, counts and discards.

:meth:`Sandbox.kill` ends the sandbox by killing its control group and checks that no process
of it is left.
"""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import functools
import importlib.metadata
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path

import cgroups

INSIDE = Path(__file__).resolve().parent / "inside"
#: Where the runner and the protocol module appear in the sandbox.
GRADER_DIR = "/run/grader"
WORKDIR = "/home/student"
#: System folders the sandbox sees (read-only); nothing else of the host's file system is there.
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
#: Host uid of the first sandbox when grading as root; sandbox ``n`` at once runs as ``UID_BASE + n``.
UID_BASE = 60000
#: The most sandboxes that run at once on the machine (and so host uids used).
MAX_SLOTS = 1000
#: Lock files of the slots in use, shared by every grading run on the machine.
SLOT_LOCKS = Path(tempfile.gettempdir()) / f"course-grading-slots-{os.geteuid()}"
#: The libraries every sandbox has (with what they need): arrays and plots, nothing that grades.
BASE_LIBRARIES = ("numpy", "matplotlib")
INSTALL_HINT = ("grading runs every submission in a bubblewrap sandbox, and `bwrap` was not found. "
                "Install it (Debian/Ubuntu: `apt-get install bubblewrap`; Fedora: `dnf install bubblewrap`), "
                "or pass --no-sandbox on a trusted single-user machine.")
#: What the seccomp filter refuses (EPERM): other processes' memory and tracing, namespaces and
#: mounts, kernel keyrings, BPF, perf, io_uring, userfaultfd, modules, handles to host files.
DENIED_SYSCALLS = ("ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "pidfd_open",
                   "perf_event_open", "bpf", "userfaultfd", "keyctl", "add_key", "request_key", "mount",
                   "umount2", "pivot_root", "chroot", "setns", "unshare", "open_by_handle_at",
                   "name_to_handle_at", "init_module", "finit_module", "delete_module", "kexec_load",
                   "kexec_file_load", "reboot", "swapon", "swapoff", "syslog", "acct", "quotactl",
                   "io_uring_setup", "io_uring_enter", "io_uring_register", "fanotify_init", "mount_setattr",
                   "move_mount", "open_tree", "fsopen", "fsmount", "fsconfig", "fspick", "personality")
#: clone() flags that make new namespaces.
CLONE_NAMESPACES = 0x7E020000  # NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET


class SandboxError(RuntimeError):
    """The sandbox ended or misbehaved; ``reason`` says how, for the "needs attention" report."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox."""

    memory_bytes: int = 2 * 1024**3       #: the whole sandbox's memory (control group), tmpfs included; RLIMIT_AS
    cpu_seconds: int = 120                #: RLIMIT_CPU of each process
    processes: int = 64                   #: processes and threads of the whole sandbox; RLIMIT_NPROC
    open_files: int = 256                 #: RLIMIT_NOFILE
    file_bytes: int = 16 * 1024**2        #: RLIMIT_FSIZE: the largest file it may write
    disk_bytes: int = 64 * 1024**2        #: size of each of its two tmpfs mounts
    cell_seconds: float = 30.0            #: CPU time of the sandbox per cell and per call
    notebook_seconds: float = 300.0       #: CPU time of the sandbox for everything it does
    wall_factor: float = 4.0              #: wall-clock backstop: this many times the CPU budgets
    output_bytes: int = 4 * 1024**2       #: stdout and stderr together; more kills the sandbox
    reply_bytes: int = 8 * 1024**2        #: one reply on the protocol pipe

    def rlimits(self) -> dict:
        return {"as": self.memory_bytes, "cpu": self.cpu_seconds, "nproc": self.processes,
                "nofile": self.open_files, "fsize": self.file_bytes, "core": 0}


@dataclasses.dataclass(frozen=True)
class View:
    """What of the libraries a sandbox sees.

    ``lecture_lib`` is the folder shown as the ``lecture_lib`` package (the real package, or a
    restricted copy made by the checker; ``None``: no such package). ``libraries`` are the
    distributions installed in the course's environment that the sandbox sees (with what they
    require); every other package of the environment is absent.
    """

    lecture_lib: Path | None
    libraries: tuple[str, ...] = BASE_LIBRARIES


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def _env() -> dict[str, str]:
    return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": WORKDIR, "LANG": "C.UTF-8",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}


def site_folders() -> list[Path]:
    """Every site-packages folder the interpreter would read: the environment's and the base Python's."""
    folders = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    base = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})
    folders |= {base["purelib"], base["platlib"]}
    return sorted(Path(f) for f in folders if os.path.isdir(f))


def _requirement_name(requirement: str) -> str | None:
    """The distribution a ``Requires-Dist`` line needs unconditionally (None for extras)."""
    name, _, marker = requirement.partition(";")
    if "extra" in marker:
        return None
    if marker.strip():
        from packaging.markers import Marker

        if not Marker(marker).evaluate({"extra": ""}):
            return None
    return re.split(r"[\s<>=!~\[(]", name.strip(), maxsplit=1)[0]


@functools.lru_cache(maxsize=None)
def library_entries(libraries: tuple[str, ...]) -> tuple[Path, ...]:
    """The site-packages entries (packages, modules, ``.libs`` and ``.dist-info`` folders) of
    ``libraries`` and of every distribution they require, recursively."""
    seen, todo, entries = set(), list(libraries), set()
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        root = Path(distribution.locate_file(""))
        for file in distribution.files or ():
            top = Path(file).parts[0] if Path(file).parts else ""
            if top and top not in ("..", "__pycache__") and not top.endswith(".pth"):
                entries.add(root / top)
        todo += [n for n in map(_requirement_name, distribution.requires or ()) if n]
    return tuple(sorted(p for p in entries if p.exists()))


def seccomp_program() -> bytes:
    """The seccomp filter of every sandbox, compiled to BPF by libseccomp (through ``pyseccomp``)."""
    import pyseccomp as seccomp

    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    for name in DENIED_SYSCALLS:
        try:
            rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
        except (RuntimeError, ValueError, OSError):  # a name this kernel's libseccomp does not know
            pass
    for flag in (1 << bit for bit in range(32) if CLONE_NAMESPACES >> bit & 1):
        rules.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory, where a filter cannot look: refuse it, and the C library
    # falls back to clone.
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    with tempfile.TemporaryFile() as f:
        rules.export_bpf(f)
        f.seek(0)
        return f.read()


class Isolation:
    """How the sandboxes of one grading run are isolated on this machine (made once per run).

    ``cgroup``: make a control group per sandbox (:func:`cgroups.detect`; ``cgroup_root`` a
    delegated cgroup v2 folder), or not (``False``: per-process limits only, a loud opt-out).
    Raises :class:`cgroups.CgroupError` when control groups are wanted and none is usable.
    """

    def __init__(self, cgroup: bool = True, cgroup_root: Path | None = None):
        self.as_root = os.geteuid() == 0
        self.hierarchy = cgroups.detect(cgroup_root) if cgroup else None
        self.seccomp = seccomp_program()
        self._slots: dict[int, int] = {}  # slot: the descriptor holding its lock
        self._lock = threading.Lock()

    def take_slot(self) -> int:
        """A slot (and so a uid) no other sandbox uses now, in this grading run or in another one:
        each slot is held by a lock on a file of :data:`SLOT_LOCKS` (released when its process ends)."""
        with self._lock:
            SLOT_LOCKS.mkdir(mode=0o700, exist_ok=True)
            for slot in range(MAX_SLOTS):
                if slot in self._slots:
                    continue
                fd = os.open(SLOT_LOCKS / f"{slot}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                self._slots[slot] = fd
                return slot
        raise SandboxError(f"more than {MAX_SLOTS} sandboxes at once")

    def free_slot(self, slot: int) -> None:
        with self._lock:
            fd = self._slots.pop(slot, None)
            if fd is not None:
                os.close(fd)  # closing the file releases its lock

    def describe(self) -> str:
        who = (f"host uids {UID_BASE}+ (no capabilities)" if self.as_root
               else f"your uid {os.getuid()} in a user namespace (grade as root for a uid of its own)")
        limits = (f"cgroup v{self.hierarchy.version} per sandbox" if self.hierarchy
                  else "per-process limits only (no control group)")
        return f"sandboxes: bubblewrap, seccomp, {limits}, student code as {who}"


def bwrap_command(view: View, limits: Limits, hide: tuple[Path, ...], isolation: Isolation, slot: int,
                  seccomp_fd: int) -> list[str]:
    """The bubblewrap command line that starts the runner."""
    cmd = [bwrap_path() or "bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
           "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if isolation.as_root:  # no user namespace: the runner drops to a uid of its own (see runner.py)
        cmd += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:  # an unprivileged instructor: the sandbox's uid is theirs, through a user namespace
        cmd += ["--unshare-user", "--uid", "65534", "--gid", "65534", "--disable-userns"]
    for folder in SYSTEM:
        if os.path.islink(folder):
            cmd += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            cmd += ["--ro-bind", folder, folder]
    disk = str(limits.disk_bytes)
    cmd += ["--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--size", disk, "--tmpfs", "/tmp"]
    # Back, read-only: the interpreter, the environment, with only the libraries the view allows. The
    # folders above them are made readable by all (bubblewrap would make some private to root).
    ancestors = {a for folder in (sys.base_prefix, sys.prefix, GRADER_DIR) for a in Path(folder).parents}
    for folder in sorted(ancestors - {Path("/")}, key=lambda p: len(p.parts)):
        if not any(str(folder) == s or str(folder).startswith(s + "/") for s in SYSTEM):
            cmd += ["--perms", "0755", "--dir", str(folder)]
    for folder in dict.fromkeys((sys.base_prefix, sys.prefix)):
        cmd += ["--ro-bind", folder, folder]
    sites = site_folders()
    for folder in sites:
        cmd += ["--tmpfs", str(folder)]
    for entry in library_entries(view.libraries):
        if any(entry.parent == site for site in sites):
            cmd += ["--ro-bind", str(entry), str(entry)]
    if view.lecture_lib is not None:
        cmd += ["--ro-bind", str(view.lecture_lib), str(Path(sysconfig.get_paths()["purelib"]) / "lecture_lib")]
    bound = [Path(p).resolve() for p in (*SYSTEM, sys.base_prefix, sys.prefix) if os.path.isdir(p)]
    for folder in hide:  # only a course inside a bound folder would be visible: cover it
        folder = Path(folder).resolve()
        if folder.is_dir() and any(folder == b or b in folder.parents for b in bound):
            cmd += ["--tmpfs", str(folder)]
    runner_limits = limits.rlimits()
    if isolation.as_root:
        runner_limits["uid"] = runner_limits["gid"] = UID_BASE + slot
    cmd += ["--ro-bind", str(INSIDE), GRADER_DIR, "--perms", "0777", "--size", disk, "--tmpfs", WORKDIR,
            "--chdir", WORKDIR, "--seccomp", str(seccomp_fd),
            os.path.normpath(sys.executable), "-I", f"{GRADER_DIR}/runner.py", json.dumps(runner_limits)]
    return cmd


#: Run as root before bubblewrap: join the sandbox's control group (every ``cgroup.procs`` file
#: named before ``--``), then become bubblewrap. Every process of the sandbox starts inside it.
JOIN_CGROUP = 'for f; do [ "$f" = -- ] && break; echo $$ > "$f" || exit 125; shift; done; shift; exec "$@"'


def check_works(view: View, isolation: Isolation) -> str | None:
    """None if bubblewrap can start a sandbox here, else its error message."""
    try:
        with Sandbox(view, Limits(), (), isolation) as box:
            box.request({"op": "cell", "source": "pass"})
    except (OSError, SandboxError, cgroups.CgroupError) as error:
        return getattr(error, "reason", None) or str(error)
    return None


class Sandbox:
    """One running sandbox: send requests, get replies; :meth:`kill` ends it and all it started.

    ``isolation`` None runs the runner without any sandbox (``--no-sandbox``).
    """

    def __init__(self, view: View, limits: Limits, hide: tuple[Path, ...], isolation: Isolation | None):
        self.limits = limits
        self.output_bytes = 0
        self.flooded = False
        self.survivors: list[int] = []
        self.oom_kills = 0
        self.isolation = isolation
        self.group = None
        self.slot = None
        self._requests = self._replies = self._output = -1
        req_r, self._requests = os.pipe()
        self._replies, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        pass_fds = [req_r, rep_w]
        seccomp_fd = -1
        try:
            if isolation is not None:
                self.slot = isolation.take_slot()
                seccomp_fd = os.memfd_create("seccomp", 0)
                os.write(seccomp_fd, isolation.seccomp)
                os.lseek(seccomp_fd, 0, os.SEEK_SET)
                pass_fds.append(seccomp_fd)
                command = bwrap_command(view, limits, hide, isolation, self.slot, seccomp_fd)
                cwd = None
                if isolation.hierarchy is not None:
                    self.group = isolation.hierarchy.group(limits)
                    command = ["/bin/sh", "-c", JOIN_CGROUP, "sh", *map(str, self.group.procs_files), "--",
                               *command]
            else:  # --no-sandbox: the same runner and limits, but no namespaces and every library
                self._tmp = tempfile.TemporaryDirectory(prefix="grading-unsandboxed-")
                command = [sys.executable, "-I", str(INSIDE / "runner.py"), json.dumps(limits.rlimits())]
                cwd = self._tmp.name
            self.process = subprocess.Popen(
                [*command, str(req_r), str(rep_w)], cwd=cwd, stdin=subprocess.DEVNULL, stdout=out_w,
                stderr=out_w, env=_env(), start_new_session=True, pass_fds=tuple(pass_fds))
        except BaseException:
            for fd in (req_r, rep_w, out_w, out_r, seccomp_fd):
                if fd >= 0:
                    os.close(fd)
            self._output = -1
            self._release()
            raise
        finally:
            if seccomp_fd >= 0:
                with _quiet():
                    os.close(seccomp_fd)
        for fd in (req_r, rep_w, out_w):
            os.close(fd)
        self._output = out_r
        self._drain = threading.Thread(target=self._drain_output, daemon=True)
        self._drain.start()
        self._started = time.monotonic()
        self._cpu_start = self._cpu()
        self._buffer = b""
        self.ready = self._reply(limits.cell_seconds)

    def _cpu(self) -> float | None:
        """CPU seconds the sandbox's processes used (None without a control group)."""
        if self.group is None:
            return None
        try:
            return self.group.cpu_seconds()
        except (OSError, ValueError):
            return None

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

    def _over_budget(self, call_cpu_start: float | None, budget: float, wall_end: float) -> str | None:
        """Why the call must end now, or None: CPU budgets (with a control group), else wall clock."""
        now = time.monotonic()
        cpu = self._cpu()
        if cpu is not None and call_cpu_start is not None:
            if cpu - call_cpu_start > budget:
                return f"time limit: a cell or call used more than {budget:g} s of CPU time (killed)"
            if cpu - self._cpu_start > self.limits.notebook_seconds:
                return (f"time limit: the notebook used more than {self.limits.notebook_seconds:g} s of CPU "
                        "time (killed)")
        factor = self.limits.wall_factor if cpu is not None else 1.0
        if now > wall_end or now > self._started + factor * self.limits.notebook_seconds:
            return "time limit: the notebook's code did not finish in time (killed)"
        return None

    def _reply(self, timeout: float) -> dict:
        call_cpu_start = self._cpu()
        factor = self.limits.wall_factor if call_cpu_start is not None else 1.0
        wall_end = time.monotonic() + factor * timeout
        while b"\n" not in self._buffer:
            reason = self._over_budget(call_cpu_start, timeout, wall_end)
            if reason:
                self.kill()
                raise SandboxError(reason)
            ready, _, _ = select.select([self._replies], [], [], 0.1 if call_cpu_start is not None else
                                        max(0.0, min(wall_end - time.monotonic(), 1.0)))
            if not ready:
                continue
            chunk = os.read(self._replies, 1 << 20)
            if not chunk:
                raise self._ended()
            self._buffer += chunk
            if len(self._buffer) > self.limits.reply_bytes:
                self.kill()
                raise SandboxError(f"protocol: a reply was larger than {self.limits.reply_bytes} bytes (killed)")
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
        out_of_memory = self.group is not None and self.group.oom_kills() > 0
        self.kill()
        if self.flooded:
            return SandboxError(f"output limit: the notebook printed more than {self.limits.output_bytes} bytes "
                                "(killed)")
        if out_of_memory:
            return SandboxError(f"memory limit: the notebook's processes used more than "
                                f"{self.limits.memory_bytes // 1024**2} MiB together (killed)")
        how = f"signal {-status}" if status is not None and status < 0 else f"exit status {status}"
        return SandboxError(f"the notebook's process ended during grading ({how}): e.g. it exited, killed "
                            "itself or its parent, or hit the memory or CPU limit")

    def kill(self) -> None:
        """End the sandbox and every process in it: bubblewrap, then the whole control group, checked empty."""
        self._signal()
        with _quiet():
            self.process.wait(timeout=10)
        if self.group is not None:
            self.oom_kills = max(self.oom_kills, self.group.oom_kills())
            self.survivors = self.group.kill()
        if self._drain.is_alive():
            self._drain.join(timeout=10)
        if hasattr(self, "_tmp"):
            self._tmp.cleanup()
        for fd in ("_requests", "_replies", "_output"):
            if getattr(self, fd) >= 0:
                with _quiet():
                    os.close(getattr(self, fd))
                setattr(self, fd, -1)
        self._release()

    def _release(self) -> None:
        if self.group is not None and not self.survivors:
            self.group.remove()
        if self.slot is not None and self.isolation is not None and not self.survivors:
            self.isolation.free_slot(self.slot)  # a uid whose processes survived is never used again
        self.slot = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


class _quiet:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        return kind is not None and issubclass(kind, (OSError, subprocess.TimeoutExpired, ProcessLookupError))
