"""Decide the points of one submission, outside the student's process.

:func:`grade_submission` reads the submitted notebook as data, starts one sandbox per library
view its parts need (:mod:`sandbox`), has the sandbox run the notebook's code (the instructor's
setup cells from the source notebook, the student's other cells; the test cells never), and then
runs each part's hidden test of :mod:`hidden_tests` here: the hidden inputs go to the sandbox,
the answers come back as plain data and are compared with references computed in this process.
Nothing the student's code does in its sandbox can change a comparison or a score.

A sandbox that ends, loops, floods its output or breaks the protocol costs the part it was
working on; the next part gets a fresh sandbox. Such events, and a notebook that cannot be read,
go into :attr:`SubmissionResult.attention`.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import re
import stat
import shutil
import tempfile
import threading
from pathlib import Path

import nbformat

import lecture_lib
import hidden_tests
from lecture_lib.exercises.framework import Failed, Raised, raised_message, run
import sandbox
from inside import wire

#: The largest notebook file read (bytes); a larger one is not graded.
MAX_NOTEBOOK_BYTES = 16 * 1024**2
#: The most characters of cell source (code, Markdown, raw) a notebook may hold.
MAX_SOURCE_CHARS = 1_000_000
#: The most numbers one answer may hold.
MAX_ITEMS = 10**6
LECTURE_LIB = Path(lecture_lib.__file__).resolve().parent
#: Exception types named in feedback; a type of any other name is reported as :data:`OTHER_EXCEPTION`.
#: The student's code chooses its exceptions' names, so only these fixed words ever reach a page.
KNOWN_EXCEPTIONS = frozenset({
    "ArithmeticError", "AssertionError", "AttributeError", "AxisError", "FileNotFoundError",
    "FloatingPointError", "ImportError", "IndentationError", "IndexError", "KeyError", "KeyboardInterrupt",
    "LinAlgError", "LookupError", "MemoryError", "ModuleNotFoundError", "NameError", "NotImplementedError",
    "OSError", "OverflowError", "PermissionError", "RecursionError", "RuntimeError", "StopIteration",
    "SyntaxError", "SystemExit", "TabError", "TimeoutError", "TypeError", "UnboundLocalError",
    "UnicodeError", "ValueError", "ZeroDivisionError"})
OTHER_EXCEPTION = "an exception of another type"


def exception_category(name) -> str:
    """The name of a raised exception as feedback may show it: a known built-in name, else a fixed phrase."""
    return name if type(name) is str and name in KNOWN_EXCEPTIONS else OTHER_EXCEPTION


@dataclasses.dataclass
class PartResult:
    grade_id: str
    points: float
    max_points: float
    message: str
    #: The key of the mistake the message names (:class:`lecture_lib.exercises.framework.Mistake`), or None.
    diagnosis: str | None = None


@dataclasses.dataclass
class SubmissionResult:
    student: str
    assignment: str
    notebook: str
    parts: list[PartResult]
    cell_errors: list[str]
    attention: list[str]
    #: Distinctive text forms of the hidden inputs sent to the sandbox; feedback must not contain them.
    secrets: set[str] = dataclasses.field(default_factory=set)

    @property
    def score(self) -> float:
        return sum(p.points for p in self.parts)


def nbgrader_meta(cell) -> dict:
    """A cell's nbgrader metadata; a ``grade_id`` that is not a string counts as none."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    meta = metadata.get("nbgrader", {}) if isinstance(metadata, dict) else {}
    if not isinstance(meta, dict):
        return {}
    if "grade_id" in meta and type(meta["grade_id"]) is not str:
        meta = {k: v for k, v in meta.items() if k != "grade_id"}
    return meta


