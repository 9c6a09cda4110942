"""Every YAML file of the repository parses, and no mapping repeats a key (the YAML check of ``make lint``).

PyYAML alone keeps the last of two equal keys without a word; GitHub Actions and Jupyter Book would then
silently lose a setting. Used by the pre-commit hook::

    python -m tools.check_yaml _config.yml _toc.yml ...   # prints each problem; exit status 1 if any
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import yaml


class _UniqueKeyLoader(yaml.SafeLoader):
    """The safe loader, refusing a mapping that repeats a key."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        first_line: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                seen = key in first_line
            except TypeError:  # an unhashable key: the safe loader's own error says so
                continue
            if seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r} (first on line {first_line[key] + 1})",
                    key_node.start_mark,
                )
            first_line[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def yaml_problems(path: Path) -> list[str]:
    """Why the YAML file at ``path`` is invalid (syntax error, repeated key, unreadable); empty if it is valid."""
    try:
        with open(path, encoding="utf-8") as stream:  # a stream, so that messages name the file
            for _ in yaml.load_all(stream, Loader=_UniqueKeyLoader):
                pass
    except (OSError, UnicodeDecodeError) as err:
        return [f"{path}: cannot be read ({err})"]
    except yaml.YAMLError as err:
        return [f"{path}: {err}"]
    return []


def main(argv: Sequence[str] | None = None) -> int:
    """Check the YAML files named in ``argv``; 1 if any is invalid, 2 if none is named."""
    paths = [Path(p) for p in (sys.argv[1:] if argv is None else argv)]
    if not paths:
        print("usage: python -m tools.check_yaml FILE.yml [FILE.yaml ...]", file=sys.stderr)
        return 2
    problems = [problem for path in paths for problem in yaml_problems(path)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
