"""Contributor tools: run by `make lint` (pre-commit) and `make linkcheck`, imported by the tests.

Not part of the book's package (``src/psyalliance``) and not installed with it.
"""
