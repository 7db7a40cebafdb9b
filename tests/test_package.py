"""The package's import surface: everything in __all__ resolves, and the models load lazily."""

import subprocess
import sys

import lecture_lib


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
