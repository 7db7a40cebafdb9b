"""Pairs of submissions whose answers look alike, found by copydetect (winnowed fingerprints of the code).

For one assignment, each student's *answer cells* (the code cells that the source notebook marks as
solution cells in its nbgrader metadata, found in the submission by their ``grade_id``) are written, as
data, to one ``.py`` file per student in a temporary folder; the same cells of the release (the starter
code: signatures, docstrings, the ``raise NotImplementedError()`` stub) are copydetect's boilerplate, so
what every student was given makes no pair alike. Submissions are read with the grader's
:func:`checker.read_notebook`; nothing is run.

copydetect (``CopyDetector``) turns each file into tokens with the names replaced (a renamed variable
changes nothing), takes the hashes of every run of :data:`NOISE` characters of that text, and keeps a
winnowed sample of them. For a pair (A, B), "A in B" is the share of A's fingerprinted code, boilerplate
excluded, that also occurs in B; the two directions differ when one answer is longer. A pair is listed
when either direction reaches the threshold, the most similar first.

copydetect's own HTML report loads Bootstrap from a CDN, so this module writes its own page: every id and
every line of code escaped, the matched code marked with ``<mark>``, no script and no request (the
Content Security Policy of the feedback pages).
"""

from __future__ import annotations

import dataclasses
import html
import tempfile
from pathlib import Path

import numpy as np

from analysis import escape, page, table
from checker import UnreadableNotebook, nbgrader_meta, read_notebook

#: List a pair when either direction of its similarity reaches this (the CLI's default).
THRESHOLD = 0.5
#: copydetect's noise threshold: the shortest run of filtered code (names replaced by one letter,
#: spaces and comments removed) that counts as a match. Its default, 25, suits files of a few hundred
#: lines; an answer cell is a function of a few lines.
NOISE = 20
#: At most this many characters of each answer are shown on the page (the match is computed on all).
SHOWN_CHARS = 20_000
#: The file name extension copydetect sees (it selects the tokenizer).
EXTENSION = "py"


@dataclasses.dataclass(frozen=True)
class Pair:
    """Two students whose answers look alike: ``similarity[0]`` is the share of ``first``'s code found in
    ``second``'s, ``similarity[1]`` the converse; ``matches`` the matched character ranges ``(start, end)``
    of each student's code."""

    first: str
    second: str
    similarity: tuple[float, float]
    code: tuple[str, str]
    matches: tuple[list[tuple[int, int]], list[tuple[int, int]]]


def answer_ids(source_nb) -> list[str]:
    """The ``grade_id`` of every code answer cell of the source notebook, in order."""
    return [nbgrader_meta(c)["grade_id"] for c in source_nb.cells
            if c.get("cell_type") == "code" and nbgrader_meta(c).get("solution") and nbgrader_meta(c).get("grade_id")]


def answers_of(nb, grade_ids: list[str]) -> str:
    """The code of the cells ``grade_ids`` of ``nb`` (the first cell of each id), in that order, one blank line
    apart; an id the notebook lacks contributes nothing."""
    found = {}
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if (grade_id in grade_ids and grade_id not in found and cell.get("cell_type") == "code"
                and isinstance(cell.get("source"), str)):
            found[grade_id] = cell.source
    return "\n\n".join(found[g].rstrip() for g in grade_ids if g in found) + "\n"


