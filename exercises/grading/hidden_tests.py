"""The hidden tests of every exercise, as the sandboxed grader runs them.

Each graded part is declared once, in :mod:`lecture_lib.exercises` (its inputs, reference,
comparison, points and the mistakes it diagnoses); the hidden cells of the source notebooks and the
student's ``check()`` run the same declarations in the notebook's own process. The grader runs a
part with :func:`lecture_lib.exercises.framework.run` through :class:`checker.Caller`, which calls the
student's function in a sandbox and returns its answers as data, with the inputs drawn from
:class:`Seeds`: the public seeds, or generators of the student's own derived from the course secret.

What a part forbids is absent from its sandbox, not patched: the sandbox holds the ``libraries``
of the part (numpy and matplotlib unless it says otherwise) and only the ``lecture_lib`` modules it
names.
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np

from lecture_lib.exercises import PARTS  # noqa: F401 (the grader's list of parts)
from lecture_lib.exercises.digits import COST_FUNCTIONS  # noqa: F401
from lecture_lib.exercises.forward_pass import FUNCTIONS  # noqa: F401
from lecture_lib.exercises.framework import Failed
from lecture_lib.exercises.pytorch import TORCH  # noqa: F401


class Seeds:
    """The random generators of the hidden inputs of one submission.

    Without a secret, ``rng(seed)`` is ``numpy.random.default_rng(seed)``: the public seed of each
    part, the same for every student (and for anyone who reads the repository). With the course
    secret (bytes the instructor keeps outside the repository), the seed is
    HMAC-SHA256(secret, student id, public seed): each student gets inputs of their own, which nobody
    without the secret can compute, and the same student gets the same inputs on a regrade.
    """

    def __init__(self, secret: bytes | None = None, student: str = ""):
        self.secret = secret
        self.student = student

    def rng(self, seed: int) -> np.random.Generator:
        if self.secret is None:
            return np.random.default_rng(seed)
        message = f"{self.student}\0{seed}".encode()
        return np.random.default_rng(int.from_bytes(hmac.new(self.secret, message, hashlib.sha256).digest(), "big"))


__all__ = ["PARTS", "Failed", "Seeds"]
