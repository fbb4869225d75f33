"""Write an evidence set back to files such that ``load -> write -> load`` is identical.

Formats are a registry (``WRITERS``): ``jsonl`` and ``json`` dump the models; ``csv`` uses the
flat layout of :mod:`.flat` with as many ``sources.N.*`` columns as the data needs. Files are
written atomically.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..io import atomic_write_text
from .evidence_set import EvidenceSet
from .flat import columns, expand, flatten
from .model import Company
from .registry import evidence_kinds


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


def _jsonl(models: Sequence[BaseModel]) -> str:
    return "".join(json.dumps(_dump(m), ensure_ascii=False) + "\n" for m in models)


def _csv(models: Sequence[BaseModel], header_models: Sequence[type[BaseModel]]) -> str:
    rows = [flatten(_dump(m)) for m in models]
    slots = max(
        (sum(1 for k in r if k.startswith("sources.") and k.endswith(".url")) for r in rows),
        default=1,
    )
    header: list[str] = []
    for model in header_models:
        for name in expand(columns(model), slots=max(slots, 1)):
            if name not in header:
                header.append(name)
    # indexed source columns last, in slot order
    header = [h for h in header if not h.startswith("sources.")] + [
        h for h in header if h.startswith("sources.")
    ]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: ("true" if v is True else "false" if v is False else v) for k, v in row.items()}
        )
    return buf.getvalue()


def _write_jsonl(ev: EvidenceSet, out: Path) -> list[Path]:
    paths = [out / "companies.jsonl", out / "evidence.jsonl"]
    atomic_write_text(paths[0], _jsonl(ev.companies))
    atomic_write_text(paths[1], _jsonl(ev.evidence))
    return paths


def _write_json(ev: EvidenceSet, out: Path) -> list[Path]:
    path = out / "bundle.json"
    doc = {
        "companies": [_dump(c) for c in ev.companies],
        "evidence": [_dump(e) for e in ev.evidence],
    }
    atomic_write_text(path, json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    return [path]


def _write_csv(ev: EvidenceSet, out: Path) -> list[Path]:
    paths = [out / "companies.csv", out / "evidence.csv"]
    atomic_write_text(paths[0], _csv(ev.companies, [Company]))
    atomic_write_text(paths[1], _csv(ev.evidence, list(evidence_kinds().values())))
    return paths


WRITERS: dict[str, Callable[[EvidenceSet, Path], list[Path]]] = {
    "jsonl": _write_jsonl,
    "json": _write_json,
    "csv": _write_csv,
}


def write_evidence(
    evidence: EvidenceSet, out_dir: str | os.PathLike[str], format: str = "jsonl"
) -> list[Path]:
    """Write ``evidence`` as a bundle into ``out_dir``; returns the files written.

    >>> write_evidence(evidence_set, "out/bundle", format="csv")  # doctest: +SKIP
    [PosixPath('out/bundle/companies.csv'), PosixPath('out/bundle/evidence.csv')]
    """
    try:
        writer = WRITERS[format]
    except KeyError:
        raise ValueError(f"unknown format {format!r}; use one of {', '.join(WRITERS)}") from None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return writer(evidence, out)
