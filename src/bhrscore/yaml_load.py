"""``yaml.safe_load`` for user files, with a limit on nesting depth.

PyYAML builds nested collections recursively: a rubric, vocabulary or origin-grouping file
nested a few hundred levels deep ends in ``RecursionError`` (issue 12). :func:`safe_load`
first walks the file's event stream (PyYAML's parser keeps an explicit stack, so this never
recurses) and refuses anything nested deeper than the limit, with the line; aliases that
stack shallow pieces into a deep value are caught after loading. The error is a
``yaml.YAMLError``, so every caller that already reports YAML syntax errors reports it too.
"""

from __future__ import annotations

from typing import Any

import yaml

#: levels of YAML collections allowed in a user file (the evidence limit is the same: 64)
MAX_YAML_DEPTH = 64


class NestingError(yaml.YAMLError):
    """A YAML document nested deeper than the limit (``problem`` and ``problem_mark`` are
    set like PyYAML's own errors, so callers can show the line)."""

    def __init__(self, depth: int | None, limit: int, mark: Any = None) -> None:
        self.problem = (
            f"nested {depth} levels deep, over the limit of {limit}"
            if depth is not None
            else "a value contains itself (a recursive alias)"
        )
        self.problem_mark = mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        super().__init__(where + self.problem)


def safe_load(text: str, max_depth: int = MAX_YAML_DEPTH) -> Any:
    """``yaml.safe_load(text)``, or :class:`NestingError` if it nests deeper than
    ``max_depth`` collections."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                raise NestingError(depth, max_depth, event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    data = yaml.safe_load(text)
    check_depth(data, max_depth)  # aliases nest shared pieces inside each other
    return data


def check_depth(data: Any, max_depth: int = MAX_YAML_DEPTH) -> None:
    """:class:`NestingError` if loaded data (YAML or JSON) nests deeper than ``max_depth``."""
    deepest = _depth(data)
    if deepest > max_depth:
        raise NestingError(deepest, max_depth)


def _depth(data: Any) -> int:
    """Levels of lists and dicts in ``data``, without recursion; each shared (aliased) value
    is measured once. A value inside itself (``&a [*a]``) is a :class:`NestingError`."""
    depth: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        value, done = stack.pop()
        if not isinstance(value, (list, dict)):
            continue
        if not done and id(value) in open_:
            raise NestingError(None, MAX_YAML_DEPTH)
        if id(value) in depth and not done:
            continue
        children = list(value.values()) if isinstance(value, dict) else value
        if done:
            open_.discard(id(value))
            depth[id(value)] = 1 + max(
                (depth.get(id(c), 0) for c in children if isinstance(c, (list, dict))),
                default=0,
            )
            continue
        depth[id(value)] = 0
        open_.add(id(value))
        stack.append((value, True))
        stack.extend((c, False) for c in children)
    return depth.get(id(data), 0)
