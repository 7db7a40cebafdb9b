"""Kernel limits for a whole sandbox: one control group per sandbox, cgroup v2 or v1.

A sandbox's processes (bubblewrap, the runner and everything the student's code starts, with
``setsid`` or not) all live in one control group, created before bubblewrap starts and removed
after the last of them is gone. The group bounds, for all of them together:

- memory, tmpfs pages included (``memory.max`` / ``memory.limit_in_bytes``), with no swap;
- the number of processes and threads (``pids.max``);
- CPU: at most one core (``cpu.max`` / ``cpu.cfs_quota_us``), and its CPU time is measured
  (``cpu.stat`` / ``cpuacct.usage``), so that the grader's time budgets count the sandbox's own
  work, not the load other sandboxes put on the machine.

:meth:`Group.kill` ends every process of the group (``cgroup.kill``, or the freezer and
SIGKILL on v1) and checks that none is left. This is what CMS's ``isolate`` does per box.

:func:`detect` finds the hierarchy: cgroup v2 (unified, as on systemd hosts) or the v1
controllers (``/sys/fs/cgroup/<controller>``); it needs write access there, that is root (or a
delegated v2 subtree given as ``root``). When neither is usable it says why.
"""

from __future__ import annotations

import errno
import os
import signal
import time
import uuid
from pathlib import Path

#: The folder, under each hierarchy, that holds the sandboxes' groups.
PARENT = "course-grading"
#: One CPU: the quota per period, in microseconds.
CPU_PERIOD_US = 100_000


class CgroupError(RuntimeError):
    """No usable control group hierarchy, or a group could not be set up."""


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _mounts() -> list[tuple[str, str, set[str]]]:
    """``(fstype, mount point, super options)`` of every cgroup mount of this process's namespace."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
            found.append((tail[0], fields[4].replace("\\040", " "), set(tail[2].split(","))))
    return found


class Hierarchy:
    """Where the sandboxes' groups are made: :class:`V2` or :class:`V1`."""

    version = 0

    def group(self, limits) -> "Group":
        raise NotImplementedError


class V2(Hierarchy):
    """cgroup v2: one tree; the controllers memory, pids and cpu enabled for the sandboxes' parent."""

    version = 2
    CONTROLLERS = ("memory", "pids", "cpu")

    def __init__(self, root: Path):
        self.parent = root / PARENT
        try:
            available = set((root / "cgroup.controllers").read_text().split())
        except OSError as error:
            raise CgroupError(f"{root} is not a cgroup v2 folder ({error.strerror})") from None
        missing = [c for c in self.CONTROLLERS if c not in available]
        if missing:
            raise CgroupError(f"cgroup v2 at {root} lacks the controllers {missing}")
        try:
            enabled = set((root / "cgroup.subtree_control").read_text().split())
            if not set(self.CONTROLLERS) <= enabled:
                _write(root / "cgroup.subtree_control", " ".join(f"+{c}" for c in self.CONTROLLERS))
            self.parent.mkdir(exist_ok=True)
            _write(self.parent / "cgroup.subtree_control", " ".join(f"+{c}" for c in self.CONTROLLERS))
        except OSError as error:
            raise CgroupError(f"cannot set up {self.parent} ({error.strerror}): grade as root, or give a "
                              "delegated cgroup v2 folder") from None

    def group(self, limits) -> "Group":
        path = self.parent / f"sandbox-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        path.mkdir()
        group = Group(self, {"unified": path})
        try:
            _write(path / "memory.max", str(limits.memory_bytes))
            if (path / "memory.swap.max").exists():
                _write(path / "memory.swap.max", "0")
            _write(path / "pids.max", str(limits.processes))
            _write(path / "cpu.max", f"{CPU_PERIOD_US} {CPU_PERIOD_US}")
        except OSError:
            group.remove()
            raise
        return group

    def cpu_seconds(self, dirs: dict[str, Path]) -> float:
        for line in (dirs["unified"] / "cpu.stat").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "usage_usec":
                return int(value) / 1e6
        return 0.0

    def oom_kills(self, dirs: dict[str, Path]) -> int:
        for line in (dirs["unified"] / "memory.events").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def kill_all(self, dirs: dict[str, Path]) -> None:
        path = dirs["unified"]
        if (path / "cgroup.kill").exists():
            _write(path / "cgroup.kill", "1")
        else:  # before Linux 5.14: freeze, kill every member, thaw
            _write(path / "cgroup.freeze", "1")
            _kill_pids(path / "cgroup.procs")
            _write(path / "cgroup.freeze", "0")


