"""Recharge bodies."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

from pydantic import StringConstraints

from portico.enums import ChannelType, RechargeStatus
from portico.envelope import EnumObject, RequestModel, UtcDateTime, WireModel
from portico.money import AmountIn, to_wire
from portico.recharges.models import BPS, Recharge, RechargeChannel

if TYPE_CHECKING:
    from portico.recharges.service import RechargeQuote

BizId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Text = Annotated[str, StringConstraints(max_length=500)]
Remark = Annotated[str, StringConstraints(max_length=200)]
CurrencyCode = Annotated[str, StringConstraints(min_length=1, max_length=10)]


class RechargeChannelOut(WireModel):
    biz_id: str
    channel_name: str
    channel_type: EnumObject[ChannelType]
    currency: str
    min_amount: str
    max_amount: str | None
    fee_rate: str
    fixed_fee: str
    instructions: str | None

    @classmethod
    def from_row(cls, channel: RechargeChannel, scale: int) -> RechargeChannelOut:
        return cls(
            biz_id=channel.biz_id,
            channel_name=channel.channel_name,
            channel_type=channel.channel_type,
            currency=channel.currency,
            min_amount=to_wire(channel.min_amount, scale),
            max_amount=to_wire(channel.max_amount, scale)
            if channel.max_amount is not None
            else None,
            fee_rate=format((Decimal(channel.fee_bps) / BPS).normalize(), "f"),
            fixed_fee=to_wire(channel.fixed_fee, scale),
            instructions=channel.instructions,
        )


class RechargeQuoteIn(RequestModel):
    channel_biz_id: BizId
    amount: AmountIn


class RechargeQuoteOut(WireModel):
    channel_biz_id: str
    amount: str
    fee: str
    actual_amount: str
    currency: str
    expires_at: UtcDateTime

    @classmethod
    def from_quote(cls, quote: RechargeQuote, scale: int) -> RechargeQuoteOut:
        return cls(
            channel_biz_id=quote.channel_biz_id,
            amount=to_wire(quote.amount, scale),
            fee=to_wire(quote.fee, scale),
            actual_amount=to_wire(quote.actual_amount, scale),
            currency=quote.currency,
            expires_at=quote.expires_at,
        )


class RechargeCreateIn(RequestModel):
    channel_biz_id: BizId
    amount: AmountIn
    wallet_biz_id: BizId | None = None
    currency: CurrencyCode | None = None
    remark: Remark | None = None


class RechargeProofIn(RequestModel):
    file_biz_id: BizId


class RechargeCancelIn(RequestModel):
    cancel_reason: Text | None = None


class RechargeOut(WireModel):
    biz_id: str
    workspace_biz_id: str
    wallet_biz_id: str
    channel_biz_id: str
    amount: str
    fee: str
    actual_amount: str
    currency: str
    recharge_status: EnumObject[RechargeStatus]
    proof_file_biz_id: str | None
    cancel_reason: str | None
    reject_reason: str | None
    remark: str | None
    created_at: UtcDateTime
    updated_at: UtcDateTime
    completed_at: UtcDateTime | None

    @classmethod
    def from_row(cls, recharge: Recharge, scale: int) -> RechargeOut:
        return cls(
            biz_id=recharge.biz_id,
            workspace_biz_id=recharge.workspace_biz_id,
            wallet_biz_id=recharge.wallet_biz_id,
            channel_biz_id=recharge.channel_biz_id,
            amount=to_wire(recharge.amount, scale),
            fee=to_wire(recharge.fee, scale),
            actual_amount=to_wire(recharge.actual_amount, scale),
            currency=recharge.currency,
            recharge_status=recharge.status,
            proof_file_biz_id=recharge.proof_file_biz_id,
            cancel_reason=recharge.cancel_reason,
            reject_reason=recharge.reject_reason,
            remark=recharge.remark,
            created_at=recharge.created_at,
            updated_at=recharge.updated_at,
            completed_at=recharge.completed_at,
        )
