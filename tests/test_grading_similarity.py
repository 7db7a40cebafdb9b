"""``instructor.py similarity`` (``exercises/grading/similarity.py``): alike answers are flagged, honest ones not.

A course in a temporary folder holds Exercise 1's source notebook, its release (the solutions replaced by
nbgrader's stub, as ``release`` makes them) and a class of submissions: the solution, the same code with every
name changed, an honest answer of another student, two students who handed in the starter code, an attacker
whose answers carry markup, and entries that cannot be compared.
"""

from __future__ import annotations

import copy
import html
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "exercises" / "grading"))
sys.path.insert(0, str(ROOT / "exercises"))

import similarity  # noqa: E402

from test_grading_analysis import OUR_TAGS, parsed  # noqa: E402

A = "01_modeling"
SOURCE = ROOT / "exercises" / "source" / A / "softmax.ipynb"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"  # nbgrader_config.py's ClearSolutions.code_stub
SOLUTION = re.compile(r"^( *)### BEGIN SOLUTION\n.*?### END SOLUTION\n?", re.S | re.M)
RENAMES = {"shifted": "centred", "exps": "e", "confidence": "top_probability", "lo": "low", "hi": "high",
           "middle": "mid", "K": "n_classes", "Z": "logits", "T": "temperature"}
#: An honest answer of another student: the same functions, written their own way.
HONEST = {
    "softmax": """    Z = np.asarray(Z)
    top = np.max(Z, axis=-1)[..., None]
    out = np.exp(Z - top)
    out /= np.sum(out, axis=-1)[..., None]
    return out
""",
    "softmax_with_temperature": """    if T <= 0:
        raise ValueError("T must be positive")
    scaled = Z / T
    return softmax(scaled)
""",
    "temperature_for": """    K = z.shape[0]
    if p <= 1.0 / K or p >= 1:
        raise ValueError("p out of range")
    a, b = 1e-6, 1e6
    for step in range(300):
        T = (a + b) / 2
        if softmax(z / T).max() > p:
            a = T
        else:
            b = T
    return (a + b) / 2
"""}
HOSTILE_CODE = '    # </code></pre><script>alert("code")</script><img src=x onerror=alert(1)>\n'
CANARY_FILE = "similarity-ran-student-code"


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def stubbed(source: str) -> str:
    return SOLUTION.sub(lambda m: "".join(f"{m.group(1)}{line}\n" for line in STUB.splitlines()), source)


def solved(source: str) -> str:
    return "".join(line for line in source.splitlines(keepends=True) if "### " not in line)


def renamed(code: str) -> str:
    return re.sub(r"\b(" + "|".join(RENAMES) + r")\b", lambda m: RENAMES[m.group(1)], code)


def filled(release_nb, bodies: dict[str, str]):
    """The release with the stub of each answer cell in ``bodies`` replaced by that body."""
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        if meta(cell).get("solution") and meta(cell)["grade_id"] in bodies:
            stub = "".join(f"    {line}\n" for line in STUB.splitlines())
            cell.source = cell.source.replace(stub, bodies[meta(cell)["grade_id"]])
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder with Exercise 1's source and release, and a class of submissions."""
    root = tmp_path_factory.mktemp("course")
    (root / "nbgrader_config.py").write_text("")
    (root / "source" / A).mkdir(parents=True)
    shutil.copy(SOURCE, root / "source" / A)
    source_nb = nbformat.read(SOURCE, as_version=4)
    release_nb = copy.deepcopy(source_nb)
    for cell in release_nb.cells:
        if meta(cell).get("solution"):
            cell.source = stubbed(cell.source)
    (root / "release" / A).mkdir(parents=True)
    nbformat.write(release_nb, root / "release" / A / "softmax.ipynb")
    # The body of each solution: the lines between the solution markers.
    solution = {meta(c)["grade_id"]: solved(SOLUTION.search(c.source).group(0)) for c in source_nb.cells
                if meta(c).get("solution")}
    hostile = {g: HOSTILE_CODE + body for g, body in solution.items()}
    hostile["softmax"] += f"    open({CANARY_FILE!r}, 'w').write('ran')\n"
    notebooks = {
        "alice": filled(release_nb, solution),
        "bob": filled(release_nb, {g: renamed(body) for g, body in solution.items()}),
        "carol": filled(release_nb, HONEST),
        "dave": release_nb,
        "erin": release_nb,
        "mallory": filled(release_nb, hostile),
    }
    for student, nb in notebooks.items():
        folder = root / "submitted" / student / A
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "softmax.ipynb")
    # Entries that cannot be compared: an invalid id, a notebook without the answer cells, one that is no JSON.
    (root / "submitted" / '<b>"onload=x' / A).mkdir(parents=True)
    nbformat.write(notebooks["alice"], root / "submitted" / '<b>"onload=x' / A / "softmax.ipynb")
    (root / "submitted" / "frank" / A).mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]),
                   root / "submitted" / "frank" / A / "softmax.ipynb")
    (root / "submitted" / "grace" / A).mkdir(parents=True)
    (root / "submitted" / "grace" / A / "softmax.ipynb").write_text("{not json")
    return root


@pytest.fixture(scope="module")
def extracted(course):
    folders = sorted((course / "submitted").glob(f"[a-z]*/{A}"))
    return similarity.extract(course, A, folders)


def pair_names(pairs) -> set[frozenset]:
    return {frozenset((p.first, p.second)) for p in pairs}


