"""The shared plug-in registry: duplicates, declarations, unknown names."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel

from bhrscore.registry import Registry


class Thing(BaseModel):
    type: Literal["a"] = "a"


def test_register_lookup_and_view_in_order() -> None:
    reg: Registry[type[BaseModel]] = Registry("thing", declared="type")
    reg.register("a")(Thing)
    assert reg.lookup("a") is Thing
    assert list(reg.view()) == ["a"]
    assert "a" in reg
    reg.register("a")(Thing)  # registering the same object twice is harmless


def test_unknown_names_list_the_known_ones() -> None:
    reg: Registry[int] = Registry("number")
    reg.register("one")(1)
    with pytest.raises(ValueError, match=r"unknown number 'two' \(known: one\)"):
        reg.lookup("two")
    with pytest.raises(ValueError, match="unknown number 3"):
        reg.lookup(3)


def test_a_name_cannot_be_taken_twice_and_declarations_must_match() -> None:
    reg: Registry[type[BaseModel]] = Registry("thing", declared="type")
    reg.register("a")(Thing)

    class Other(BaseModel):
        type: Literal["a"] = "a"

    with pytest.raises(ValueError, match="already registered"):
        reg.register("a")(Other)
    with pytest.raises(TypeError, match=r"must declare type: Literal\['b'\]"):
        reg.register("b")(Thing)
    reg.unregister("a")
    assert "a" not in reg


def test_scale_and_rule_bases_are_abstract() -> None:
    from bhrscore.rubric.rules import RuleSpec
    from bhrscore.rubric.scales import ScaleSpec

    class Half(ScaleSpec):
        type: Literal["half"] = "half"

    with pytest.raises(TypeError, match="abstract"):
        Half()
    with pytest.raises(TypeError, match="abstract"):
        RuleSpec(type="x")  # type: ignore[abstract]