class Views:
    """The library views of the sandboxes, built once per grading run (restricted lecture_lib copies)."""

    def __init__(self):
        self._root = Path(tempfile.mkdtemp(prefix="grading-views-"))
        os.chmod(self._root, 0o755)
        self._views: dict[tuple, sandbox.View] = {}
        self._lock = threading.Lock()

    def get(self, modules: tuple[str, ...], libraries: tuple[str, ...] = sandbox.BASE_LIBRARIES) -> sandbox.View:
        with self._lock:
            if (modules, libraries) not in self._views:
                folder = self._root / ("lecture_lib-" + "-".join(modules or ("none",)))
                self._views[modules, libraries] = sandbox.View(
                    folder if folder.is_dir() else self._build(modules, folder), libraries)
            return self._views[modules, libraries]

    def _build(self, modules: tuple[str, ...], folder: Path) -> Path:
        """A copy of lecture_lib with only ``modules``; every other public name raises ImportError."""
        folder.mkdir(mode=0o755)
        present = []
        for module in with_imports(modules):
            text = (LECTURE_LIB / f"{module}.py").read_text()
            # scipy is absent from these sandboxes: the modules copied must not import it when loaded
            # (lecture_lib._validation asks scipy "is this sparse?" only for objects of scipy's classes).
            if re.search(r"^(from scipy|import scipy)", text, flags=re.M):
                raise RuntimeError(f"lecture_lib/{module}.py imports scipy at load time: update grading.checker.Views")
            (folder / f"{module}.py").write_text(text)
            present.append(module)
        lines = [f'"""lecture_lib as this part of the exercise provides it: modules {modules or "none"}."""', ""]
        absent = []
        for name in lecture_lib.__all__:
            home = "models" if name in lecture_lib._MODELS else getattr(lecture_lib, name).__module__.rpartition(".")[2]
            if home in present and home != "_validation":
                lines.append(f"from .{home} import {name}")
            else:
                absent.append(name)
        lines += ["", "", "def _absent(name):", "    def absent(*args, **kwargs):",
                  "        raise ImportError(f'lecture_lib.{name} is not available in this part of the exercise')",
                  "    absent.__name__ = absent.__qualname__ = name", "    return absent", ""]
        lines += [f"{name} = _absent({name!r})" for name in absent]
        (folder / "__init__.py").write_text("\n".join(lines) + "\n")
        for path in folder.iterdir():
            path.chmod(0o644)
        return folder

    def close(self) -> None:
        shutil.rmtree(self._root, ignore_errors=True)


def with_imports(modules: tuple[str, ...]) -> list[str]:
    """``modules`` and every lecture_lib module they import at load time (relative imports, public modules
    as well as ``_validation``), recursively: what a library view must hold for ``modules`` to load."""
    found, todo = [], list(modules)
    while todo:
        module = todo.pop(0)
        if module in found:
            continue
        found.append(module)
        text = (LECTURE_LIB / f"{module}.py").read_text()
        todo += re.findall(r"^from \.(\w+) import", text, flags=re.M)
        todo += re.findall(r"^from \. import (\w+)", text, flags=re.M)
    return found


def cells_to_run(source_nb, student_nb) -> list[tuple[str, str]]:
    """``(kind, code)`` in notebook order: ``setup`` from the source, ``cell`` from the student.

    Cells are recognised by their nbgrader ``grade_id`` in the *source*: a locked cell of the
    source runs as the source has it (wherever the student's copy is, or first if it was
    deleted); a test cell never runs; any other code cell is the student's and runs as written.
    """
    locked = {nbgrader_meta(c)["grade_id"]: c.source for c in source_nb.cells
              if nbgrader_meta(c).get("locked") and not nbgrader_meta(c).get("grade") and c.cell_type == "code"}
    tests = {nbgrader_meta(c)["grade_id"] for c in source_nb.cells if nbgrader_meta(c).get("grade")}
    seen, out = set(), []
    for cell in student_nb.cells:
        if cell.get("cell_type") != "code" or not isinstance(cell.get("source"), str):
            continue
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in tests:
            continue
        if grade_id in locked:
            if grade_id not in seen:
                out.append(("setup", locked[grade_id]))
                seen.add(grade_id)
            continue
        out.append(("cell", cell.source))
    missing = [("setup", code) for grade_id, code in locked.items() if grade_id not in seen]
    return missing + out


