"""Scales: turn an aggregated raw value into a 0-100 score, vectorised over companies.

Scale types live in a registry; add one with :func:`scale_type`::

    @scale_type("sqrt")
    class Sqrt(ScaleSpec):
        type: Literal["sqrt"] = "sqrt"
        upper: float

        def to_score(self, raw: np.ndarray) -> np.ndarray:
            return 100 * np.sqrt(np.clip(raw / self.upper, 0, 1))

Every scale takes ``invert: true`` (score becomes ``100 - score``). Results are clipped to
0-100; a missing raw value (NaN) stays missing.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterator, Mapping
from itertools import pairwise
from typing import Any, Literal, TypeVar

import numpy as np
from pydantic import model_validator

from ..registry import Registry
from .spec import Spec

Problem = tuple[str, str]


class ScaleSpec(Spec):
    """Base of all scales: ``type`` selects the registered scale; ``invert`` flips it."""

    type: str
    invert: bool = False

    @abstractmethod
    def to_score(self, raw: np.ndarray) -> np.ndarray:
        """Raw values (float array, NaN = missing) -> scores before inversion and clipping."""

    def apply(self, raw: np.ndarray) -> np.ndarray:
        scored = np.asarray(self.to_score(np.asarray(raw, dtype=float)), dtype=float)
        score: np.ndarray = np.clip(scored, 0, 100)
        return 100.0 - score if self.invert else score

    def describe(self) -> str:
        fields = self.model_dump(exclude={"type", "invert"}, exclude_defaults=True)
        inner = ", ".join(f"{k}={v}" for k, v in fields.items())
        return f"{self.type}({inner})" + (" inverted" if self.invert else "")

    def problems(self, path: str) -> Iterator[Problem]:
        """Semantic problems (beyond the model's own validation)."""
        return iter(())


SCALES: Registry[type[ScaleSpec]] = Registry("scale type", declared="type")
S = TypeVar("S", bound=type[ScaleSpec])


def scale_type(name: str) -> Callable[[S], S]:
    """Register a scale class under ``name`` (its ``type`` value)."""
    return SCALES.register(name)  # type: ignore[return-value]


def scale_types() -> Mapping[str, type[ScaleSpec]]:
    return SCALES.view()


def parse_scale(value: Any) -> Any:
    """Pydantic before-validator: a mapping -> the registered scale model."""
    if isinstance(value, ScaleSpec) or not isinstance(value, dict):
        return value
    name = value.get("type")
    return SCALES.lookup(name).model_validate(value)


@scale_type("identity")
class Identity(ScaleSpec):
    """The raw value already is a 0-100 score (e.g. mapped answers yes=100, partial=50)."""

    type: Literal["identity"] = "identity"

    def to_score(self, raw: np.ndarray) -> np.ndarray:
        return raw


@scale_type("boolean")
class Boolean(ScaleSpec):
    """``true_score`` when the raw value is above ``above`` (default 0), else
    ``false_score``."""

    type: Literal["boolean"] = "boolean"
    above: float = 0.0
    true_score: float = 100.0
    false_score: float = 0.0

    def to_score(self, raw: np.ndarray) -> np.ndarray:
        out = np.where(raw > self.above, self.true_score, self.false_score)
        return np.where(np.isnan(raw), np.nan, out)


@scale_type("linear")
class Linear(ScaleSpec):
    """0 at ``lower``, 100 at ``upper``, straight in between, clipped outside."""

    type: Literal["linear"] = "linear"
    lower: float
    upper: float

    @model_validator(mode="after")
    def _ordered(self) -> Linear:
        if not self.upper > self.lower:
            raise ValueError(f"upper ({self.upper}) must be greater than lower ({self.lower})")
        return self

    def to_score(self, raw: np.ndarray) -> np.ndarray:
        return 100.0 * (raw - self.lower) / (self.upper - self.lower)


class Step(Spec):
    at: float
    score: float


@scale_type("thresholds")
class Thresholds(ScaleSpec):
    """Steps: a raw value ``>= at`` gets that step's ``score`` (the highest step reached
    wins); below the first step it gets ``below``. Steps are listed in increasing ``at``."""

    type: Literal["thresholds"] = "thresholds"
    steps: list[Step]
    below: float = 0.0

    @model_validator(mode="after")
    def _increasing(self) -> Thresholds:
        if not self.steps:
            raise ValueError("give at least one step")
        ats = [s.at for s in self.steps]
        if any(b <= a for a, b in pairwise(ats)):
            raise ValueError(f"steps must be in strictly increasing 'at' order; got {ats}")
        return self

    def to_score(self, raw: np.ndarray) -> np.ndarray:
        ats = np.array([s.at for s in self.steps])
        scores = np.array([self.below, *(s.score for s in self.steps)])
        idx = np.searchsorted(ats, np.nan_to_num(raw, nan=-np.inf), side="right")
        return np.where(np.isnan(raw), np.nan, scores[idx])
