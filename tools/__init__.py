"""Contributor tools run by `make lint` (pre-commit) and `make linkcheck`, and imported by the tests; not part of the book's package."""
