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
import importlib.util
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import nbformat

import lecture_lib
from compare import CheckFailed
import hidden_tests
import sandbox
from inside import wire

#: The largest notebook file read (bytes); a larger one is not graded.
MAX_NOTEBOOK_BYTES = 20 * 1024**2
#: The most numbers one answer may hold.
MAX_ITEMS = 10**7
LECTURE_LIB = Path(lecture_lib.__file__).resolve().parent


@dataclasses.dataclass
class PartResult:
    grade_id: str
    points: float
    max_points: float
    message: str


@dataclasses.dataclass
class SubmissionResult:
    student: str
    assignment: str
    notebook: str
    parts: list[PartResult]
    cell_errors: list[str]
    attention: list[str]

    @property
    def score(self) -> float:
        return sum(p.points for p in self.parts)


def nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def _site_folders(name: str) -> list[Path]:
    spec = importlib.util.find_spec(name)
    return [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []


class Views:
    """The library views of the sandboxes, built once per grading run (restricted lecture_lib copies)."""

    def __init__(self):
        self._root = Path(tempfile.mkdtemp(prefix="grading-views-"))
        os.chmod(self._root, 0o755)
        self._views: dict[tuple[str, ...], sandbox.View] = {}
        self._lock = threading.Lock()
        site = Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
        absent = [*_site_folders("scipy"), *_site_folders("sklearn"), site]
        for libs in ("scipy.libs", "scikit_learn.libs"):
            absent += [p.parent / libs for p in _site_folders("scipy") if (p.parent / libs).is_dir()]
        self.absent = tuple(dict.fromkeys(p for p in absent if p.is_dir()))

    def get(self, modules: tuple[str, ...]) -> sandbox.View:
        with self._lock:
            if modules not in self._views:
                self._views[modules] = sandbox.View(self._build(modules), self.absent)
            return self._views[modules]

    def _build(self, modules: tuple[str, ...]) -> Path:
        """A copy of lecture_lib with only ``modules``; every other public name raises ImportError."""
        folder = self._root / ("lecture_lib-" + "-".join(modules or ("none",)))
        folder.mkdir(mode=0o755)
        present = []
        for module in (("_validation", *modules) if modules else ()):
            text = (LECTURE_LIB / f"{module}.py").read_text()
            if module == "_validation":  # scipy is absent: lecture_lib only asks it "is this sparse?"
                if "from scipy import sparse\n" not in text:
                    raise RuntimeError("lecture_lib/_validation.py changed: update grading.checker.Views")
                text = text.replace("from scipy import sparse\n",
                                    "class sparse:  # scipy is absent from this sandbox\n"
                                    "    issparse = staticmethod(lambda a: False)\n")
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
    """``call(name, *args)``: a function of the notebook called in the sandbox, its answer as data."""

    def __init__(self, box: sandbox.Sandbox):
        self.box = box

    def __call__(self, name: str, *args, errors: str | None = None):
        reply = self.box.request({"op": "call", "name": name, "args": [wire.encode(a) for a in args],
                                  "errors": errors})
        if not reply["ok"]:
            error = str(reply.get("error", "an error"))[:100]
            if error == "NameError":
                raise CheckFailed(f"{name} is not defined (did its cell run without an error?)")
            if error == "FloatingPointError":
                raise CheckFailed(f"{name} overflowed, divided by zero or made a NaN on a hidden input")
            raise CheckFailed(f"{name} raised {error} on a hidden input")
        try:
            return wire.decode(reply.get("value"), MAX_ITEMS)
        except wire.WireError:
            raise CheckFailed(f"{name} returned something that is not numbers or arrays") from None

    def raises(self, name: str, *args):
        """``(exception name, message)`` if ``name(*args)`` raised, else None."""
        reply = self.box.request({"op": "call", "name": name, "args": [wire.encode(a) for a in args]})
        if reply["ok"]:
            return None
        return str(reply.get("error", ""))[:100], str(reply.get("message", ""))[:500]


def read_notebook(path: Path):
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"the notebook is larger than {MAX_NOTEBOOK_BYTES} bytes")
    nb = nbformat.read(path, as_version=4)
    if not isinstance(nb.get("cells"), list):
        raise ValueError("the notebook has no list of cells")
    return nb


