"""Checked-in JSON Schemas are in sync with the models and validate the example data."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from bhrscore.schema import SCHEMAS, render

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_checked_in_schema_is_current(name: str) -> None:
    path = ROOT / "schemas" / name
    assert path.exists(), f"{path} missing: run `bhrscore schema --out schemas`"
    assert path.read_text("utf-8") == render(name), (
        f"{path} is stale: run `bhrscore schema --out schemas`"
    )


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((ROOT / "schemas" / name).read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize(
    ("file", "schema"),
    [("companies.jsonl", "company.schema.json"), ("evidence.jsonl", "evidence.schema.json")],
)
def test_examples_validate_with_plain_jsonschema(file: str, schema: str) -> None:
    validator = _validator(schema)
    lines = (ROOT / "examples" / "kazakhstan" / file).read_text("utf-8").splitlines()
    assert lines
    for line in lines:
        validator.validate(json.loads(line))


def test_plain_jsonschema_rejects_what_the_models_reject() -> None:
    validator = _validator("evidence.schema.json")
    first = json.loads(
        (ROOT / "examples/kazakhstan/evidence.jsonl").read_text("utf-8").splitlines()[0]
    )
    assert validator.is_valid(first)
    for bad in ({"country": "XX"}, {"status": "rumoured"}, {"kind": "gossip"}, {"colour": "red"}):
        assert not validator.is_valid(first | bad), bad
