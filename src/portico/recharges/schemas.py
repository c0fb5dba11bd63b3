"""Recharge bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from portico.enums import ChannelType, RechargeStatus
from portico.envelope import EnumObject, RequestModel, UtcDateTime, WireModel
from portico.money import AmountIn

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
