"""JSON Schemas generated from the models (the checked-in files in ``schemas/``).

``SCHEMAS`` maps a file name to a function returning the schema, so each model family adds
itself with one line. ``bhrscore schema --out schemas`` regenerates them; a test fails when the
checked-in files are stale.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .io import atomic_write_text

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = "https://bhrscore.invalid/schemas/"


def _company() -> dict[str, Any]:
    from .evidence.model import Company

    return Company.model_json_schema()


def _evidence() -> dict[str, Any]:
    from typing import Annotated, Union

    from pydantic import Field, TypeAdapter

    from .evidence.registry import evidence_kinds

    kinds = tuple(evidence_kinds().values())
    union = Annotated[Union[kinds], Field(discriminator="kind")]  # type: ignore[valid-type]  # noqa: UP007
    return TypeAdapter(union).json_schema()


def _rubric() -> dict[str, Any]:
    from .rubric.model import Rubric

    return Rubric.model_json_schema()


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "company.schema.json": _company,
    "evidence.schema.json": _evidence,
    "rubric.schema.json": _rubric,
}


def render(name: str) -> str:
    """The schema ``name`` as canonical JSON text (sorted keys, 2-space indent, newline)."""
    schema = {"$schema": SCHEMA_DIALECT, "$id": BASE_ID + name, **SCHEMAS[name]()}
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(out_dir: str | Path) -> list[Path]:
    """Write every schema into ``out_dir``; returns the paths written."""
    out = Path(out_dir)
    paths = []
    for name in SCHEMAS:
        path = out / name
        atomic_write_text(path, render(name))
        paths.append(path)
    return paths