def extract(course: Path, assignment: str, folders: list[Path]) -> tuple[str, dict[str, str], list[tuple[str, str]]]:
    """The starter code of the answer cells (from ``release/``), each student's answers ``{student: code}``
    (``folders``: ``submitted/<student>/<assignment>``), and ``(student, reason)`` for each submission not
    compared. Raises ``SystemExit`` when the assignment has no release."""
    import nbformat

    sources = sorted((course / "source" / assignment).glob("*.ipynb"))
    releases = [course / "release" / assignment / p.name for p in sources]
    missing = [p for p in releases if not p.is_file()]
    if missing:
        raise SystemExit(f"release/{assignment} has no {missing[0].name}: run `release {assignment}` first "
                         "(its starter code is left out of the comparison)")
    ids = [answer_ids(nbformat.read(p, as_version=4)) for p in sources]
    starter = "\n".join(answers_of(nbformat.read(p, as_version=4), g) for p, g in zip(releases, ids))
    answers, skipped = {}, []
    for folder in folders:
        student = folder.parent.name
        code, problems = [], []
        for source, grade_ids in zip(sources, ids):
            try:
                nb = read_notebook(folder / source.name)
            except UnreadableNotebook as error:
                problems.append(f"{source.name}: {error}")
                continue
            found = {nbgrader_meta(c).get("grade_id") for c in nb.cells}
            if not found & set(grade_ids):
                problems.append(f"{source.name}: none of its answer cells ({', '.join(grade_ids)}) is in it")
                continue
            code.append(answers_of(nb, grade_ids))
        if code:
            answers[student] = "\n".join(code)
        if problems:
            skipped.append((student, "; ".join(problems)))
    return starter, answers, skipped


def _ranges(slices) -> list[tuple[int, int]]:
    """copydetect's slices (a (2, N) array of starts and ends) as sorted, merged ``(start, end)`` ranges."""
    slices = np.asarray(slices)
    if slices.size == 0:
        return []
    merged: list[list[int]] = []
    for start, end in sorted(zip(slices[0].tolist(), slices[1].tolist())):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(int(s), int(e)) for s, e in merged]


def similar_pairs(answers: dict[str, str], starter: str, threshold: float = THRESHOLD,
                  noise: int = NOISE) -> list[Pair]:
    """The pairs of ``answers`` (``{student: code}``) at least ``threshold`` alike in either direction, the
    most similar first, by copydetect with ``starter`` as boilerplate."""
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must lie in [0, 1]; got {threshold!r}")
    if len(answers) < 2:
        return []
    import matplotlib

    matplotlib.use("Agg")  # copydetect imports pyplot (for its own report, which is not used)
    from copydetect import CopyDetector

    students = sorted(answers)
    with tempfile.TemporaryDirectory(prefix="similarity-") as tmp:
        code_dir, starter_dir = Path(tmp, "answers"), Path(tmp, "starter")
        code_dir.mkdir()
        starter_dir.mkdir()
        # File names are numbers: a student id never reaches the file system here.
        files = {str(code_dir / f"{i:05d}.{EXTENSION}"): s for i, s in enumerate(students)}
        for name, student in files.items():
            Path(name).write_text(answers[student], encoding="utf-8")
        (starter_dir / f"starter.{EXTENSION}").write_text(starter, encoding="utf-8")
        detector = CopyDetector(test_dirs=[str(code_dir)], ref_dirs=[str(code_dir)],
                                boilerplate_dirs=[str(starter_dir)], extensions=[EXTENSION], noise_t=noise,
                                guarantee_t=noise, display_t=threshold, autoopen=False, silent=True,
                                force_language="python", out_file=str(Path(tmp, "unused.html")))
        detector.run()
        test_index = {f: i for i, f in enumerate(detector.test_files)}
        ref_index = {f: j for j, f in enumerate(detector.ref_files)}
        pairs = []
        names = sorted(files)
        for a, name_a in enumerate(names):
            for name_b in names[a + 1:]:
                i, j = test_index.get(name_a), ref_index.get(name_b)
                if i is None or j is None:
                    continue
                s_ab, s_ba = (float(v) for v in detector.similarity_matrix[i, j])
                if max(s_ab, s_ba) < threshold:
                    continue
                if (name_a, name_b) in detector.slice_matrix:
                    slices_a, slices_b = detector.slice_matrix[name_a, name_b]
                else:
                    slices_b, slices_a = detector.slice_matrix.get((name_b, name_a), ([], []))
                pairs.append(Pair(files[name_a], files[name_b], (s_ab, s_ba),
                                  (answers[files[name_a]], answers[files[name_b]]),
                                  (_ranges(slices_a), _ranges(slices_b))))
    pairs.sort(key=lambda p: (-max(p.similarity), -min(p.similarity), p.first, p.second))
    return pairs