class Caller:
    """``call(name, *args)``: a function of the notebook called in the sandbox, its answer as data.

    The caller of :func:`lecture_lib.exercises.framework.run` for the grader. Every message it raises
    is written here; of what the sandbox says, only the category of an exception
    (:func:`exception_category`) may reach the student. The distinctive text forms of the inputs it
    sends are kept in ``secrets`` for the leak scanner. ``sources`` are the student's code cells, in
    which :meth:`source` finds a function's definition.
    """

    def __init__(self, box: sandbox.Sandbox, secrets: set[str] | None = None,
                 seeds: hidden_tests.Seeds | None = None, sources: list[str] | None = None):
        self.box = box
        self.secrets = secrets if secrets is not None else set()
        self.rng = (seeds or hidden_tests.Seeds()).rng
        self.sources = sources or []

    def _send(self, name: str, args, errors: str | None = None) -> dict:
        for arg in args:
            self.secrets |= hidden_values(arg)
        return self.box.request({"op": "call", "name": name, "args": [wire.encode(a) for a in args],
                                 "errors": errors})

    def __call__(self, name: str, *args, errors: str | None = None):
        reply = self._send(name, args, errors)
        if not reply["ok"]:
            error = exception_category(reply.get("error"))
            if error == "NameError":
                raise Failed(f"{name} is not defined (did its cell run without an error?)")
            if error == "FloatingPointError":
                raise Raised(f"{name} overflowed, divided by zero or made a NaN on a hidden input", error)
            raise Raised(raised_message(name, error) + ("" if error == "NotImplementedError" else " on a hidden input"),
                         error)
        try:
            return wire.decode(reply.get("value"), MAX_ITEMS)
        except wire.WireError:
            raise Failed(f"{name} returned something that is not numbers or arrays") from None

    def raises(self, name: str, *args):
        """``(exception category, message)`` if ``name(*args)`` raised, else None (the message is for
        the checks only: it never reaches the feedback)."""
        reply = self._send(name, args, "ignore")
        if reply["ok"]:
            return None
        return exception_category(reply.get("error")), str(reply.get("message", ""))[:500]

    def source(self, name: str) -> str | None:
        """The last code cell of the student's that defines ``name`` (as data: it is never run here)."""
        defining = [code for code in self.sources if re.search(rf"^\s*def\s+{re.escape(name)}\s*\(", code, re.M)]
        return defining[-1] if defining else None


def hidden_values(value, limit: int = 64) -> set[str]:
    """The distinctive text forms (``repr`` with at least 8 characters) of up to ``limit`` numbers of ``value``."""
    import numpy as np

    if isinstance(value, (tuple, list)):
        return set().union(*(hidden_values(v, limit) for v in value)) if value else set()
    if isinstance(value, (float, np.floating, np.ndarray)):
        numbers = np.asarray(value, dtype=np.float64).ravel()[:limit].tolist()
        return {text for x in numbers for text in (repr(x), f"{x:.6g}") if len(text.lstrip("-")) >= 8}
    return set()


class UnreadableNotebook(ValueError):
    """A submitted file that is not a notebook the grader will read; the message says why."""


def _clean_text(value):
    """``value`` with lone surrogates (invalid in UTF-8) replaced, in every string it holds."""
    if isinstance(value, str):
        return re.sub("[\ud800-\udfff]", "\ufffd", value)
    if isinstance(value, list):
        return [_clean_text(v) for v in value]
    if isinstance(value, dict):
        return {_clean_text(k): _clean_text(v) for k, v in value.items()}
    return value


