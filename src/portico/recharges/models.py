"""Recharge channels (set by the issuer) and recharges (deposits) of a workspace."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base, BigIntPK, EnumColumn, UTCDateTime, utcnow
from portico.enums import ChannelType, RechargeStatus
from portico.pii import NOT_PII, pii

BPS = Decimal(10_000)  # `fee_bps` units in one


class RechargeChannel(Base):
    """A way to pay in: limits and fees in the channel currency's minor units."""

    __tablename__ = "recharge_channels"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(16), unique=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    channel_name: Mapped[str] = mapped_column(String(100), info=NOT_PII)
    channel_type: Mapped[ChannelType] = mapped_column(EnumColumn(ChannelType, 20))
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    min_amount: Mapped[int] = mapped_column(BigInteger)
    max_amount: Mapped[int | None] = mapped_column(BigInteger)
    fee_bps: Mapped[int] = mapped_column(Integer, default=0)
    fixed_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    instructions: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Recharge(Base):
    __tablename__ = "recharges"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(16), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    workspace_biz_id: Mapped[str] = mapped_column(String(16))
    institution_id: Mapped[int] = mapped_column(BigInteger, index=True)
    wallet_id: Mapped[int] = mapped_column(BigInteger)
    wallet_biz_id: Mapped[str] = mapped_column(String(16))
    channel_biz_id: Mapped[str] = mapped_column(String(16))
    account_biz_id: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger)
    actual_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(10))
    status: Mapped[RechargeStatus] = mapped_column(EnumColumn(RechargeStatus, 20))
    proof_file_biz_id: Mapped[str | None] = mapped_column(String(64))
    cancel_reason: Mapped[str | None] = mapped_column(String(500), info=pii())
    reject_reason: Mapped[str | None] = mapped_column(String(500), info=pii())
    remark: Mapped[str | None] = mapped_column(String(200), info=pii())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
