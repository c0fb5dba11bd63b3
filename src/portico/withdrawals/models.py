"""Withdrawal channels (saved payout destinations) and withdrawals of a workspace."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base, BigIntPK, EnumColumn, UTCDateTime, utcnow
from portico.enums import ChannelType, WithdrawalStatus
from portico.pii import pii

_DEFAULT = text("is_default")
ONE_DEFAULT_CHANNEL = Index(
    "uq_withdrawal_channels_workspace_id_default",
    "workspace_id",
    unique=True,
    sqlite_where=_DEFAULT,
    postgresql_where=_DEFAULT,
)


class WithdrawalChannel(Base):
    __tablename__ = "withdrawal_channels"
    __table_args__ = (ONE_DEFAULT_CHANNEL,)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(16), unique=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    channel_type: Mapped[ChannelType] = mapped_column(EnumColumn(ChannelType, 20))
    channel_name: Mapped[str] = mapped_column(String(100), info=pii("Erased"))
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    account_name: Mapped[str | None] = mapped_column(String(200), info=pii())
    account_number: Mapped[str | None] = mapped_column(String(64), info=pii())
    bank_name: Mapped[str | None] = mapped_column(String(200), info=pii())
    bank_code: Mapped[str | None] = mapped_column(String(64), info=pii())
    country: Mapped[str | None] = mapped_column(String(2), info=pii())
    network: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(128), info=pii())
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Withdrawal(Base):
    __tablename__ = "withdrawals"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(16), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    workspace_biz_id: Mapped[str] = mapped_column(String(16))
    institution_id: Mapped[int] = mapped_column(BigInteger, index=True)
    wallet_id: Mapped[int] = mapped_column(BigInteger)
    wallet_biz_id: Mapped[str] = mapped_column(String(16))
    withdrawal_channel_biz_id: Mapped[str] = mapped_column(String(16))
    account_biz_id: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger)
    actual_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(10))
    status: Mapped[WithdrawalStatus] = mapped_column(EnumColumn(WithdrawalStatus, 20))
    remark: Mapped[str | None] = mapped_column(String(200), info=pii())
    cancel_reason: Mapped[str | None] = mapped_column(String(500), info=pii())
    reject_reason: Mapped[str | None] = mapped_column(String(500), info=pii())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
