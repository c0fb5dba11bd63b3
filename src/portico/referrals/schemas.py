"""Referral code and referral bodies."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from portico.enums import AccountStatus
from portico.envelope import EnumObject, RequestModel, UtcDateTime, WireModel
from portico.referrals.models import ReferralCode
from portico.referrals.service import Referred

BizId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9]{4,20}$")]
ExtraData = Annotated[str, StringConstraints(max_length=1000)]


class ReferralCodeCreateIn(RequestModel):
    """A custom `code` (4 to 20 letters or digits, case-insensitive), or one is generated;
    `{}` names neither and is refused."""

    code: Code | None = None
    extra_data: ExtraData | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.code is None and self.extra_data is None:
            raise ValueError("code or extraData is required")
        return self


class ReferralCodeRefIn(RequestModel):
    biz_id: BizId


class ReferralCodeUpdateIn(RequestModel):
    biz_id: BizId
    extra_data: ExtraData | None = None


class ReferralQueryIn(RequestModel):
    """The documented 0-based page request."""

    page: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    size: Annotated[int, Field(ge=1, le=100)] = 10


class ReferralCodeOut(WireModel):
    biz_id: str
    code: str
    is_active: bool
    extra_data: str | None
    usage_count: int
    created_at: UtcDateTime
    updated_at: UtcDateTime

    @classmethod
    def from_row(cls, row: ReferralCode) -> ReferralCodeOut:
        return cls(
            biz_id=row.biz_id,
            code=row.code,
            is_active=row.is_active,
            extra_data=row.extra_data,
            usage_count=row.usage_count,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class ReferralOut(WireModel):
    biz_id: str
    referred_account_biz_id: str
    referred_account_email: str
    referred_account_name: str | None
    referral_code: str
    registered_at: UtcDateTime
    account_status: EnumObject[AccountStatus]

    @classmethod
    def from_referred(cls, referred: Referred) -> Self:
        return cls(
            biz_id=referred.biz_id,
            referred_account_biz_id=referred.account_biz_id,
            referred_account_email=mask_email(referred.email),
            referred_account_name=referred.name,
            referral_code=referred.code,
            registered_at=referred.registered_at,
            account_status=referred.status,
        )


class ReferralPage(WireModel):
    """`{"items","total","page","size"}`: the referral list's own page shape (0-based)."""

    items: list[ReferralOut]
    total: int
    page: int
    size: int


def mask_email(email: str) -> str:
    """`a***@example.com`: the first character of the local part, and the domain."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"
