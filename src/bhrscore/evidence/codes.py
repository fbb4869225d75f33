"""ISO 3166-1 alpha-2 country and ISO 4217 currency codes, checked against pycountry.

The code lists come from pycountry (which tracks the ISO standards), not from a hand-typed list.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated

import pycountry
from pydantic import AfterValidator, Field

from .hooks import in_vocabulary
from .suggest import country_message, currency_message


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