def grade_submission(folder: Path, source_path: Path, assignment: str, views: Views, limits: sandbox.Limits,
                     hide: tuple[Path, ...], no_sandbox: bool = False) -> SubmissionResult:
    """Grade ``folder/<notebook>.ipynb`` (one student's submission of ``assignment``).

    Never raises: an error of the grader itself gives 0 points and a line in ``attention``.
    """
    try:
        return _grade(folder, source_path, assignment, views, limits, hide, no_sandbox)
    except Exception as error:
        source_nb = nbformat.read(source_path, as_version=4)
        return SubmissionResult(folder.parent.name, assignment, source_path.stem, [
            PartResult(nbgrader_meta(c)["grade_id"], 0.0, float(nbgrader_meta(c)["points"]),
                       "not graded: an error of the grader (your instructor will look at it)")
            for c in source_nb.cells if nbgrader_meta(c).get("grade")],
            [], [f"grader error ({type(error).__name__}: {str(error)[:200]}): grade it by hand"])


def _grade(folder: Path, source_path: Path, assignment: str, views: Views, limits: sandbox.Limits,
           hide: tuple[Path, ...], no_sandbox: bool) -> SubmissionResult:
    student = folder.parent.name
    source_nb = nbformat.read(source_path, as_version=4)
    points = {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"])
              for c in source_nb.cells if nbgrader_meta(c).get("grade")}
    parts = hidden_tests.PARTS[assignment]
    result = SubmissionResult(student, assignment, source_path.stem, [], [], [])
    results: dict[str, PartResult] = {}
    try:
        student_nb = read_notebook(folder / source_path.name)
    except Exception as error:  # any unreadable file: 0 points, and a human looks at it
        result.attention.append(f"the notebook could not be read ({type(error).__name__}); 0 points")
        result.parts = [PartResult(p.grade_id, 0.0, points[p.grade_id], "not graded: the notebook could not be read")
                        for p in parts]
        return result
    cells = cells_to_run(source_nb, student_nb)
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, part in enumerate(parts):
        groups.setdefault(part.lecture_lib, []).append(i)
    for modules, indices in groups.items():
        todo = list(indices)
        while todo:
            box = None
            try:
                box = sandbox.Sandbox(views.get(modules), limits, hide, LECTURE_LIB, isolated=not no_sandbox)
                for kind, code in cells:
                    reply = box.request({"op": kind, "source": code})
                    if kind == "cell" and not reply["ok"] and len(result.cell_errors) < 20:
                        result.cell_errors.append(str(reply.get("error"))[:100])
                        if reply.get("error") in ("MemoryError", "SystemExit", "KeyboardInterrupt"):
                            result.attention.append(f"a cell raised {reply.get('error')}")
            except sandbox.SandboxError as error:  # the notebook itself did not run: its parts here get 0
                result.attention.append(error.reason)
                for i in todo:
                    results[parts[i].grade_id] = PartResult(parts[i].grade_id, 0.0, points[parts[i].grade_id],
                                                            f"not graded: {error.reason}")
                todo = []
                if box is not None:
                    box.kill()
                continue
            try:
                while todo:
                    i = todo[0]
                    part = parts[i]
                    if part.stand_ins:
                        box.request({"op": "define", "source": part.stand_ins, "names": list(part.stand_in_names)})
                    try:
                        part.check(Caller(box))
                        results[part.grade_id] = PartResult(part.grade_id, points[part.grade_id],
                                                            points[part.grade_id], "passed")
                    except CheckFailed as failure:
                        results[part.grade_id] = PartResult(part.grade_id, 0.0, points[part.grade_id], str(failure))
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
    result.parts = [results[p.grade_id] for p in parts]
    return result
