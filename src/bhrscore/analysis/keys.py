"""Grouping keys and group labels shared by :mod:`.compare`, :mod:`.evidence_compare` and
:mod:`.sensitivity`: which keys exist, how a key list is checked, how a group is labelled."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

#: Keys to group or stratify score-card comparisons by. ``sector`` groups sector codes by
#: their ISIC Rev.4 division (``oil-gas`` -> ``06``), ``sector_section`` by their section.
KEYS: tuple[str, ...] = (
    "origin_group",
    "origin_country",
    "sector",
    "sector_section",
    "host_country",
    "ownership",
    "hq_country",
)
#: Keys for evidence-level groups; ``host_country`` is the country where the record happened.
EVIDENCE_KEYS: tuple[str, ...] = (
    "origin_group",
    "origin_country",
    "host_country",
    "sector",
    "sector_section",
    "ownership",
    "hq_country",
)
#: Label of a missing key value (no sector, no ownership, unknown country).
UNKNOWN = "unknown"
#: Between the key values of a group label: ``china / oil-gas``.
GROUP_SEPARATOR = " / "


class CompareError(ValueError):
    """A comparison that cannot be made as asked (unknown key or metric, bad option)."""


def check_keys(
    value: str | Sequence[str] | None,
    what: str,
    allowed: Sequence[str] = KEYS,
    *,
    required: bool = False,
) -> tuple[str, ...]:
    """``value`` (one key, several, or ``None`` for none) as a tuple of keys of ``allowed``;
    :class:`CompareError` naming ``what`` (``by``, ``within``) for an unknown key, or for no
    key at all when one is ``required``."""
    keys: tuple[str, ...] = (
        () if value is None else (value,) if isinstance(value, str) else tuple(value)
    )
    if required and not keys:
        raise CompareError(f"{what}: give at least one key")
    for key in keys:
        if key not in allowed:
            raise CompareError(f"{what}: unknown key {key!r}; choose from {', '.join(allowed)}")
    return keys


def group_label(frame: pd.DataFrame, keys: Sequence[str], empty: str = "") -> pd.Series:
    """Per row, the values of ``keys`` joined by :data:`GROUP_SEPARATOR` (``empty`` when there
    are no keys)."""
    if not keys:
        return pd.Series(empty, index=frame.index, dtype="string")
    label = frame[keys[0]].astype("string")
    for key in keys[1:]:
        label = label + GROUP_SEPARATOR + frame[key].astype("string")
    return label