def read_bytes(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path`` (not a link, FIFO or device), at most ``limit`` of them."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UnreadableNotebook(f"{path.name} is a symbolic link, not a file") from None
        raise UnreadableNotebook(f"{path.name} could not be opened ({error.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnreadableNotebook(f"{path.name} is not a regular file")
        if os.fstat(fd).st_size > limit:
            raise UnreadableNotebook(f"{path.name} is larger than {limit} bytes")
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise UnreadableNotebook(f"{path.name} is larger than {limit} bytes")
        return data
    finally:
        os.close(fd)


def read_notebook(path: Path):
    """A submitted notebook as nbformat v4, read as data: outputs and attachments dropped, strings made
    valid Unicode, sizes capped. Raises :class:`UnreadableNotebook` saying why it cannot be graded."""
    raw = read_bytes(path, MAX_NOTEBOOK_BYTES)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise UnreadableNotebook("the notebook is not UTF-8 text") from None
    except (ValueError, RecursionError):
        raise UnreadableNotebook("the notebook is not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")), list):
        raise UnreadableNotebook("the notebook has no list of cells")
    cells = data["cells"] if "cells" in data else [c for w in data["worksheets"] if isinstance(w, dict)
                                                   for c in w.get("cells", []) if isinstance(w.get("cells"), list)]
    total = 0
    for cell in cells:
        if not isinstance(cell, dict):
            raise UnreadableNotebook("a cell of the notebook is not a cell")
        for key in ("source", "input"):
            if isinstance(cell.get(key), list):
                cell[key] = "".join(x for x in cell[key] if isinstance(x, str))
            total += len(cell.get(key, "")) if isinstance(cell.get(key), str) else 0
        cell.pop("attachments", None)
        if "outputs" in cell:
            cell["outputs"] = []
    if total > MAX_SOURCE_CHARS:
        raise UnreadableNotebook(f"the notebook's cells hold more than {MAX_SOURCE_CHARS} characters")
    try:
        nb = nbformat.reads(json.dumps(_clean_text(data)), as_version=4)
    except Exception as error:  # nbformat's own errors: a notebook it cannot read or convert
        raise UnreadableNotebook(f"the notebook's format is not valid ({type(error).__name__})") from None
    if not isinstance(nb.get("cells"), list):
        raise UnreadableNotebook("the notebook has no list of cells")
    return nb


def _all_parts(parts, message: str) -> list[PartResult]:
    return [PartResult(p.grade_id, 0.0, float(p.points), message) for p in parts]


def not_graded(student: str, assignment: str, notebook: str, message: str, attention: str) -> SubmissionResult:
    """A submission that was not graded: 0 points and ``message`` for every part, ``attention`` for the instructor."""
    return SubmissionResult(student, assignment, notebook, _all_parts(hidden_tests.PARTS[assignment], message), [],
                            [attention])


def grade_submission(folder: Path, source_path: Path, assignment: str, views: Views, limits: sandbox.Limits,
                     hide: tuple[Path, ...], isolation: sandbox.Isolation | None,
                     secret: bytes | None = None) -> SubmissionResult:
    """Grade ``folder/<notebook>.ipynb`` (one student's submission of ``assignment``).

    ``isolation`` None runs the code without a sandbox (``--no-sandbox``); ``secret``, the course
    secret, draws the hidden inputs for this student (:class:`hidden_tests.Seeds`). Never raises: an
    error of the grader itself gives 0 points and a line in ``attention``.
    """
    try:
        return _grade(folder, source_path, assignment, views, limits, hide, isolation, secret)
    except Exception as error:
        return not_graded(folder.parent.name, assignment, source_path.stem,
                          "not graded: an error of the grader (your instructor will look at it)",
                          f"grader error ({type(error).__name__}): grade it by hand")


