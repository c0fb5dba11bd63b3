"""Secure channel: the server's RSA key pairs and the AES sessions clients open with them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base, UTCDateTime, utcnow


class ChannelKey(Base):
    """An RSA-2048 key pair; the newest unexpired one is published, older ones live out a grace."""

    __tablename__ = "secure_channel_keys"

    key_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    public_key_der_b64: Mapped[str] = mapped_column(Text)
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChannelSession(Base):
    """An AES-256-GCM session key agreed with a client (stored encrypted)."""

    __tablename__ = "secure_channel_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(12))
    aes_key_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