def marked(code: str, ranges: list[tuple[int, int]], limit: int = SHOWN_CHARS) -> str:
    """``code`` as escaped HTML, the ``ranges`` in ``<mark>``; cut after ``limit`` characters (said so)."""
    out, at = [], 0
    for start, end in ranges:
        start, end = min(start, limit), min(end, limit)
        out += [html.escape(code[at:start]), "<mark>", html.escape(code[start:end]), "</mark>"]
        at = end
    out.append(html.escape(code[at:limit]))
    if len(code) > limit:
        out.append(f"\n… ({len(code) - limit} more characters not shown)")
    return "".join(out)


CAVEAT = """<p><strong>Similarity is a signal, not proof.</strong> Short answers to the same question look
alike: a stable softmax is three lines that most good students write the same way, and the tokens are
compared with every name replaced, so two honest answers can match. Read the two answers side by side, look
at the rest of the notebooks, and talk with the students before you conclude anything. A pair not listed is
not proof of independent work either (reordered or rewritten code escapes this method).</p>
"""


def similarity_html(assignment: str, pairs: list[Pair], compared: int, skipped: list[tuple[str, str]],
                    threshold: float, noise: int = NOISE) -> str:
    """The similarity page of ``assignment``: the caveat, the pairs as a table, then each pair's answers
    side by side with the matched code marked."""
    rows = [[escape(p.first), escape(p.second), f"{p.similarity[0]:.0%}", f"{p.similarity[1]:.0%}",
             f'<a href="#pair-{k}">pair {k}</a>'] for k, p in enumerate(pairs, start=1)]
    body = [f"<h1>Similar answers: {escape(assignment)}</h1>", CAVEAT,
            f"<p>{compared} submissions compared (their answer cells, the starter code left out); pairs listed "
            f"when at least {threshold:.0%} of either answer's code is found in the other (runs of at least "
            f"{noise} characters of code with the names replaced). \"A in B\": the share of A's code that is "
            "also in B.</p>"]
    if pairs:
        body.append(table(f"Pairs at or above {threshold:.0%}, most similar first",
                          ["Student A", "Student B", "A in B", "B in A", "Answers"], rows, numeric={2, 3}))
    else:
        body.append(f"<p>No pair reaches {threshold:.0%}.</p>")
    if skipped:
        body.append("<h2>Not compared</h2>\n<ul>" + "".join(f"<li>{escape(s)}: {escape(why)}</li>"
                                                            for s, why in skipped) + "</ul>")
    for k, p in enumerate(pairs, start=1):
        body.append(f'<section aria-labelledby="pair-{k}">\n<h2 id="pair-{k}">Pair {k}: {escape(p.first)} and '
                    f"{escape(p.second)}</h2>\n<p>{p.similarity[0]:.0%} of the code of {escape(p.first)} is in "
                    f"that of {escape(p.second)}; {p.similarity[1]:.0%} the other way. Matched code is "
                    "marked; a marked run can reach into the starter code next to it (a docstring is one token "
                    'to the comparison), which the shares leave out.</p>\n<div class="pair">')
        for student, code, ranges in zip((p.first, p.second), p.code, p.matches):
            label = f"Answers of {student} (pair {k})"
            body.append(f"<div><h3>{escape(student)}</h3>\n"
                        f'<pre tabindex="0" role="region" aria-label="{escape(label)}"><code>'
                        f"{marked(code, ranges)}</code></pre></div>")
        body.append("</div>\n</section>")
    return page(f"Similar answers: {assignment}", "\n".join(body))
