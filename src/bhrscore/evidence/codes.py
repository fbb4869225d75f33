"""ISO 3166-1 alpha-2 country and ISO 4217 currency codes, checked against pycountry.

The code lists come from pycountry (which tracks the ISO standards), not from a hand-typed list.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated

import pycountry
from pydantic import AfterValidator, Field

from .hooks import in_vocabulary


@cache
def country_codes() -> frozenset[str]:
    """All ISO 3166-1 alpha-2 codes known to pycountry."""
    return frozenset(c.alpha_2 for c in pycountry.countries)


@cache
def currency_codes() -> frozenset[str]:
    """All ISO 4217 alphabetic codes known to pycountry."""
    return frozenset(c.alpha_3 for c in pycountry.currencies)


def check_country(value: str) -> str:
    if value not in country_codes():
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. 'KZ')")
    return value


def check_currency(value: str) -> str:
    if value not in currency_codes():
        raise ValueError(f"{value!r} is not an ISO 4217 currency code (e.g. 'KZT')")
    return value


# The enums make the generated JSON Schemas as strict as the models for non-Python users.
CountryCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166-1 alpha-2 country code, e.g. KZ",
        json_schema_extra={"enum": sorted(country_codes())},
    ),
    AfterValidator(check_country),
    in_vocabulary(country_codes, "ISO 3166-1 alpha-2 code"),
]
CurrencyCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 currency code, e.g. KZT",
        json_schema_extra={"enum": sorted(currency_codes())},
    ),
    AfterValidator(check_currency),
    in_vocabulary(currency_codes, "ISO 4217 code"),
]
