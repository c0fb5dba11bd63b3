"""Withdrawal bodies."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints, model_validator

from portico.enums import ChannelType, WithdrawalStatus
from portico.envelope import EnumObject, RequestModel, UtcDateTime, WireModel
from portico.errors import FieldError
from portico.money import AmountIn, to_wire
from portico.withdrawals.models import Withdrawal, WithdrawalChannel
from portico.withdrawals.service import Destination

BizId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
AccountNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9 -]{4,64}$")
]
Address = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9:_-]{8,128}$")
]
Country = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")
]
CurrencyCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=10)
]
Remark = Annotated[str, StringConstraints(max_length=200)]


def mask(account_number: str | None) -> str | None:
    """All but the last four characters hidden: `****1234`."""
    if account_number is None:
        return None
    return "****" + account_number[-4:]


class WithdrawalChannelIn(RequestModel):
    """A bank account (accountName, accountNumber, bankName …) or a crypto address
    (network, address)."""

    channel_type: Literal["BANK_TRANSFER", "CRYPTO"]
    channel_name: Name
    currency: CurrencyCode
    account_name: Short | None = None
    account_number: AccountNumber | None = None
    bank_name: Short | None = None
    bank_code: Annotated[str, StringConstraints(max_length=64)] | None = None
    country: Country | None = None
    network: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    address: Address | None = None
    is_default: bool = False

    @model_validator(mode="after")
    def _destination(self) -> WithdrawalChannelIn:
        if self.channel_type == ChannelType.BANK_TRANSFER.value:
            if not (self.account_name and self.account_number):
                raise FieldError("accountName", "accountNumber")  # a bank channel needs both
        elif not (self.network and self.address):
            raise FieldError("network", "address")  # a crypto channel needs both
        return self

    def destination(self) -> Destination:
        return Destination(
            channel_type=ChannelType(self.channel_type),
            channel_name=self.channel_name,
            currency=self.currency,
            account_name=self.account_name,
            account_number=self.account_number,
            bank_name=self.bank_name,
            bank_code=self.bank_code,
            country=self.country,
            network=self.network,
            address=self.address,
            is_default=self.is_default,
        )


class WithdrawalChannelOut(WireModel):
    biz_id: str
    channel_type: EnumObject[ChannelType]
    channel_name: str
    currency: str
    account_name: str | None
    account_number: str | None
    bank_name: str | None
    bank_code: str | None
    country: str | None
    network: str | None
    address: str | None
    is_default: bool
    created_at: UtcDateTime
    updated_at: UtcDateTime

    @classmethod
    def from_row(cls, channel: WithdrawalChannel) -> WithdrawalChannelOut:
        return cls(
            biz_id=channel.biz_id,
            channel_type=channel.channel_type,
            channel_name=channel.channel_name,
            currency=channel.currency,
            account_name=channel.account_name,
            account_number=mask(channel.account_number),
            bank_name=channel.bank_name,
            bank_code=channel.bank_code,
            country=channel.country,
            network=channel.network,
            address=channel.address,
            is_default=channel.is_default,
            created_at=channel.created_at,
            updated_at=channel.updated_at,
        )


class WithdrawalCreateIn(RequestModel):
    wallet_biz_id: BizId
    withdrawal_channel_biz_id: BizId
    amount: AmountIn
    remark: Remark | None = None


class WithdrawalOut(WireModel):
    biz_id: str
    workspace_biz_id: str
    wallet_biz_id: str
    withdrawal_channel_biz_id: str
    amount: str
    fee: str
    actual_amount: str
    currency: str
    withdrawal_status: EnumObject[WithdrawalStatus]
    remark: str | None
    cancel_reason: str | None
    reject_reason: str | None
    created_at: UtcDateTime
    updated_at: UtcDateTime
    completed_at: UtcDateTime | None

    @classmethod
    def from_row(cls, withdrawal: Withdrawal, scale: int) -> WithdrawalOut:
        return cls(
            biz_id=withdrawal.biz_id,
            workspace_biz_id=withdrawal.workspace_biz_id,
            wallet_biz_id=withdrawal.wallet_biz_id,
            withdrawal_channel_biz_id=withdrawal.withdrawal_channel_biz_id,
            amount=to_wire(withdrawal.amount, scale),
            fee=to_wire(withdrawal.fee, scale),
            actual_amount=to_wire(withdrawal.actual_amount, scale),
            currency=withdrawal.currency,
            withdrawal_status=withdrawal.status,
            remark=withdrawal.remark,
            cancel_reason=withdrawal.cancel_reason,
            reject_reason=withdrawal.reject_reason,
            created_at=withdrawal.created_at,
            updated_at=withdrawal.updated_at,
            completed_at=withdrawal.completed_at,
        )
