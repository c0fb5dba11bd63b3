"""Wallets: one per workspace and currency, with the cached balances of the ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base, BigIntPK, EnumColumn, UTCDateTime, utcnow
from portico.enums import WalletStatus, WalletType
from portico.pii import NOT_PII


class Wallet(Base):
    """A workspace's balance in one currency.

    `available` and `frozen` (minor units) are a cache of the ledger entries of this wallet,
    written in the same transaction as the entries; `portico ledger verify` recomputes them.
    """

    __tablename__ = "wallets"
    __table_args__ = (
        UniqueConstraint("workspace_id", "currency"),
        CheckConstraint("available >= 0", name="available_not_negative"),
        CheckConstraint("frozen >= 0", name="frozen_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(16), unique=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    name: Mapped[str] = mapped_column(String(100), info=NOT_PII)
    wallet_type: Mapped[WalletType] = mapped_column(
        EnumColumn(WalletType, 20), default=WalletType.STANDARD
    )
    status: Mapped[WalletStatus] = mapped_column(
        EnumColumn(WalletStatus, 20), default=WalletStatus.ACTIVE
    )
    available: Mapped[int] = mapped_column(BigInteger, default=0)
    frozen: Mapped[int] = mapped_column(BigInteger, default=0)
    # Flows before this ledger entry id are hidden (a sandbox reset); the entries stay.
    flows_since: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
