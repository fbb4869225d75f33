"""``--format github``: GitHub Actions workflow commands that annotate files in a pull request.

One line per problem, ``::error file=F,line=L,col=C,title=T::MESSAGE`` (or ``::warning``),
escaped as GitHub's toolkit does (``%`` ``\\r`` ``\\n`` in the message; also ``:`` and ``,``
in properties) so that no text from a file can end the command early or start another one.

Line numbers: evidence problems carry the row (CSV and JSON Lines rows are file lines) or a
JSON pointer (resolved to the line of that value); rubric and case-file problems carry a YAML
path such as ``tree[1].children[0].weight``, resolved to a line by walking the composed YAML
node tree (:func:`yaml_line`), which keeps every node's position.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .safe_text import safe

Level = Literal["error", "warning", "notice"]


@dataclass(frozen=True)
class Annotation:
    """One annotation: a message on a file, at a line and column when known."""

    level: Level
    file: str
    message: str
    title: str | None = None
    line: int | None = None
    col: int | None = None

    def render(self) -> str:
        props = [f"file={escape_property(relative(self.file))}"]
        if self.line is not None:
            props.append(f"line={self.line}")
            if self.col is not None:
                props.append(f"col={self.col}")
        if self.title:
            props.append(f"title={escape_property(self.title)}")
        return f"::{self.level} {','.join(props)}::{escape_data(self.message)}"


def escape_data(text: str) -> str:
    """The message part of a workflow command (GitHub toolkit ``escapeData``), with control
    characters first shown as escapes."""
    return safe(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    """A property value of a workflow command (GitHub toolkit ``escapeProperty``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def relative(path: str) -> str:
    """``path`` relative to the working directory (the repository root in a workflow) when it
    lies below it, with ``/`` separators; otherwise as given."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.relative_to(Path.cwd())
        except ValueError:
            return path
    return p.as_posix() if not p.is_absolute() else path


# --- YAML paths to lines --------------------------------------------------------------------

_INDEX = re.compile(r"\[(\d+)\]")


def _compose(path: Path) -> Any:
    import yaml

    try:
        with path.open(encoding="utf-8") as stream:
            return yaml.compose(stream, Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def _walk(node: Any, rest: str) -> tuple[Any, str]:
    """Follow ``rest`` (``a.b[0].c``) down from ``node``: (deepest node reached — the key
    node for a mapping entry — and what was left unresolved). Mapping keys may themselves
    contain dots (``benchmark.type``): the longest key that matches wins."""
    import yaml

    here = node
    while rest:
        rest = rest.removeprefix(".")
        index = _INDEX.match(rest)
        if index:
            if not isinstance(node, yaml.SequenceNode) or int(index[1]) >= len(node.value):
                break
            node = here = node.value[int(index[1])]
            rest = rest[index.end() :]
            continue
        if not isinstance(node, yaml.MappingNode):
            break
        best = None
        for key, value in node.value:
            name = str(key.value)
            if (rest == name or rest.startswith((name + ".", name + "["))) and (
                best is None or len(name) > len(str(best[0].value))
            ):
                best = (key, value)
        if best is None:
            break
        here, node = best
        rest = rest[len(str(best[0].value)) :]
    return here, rest


def yaml_line(path: str | Path, yaml_path: str) -> tuple[int, int] | None:
    """(line, column), both 1-based, of ``yaml_path`` in the YAML (or JSON) file, or of the
    deepest part of it that exists; None when the file cannot be read or parsed."""
    root = _compose(Path(path))
    if root is None:
        return None
    node, _rest = _walk(root, yaml_path)
    return node.start_mark.line + 1, node.start_mark.column + 1


def pointer_line(path: str | Path, pointer: str) -> tuple[int, int] | None:
    """(line, column) of a JSON pointer (``/evidence/3/date``) in a JSON file."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    yaml_path = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in parts)
    return yaml_line(path, yaml_path)


# --- rubric check messages ------------------------------------------------------------------

_LINE = re.compile(r"\bline (\d+)\b")
_FILE_LINE = re.compile(r"(?::\d+)?: ")  # after the file name: ``: `` or ``:42: ``
_NODE = re.compile(r"(?:theme|indicator|penalty|node) '[^']*': ")
_YAML_PATH = re.compile(r"^[A-Za-z_][\w\-]*(?:\[\d+\]|\.[^\s:\[\]]+)*$")


def split_problem(message: str, files: list[str]) -> tuple[str, str | None, str]:
    """``file: yaml.path: message`` (as rubric and case-file errors read) -> (file, path or
    None, message). ``files`` are the file names the message may start with."""
    # ``file: …`` or, for rubric errors read from YAML, ``file:42: …``
    starts = [
        (f, m.end())
        for f in files
        if message.startswith(f) and (m := _FILE_LINE.match(message, len(f))) is not None
    ]
    if not starts:
        head, sep, tail = message.partition(": ")
        file, rest = (head, tail) if sep else ("", message)
    else:
        file, end = max(starts, key=lambda s: len(s[0]))
        rest = message[end:]
    node = _NODE.match(rest)  # rubric errors name the theme or indicator first
    label, rest = (node[0], rest[node.end() :]) if node else ("", rest)
    head, sep, tail = rest.partition(": ")
    if sep and _YAML_PATH.match(head) and not _LINE.match(head):
        return file, head, label + tail
    return file, None, label + rest


def locate(file: str, yaml_path: str | None, message: str) -> tuple[int | None, int | None]:
    """Line and column for a rubric or case-file problem: the YAML path's node, else a
    ``line N`` in the message, else unknown."""
    if yaml_path and file and os.path.isfile(file):
        found = yaml_line(file, yaml_path)
        if found is not None:
            return found
    match = _LINE.search(message)
    if match:
        return int(match[1]), None
    return None, None


def case_line(
    file: str, name: str, company: str | None = None, key: str | None = None
) -> int | None:
    """The line of a golden case (``cases[i]`` whose ``name`` is ``name``), or of its expected
    value ``expect.<company>.<key>`` when given and present."""
    import yaml

    root = _compose(Path(file))
    if root is None:
        return None
    cases, rest = _walk(root, "cases")
    if rest or not isinstance(root, yaml.MappingNode):
        return None
    seq = next((v for k, v in root.value if k is cases), None)
    if not isinstance(seq, yaml.SequenceNode):
        return None
    for item in seq.value:
        if not isinstance(item, yaml.MappingNode):
            continue
        if any(k.value == "name" and v.value == name for k, v in item.value):
            target: Any = item
            if company is not None and key is not None:
                node, left = _walk(item, f"expect.{company}.{key}")
                if not left:
                    target = node
            return int(target.start_mark.line) + 1
    return None


def print_annotations(annotations: list[Annotation]) -> None:
    """Print annotations on stdout, one per line (GitHub reads them from the job log)."""
    import click

    for a in annotations:
        click.echo(a.render())
