"""The package's import surface (everything in __all__ resolves, the models load lazily) and its wheel."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import lecture_lib
from course_tools import WHEEL, load_tool

ROOT = Path(__file__).resolve().parent.parent


def test_every_public_name_resolves():
    for name in lecture_lib.__all__:
        assert getattr(lecture_lib, name) is not None, name


def test_importing_the_functions_does_not_import_scikit_learn():
    # Graded exercise kernels import lecture_lib; scikit-learn would add ~0.8 s to each of them.
    code = "import sys, lecture_lib; assert 'sklearn' not in sys.modules; lecture_lib.SoftmaxRegression; " \
           "assert 'sklearn' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_attribute_raises_attribute_error():
    try:
        lecture_lib.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("lecture_lib.no_such_thing did not raise")


def test_importing_lecture_lib_imports_neither_scipy_nor_scikit_learn_nor_matplotlib():
    # issue 9, 1.10: scipy.sparse alone cost ~0.3 s of import time (benchmarks/run.py measures the time)
    code = ("import sys, lecture_lib\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'sklearn', 'matplotlib', 'pandas'})\n"
            "assert not heavy, heavy\n"
            "from scipy import sparse\n"  # the sparse check still works once scipy is there
            "try:\n    lecture_lib.softmax(sparse.csr_matrix([[1.0, 2.0]]))\nexcept TypeError as e:\n"
            "    assert 'scipy sparse matrix' in str(e)\nelse:\n    raise AssertionError('no TypeError')\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_wheel_ships_the_static_files_and_the_widgets_render_from_it(tmp_path):
    """tools/prebuild_wheel.py's wheel holds lecture_lib/static/*.js|css, and the widgets find them there.

    The site's wheel (``_build/vendor/wheels``): the build made it, so ``build()`` only checks that it is
    up to date with the sources (pip takes minutes here; it runs only if a source changed since).
    """
    wheel = load_tool("prebuild_wheel").build()
    static = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "lecture_lib" / "static").iterdir())
    assert {"lecture_lib/static/explorer.js", "lecture_lib/static/trainer.css"} <= set(static), static
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name in static:
            assert name in names, f"{name} is not in {wheel.name}: declare it in pyproject.toml's package-data"
            assert archive.read(name) == (ROOT / name).read_bytes(), name
    # Import lecture_lib from the wheel itself (zipimport), not from the clone: importlib.resources finds the files.
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import lecture_lib.explorer as e, lecture_lib.trainer as t\n"
            "assert e.__file__.startswith(sys.argv[1]), e.__file__\n"
            "page = e.explorer_html().data + t.trainer_html().data\n"
            "assert 'window.softmaxExplorer = ' in page and 'window.softmaxTrainer = ' in page\n"
            "assert '__ID__' not in page and '__PALETTE__' not in page\n")
    subprocess.run([sys.executable, "-c", code, str(wheel)], check=True, cwd=tmp_path)


def test_static_render_fills_every_placeholder_and_refuses_a_missing_or_unknown_one():
    """lecture_lib._static.render: the one templating scheme of the static files (``__NAME__``)."""
    from lecture_lib import _static

    css = _static.render("explorer.css", id="sx-test")
    assert "#sx-test {" in css and "__" not in css
    assert _static.read("explorer.css").count("__ID__") == css.count("#sx-test")
    with pytest.raises(ValueError, match="__|placeholders"):
        _static.render("explorer.css")  # __ID__ without a value
    with pytest.raises(ValueError, match="placeholders"):
        _static.render("explorer.js", id="sx-test")  # a value without a placeholder
    with pytest.raises(ValueError, match="placeholders"):
        _static.render("trainer.js", palette="[]", markers="[]", lo="0", hi="1")  # __MAX_POINTS__ missing


def test_the_book_names_modules_and_helpers_that_exist():
    """A sentence such as "`scipy_blas_one_thread` in `lecture_lib/_blas_threads.py`" stays true when code moves."""
    import ast
    import re

    pages = [*sorted((ROOT / "book").glob("*.md")), ROOT / "README.md"]
    text = {page.name: " ".join(page.read_text(encoding="utf-8").split()) for page in pages}  # joins wrapped lines
    paths = {(name, path) for name, t in text.items() for path in re.findall(r"\blecture_lib/[\w/]+\.py\b", t)}
    assert paths, "the book names no lecture_lib/*.py file: this test checks nothing"
    for name, path in sorted(paths):
        assert (ROOT / path).is_file(), f"{name} names {path}, which does not exist"
    for name, t in text.items():
        for symbol, path in re.findall(r"`(\w+)` in `(lecture_lib/[\w/]+\.py)`", t):
            tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
            defined = {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
            defined |= {target.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
                        for target in node.targets if isinstance(target, ast.Name)}
            assert symbol in defined, f"{name}: `{symbol}` is not defined in {path}"


def typed_version_problems(root: Path = ROOT) -> list[str]:
    """Where the course at ``root`` types lecture_lib's version other than as pyproject.toml says (empty: nowhere).

    Code derives the version (``lecture_lib.__version__`` from the installed metadata, the tools and tests from
    ``tools/prebuild_wheel.wheel_name()``), so a typed copy in code is a problem. The prose (every page and
    notebook, found by :func:`course.prose_files`) is plain text that GitHub and JupyterLab show as typed: it
    may type the version only inside the wheel's name (``course.py version`` rewrites those), and every wheel
    name there must be the one the build publishes.
    """
    import re
    import tomllib

    course = load_tool("course")
    version = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    wheel = load_tool("prebuild_wheel").wheel_name(root)
    typed = re.compile(rf"(?<![\w.]){re.escape(version)}(?![\w.])")
    problems, named = [], 0
    for page in course.prose_files(root):
        text, where = page.read_text(encoding="utf-8"), page.relative_to(root).as_posix()
        names = course.WHEEL_COPY.findall(text)
        named += len(names)
        problems += [f"{where} names {name}, not {wheel}" for name in sorted(set(names)) if name != wheel]
        if typed.search(course.WHEEL_COPY.sub("", text)):
            problems.append(f"{where} types the version {version} outside the wheel's name")
    if not named:
        problems.append("no page names the wheel: this check checks nothing")
    code = [p for folder in ("lecture_lib", "tools", "tests", "benchmarks") for p in (root / folder).rglob("*")
            if p.suffix in {".py", ".yml", ".toml", ".cfg"} and "node_modules" not in p.parts]
    code += [root / "_config.yml", root / "_toc.yml"]
    problems += [f"{p.relative_to(root).as_posix()} types the version {version} (derive it from pyproject.toml)"
                 for p in code if p.is_file() and typed.search(p.read_text(encoding="utf-8"))]
    return problems


def test_the_version_has_one_source():
    """pyproject.toml's version is the package's: code derives it, and the prose's wheel names match it."""
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert lecture_lib.__version__ == version, "reinstall lecture_lib (pip install -e .): its metadata is stale"
    assert WHEEL == f"lecture_lib-{version}-py3-none-any.whl"
    assert typed_version_problems() == []


