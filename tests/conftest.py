"""Shared pytest configuration.

Fixture files under ``tests/fixtures/`` (e.g. deliberately wrong exercise submissions, a broken
notebook) are data for the tests, not notebooks to execute, so nbval must not collect them.
"""

collect_ignore_glob = ["fixtures/*", "fixtures/**/*"]
