"""Profile bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from portico.accounts.models import Account
from portico.enums import AccountPortal, AccountStatus
from portico.envelope import EnumObject, RequestModel, UtcDateTime, WireModel


class ProfileOut(WireModel):
    biz_id: str
    institution_biz_id: str
    account_email: str
    account_phone: str | None
    account_name: str | None
    account_remark: str | None
    account_portal: EnumObject[AccountPortal]
    account_status: EnumObject[AccountStatus]
    created_at: UtcDateTime
    updated_at: UtcDateTime
    default_language: str
    default_timezone: str
    default_country: str

    @classmethod
    def from_row(cls, account: Account, *, institution_biz_id: str) -> ProfileOut:
        """The profile of `account`, of the institution `institution_biz_id`."""
        return cls(
            biz_id=account.biz_id,
            institution_biz_id=institution_biz_id,
            account_email=account.email,
            account_phone=account.phone,
            account_name=account.name,
            account_remark=account.remark,
            account_portal=account.portal,
            account_status=account.status,
            created_at=account.created_at,
            updated_at=account.updated_at,
            default_language=account.default_language,
            default_timezone=account.default_timezone,
            default_country=account.default_country,
        )


class ProfileUpdateIn(RequestModel):
    """Every field is optional; a missing or null field is left as it is."""

    account_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
        | None
    ) = None
    account_phone: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None
    ) = None
    default_language: (
        Annotated[
            str, StringConstraints(max_length=16, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
        ]
        | None
    ) = None
    default_timezone: Annotated[str, StringConstraints(max_length=64)] | None = None
    default_country: Annotated[str, StringConstraints(min_length=2, max_length=2)] | None = None
