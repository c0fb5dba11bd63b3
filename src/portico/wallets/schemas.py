"""Wallet bodies: the wallet, its balance and its flows (amounts as decimal strings)."""

from __future__ import annotations

from portico.enums import FlowBizType, FlowDirection, WalletStatus, WalletType
from portico.envelope import EnumObject, UtcDateTime, WireModel


class WalletOut(WireModel):
    biz_id: str
    workspace_biz_id: str
    wallet_name: str
    currency: str
    wallet_type: EnumObject[WalletType]
    wallet_status: EnumObject[WalletStatus]
    available_balance: str
    frozen_balance: str
    total_balance: str
    created_at: UtcDateTime
    updated_at: UtcDateTime


class WalletBalanceOut(WireModel):
    wallet_biz_id: str
    currency: str
    available_balance: str
    frozen_balance: str
    total_balance: str
    updated_at: UtcDateTime


class WalletFlowOut(WireModel):
    biz_id: str
    wallet_biz_id: str
    direction: EnumObject[FlowDirection]
    biz_type: EnumObject[FlowBizType]
    biz_order_id: str | None
    amount: str
    balance_before: str
    balance_after: str
    currency: str
    remark: str | None
    created_at: UtcDateTime
