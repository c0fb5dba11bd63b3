"""The append-only double-entry ledger: postings and their entries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base, BigIntPK, EnumColumn, UTCDateTime, utcnow
from portico.enums import FlowBizType
from portico.pii import pii


class LedgerPosting(Base):
    """One balanced journal transaction: its entries sum to zero in every currency."""

    __tablename__ = "ledger_postings"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(16), unique=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    posting_type: Mapped[str] = mapped_column(String(30))
    order_biz_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerEntry(Base):
    """A signed movement on one ledger account: a wallet's available or frozen bucket, or a
    system account of the institution (SETTLEMENT, FEES, FX, SANDBOX).

    Every account uses the same sign (positive raises its balance), so all the entries of a
    currency sum to zero; the settlement account goes negative by what was paid in.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_wallet_account_id", "wallet_id", "account", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("ledger_postings.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    currency: Mapped[str] = mapped_column(String(10))
    account: Mapped[str] = mapped_column(String(20))
    # No cascades: a wallet or workspace with ledger history cannot be deleted under it.
    wallet_id: Mapped[int | None] = mapped_column(ForeignKey("wallets.id"))
    workspace_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_before: Mapped[int | None] = mapped_column(BigInteger)
    balance_after: Mapped[int | None] = mapped_column(BigInteger)
    biz_type: Mapped[FlowBizType] = mapped_column(EnumColumn(FlowBizType, 20))
    order_biz_id: Mapped[str | None] = mapped_column(String(40))
    remark: Mapped[str | None] = mapped_column(String(200), info=pii())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
