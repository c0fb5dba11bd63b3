"""Transfer orders: same-currency payments between wallets of one institution."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base, BigIntPK, EnumColumn, UTCDateTime, utcnow
from portico.enums import TransferStatus
from portico.pii import pii


class TransferOrder(Base):
    """Owned by the payer's workspace; the payee's workspace sees it too (`payee_workspace_id`)."""

    __tablename__ = "transfer_orders"
    __table_args__ = (
        Index("ix_transfer_orders_workspace_id_id", "workspace_id", "id"),
        Index("ix_transfer_orders_payee_workspace_id_id", "payee_workspace_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(16), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    payee_workspace_id: Mapped[int] = mapped_column(BigInteger)
    institution_id: Mapped[int] = mapped_column(BigInteger)
    from_wallet_id: Mapped[int] = mapped_column(BigInteger)
    to_wallet_id: Mapped[int] = mapped_column(BigInteger)
    from_wallet_biz_id: Mapped[str] = mapped_column(String(16))
    to_wallet_biz_id: Mapped[str] = mapped_column(String(16))
    workspace_biz_id: Mapped[str] = mapped_column(String(16))
    payer_account_biz_id: Mapped[str] = mapped_column(String(16))
    payee_account_biz_id: Mapped[str | None] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(10))
    status: Mapped[TransferStatus] = mapped_column(EnumColumn(TransferStatus, 20))
    remark: Mapped[str | None] = mapped_column(String(200), info=pii())
    client_reference: Mapped[str | None] = mapped_column(String(200))
    # A sandbox reset hides the order from the side that reset, not from the other side.
    payer_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    payee_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
