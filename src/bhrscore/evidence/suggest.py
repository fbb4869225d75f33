""" "Did you mean" hints for field names, vocabulary values and ISO codes, in one place.

Every message built here teaches the fix without repeating the offending value: problems
carry the value separately (``Problem.value``), so that echoing it (and redacting it) stays
in one place. Suggestions only ever name known things (field names, vocabulary values,
ISO codes and country names), never user text.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

#: how many suggestions a hint names at most
MAX_HINTS = 2
#: longer values are not looked up (names, codes and fields are short)
MAX_LOOKUP_CHARS = 80
_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")


def close_matches(
    word: str, candidates: Iterable[str], n: int = MAX_HINTS, cutoff: float = 0.6
) -> list[str]:
    """Candidates close to ``word``: the same word in another case first, then close
    spellings (:func:`difflib.get_close_matches`, compared case-insensitively)."""
    import difflib  # on the error path only

    if not word or len(word) > MAX_LOOKUP_CHARS:
        return []
    by_fold: dict[str, str] = {}
    for c in candidates:
        by_fold.setdefault(c.casefold(), c)
    folded = word.casefold()
    found = [by_fold[folded]] if folded in by_fold and by_fold[folded] != word else []
    found += [by_fold[m] for m in difflib.get_close_matches(folded, list(by_fold), n, cutoff)]
    return [f for f in dict.fromkeys(found) if f != word][:n]


def did_you_mean(hints: Sequence[str], labels: dict[str, str] | None = None) -> str:
    """``"did you mean 'a'?"`` or ``"did you mean 'a' or 'b'?"`` (empty without hints);
    ``labels`` adds a name in brackets, e.g. ``'KZ' (Kazakhstan)``."""
    if not hints:
        return ""
    labels = labels or {}
    shown = [f"{h!r}" + (f" ({labels[h]})" if h in labels else "") for h in hints]
    return "did you mean " + " or ".join(shown) + "?"


def with_hint(message: str, hints: Sequence[str], labels: dict[str, str] | None = None) -> str:
    """``message`` followed by ``; did you mean …?`` when there are hints."""
    hint = did_you_mean(hints, labels)
    return f"{message}; {hint}" if hint else message


# --- field names --------------------------------------------------------------------------


def _template(name: str) -> tuple[str, list[str]]:
    """``sources.1.ulr`` -> (``sources.{i}.ulr``, [``1``])."""
    parts = name.split(".")
    indices = [p for p in parts if _INDEX.match(p)]
    return ".".join("{i}" if _INDEX.match(p) else p for p in parts), indices


def field_hints(name: str, known: Iterable[str]) -> list[str]:
    """Known field names close to ``name``. ``known`` may hold list templates
    (``sources.{i}.url``); a hint keeps the index of ``name`` (``sources.1.ulr`` ->
    ``sources.1.url``). Only names at the same level are compared, on their last part, so a
    misspelt nested key gets its sibling (``period.strat`` -> ``period.start``); a name
    misspelt as a whole (``sourecs.0.url``) is compared whole."""
    template, indices = _template(name)
    known = list(dict.fromkeys(known))
    head, _, last = template.rpartition(".")
    siblings = {k.rpartition(".")[2]: k for k in known if k.rpartition(".")[0] == head}
    found = [siblings[h] for h in close_matches(last, list(siblings))] if siblings else []
    if not found:
        found = close_matches(template, known)
    out = []
    for hint in found:
        for index in indices:
            hint = hint.replace("{i}", index, 1)
        out.append(hint.replace("{i}", "0"))
    return list(dict.fromkeys(out))


# --- vocabularies -------------------------------------------------------------------------


def vocabulary_message(value: object, choices: Sequence[str]) -> str:
    """Why ``value`` is not one of ``choices``: the case when only the case differs
    (``values are lower case: 'alleged'``), else the allowed values and close ones."""
    listed = ", ".join(choices)
    if isinstance(value, str):
        folded = {c.casefold(): c for c in choices}
        same = folded.get(value.strip().casefold())
        if same is not None:
            if same == same.lower():
                return f"values are lower case: {same!r}"
            if same == same.upper():
                return f"values are upper case: {same!r}"
            return f"values are case-sensitive: {same!r}"
        hints = close_matches(value.strip(), choices)
        if hints:
            return f"not an allowed value; {did_you_mean(hints)} Allowed: {listed}"
    return f"not an allowed value; allowed: {listed}"


# --- ISO codes ------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def country_hints(value: str) -> tuple[str, ...]:
    """ISO 3166-1 alpha-2 codes ``value`` may stand for: by code in another case, alpha-3
    code, numeric code, name, official or common name (pycountry's lookup), then, as a last
    resort, pycountry's fuzzy search and close spellings of country names."""
    import pycountry  # on the error path only: its import costs every command 5-10 ms

    text = value.strip()
    if not text or len(text) > MAX_LOOKUP_CHARS:
        return ()
    try:
        return (str(pycountry.countries.lookup(text).alpha_2),)
    except LookupError:
        pass
    found: list[str] = []
    with contextlib.suppress(LookupError):
        found += [str(c.alpha_2) for c in pycountry.countries.search_fuzzy(text)]
    if not found:
        names: dict[str, str] = {}
        for c in pycountry.countries:
            for attr in ("name", "official_name", "common_name"):
                name = getattr(c, attr, None)
                if name:
                    names.setdefault(str(name), str(c.alpha_2))
        found = [names[n] for n in close_matches(text, list(names), n=MAX_HINTS, cutoff=0.8)]
    return tuple(list(dict.fromkeys(found))[:MAX_HINTS])


def country_message(value: str) -> str:
    """Why ``value`` is not an ISO 3166-1 alpha-2 code, with the code it may stand for."""
    import pycountry

    hints = [h for h in country_hints(value) if h != value]
    if len(hints) == 1 and hints[0] == value.strip().upper():
        return f"country codes are upper case: {hints[0]!r}"
    labels = {h: str(getattr(pycountry.countries.get(alpha_2=h), "name", h)) for h in hints}
    return with_hint("not an ISO 3166-1 alpha-2 country code", hints, labels) + (
        "" if hints else " (two capital letters, e.g. 'KZ')"
    )


@lru_cache(maxsize=1024)
def currency_hints(value: str) -> tuple[str, ...]:
    """ISO 4217 codes ``value`` may stand for: the code in another case, or a currency name
    (pycountry's lookup), else close spellings of codes and names."""
    import pycountry

    text = value.strip()
    if not text or len(text) > MAX_LOOKUP_CHARS:
        return ()
    try:
        return (str(pycountry.currencies.lookup(text).alpha_3),)
    except LookupError:
        pass
    names = {str(c.name): str(c.alpha_3) for c in pycountry.currencies}
    return tuple(dict.fromkeys(names[n] for n in close_matches(text, list(names), cutoff=0.7)))


def currency_message(value: str) -> str:
    """Why ``value`` is not an ISO 4217 code, with the code it may stand for."""
    import pycountry

    hints = [h for h in currency_hints(value) if h != value]
    if len(hints) == 1 and hints[0] == value.strip().upper():
        return f"currency codes are upper case: {hints[0]!r}"
    labels = {h: str(getattr(pycountry.currencies.get(alpha_3=h), "name", h)) for h in hints}
    return with_hint("not an ISO 4217 currency code", hints, labels) + (
        "" if hints else " (three capital letters, e.g. 'KZT')"
    )
