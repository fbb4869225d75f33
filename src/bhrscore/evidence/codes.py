"""ISO 3166-1 alpha-2 country and ISO 4217 currency codes, checked against pycountry.

The code lists come from pycountry (which tracks the ISO standards), not from a hand-typed list:
from its database files, read without importing pycountry unless it is imported already
(its import reads the installed packages' metadata, 5-10 ms of every command's start; the
files are what ``pycountry.countries`` and ``pycountry.currencies`` are built from).
"""

from __future__ import annotations

import json
import sys
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from .hooks import in_vocabulary
from .suggest import country_message, currency_message


@cache
def country_codes() -> frozenset[str]:
    """All ISO 3166-1 alpha-2 codes known to pycountry."""
    return _pycountry_codes("countries", "iso3166-1.json", "3166-1", "alpha_2")


@cache
def currency_codes() -> frozenset[str]:
    """All ISO 4217 alphabetic codes known to pycountry."""
    return _pycountry_codes("currencies", "iso4217.json", "4217", "alpha_3")


def _pycountry_codes(database: str, file: str, root: str, key: str) -> frozenset[str]:
    """The ``key`` of every entry of pycountry's ``database`` (``countries``): from the
    database file pycountry builds it from (``databases/FILE``, entries under ``root``), or,
    when pycountry is imported already (entries may have been added) or the file cannot be
    read, from pycountry itself."""
    if "pycountry" not in sys.modules:
        entries = _database_entries(file, root)
        if entries is not None:
            return frozenset(str(entry[key]) for entry in entries)
    import pycountry

    return frozenset(str(getattr(entry, key)) for entry in getattr(pycountry, database))


def _database_entries(file: str, root: str) -> list[dict[str, Any]] | None:
    try:
        spec = find_spec("pycountry")
        locations = spec.submodule_search_locations if spec is not None else None
        if not locations:
            return None
        tree = json.loads((Path(locations[0]) / "databases" / file).read_text("utf-8"))
        entries = tree[root]
        if isinstance(entries, list) and all(isinstance(e, dict) for e in entries):
            return entries
    except (OSError, ValueError, KeyError, TypeError, ImportError):
        pass
    return None


def check_country(value: str) -> str:
    if value not in country_codes():
        raise ValueError(country_message(value))
    return value


def check_currency(value: str) -> str:
    if value not in currency_codes():
        raise ValueError(currency_message(value))
    return value


# The enums make the generated JSON Schemas as strict as the models for non-Python users. The
# pattern is for the schemas only: the validator words the message ("did you mean 'KZ'?")
# instead of pydantic's "String should match pattern".
CountryCode = Annotated[
    str,
    Field(
        description="ISO 3166-1 alpha-2 country code, e.g. KZ",
        json_schema_extra={"enum": sorted(country_codes()), "pattern": r"^[A-Z]{2}$"},
    ),
    AfterValidator(check_country),
    in_vocabulary(country_codes, "ISO 3166-1 alpha-2 code"),
]
CurrencyCode = Annotated[
    str,
    Field(
        description="ISO 4217 currency code, e.g. KZT",
        json_schema_extra={"enum": sorted(currency_codes()), "pattern": r"^[A-Z]{3}$"},
    ),
    AfterValidator(check_currency),
    in_vocabulary(currency_codes, "ISO 4217 code"),
]
