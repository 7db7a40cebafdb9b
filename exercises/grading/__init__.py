"""Grading a class safely: the submission only produces output; a trusted checker decides.

- :mod:`grading.sandbox` is the only module that runs a student's code: a bubblewrap sandbox
  per submission, with resource limits, no network and none of the course's files;
- :mod:`grading.inside` is what runs in the sandbox: the runner and the data-only protocol
  (:mod:`grading.inside.wire`, JSON numbers and nested lists, never pickle);
- :mod:`grading.hidden_tests` holds the hidden tests (inputs, references, comparisons, points):
  trusted side only, never inside a sandbox;
- :mod:`grading.checker` grades one submission: it starts sandboxes, sends hidden inputs, and
  compares the answers with references computed from ``lecture_lib`` in the instructor's process;
- :mod:`grading.report` writes what only the trusted side writes: the gradebook, the
  autograded notebook, the feedback (scanned for leaks before it is written);
- :mod:`grading.results` keeps each part's diagnosis and writes the class's tables: ``parts.csv``,
  the Canvas and Moodle imports, and what a regrade changed;
- :mod:`grading.analysis` and :mod:`grading.similarity` write the instructor's pages after grading: the
  item analysis of ``parts.csv``, and the pairs of submissions whose answer cells look alike (read as
  data, never run).
"""
