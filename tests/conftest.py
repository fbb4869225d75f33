"""Shared fixtures: small, clearly fictional companies and evidence records."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# Plots in tests draw off screen; bhrscore.plot itself never picks a backend.
os.environ["MPLBACKEND"] = "Agg"

SOURCE = {
    "url": "https://example.org/report",
    "title": "Fictional report",
    "publisher": "Example NGO",
    "published": "2024-03-01",
    "type": "ngo_report",
}

KIND_FIELDS: dict[str, dict[str, Any]] = {
    "union_dialogue": {
        "event": "refusal_to_meet",
        "union": {"name": "Fictional Oilworkers Union", "status": "independent"},
    },
    "wage": {
        "amount": 150000,
        "currency": "KZT",
        "pay_period": "month",
        "benchmark": {"type": "living_wage", "amount": 300000},
    },
    "retaliation": {
        "action": "dismissal",
        "target_role": "union_leader",
        "actor": "company",
        "company_involvement": "caused",
        "trigger": "strike",
    },
    "statement": {
        "statement_type": "policy_commitment",
        "topics": ["freedom_of_association", "non_retaliation"],
        "standards": ["ilo_c87"],
        "strength": "explicit",
    },
    "assessment": {"framework": "fictional-benchmark", "question_id": "A.1.1", "answer": "partial"},
    "screening": {"topics": ["retaliation", "wage_arrears"]},
}


def company(id: str = "acme", **kw: Any) -> dict[str, Any]:
    base = {
        "id": id,
        "name": f"{id.title()} Fictional Drilling",
        "hq_country": "NL",
        "sectors": ["oil-gas"],
        "host_countries": ["KZ"],
    }
    return base | kw


def record(kind: str = "retaliation", id: str = "e1", **kw: Any) -> dict[str, Any]:
    base = {
        "id": id,
        "kind": kind,
        "company_id": "acme",
        "date": "2024-02-01",
        "country": "KZ",
        "summary": "Fictional event",
        "sources": [dict(SOURCE)],
        "status": "alleged",
        "reliability": "medium",
    }
    return base | KIND_FIELDS[kind] | kw


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit code, stdout, stderr). ``main`` always ends with
    ``SystemExit``; an unexpected exception propagates and fails the calling test."""
    from bhrscore.cli import main

    try:
        main(args)
    except SystemExit as exc:
        out, err = capsys.readouterr()
        return int(exc.code or 0), out, err
    raise AssertionError("the CLI returned without an exit code")


@pytest.fixture
def bundle(tmp_path: Path) -> Callable[..., Path]:
    """Write a JSONL bundle directory and return its path."""

    def make(
        companies: list[dict[str, Any]] | None = None, evidence: list[dict[str, Any]] | None = None
    ) -> Path:
        write_jsonl(
            tmp_path / "companies.jsonl", companies if companies is not None else [company()]
        )
        write_jsonl(tmp_path / "evidence.jsonl", evidence if evidence is not None else [record()])
        return tmp_path

    return make
