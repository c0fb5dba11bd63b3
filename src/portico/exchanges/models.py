"""FX rates set by the issuer, quotes, and executed exchanges."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base, BigIntPK, EnumColumn, UTCDateTime, utcnow
from portico.enums import ExchangeStatus


class FxRate(Base):
    """How many units of `quote_currency` one unit of `base_currency` buys (mid rate), the
    spread taken off it and the fee charged on the sold amount, in basis points."""

    __tablename__ = "fx_rates"
    __table_args__ = (UniqueConstraint("institution_id", "base_currency", "quote_currency"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    base_currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    quote_currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    rate: Mapped[str] = mapped_column(String(40))  # an exact decimal, kept as text
    spread_bps: Mapped[int] = mapped_column(Integer, default=0)
    fee_bps: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExchangeQuote(Base):
    __tablename__ = "exchange_quotes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(16), unique=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(BigInteger)
    from_currency: Mapped[str] = mapped_column(String(10))
    to_currency: Mapped[str] = mapped_column(String(10))
    side: Mapped[str] = mapped_column(String(4))
    from_amount: Mapped[int] = mapped_column(BigInteger)
    to_amount: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger)
    rate: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Exchange(Base):
    __tablename__ = "exchanges"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(16), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    workspace_biz_id: Mapped[str] = mapped_column(String(16))
    quote_biz_id: Mapped[str] = mapped_column(String(16), unique=True)
    account_biz_id: Mapped[str] = mapped_column(String(16))
    from_wallet_biz_id: Mapped[str] = mapped_column(String(16))
    to_wallet_biz_id: Mapped[str] = mapped_column(String(16))
    from_currency: Mapped[str] = mapped_column(String(10))
    to_currency: Mapped[str] = mapped_column(String(10))
    from_amount: Mapped[int] = mapped_column(BigInteger)
    to_amount: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger)
    rate: Mapped[str] = mapped_column(String(40))
    status: Mapped[ExchangeStatus] = mapped_column(EnumColumn(ExchangeStatus, 20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
