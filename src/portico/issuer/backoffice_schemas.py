"""Back-office bodies of the issuer API. Orders keep the portals' resource shapes (decimal
strings, enum objects), with the issuer-only fields added."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from portico.accounts.models import Account
from portico.envelope import RequestModel, UtcDateTime, WireModel
from portico.exchanges.models import FxRate
from portico.issuer.partners import partner_state
from portico.money import AmountIn, to_wire
from portico.recharges.models import Recharge, RechargeChannel
from portico.recharges.schemas import RechargeChannelOut, RechargeOut
from portico.wallets.models import Wallet
from portico.withdrawals.models import Withdrawal, WithdrawalChannel
from portico.withdrawals.schemas import (
    AccountNumber,
    Address,
    Country,
    CurrencyCode,
    Name,
    Short,
    WithdrawalChannelIn,
    WithdrawalChannelOut,
    WithdrawalOut,
)

Reason = Annotated[str, StringConstraints(max_length=500)]
BizId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Bps = Annotated[int, Field(ge=0, le=9999)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320)]
Instructions = Annotated[str, StringConstraints(max_length=2000)]


class RejectIn(RequestModel):
    reason: Reason | None = None


class IssuerRechargeOut(RechargeOut):
    account_biz_id: str

    @classmethod
    def from_row(cls, row: Recharge, scale: int) -> IssuerRechargeOut:
        return cls(**dict(RechargeOut.from_row(row, scale)), account_biz_id=row.account_biz_id)


class IssuerWithdrawalOut(WithdrawalOut):
    account_biz_id: str

    @classmethod
    def from_row(cls, row: Withdrawal, scale: int) -> IssuerWithdrawalOut:
        return cls(**dict(WithdrawalOut.from_row(row, scale)), account_biz_id=row.account_biz_id)


class FxRateIn(RequestModel):
    """Units of `quoteCurrency` one unit of `baseCurrency` buys (the mid rate)."""

    base_currency: CurrencyCode
    quote_currency: CurrencyCode
    rate: AmountIn
    spread_bps: Bps = 0
    fee_bps: Bps = 0


class FxRateOut(WireModel):
    base_currency: str
    quote_currency: str
    rate: str
    spread_bps: int
    fee_bps: int
    updated_at: UtcDateTime

    @classmethod
    def from_row(cls, row: FxRate) -> FxRateOut:
        return cls(
            base_currency=row.base_currency,
            quote_currency=row.quote_currency,
            rate=row.rate,
            spread_bps=row.spread_bps,
            fee_bps=row.fee_bps,
            updated_at=row.updated_at,
        )


class RechargeChannelCreateIn(RequestModel):
    currency: CurrencyCode
    channel_name: Name
    channel_type: Literal["BANK_TRANSFER", "CRYPTO"] = "BANK_TRANSFER"
    min_amount: AmountIn
    max_amount: AmountIn | None = None
    fee_bps: Bps = 0
    fixed_fee: AmountIn | None = None
    instructions: Instructions | None = None


class RechargeChannelUpdateIn(RequestModel):
    """Only the fields sent change; `"maxAmount": null` removes the upper limit."""

    channel_name: Name | None = None
    min_amount: AmountIn | None = None
    max_amount: AmountIn | None = None
    fee_bps: Bps | None = None
    fixed_fee: AmountIn | None = None
    instructions: Instructions | None = None
    enabled: bool | None = None


class IssuerRechargeChannelOut(RechargeChannelOut):
    enabled: bool
    created_at: UtcDateTime

    @classmethod
    def from_row(cls, row: RechargeChannel, scale: int) -> IssuerRechargeChannelOut:
        return cls(
            **dict(RechargeChannelOut.from_row(row, scale)),
            enabled=row.enabled,
            created_at=row.created_at,
        )


class WithdrawalChannelCreateIn(WithdrawalChannelIn):
    """A payout destination saved for a customer's workspace (`workspaceBizId`)."""

    workspace_biz_id: BizId


class WithdrawalChannelUpdateIn(RequestModel):
    channel_name: Name | None = None
    account_name: Short | None = None
    account_number: AccountNumber | None = None
    bank_name: Short | None = None
    bank_code: Annotated[str, StringConstraints(max_length=64)] | None = None
    country: Country | None = None
    network: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    address: Address | None = None
    is_default: bool | None = None


class IssuerWithdrawalChannelOut(WithdrawalChannelOut):
    """The portals' channel with its workspace, and the account number in full (the issuer
    pays to it)."""

    workspace_biz_id: str

    @classmethod
    def from_workspace_row(
        cls, row: WithdrawalChannel, workspace_biz_id: str
    ) -> IssuerWithdrawalChannelOut:
        view = dict(WithdrawalChannelOut.from_row(row))
        view["account_number"] = row.account_number
        return cls(**view, workspace_biz_id=workspace_biz_id)


class PartnerOut(WireModel):
    account_biz_id: str
    email: str
    name: str | None
    approval_status: Literal["PENDING", "APPROVED", "REJECTED"]
    account_status: str
    created_at: UtcDateTime

    @classmethod
    def from_row(cls, row: Account) -> PartnerOut:
        return cls(
            account_biz_id=row.biz_id,
            email=row.email,
            name=row.name,
            approval_status=partner_state(row).value,
            account_status=str(row.status),
            created_at=row.created_at,
        )


class ConsumerLookupIn(RequestModel):
    """By email in a body, so the address never sits in a URL or an access log."""

    email: Email


class ConsumerWalletOut(WireModel):
    wallet_biz_id: str
    currency: str
    available_balance: str
    frozen_balance: str
    wallet_status: str


class ConsumerOut(WireModel):
    consumer_id: str
    email: str
    name: str | None
    phone: str | None
    status: Literal["PENDING", "ACTIVE", "SUSPENDED", "DELETED", "REJECTED"]
    created_at: UtcDateTime
    updated_at: UtcDateTime
    last_login_at: UtcDateTime | None
    wallets: list[ConsumerWalletOut]

    @classmethod
    def from_row(cls, row: Account, wallets: list[Wallet], scales: dict[str, int]) -> ConsumerOut:
        return cls.model_validate(
            {
                "consumer_id": row.biz_id,
                "email": row.email,
                "name": row.name,
                "phone": row.phone,
                "status": str(row.status),
                "created_at": row.created_at,
                "updated_at": row.updated_at,
                "last_login_at": row.last_login_at,
                "wallets": [
                    ConsumerWalletOut(
                        wallet_biz_id=w.biz_id,
                        currency=w.currency,
                        available_balance=to_wire(w.available, scales[w.currency]),
                        frozen_balance=to_wire(w.frozen, scales[w.currency]),
                        wallet_status=str(w.status),
                    )
                    for w in wallets
                ],
            }
        )
