"""API keys: workspace credentials for server-to-server calls."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base, BigIntPK, UTCDateTime, utcnow
from portico.pii import pii


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(String(40), unique=True)  # sk_live_<20 hex> / sk_test_…
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100), info=pii("Erased"))
    secret_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")  # ACTIVE | DISABLED
    mode: Mapped[str] = mapped_column(String(16))  # LIVE | SANDBOX (the workspace kind)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    ip_whitelist: Mapped[list[str]] = mapped_column(JSON, default=list, info=pii([]))
    created_by: Mapped[str] = mapped_column(String(16))  # the creating account's bizId
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