def _course_copy(tmp: Path) -> Path:
    """A copy of what ``course.py version`` reads and writes, and of the code the check scans, in ``tmp``."""
    course = load_tool("course")
    for path in [ROOT / "pyproject.toml", ROOT / "_config.yml", ROOT / "_toc.yml", *course.prose_files(ROOT),
                 *(ROOT / "tools").glob("*.py"), *(ROOT / "lecture_lib").rglob("*.py")]:
        target = tmp / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return tmp


def test_version_command_rewrites_every_typed_copy(tmp_path):
    """``course.py version`` on a copy: pyproject.toml and every wheel name in the prose, nothing else, then
    :func:`typed_version_problems` finds nothing; a second run changes nothing; a malformed version is refused."""
    root = _course_copy(tmp_path / "course")
    old_wheel = load_tool("prebuild_wheel").wheel_name(root)
    # a page added later, a student's notebook and an installed package's README, each naming the old wheel
    (root / "book" / "new_page.md").write_text(f"pip install {old_wheel.replace('-py3', '.dev1-py3')}\n")
    student = root / "work" / "mine.ipynb"
    untouched = {student: f'{{"source": "pip install {old_wheel}"}}',
                 root / "book" / "node_modules" / "x" / "README.md": old_wheel,
                 root / "exercises" / "submitted" / "s1" / "a" / "a.ipynb": old_wheel}
    for path, text in untouched.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def run(*args):
        return subprocess.run([sys.executable, str(root / "tools" / "course.py"), "version", *args],
                              capture_output=True, text=True)

    for bad in ("1.2", "v1.2.3", "1.02.3", "1.2.3-rc1", "1.2.3 ", "1.2.3/../x"):
        result = run(bad)
        assert result.returncode == 2 and f"version: {bad!r} is not a version of the form X.Y.Z" in result.stderr, \
            (bad, result.stderr)
    assert load_tool("prebuild_wheel").wheel_name(root) == old_wheel, "a refused version changed pyproject.toml"

    result = run("2.3.4rc1")
    assert result.returncode == 0, result.stderr
    wheel = "lecture_lib-2.3.4rc1-py3-none-any.whl"
    assert load_tool("prebuild_wheel").wheel_name(root) == wheel
    changed = {line.split(":")[0] for line in result.stdout.splitlines() if ":" in line}
    assert {"pyproject.toml", "README.md", "book/01_modeling.md", "book/new_page.md"} <= changed, result.stdout
    assert typed_version_problems(root) == []
    assert all(path.read_text() == text for path, text in untouched.items())

    before = {path: path.read_bytes() for path in root.rglob("*") if path.is_file() and "__pycache__" not in path.parts}
    again = run("2.3.4rc1")
    assert again.returncode == 0 and "nothing changed" in again.stdout, again.stdout
    assert {path: path.read_bytes() for path in before} == before
