"""scikit-learn's own estimator checks, run on the three models of lecture_lib.

``parametrize_with_checks`` yields one test per check (fit/predict contracts, cloning, pickling,
input validation, n_features_in_, ...). Checks we cannot pass are listed with a reason in
``EXPECTED_FAILED``; currently there are none.
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from lecture_lib import LinearRegression, LogisticRegression, SoftmaxRegression

EXPECTED_FAILED: dict[str, dict[str, str]] = {
    "LinearRegression": {},
    "LogisticRegression": {},
    "SoftmaxRegression": {},
}


def expected_failed_checks(estimator):
    return EXPECTED_FAILED[type(estimator).__name__]



@parametrize_with_checks([LinearRegression(), LogisticRegression(), SoftmaxRegression()],
                         expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
