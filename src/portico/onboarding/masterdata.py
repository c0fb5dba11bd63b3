"""The reference lists onboarding checks values against: ISO 3166-1 countries (pycountry, for
countries and nationalities), the institution's ID document types, E.164 phone numbers
(phonenumbers, Google's libphonenumber metadata)."""

from __future__ import annotations

import unicodedata
from functools import cache

import phonenumbers
import pycountry

# Offered when the institution has not set its own list (`portico issuer set-id-types`).
DEFAULT_ID_TYPES: tuple[str, ...] = (
    "PASSPORT",
    "NATIONAL_ID",
    "RESIDENCE_PERMIT",
    "DRIVING_LICENCE",
)
KYC_LEVELS: tuple[str, ...] = ("BASIC", "STANDARD", "ENHANCED")
# The partner's sanctions/PEP screening result: CLEAR (no match), POTENTIAL_MATCH (cleared by
# the partner's review), PENDING (not finished). A confirmed match is not onboarded at all.
SCREENING_STATUSES: tuple[str, ...] = ("CLEAR", "POTENTIAL_MATCH", "PENDING")
GENDERS: tuple[str, ...] = ("FEMALE", "MALE", "OTHER", "UNSPECIFIED")


@cache
def _countries() -> dict[str, str]:
    """Every ISO 3166-1 alpha-2 and alpha-3 code -> its alpha-2 code."""
    found: dict[str, str] = {}
    for country in pycountry.countries:
        found[country.alpha_2] = country.alpha_2
        found[country.alpha_3] = country.alpha_2
    return found


def country(code: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of an alpha-2 or alpha-3 code (any case), or None."""
    return _countries().get(code.strip().upper())


def id_types(institution_types: list[str] | None) -> tuple[str, ...]:
    return tuple(institution_types) if institution_types else DEFAULT_ID_TYPES


def normalise_id_number(number: str) -> str:
    """The form an ID number is indexed and compared in: NFKC, upper case, without spaces,
    dashes, dots or slashes (`ab 123-456` and `AB123456` are one document)."""
    text = unicodedata.normalize("NFKC", number).upper()
    return "".join(ch for ch in text if ch.isalnum())


def phone_e164(number: str, region: str | None) -> str | None:
    """`number` as E.164 (`+33612345678`) if it is a valid number: international (`+…`), or
    national in `region` (the address's country). None when it is not a valid number."""
    try:
        parsed = phonenumbers.parse(number, None if number.strip().startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
