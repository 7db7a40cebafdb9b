"""The visible code of a page stands on its own, and hidden cells never change it (issue 19).

A reader copies the code a page shows, not its hidden check cells. So, on every page in the chapter form
(``test_chapters.NOTEBOOK_PAGES``):

1. every name the visible code reads is bound by an earlier visible cell (or earlier in the same cell), by
   an import, or is a builtin: copying the visible code never raises ``NameError``;
2. a hidden cell never binds, at the top level, a name that visible code binds: not by assignment, not as
   a ``for`` target, not by import. A hidden cell may read visible names and compute new ones (the values
   the prose shows, under their own names), but ``accuracy *= 100`` or ``m = int(m)`` would make the page
   show something the visible code does not compute.

Scopes come from :mod:`symtable`, so function parameters, names local to a function and comprehension
variables are not top-level bindings; a function body may read a module-level name bound anywhere in the
visible code (it runs when called), but not one that only hidden cells bind.
"""

from __future__ import annotations

import builtins
import symtable
from pathlib import Path

import pytest
from test_chapters import NOTEBOOK_PAGES, _cells, _ipython_source

#: Names IPython defines in every kernel, and the throwaway name.
KERNEL_NAMES = set(dir(builtins)) | {"get_ipython", "display", "In", "Out", "_"}


def _scopes(table: symtable.SymbolTable):
    for child in table.get_children():
        yield child
        yield from _scopes(child)


def top_level_bindings(source: str) -> set[str]:
    """Names a cell binds in the notebook's namespace (assignments, ``for`` targets, imports, def, class)."""
    table = symtable.symtable(source, "<cell>", "exec")
    bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    # `global x` inside a function binds the module's x too.
    for scope in _scopes(table):
        bound |= {s.get_name() for s in scope.get_symbols() if s.is_declared_global() and s.is_assigned()}
    return bound - {"_"}


def module_reads(source: str) -> set[str]:
    """Names the cell's top level reads (in the order-free sense: read anywhere at the top level)."""
    table = symtable.symtable(source, "<cell>", "exec")
    return {s.get_name() for s in table.get_symbols() if s.is_referenced()}


def global_reads_in_functions(source: str) -> set[str]:
    """Module-level names read inside the cell's functions, lambdas and comprehensions."""
    reads = set()
    for scope in _scopes(symtable.symtable(source, "<cell>", "exec")):
        reads |= {s.get_name() for s in scope.get_symbols()
                  if s.is_global() and s.is_referenced() and not s.is_assigned()}
    return reads


def visible_code_problems(text: str) -> list[str]:
    """What breaks the two rules in a page's source (empty if nothing)."""
    cells = [(cell.hidden, _ipython_source(cell.source), cell.source.strip().splitlines()[0][:60])
             for cell in _cells(text) if cell.source.strip()]
    visible_anywhere = set()
    for hidden, source, _ in cells:
        if not hidden:
            visible_anywhere |= top_level_bindings(source)
    problems, bound_so_far = [], set(KERNEL_NAMES)
    for hidden, source, first in cells:
        here = top_level_bindings(source)
        if hidden:
            rebound = here & visible_anywhere
            if rebound:
                problems.append(f"the hidden cell {first!r} binds {sorted(rebound)}, which visible code binds: "
                                "give its values their own names")
            continue
        # A name the cell reads before any visible code bound it (the cell may bind it itself: `x = 1; x + 1`).
        missing = (module_reads(source) - bound_so_far - here) | (
            global_reads_in_functions(source) - visible_anywhere - KERNEL_NAMES)
        if missing:
            problems.append(f"the visible cell {first!r} reads {sorted(missing)}, which only hidden cells "
                            "(or nothing above it) define")
        bound_so_far |= here
    return problems


@pytest.mark.parametrize("page", NOTEBOOK_PAGES, ids=[p.stem for p in NOTEBOOK_PAGES])
def test_visible_code_stands_alone_and_hidden_cells_do_not_rebind(page: Path):
    problems = visible_code_problems(page.read_text(encoding="utf-8"))
    assert not problems, f"{page.name}:\n" + "\n".join(problems)


def _page(*cells: tuple[bool, str]) -> str:
    hidden_meta = "---\njupyter:\n  source_hidden: true\ntags: [remove-input, remove-output]\n---\n"
    return "\n".join(f"```{{code-cell}} ipython3\n{hidden_meta if hidden else ''}{src}\n```\n" for hidden, src in cells)


VIOLATIONS = {
    "visible reads a hidden name": _page((True, "y_pred = [1, 2]"), (False, "print(y_pred)")),
    "visible reads a name bound only below": _page((False, "print(J_star)"), (False, "J_star = 1.0")),
    "a function reads a hidden name": _page((True, "scale = 2"), (False, "def f(x):\n    return scale * x")),
    "hidden rescales a visible name": _page((False, "accuracy = 0.9"), (True, "accuracy *= 100")),
    "hidden converts a visible name": _page((False, "m = 10.0"), (True, "m = int(m)")),
    "hidden loop variable": _page((False, "T = 1.0"), (True, "for T in (0.5, 2.0):\n    pass")),
    "hidden import of a visible name": _page((False, "np = None"), (True, "import numpy as np")),
}
ACCEPTED = {
    "hidden reads and names its own value": _page((False, "accuracy = 0.9"), (True, "accuracy_pct = 100 * accuracy")),
    "comprehension and function locals": _page(
        (False, "T = 1.0\ndef f(x, T=2):\n    y = x * T\n    return y"),
        (True, "values = [f(T) for T in (1, 2)]\nassert values == [2, 4]")),
    "a function reads a visible name bound later": _page(
        (False, "def f(x):\n    return scale * x"), (False, "scale = 2\nf(1)")),
    "a cell that binds then reads": _page((False, "x = 1\nprint(x + 1)")),
    "magics": _page((False, "%matplotlib inline\nimport math\nmath.pi")),
}


@pytest.mark.parametrize("name", VIOLATIONS)
def test_the_check_catches(name):
    assert visible_code_problems(VIOLATIONS[name]), name


@pytest.mark.parametrize("name", ACCEPTED)
def test_the_check_accepts(name):
    assert not visible_code_problems(ACCEPTED[name]), visible_code_problems(ACCEPTED[name])
