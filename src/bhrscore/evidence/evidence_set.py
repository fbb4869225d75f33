"""An :class:`EvidenceSet`: validated companies and evidence, plus the report of loading.

Frames first: the set holds typed, Arrow-backed frames (and the long tables of its lists of
objects, such as every record's sources) as its primary form. The pydantic models are built
from them only when asked for (``evidence_set.evidence``), so loading a million records never
builds a million models.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

import pandas as pd

from .frame import Frames, Parts, frame_hash, frame_of, models_from, parts_from_models
from .model import Company, EvidenceBase
from .report import ValidationReport
from .sectors import SectorVocabulary, active_sector_vocabulary, use_sector_vocabulary


class EvidenceSet:
    """Companies and evidence that passed validation.

    Build one with :func:`bhrscore.load_evidence`, or from models
    (``EvidenceSet(companies, evidence)``; pass ``sector_vocabulary`` when the models use
    sector codes of a bundle's ``vocabulary.yaml``). ``sector_vocabulary`` is the vocabulary
    the records were validated with; models built from the frames, and
    :func:`~bhrscore.check_frames`, use it.

    >>> from bhrscore import load_evidence
    >>> evidence = load_evidence("examples/kazakhstan")  # doctest: +SKIP
    >>> frames = evidence.frames()  # doctest: +SKIP
    >>> frames.companies, frames.evidence  # doctest: +SKIP
    """

    def __init__(
        self,
        companies: Sequence[Company] = (),
        evidence: Sequence[EvidenceBase] = (),
        report: ValidationReport | None = None,
        *,
        sector_vocabulary: SectorVocabulary | None = None,
    ) -> None:
        company_parts = parts_from_models(list(companies), "companies")
        evidence_parts = parts_from_models(list(evidence), "evidence")
        vocabulary = (
            sector_vocabulary if sector_vocabulary is not None else active_sector_vocabulary()
        )
        with use_sector_vocabulary(vocabulary):
            self._init(company_parts, evidence_parts, report, checked=False)
        self.__dict__["companies"] = tuple(companies)
        self.__dict__["evidence"] = tuple(evidence)

    def _init(
        self,
        companies: Parts,
        evidence: Parts,
        report: ValidationReport | None,
        checked: bool,
    ) -> None:
        #: the sector codes the records were validated with: the one in effect when the set
        #: was built (the loader's: the packaged codes plus the bundle's vocabulary.yaml)
        self.sector_vocabulary = active_sector_vocabulary()
        self._frames = Frames(
            frame_of(companies, "companies"),
            frame_of(evidence, "evidence"),
            values_checked=checked,
            sector_vocabulary=self.sector_vocabulary,
        )
        self._items: dict[str, Mapping[str, pd.DataFrame]] = {
            "companies": companies.items,
            "evidence": evidence.items,
        }
        self.report = report if report is not None else ValidationReport()

    @classmethod
    def from_parts(
        cls, companies: Parts, evidence: Parts, report: ValidationReport | None = None
    ) -> EvidenceSet:
        """A set from validated field columns and item tables (what the loader builds)."""
        self = cls.__new__(cls)
        self._init(companies, evidence, report, checked=True)
        self._frames.warm_hash()  # the score card asks for the content hash: start on it
        return self

    @cached_property
    def companies(self) -> tuple[Company, ...]:
        """The companies as models (built from the frames on first use)."""
        with use_sector_vocabulary(self.sector_vocabulary):
            return tuple(models_from(self._frames.companies, self._items["companies"], "companies"))

    @cached_property
    def evidence(self) -> tuple[EvidenceBase, ...]:
        """The evidence records as models (built from the frames on first use)."""
        with use_sector_vocabulary(self.sector_vocabulary):
            return tuple(models_from(self._frames.evidence, self._items["evidence"], "evidence"))

    def items(self, table: str, path: str = "sources") -> pd.DataFrame:
        """The long table of a list of objects (e.g. every evidence source; ``owner`` is the
        record's row in the frame)."""
        return self._items[table][path]

    def frames(self) -> Frames:
        """Typed companies and evidence DataFrames."""
        return self._frames

    def content_hash(self) -> str:
        """Order-independent hash of the contents, recorded in every score card."""
        return self._frames.content_hash()

    def company(self, company_id: str) -> Company:
        frame = self._frames.companies
        hits = (frame["id"] == company_id).to_numpy(dtype=bool, na_value=False).nonzero()[0]
        if not len(hits):
            raise KeyError(company_id)
        row = frame.iloc[hits[:1]].reset_index(drop=True)
        items = {
            path: _owned_by(long, int(hits[0])) for path, long in self._items["companies"].items()
        }
        with use_sector_vocabulary(self.sector_vocabulary):
            [model] = models_from(row, items, "companies")
        return model  # type: ignore[no-any-return]

    def counts(self) -> dict[str, Counter[str]]:
        """Evidence counts per kind and per status."""
        ev = self._frames.evidence
        return {
            "kind": _counter(ev["kind"]),
            "status": _counter(ev["status"]),
        }

    def __len__(self) -> int:
        return len(self._frames.evidence)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EvidenceSet):
            return NotImplemented
        return self.content_hash() == other.content_hash() and _items_hash(self) == _items_hash(
            other
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"EvidenceSet({len(self._frames.companies)} companies, "
            f"{len(self._frames.evidence)} evidence records)"
        )


def _owned_by(long: pd.DataFrame, position: int) -> pd.DataFrame:
    mine = long[long["owner"].to_numpy() == position].copy()
    mine["owner"] = 0
    return pd.DataFrame(mine)


def _counter(col: pd.Series) -> Counter[str]:
    counts = col.astype("string").value_counts(dropna=True)
    return Counter({str(k): int(v) for k, v in counts.items() if v})


def _items_hash(ev: EvidenceSet) -> str:
    frames: list[Any] = []
    for table in ("companies", "evidence"):
        ids = ev.frames().companies["id"] if table == "companies" else ev.frames().evidence["id"]
        for long in ev._items[table].values():
            keyed = long.assign(id=ids.to_numpy()[long["owner"].to_numpy()]).drop(columns="owner")
            frames.append(keyed)
    return frame_hash(*frames)