def _grade(folder: Path, source_path: Path, assignment: str, views: Views, limits: sandbox.Limits,
           hide: tuple[Path, ...], isolation: sandbox.Isolation | None, secret: bytes | None) -> SubmissionResult:
    student = folder.parent.name
    seeds = hidden_tests.Seeds(secret, student)
    source_nb = nbformat.read(source_path, as_version=4)
    parts = hidden_tests.PARTS[assignment]
    points = {part.grade_id: float(part.points) for part in parts}
    result = SubmissionResult(student, assignment, source_path.stem, [], [], [])
    results: dict[str, PartResult] = {}
    try:
        student_nb = read_notebook(folder / source_path.name)
    except UnreadableNotebook as error:  # 0 points, and a human looks at it
        return not_graded(student, assignment, source_path.stem, f"not graded: {error}", f"not graded: {error}")
    if any(_malformed_nbgrader(c) for c in student_nb.cells):
        result.attention.append("a cell's nbgrader metadata is malformed (not a mapping, or a grade_id that is "
                                "not text): it was treated as an ordinary cell")
    cells = cells_to_run(source_nb, student_nb)
    groups: dict[tuple, list[int]] = {}
    for i, part in enumerate(parts):
        groups.setdefault((part.lecture_lib, part.libraries), []).append(i)
    for (modules, libraries), indices in groups.items():
        todo = list(indices)
        while todo:
            box = None
            try:
                box = sandbox.Sandbox(views.get(modules, libraries), limits, hide, isolation)
                for kind, code in cells:
                    reply = box.request({"op": kind, "source": code})
                    if kind == "cell" and not reply["ok"] and len(result.cell_errors) < 20:
                        error = exception_category(reply.get("error"))
                        result.cell_errors.append(error)
                        if error in ("MemoryError", "SystemExit", "KeyboardInterrupt"):
                            result.attention.append(f"a cell raised {error}")
            except sandbox.SandboxError as error:  # the notebook itself did not run: its parts here get 0
                result.attention.append(error.reason)
                for i in todo:
                    results[parts[i].grade_id] = PartResult(parts[i].grade_id, 0.0, points[parts[i].grade_id],
                                                            f"not graded: {error.reason}")
                todo = []
                if box is not None:
                    box.kill()
                    _check_gone(box, result)
                continue
            try:
                while todo:
                    i = todo[0]
                    part = parts[i]
                    if part.stand_ins:
                        box.request({"op": "define", "source": part.stand_ins, "names": list(part.stand_in_names)})
                    try:
                        run(part, Caller(box, result.secrets, seeds, [code for kind, code in cells if kind == "cell"]))
                        results[part.grade_id] = PartResult(part.grade_id, points[part.grade_id],
                                                            points[part.grade_id], "passed")
                    except Failed as failure:
                        results[part.grade_id] = PartResult(part.grade_id, 0.0, points[part.grade_id], failure.message,
                                                            failure.diagnosis)
                    except sandbox.SandboxError:
                        raise
                    except Exception as error:  # an answer of a kind the check could not use
                        results[part.grade_id] = PartResult(part.grade_id, 0.0, points[part.grade_id],
                                                            f"{part.function} returned a value of the wrong kind "
                                                            f"({type(error).__name__} while checking it)")
                    todo.pop(0)
            except sandbox.SandboxError as error:  # this part gets 0; the next part gets a fresh sandbox
                i = todo.pop(0)
                result.attention.append(f"{parts[i].function}: {error.reason}")
                results[parts[i].grade_id] = PartResult(parts[i].grade_id, 0.0, points[parts[i].grade_id],
                                                        f"not graded: {error.reason}")
            finally:
                box.kill()
                _check_gone(box, result)
    result.parts = [results[p.grade_id] for p in parts]
    return result


def _malformed_nbgrader(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader") if isinstance(cell.get("metadata"), dict) else None
    return meta is not None and (not isinstance(meta, dict)
                                 or ("grade_id" in meta and type(meta["grade_id"]) is not str))


def _check_gone(box: sandbox.Sandbox, result: SubmissionResult) -> None:
    if box.oom_kills:
        message = (f"memory limit: processes of the sandbox were killed for using more than "
                   f"{box.limits.memory_bytes // 1024**2} MiB together")
        if message not in result.attention:
            result.attention.append(message)
    if box.survivors:
        message = f"processes of the sandbox survived being killed (pids {box.survivors[:5]}): kill them by hand"
        if message not in result.attention:
            result.attention.append(message)