class V1(Hierarchy):
    """cgroup v1: a group in each of the memory, pids, cpu, cpuacct and freezer hierarchies."""

    version = 1
    CONTROLLERS = ("memory", "pids", "cpu", "cpuacct", "freezer")

    def __init__(self, mounts: dict[str, Path]):
        self.parents = {}
        for controller in self.CONTROLLERS:
            parent = mounts[controller] / PARENT
            try:
                parent.mkdir(exist_ok=True)
            except OSError as error:
                raise CgroupError(f"cannot create {parent} ({error.strerror}): grade as root") from None
            self.parents[controller] = parent

    def group(self, limits) -> "Group":
        name = f"sandbox-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        dirs = {}
        group = Group(self, dirs)
        try:
            for controller, parent in self.parents.items():
                path = parent / name
                if path in dirs.values():  # cpu and cpuacct mounted together
                    dirs[controller] = path
                    continue
                path.mkdir()
                dirs[controller] = path
            memory = dirs["memory"]
            _write(memory / "memory.limit_in_bytes", str(limits.memory_bytes))
            if (memory / "memory.memsw.limit_in_bytes").exists():  # no swap either
                _write(memory / "memory.memsw.limit_in_bytes", str(limits.memory_bytes))
            _write(dirs["pids"] / "pids.max", str(limits.processes))
            _write(dirs["cpu"] / "cpu.cfs_period_us", str(CPU_PERIOD_US))
            _write(dirs["cpu"] / "cpu.cfs_quota_us", str(CPU_PERIOD_US))
        except OSError:
            group.remove()
            raise
        return group

    def cpu_seconds(self, dirs: dict[str, Path]) -> float:
        return int((dirs["cpuacct"] / "cpuacct.usage").read_text()) / 1e9

    def oom_kills(self, dirs: dict[str, Path]) -> int:
        for line in (dirs["memory"] / "memory.oom_control").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0  # kernels before 4.13 do not count them

    def kill_all(self, dirs: dict[str, Path]) -> None:
        freezer = dirs["freezer"]
        _write(freezer / "freezer.state", "FROZEN")
        try:
            for _ in range(200):  # frozen processes cannot fork away while they are killed
                if (freezer / "freezer.state").read_text().strip() == "FROZEN":
                    break
                time.sleep(0.005)
            _kill_pids(freezer / "cgroup.procs")
        finally:
            _write(freezer / "freezer.state", "THAWED")


def _kill_pids(procs: Path) -> None:
    for pid in procs.read_text().split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass


class Group:
    """One sandbox's control group (a folder per hierarchy)."""

    def __init__(self, hierarchy: Hierarchy, dirs: dict[str, Path]):
        self.hierarchy = hierarchy
        self.dirs = dirs

    @property
    def procs_files(self) -> list[Path]:
        """The ``cgroup.procs`` files a process writes its PID into to join the group."""
        return [path / "cgroup.procs" for path in dict.fromkeys(self.dirs.values())]

    def cpu_seconds(self) -> float:
        """CPU time used by every process of the group so far."""
        return self.hierarchy.cpu_seconds(self.dirs)

    def oom_kills(self) -> int:
        """How many processes of the group the kernel killed for want of memory."""
        try:
            return self.hierarchy.oom_kills(self.dirs)
        except (OSError, ValueError):
            return 0

    def pids(self) -> list[int]:
        found = set()
        for procs in self.procs_files:
            try:
                found |= {int(p) for p in procs.read_text().split()}
            except OSError:
                pass
        return sorted(found)

    def kill(self, timeout: float = 10.0) -> list[int]:
        """Kill every process of the group; the PIDs still there after ``timeout`` (none, normally)."""
        end = time.monotonic() + timeout
        while True:
            left = self.pids()
            if not left or time.monotonic() > end:
                return left
            try:
                self.hierarchy.kill_all(self.dirs)
            except OSError:
                pass
            time.sleep(0.01)

    def remove(self) -> None:
        for path in dict.fromkeys(self.dirs.values()):
            for _ in range(100):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as error:
                    if error.errno != errno.EBUSY:
                        break
                    time.sleep(0.01)


def detect(root: Path | None = None) -> Hierarchy:
    """The hierarchy to make the sandboxes' groups in, or :class:`CgroupError` saying why there is none.

    ``root`` is a cgroup v2 folder this process may write (a delegated subtree); by default the
    mounted hierarchies are used: v2 if it has the memory, pids and cpu controllers, else v1.
    """
    if root is not None:
        return V2(Path(root))
    mounts = _mounts()
    unified = [Path(point) for kind, point, _ in mounts if kind == "cgroup2"]
    v1 = {}
    for kind, point, options in mounts:
        if kind == "cgroup":
            for controller in V1.CONTROLLERS:
                if controller in options:
                    v1.setdefault(controller, Path(point))
    problems = []
    for point in unified:
        controllers = point / "cgroup.controllers"
        if controllers.is_file() and set(V2.CONTROLLERS) <= set(controllers.read_text().split()):
            try:
                return V2(point)
            except CgroupError as error:
                problems.append(str(error))
    if set(V1.CONTROLLERS) <= set(v1):
        try:
            return V1(v1)
        except CgroupError as error:
            problems.append(str(error))
    elif v1:
        problems.append(f"cgroup v1 lacks the controllers {sorted(set(V1.CONTROLLERS) - set(v1))}")
    if not problems:
        problems.append("no cgroup v1 or v2 hierarchy is mounted")
    raise CgroupError("; ".join(problems))
