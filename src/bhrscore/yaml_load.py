"""``yaml.safe_load`` for user files, with a limit on nesting depth.

PyYAML builds nested collections recursively: a rubric, vocabulary or origin-grouping file
nested a few hundred levels deep ends in ``RecursionError`` (issue 12). :func:`safe_load`
first walks the file's event stream (PyYAML's parser keeps an explicit stack, so this never
recurses) and refuses anything nested deeper than the limit, with the line; aliases that
stack shallow pieces into a deep value are caught after loading. The error is a
``yaml.YAMLError``, so every caller that already reports YAML syntax errors reports it too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import yaml

#: levels of YAML collections allowed in a user file (the evidence limit is the same: 64)
MAX_YAML_DEPTH = 64

#: PyYAML's loader on libyaml when PyYAML is built with it (else the pure-Python one): the
#: same safe constructor and resolver, read about 30 times faster (the packaged rubric:
#: 0.1 s -> 5 ms). Documents it refuses (and text it cannot encode, e.g. a lone surrogate)
#: are read again by the pure-Python loader, whose messages and marks users see. libyaml
#: also accepts tabs as separators (``a:\t1``), which the pure-Python parser refuses.
FastSafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

T = TypeVar("T")


class YamlValueError(yaml.YAMLError):
    """A YAML document PyYAML parses but cannot turn into data, or that is over a limit
    (``problem`` and ``problem_mark`` are set like PyYAML's own errors, so callers can show
    the line)."""

    def __init__(self, problem: str, mark: Any = None) -> None:
        self.problem = problem
        self.problem_mark = mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        super().__init__(where + problem)


class NestingError(YamlValueError):
    """A YAML document nested deeper than the limit."""

    def __init__(self, depth: int | None, limit: int, mark: Any = None) -> None:
        super().__init__(
            f"nested {depth} levels deep, over the limit of {limit}"
            if depth is not None
            else "a value contains itself (a recursive alias)",
            mark,
        )


def safe_load(text: str, max_depth: int = MAX_YAML_DEPTH) -> Any:
    """``yaml.safe_load(text)``, or :class:`NestingError` if it nests deeper than
    ``max_depth`` collections."""
    return guarded_load(text, fast_safe_load, max_depth)


def fast_or_python(fast: Callable[[], T], python: Callable[[], T]) -> T:
    """``fast()`` (reading with :data:`FastSafeLoader`), or ``python()`` (the same reading with
    the pure-Python loader) when libyaml refuses the document or cannot encode its text: its
    error, message and mark are then the pure-Python loader's. A :class:`NestingError` is
    final (both parsers see the same depth)."""
    try:
        return fast()
    except NestingError:
        raise
    except (yaml.YAMLError, UnicodeEncodeError):  # libyaml encodes: a lone surrogate fails
        if FastSafeLoader is yaml.SafeLoader:
            raise
    return python()


def fast_safe_load(text: str) -> Any:
    """``yaml.safe_load(text)`` read by :data:`FastSafeLoader` (:func:`fast_or_python`)."""
    return fast_or_python(
        lambda: yaml.load(text, Loader=FastSafeLoader),  # a safe loader
        lambda: yaml.safe_load(text),
    )


def _check_events(text: str, loader: type[yaml.SafeLoader], max_depth: int) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                raise NestingError(depth, max_depth, event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def guarded_load(text: str, load: Callable[[str], T], max_depth: int = MAX_YAML_DEPTH) -> T:
    """``load(text)`` (a safe loader, e.g. one that also records line marks) behind the
    limits of :func:`safe_load`: the depth of the event stream first, a scalar that cannot be
    converted as a located error, and the depth of the data built through aliases."""
    fast_or_python(
        lambda: _check_events(text, FastSafeLoader, max_depth),
        lambda: _check_events(text, yaml.SafeLoader, max_depth),
    )
    try:
        result = load(text)
    except ValueError:  # a scalar PyYAML cannot convert: 2026-02-30, a 5,000-digit integer
        raise _bad_scalar(text) from None
    # aliases nest shared pieces inside each other
    check_depth(result[0] if isinstance(result, tuple) else result, max_depth)
    return result


def _bad_scalar(text: str) -> YamlValueError:
    """The first scalar of ``text`` that cannot be converted, with its line (the document
    is known to nest at most the depth limit, so composing it does not recurse deeply)."""
    loader = yaml.SafeLoader("")
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    stack: list[yaml.Node] = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            try:
                loader.construct_object(node)
            except ValueError as exc:
                message = str(exc)
                if "integer string conversion" in message:
                    message = f"integer has {len(node.value):,} digits, too many to read"
                return YamlValueError(f"{message} (got {node.value[:40]!r})", node.start_mark)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                stack += [value, key]
    return YamlValueError("a value cannot be read")


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
