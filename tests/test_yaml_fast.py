"""YAML is read on libyaml when PyYAML has it (``bhrscore.yaml_load.FastSafeLoader``): the
same safe constructor, the same data and line marks as the pure-Python loader, and the
pure-Python loader's messages for documents either refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bhrscore.rubric.lines import FastLineLoader, LineLoader, load_with_lines
from bhrscore.rubric.model import RubricError, load_rubric
from bhrscore.yaml_load import FastSafeLoader, NestingError, fast_safe_load, safe_load

ROOT = Path(__file__).resolve().parents[1]
YAML_FILES = sorted(
    [
        *ROOT.glob("rubrics/**/*.yaml"),
        *ROOT.glob("examples/**/*.yaml"),
        *ROOT.glob("src/bhrscore/data/*.yaml"),
    ]
)


def test_the_fast_loaders_are_safe_loaders() -> None:
    assert issubclass(FastSafeLoader, yaml.constructor.SafeConstructor)
    assert FastSafeLoader.yaml_constructors == yaml.SafeLoader.yaml_constructors
    assert issubclass(FastLineLoader, FastSafeLoader)
    assert FastLineLoader.yaml_constructors == LineLoader.yaml_constructors
    # PyYAML here is built with libyaml (the wheels are): the fast path is the C one
    assert FastSafeLoader is yaml.CSafeLoader


def _marks(node: yaml.Node | None) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    stack = [node] if node is not None else []
    while stack:
        n = stack.pop()
        out.append((str(n.tag), n.start_mark.line))
        if isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
        elif isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                stack += [key, value]
    return out


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_bundled_yaml_file_reads_the_same_both_ways(path: Path) -> None:
    text = path.read_text("utf-8")
    assert fast_safe_load(text) == yaml.safe_load(text)
    data, root = load_with_lines(text)
    slow = LineLoader(text)
    try:
        assert data == slow.get_single_data()
        assert _marks(root) == _marks(slow.root)  # the lines errors are reported at
    finally:
        slow.dispose()


def test_bundled_files_were_found() -> None:
    names = {p.name for p in YAML_FILES}
    assert {"labour-rights.yaml", "isic4.yaml", "origin_groups.yaml"} <= names


@pytest.mark.parametrize(
    "text",
    [
        "a: [1, 2\nb: 3\n",  # an unclosed flow sequence
        "key: value\n  bad indent: 1\n",
        "a: 'unterminated\n",
        "- !!python/object/apply:os.system ['echo unsafe']\n",  # refused by the safe loader
    ],
)
def test_refused_documents_get_the_pure_python_message(text: str) -> None:
    with pytest.raises(yaml.YAMLError) as slow:
        yaml.safe_load(text)
    with pytest.raises(yaml.YAMLError) as fast:
        safe_load(text)
    assert str(fast.value) == str(slow.value)
    with pytest.raises(yaml.YAMLError) as lines:
        load_with_lines(text)
    assert str(lines.value) == str(slow.value)


def test_a_broken_rubric_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: r\nversion: '1'\ntree: [\n  {id: a\n", encoding="utf-8")
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    assert "YAML syntax error" in str(err.value)
    assert "line " in str(err.value)


def test_the_nesting_limit_holds_on_the_fast_parser() -> None:
    deep = "a: " + "[" * 70 + "]" * 70 + "\n"
    with pytest.raises(NestingError, match="65 levels deep, over the limit of 64"):
        safe_load(deep)


def test_text_libyaml_cannot_encode_gets_the_pure_python_error() -> None:
    """libyaml encodes the text to UTF-8 first: a lone surrogate is a YAML reader error, as
    with the pure-Python loader, never a UnicodeEncodeError."""
    for load in (safe_load, load_with_lines):
        with pytest.raises(yaml.reader.ReaderError):
            load("a: \udc80\n")


def test_libyaml_reads_tabs_as_separators() -> None:
    """The one known difference: libyaml accepts a tab after a key's colon, which the
    pure-Python parser refuses; the data is what the text says."""
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load("a:\t1\n")
    assert safe_load("a:\t1\n") == {"a": 1}
