"""Account profile reads and updates."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.constants import data as constants
from portico.db import utcnow
from portico.errors import InternalError, InvalidParameter
from portico.institutions.models import Institution


async def institution_biz_id_of(session: AsyncSession, account: Account) -> str:
    """The bizId of the account's institution."""
    institution = await session.get(Institution, account.institution_id)
    if institution is None:
        raise InternalError()
    return institution.biz_id


def _e164(raw: str) -> str:
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        raise InvalidParameter("accountPhone") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidParameter("accountPhone")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    """A partial profile update: a field left None is left as it is."""

    account_name: str | None = None
    account_phone: str | None = None
    default_language: str | None = None
    default_timezone: str | None = None
    default_country: str | None = None


def update_profile(account: Account, changes: ProfileChanges) -> None:
    """Apply a partial profile update (the email is not updatable here)."""
    if (
        changes.default_timezone is not None
        and changes.default_timezone not in constants.timezone_ids()
    ):
        raise InvalidParameter("defaultTimezone")
    country = changes.default_country.upper() if changes.default_country else None
    if country is not None and country not in constants.country_codes():
        raise InvalidParameter("defaultCountry")
    phone = _e164(changes.account_phone) if changes.account_phone else None
    if changes.account_name is not None:
        account.name = changes.account_name
    if phone is not None:
        account.phone = phone
    if changes.default_language is not None:
        account.default_language = changes.default_language
    if changes.default_timezone is not None:
        account.default_timezone = changes.default_timezone
    if country is not None:
        account.default_country = country
    account.updated_at = utcnow()