def test_renamed_copies_are_flagged_and_honest_work_is_not(extracted):
    starter, answers, _ = extracted
    pairs = similarity.similar_pairs(answers, starter)
    # alice, bob (alice renamed) and mallory (alice with a comment and a line more) are one group; carol is not.
    assert pair_names(pairs) == {frozenset(p) for p in (("alice", "bob"), ("alice", "mallory"), ("bob", "mallory"))}
    alice_bob = next(p for p in pairs if {p.first, p.second} == {"alice", "bob"})
    assert min(alice_bob.similarity) > 0.9
    assert pairs[0] == alice_bob  # the most similar first
    every = similarity.similar_pairs(answers, starter, threshold=0.0)
    carol = [max(p.similarity) for p in every if "carol" in (p.first, p.second)]
    assert len(carol) == 5 and max(carol) < 0.3


def test_starter_code_alone_makes_no_pair(extracted):
    """dave and erin handed in the release: the starter code is boilerplate, so they match nobody; without it
    as boilerplate they would be a perfect pair (the test can fail)."""
    starter, answers, _ = extracted
    assert answers["dave"] == answers["erin"] == starter
    every = similarity.similar_pairs(answers, starter, threshold=0.0)
    assert all(max(p.similarity) == 0 for p in every if {"dave", "erin"} & {p.first, p.second})
    unguarded = similarity.similar_pairs({"dave": answers["dave"], "erin": answers["erin"]}, starter="")
    assert [max(p.similarity) for p in unguarded] == [1.0]


def test_only_answer_cells_are_compared(extracted):
    starter, answers, skipped = extracted
    source_nb = nbformat.read(SOURCE, as_version=4)
    assert similarity.answer_ids(source_nb) == ["softmax", "softmax_with_temperature", "temperature_for"]
    assert "import numpy as np" not in answers["alice"]  # the setup cell is not an answer cell
    assert answers["alice"].startswith("def softmax(Z):") and "def temperature_for(z, p):" in answers["alice"]
    assert "raise NotImplementedError()" in starter and "np.exp" not in starter
    assert dict(skipped) == {"frank": "softmax.ipynb: none of its answer cells (softmax, softmax_with_temperature, "
                                      "temperature_for) is in it",
                             "grace": "softmax.ipynb: the notebook is not valid JSON"}


def test_instructor_command_writes_an_escaped_page_and_runs_nothing(course, monkeypatch, tmp_path):
    import instructor

    monkeypatch.chdir(tmp_path)  # where the attacker's open() would write, were the code run
    assert instructor.main(["--course", str(course), "similarity", A]) == 0
    page = (course / f"similarity_{A}.html").read_text(encoding="utf-8")
    assert not (tmp_path / CANARY_FILE).exists() and not (course / CANARY_FILE).exists()
    assert "signal, not proof" in page
    tags, attributes = parsed(page)
    assert tags <= OUR_TAGS, tags - OUR_TAGS
    assert "script" not in tags and "img" not in tags and not [a for a in attributes if a.startswith("on")]
    assert html.escape(HOSTILE_CODE.strip()) in page
    assert "&lt;b&gt;&quot;onload=x" in page  # the refused folder, named as text
    assert page.count('<section aria-labelledby="pair-') == 3
    assert "<mark>" in page
    with pytest.raises(SystemExit, match="threshold"):
        instructor.main(["--course", str(course), "similarity", A, "--threshold", "1.5"])


def test_hostile_ids_and_code_are_escaped():
    code = '<script>alert(1)</script>"onload="x"'
    pair = similarity.Pair('<script>a</script>', '"onload="b', (0.9, 0.8), (code, code), ([(0, 8)], [(8, 20)]))
    page = similarity.similarity_html('<i>A</i>', [pair], 2, [('<img src=x>', '<b>why</b>')], 0.5)
    tags, attributes = parsed(page)
    assert tags <= OUR_TAGS and "script" not in tags and "i" not in tags and "img" not in tags and "b" not in tags
    assert not [a for a in attributes if a.startswith("on")]
    assert "<code><mark>&lt;script&gt;</mark>alert(1)&lt;/script&gt;" in page  # the first's match: 0-8
    assert "<code>&lt;script&gt;<mark>alert(1)&lt;/sc</mark>ript&gt;" in page  # the second's: 8-20
    for text in ('<script>a</script>', '"onload="b', '<i>A</i>', '<img src=x>', '<b>why</b>'):
        assert html.escape(text) in page


def test_marked_code_is_cut_and_merged():
    assert similarity.marked("abcdef", [(1, 3)]) == "a<mark>bc</mark>def"
    assert similarity._ranges([[4, 0, 9], [6, 3, 12]]) == [(0, 3), (4, 6), (9, 12)]
    assert similarity._ranges([[4, 0, 2], [6, 3, 5]]) == [(0, 6)]  # overlapping ranges merge
    assert similarity._ranges([]) == []
    assert similarity.marked("x" * 10, [], limit=4) == "xxxx\n… (6 more characters not shown)"


def test_bad_threshold_is_refused():
    with pytest.raises(ValueError, match="threshold"):
        similarity.similar_pairs({"a": "x", "b": "y"}, "", threshold=2)


def test_the_instructor_guide_states_the_constants_in_use():
    guide = (ROOT / "book" / "instructor_guide.md").read_text(encoding="utf-8")
    assert f"every run of {similarity.NOISE} characters" in guide
    assert f"(`--threshold`, default {similarity.THRESHOLD:g})" in guide
