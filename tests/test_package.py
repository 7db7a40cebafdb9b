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
