"""``wage``: pay against a benchmark, arrears, pay gaps, or a level relative to peers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, PositiveFloat, PositiveInt, model_validator

from ..codes import CurrencyCode
from ..hooks import DerivedColumn, FrameCheck
from ..model import EvidenceBase, Model
from ..registry import evidence_kind
from ..vocab import PayPeriod, PeerLevel, WageBenchmarkType, WageGapType


class WageBenchmark(Model):
    """A benchmark in the same currency and pay period as the wage it is compared with."""

    type: WageBenchmarkType
    amount: PositiveFloat


class Arrears(Model):
    """Unpaid wages: total amount (in the record's currency), days overdue, workers affected;
    at least one of them."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    amount: PositiveFloat | None = None
    days: PositiveInt | None = None
    workers_affected: PositiveInt | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Arrears:
        if self.amount is None and self.days is None and self.workers_affected is None:
            raise ValueError("arrears need at least one of amount, days or workers_affected")
        return self

    @classmethod
    def frame_checks(cls) -> tuple[FrameCheck, ...]:
        return (
            FrameCheck(
                "arrears need at least one of amount, days or workers_affected",
                lambda v: ~(v.has("amount") | v.has("days") | v.has("workers_affected")),
            ),
        )


class WageGap(Model):
    """A pay gap as a ratio (e.g. local pay / expatriate pay = 0.4)."""

    type: WageGapType
    ratio: PositiveFloat


@evidence_kind("wage")
class Wage(EvidenceBase):
    """Wage evidence. At least one of ``amount``, ``arrears``, ``gap`` or
    ``relative_to_peers`` is given; the ratio to the benchmark is derived, never typed."""

    kind: Literal["wage"] = "wage"
    amount: PositiveFloat | None = None
    currency: CurrencyCode | None = None
    pay_period: PayPeriod | None = None
    benchmark: WageBenchmark | None = None
    arrears: Arrears | None = None
    gap: WageGap | None = None
    relative_to_peers: PeerLevel | None = None
    workers_affected: PositiveInt | None = Field(default=None)

    @model_validator(mode="after")
    def _consistent(self) -> Wage:
        if (
            self.amount is None
            and self.arrears is None
            and self.gap is None
            and self.relative_to_peers is None
        ):
            raise ValueError("give at least one of amount, arrears, gap or relative_to_peers")
        if self.benchmark is not None and self.amount is None:
            raise ValueError("a benchmark needs the wage amount it is compared with")
        needs_currency = self.amount is not None or (
            self.arrears is not None and self.arrears.amount is not None
        )
        if needs_currency and self.currency is None:
            raise ValueError("amounts need a currency (ISO 4217)")
        if self.amount is not None and self.pay_period is None:
            raise ValueError("a wage amount needs its pay_period (hour, day, week, month, year)")
        return self

    @classmethod
    def frame_checks(cls) -> tuple[FrameCheck, ...]:
        return (
            FrameCheck(
                "give at least one of amount, arrears, gap or relative_to_peers",
                lambda v: (
                    ~(
                        v.has("amount")
                        | v.has("arrears")
                        | v.has("gap")
                        | v.has("relative_to_peers")
                    )
                ),
            ),
            FrameCheck(
                "a benchmark needs the wage amount",
                lambda v: v.has("benchmark") & ~v.has("amount"),
            ),
            FrameCheck(
                "amounts need a currency",
                lambda v: (v.has("amount") | v.has("arrears.amount")) & ~v.has("currency"),
            ),
            FrameCheck(
                "a wage amount needs its pay_period",
                lambda v: v.has("amount") & ~v.has("pay_period"),
            ),
        )

    @classmethod
    def derived_columns(cls) -> tuple[DerivedColumn, ...]:
        return (
            DerivedColumn(
                "benchmark_ratio",
                "Float64",
                lambda v: v["amount"] / v["benchmark.amount"],
                "wage divided by its benchmark (1.0 = at the benchmark)",
            ),
        )

    @property
    def benchmark_ratio(self) -> float | None:
        """Wage divided by its benchmark (1.0 = at the benchmark)."""
        if self.benchmark is None or self.amount is None:
            return None
        return self.amount / self.benchmark.amount

    @classmethod
    def example(cls) -> dict[str, Any]:
        """A fictional example row for the evidence-entry template."""
        return {
            "date": "2025-02-01",
            "summary": "EXAMPLE (fictional): monthly pay below the living-wage benchmark.",
            "amount": 250000,
            "currency": "KZT",
            "pay_period": "month",
            "benchmark": {"type": "living_wage", "amount": 350000},
            "workers_affected": 120,
        }
