"""Where a rubric problem is: the YAML line of a path, and the node (theme, indicator,
penalty) it belongs to.

YAML is read with :class:`LineLoader`, a subclass of ``yaml.SafeLoader`` that adds no
constructors (so it is exactly as safe): it keeps the node tree it composed, whose marks give
the line of every mapping key and sequence item. Problems carry YAML paths
(``tree[0].children[1].weight``); :class:`Locations` turns them into lines and node ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from ..yaml_load import FastSafeLoader, fast_or_python

_STEP = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


class _KeepsRoot:
    """Remembers the node tree a loader composed (for its line marks)."""

    root: yaml.Node | None = None

    def get_single_node(self) -> Any:
        self.root = super().get_single_node()  # type: ignore[misc]
        return self.root


class LineLoader(_KeepsRoot, yaml.SafeLoader):
    """``yaml.SafeLoader`` that remembers the composed node tree (for its line marks)."""


class FastLineLoader(_KeepsRoot, FastSafeLoader):  # type: ignore[misc,valid-type]
    """:class:`LineLoader` on libyaml (:data:`bhrscore.yaml_load.FastSafeLoader`): its marks
    carry the same lines."""


def _read(loader_class: type[LineLoader] | type[FastLineLoader], text: str) -> tuple[Any, Any]:
    loader = loader_class(text)  # libyaml encodes the text here
    try:
        return loader.get_single_data(), loader.root
    finally:
        loader.dispose()


def load_with_lines(text: str) -> tuple[Any, yaml.Node | None]:
    """``yaml.safe_load(text)`` and the node tree it was built from (read on libyaml when
    PyYAML has it; a document it refuses is read by :class:`LineLoader`, for its message)."""
    return fast_or_python(lambda: _read(FastLineLoader, text), lambda: _read(LineLoader, text))


def _steps(path: str) -> list[str | int]:
    """``tree[0].children[1].weight`` -> ``["tree", 0, "children", 1, "weight"]``."""
    out: list[str | int] = []
    for key, index in _STEP.findall(path):
        out.append(int(index) if index else key)
    return out


def _child(node: Any, step: str | int) -> tuple[Any, Any] | None:
    """(node to report, node to descend into) for one step, or None."""
    if isinstance(step, int):
        if isinstance(node, yaml.SequenceNode) and step < len(node.value):
            item = node.value[step]
            return item, item
        return None
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if str(key.value) == step:
                return key, value
    return None


@dataclass(frozen=True)
class Locations:
    """Lines and node ids of YAML paths in one rubric document."""

    data: Any
    root: yaml.Node | None

    def line(self, path: str) -> int | None:
        """1-based line of ``path`` (or of the deepest part of it that exists)."""
        if self.root is None:
            return None
        node: Any = self.root
        here: Any = None
        steps = _steps(path)
        for i, step in enumerate(steps):
            found = _child(node, step)
            if found is None and isinstance(step, str) and i + 1 < len(steps):
                # a key holding dots (``benchmark.type``) reads as several steps
                rest = ".".join(str(s) for s in steps[i:] if isinstance(s, str))
                found = _child(node, rest)
            if found is None:
                break
            here, node = found
        target = here if here is not None else self.root
        return int(target.start_mark.line) + 1

    def node(self, path: str) -> str | None:
        """The innermost theme, indicator or penalty ``path`` lies in, e.g.
        ``indicator 'dialogue.recognition'`` (None: outside any)."""
        value = self.data
        label: str | None = None
        parent_key: str | int | None = None
        for step in _steps(path):
            if isinstance(step, int) and isinstance(value, list) and step < len(value):
                value = value[step]
                if isinstance(value, dict) and isinstance(value.get("id"), str):
                    label = _label(parent_key, value)
            elif isinstance(step, str) and isinstance(value, dict) and step in value:
                value = value[step]
            else:
                break
            parent_key = step
        return label


def _label(container: str | int | None, item: dict[str, Any]) -> str:
    kind = "node"
    if container == "penalties":
        kind = "penalty"
    elif container in ("tree", "children"):
        kind = "theme" if "children" in item else "indicator"
    return f"{kind} {item['id']!r}"
