"""Wallet bodies: the wallet, its balance and its flows (amounts as decimal strings)."""

from __future__ import annotations

from portico.enums import FlowBizType, FlowDirection, WalletStatus, WalletType
from portico.envelope import EnumObject, UtcDateTime, WireModel
from portico.money import to_wire
from portico.wallets.models import Wallet


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

    @classmethod
    def from_row(cls, wallet: Wallet, *, workspace_biz_id: str, scale: int) -> WalletOut:
        return cls(
            biz_id=wallet.biz_id,
            workspace_biz_id=workspace_biz_id,
            wallet_name=wallet.name,
            currency=wallet.currency,
            wallet_type=wallet.wallet_type,
            wallet_status=wallet.status,
            available_balance=to_wire(wallet.available, scale),
            frozen_balance=to_wire(wallet.frozen, scale),
            total_balance=to_wire(wallet.available + wallet.frozen, scale),
            created_at=wallet.created_at,
            updated_at=wallet.updated_at,
        )


class WalletBalanceOut(WireModel):
    wallet_biz_id: str
    currency: str
    available_balance: str
    frozen_balance: str
    total_balance: str
    updated_at: UtcDateTime

    @classmethod
    def from_row(cls, wallet: Wallet, *, scale: int) -> WalletBalanceOut:
        return cls(
            wallet_biz_id=wallet.biz_id,
            currency=wallet.currency,
            available_balance=to_wire(wallet.available, scale),
            frozen_balance=to_wire(wallet.frozen, scale),
            total_balance=to_wire(wallet.available + wallet.frozen, scale),
            updated_at=wallet.updated_at,
        )


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
