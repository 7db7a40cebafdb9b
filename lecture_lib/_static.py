"""The JavaScript and CSS that the package ships, read from its data files in ``lecture_lib/static/``.

The explorer's and trainer's scripts and style sheets are ordinary ``.js``/``.css`` files, so linters,
editors and diffs see them (``tests/test_js_lint.py`` runs ESLint on them); this module reads them with
:mod:`importlib.resources`, so they are found in a wheel as in a clone.

One templating scheme: a file may hold placeholders ``__NAME__`` (capitals, digits, underscores),
and :func:`render` replaces each with the text given for ``name``. The CSS is scoped to one widget
with ``#__ID__``; ``trainer.js`` takes its constants (palette, markers, plot range, point limit) as
``__PALETTE__`` etc., which the caller passes as JSON. Everything else is copied byte for byte.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

#: A placeholder in a static file: ``__NAME__``.
PLACEHOLDER = re.compile(r"__[A-Z][A-Z0-9_]*__")


@cache
def read(name: str) -> str:
    """The text of ``lecture_lib/static/<name>`` (UTF-8), read once per process."""
    return resources.files("lecture_lib").joinpath("static", name).read_text(encoding="utf-8")


def render(name: str, **values: str) -> str:
    """``lecture_lib/static/<name>`` with each placeholder ``__KEY__`` replaced by ``values["key"]``.

    Parameters
    ----------
    name : str
        File name inside ``lecture_lib/static/``, e.g. ``"trainer.js"``.
    **values : str
        Replacement text per placeholder, keyed by its name in lower case (``id`` for ``__ID__``).
        The text is inserted as given (pass JSON for JavaScript values).

    Raises
    ------
    ValueError
        If the file holds a placeholder without a value, or a value has no placeholder in the file
        (a renamed placeholder fails here instead of reaching the page).
    """
    text = read(name)
    found = {match[2:-2].lower() for match in PLACEHOLDER.findall(text)}
    if found != set(values):
        raise ValueError(f"lecture_lib/static/{name} has placeholders {sorted(found)}; "
                         f"values were given for {sorted(values)}.")
    return PLACEHOLDER.sub(lambda match: values[match.group(0)[2:-2].lower()], text)
