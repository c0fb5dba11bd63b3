"""Token endpoint state: signing keys, issuer clients, token families and refresh tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base, BigIntPK, UTCDateTime, utcnow
from portico.pii import NOT_PII


class SigningKey(Base):
    """An ES256 key pair signing access tokens. The newest key without `retires_at` signs;
    a rotated-out key is still published and accepted until `retires_at`."""

    __tablename__ = "oauth_signing_keys"

    kid: Mapped[str] = mapped_column(String(32), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(10))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    retires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IssuerClient(Base):
    """A client of the issuer API (the institution's back-office servers); its secret is
    stored only as a keyed digest."""

    __tablename__ = "issuer_clients"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(40), unique=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100), info=NOT_PII)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")  # ACTIVE | REVOKED
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TokenFamily(Base):
    """One client-credentials grant and every token rotated from it (`session_state` on the
    wire). Revoking it ends its refresh tokens and its access tokens on their next use."""

    __tablename__ = "oauth_token_families"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(64), unique=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    client_type: Mapped[str] = mapped_column(String(16))  # API_KEY | ISSUER_CLIENT
    client_id: Mapped[str] = mapped_column(String(40), index=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(String(32))


class OAuthRefreshToken(Base):
    """A refresh token by its keyed digest; `used_at` marks it rotated (a second use is a
    replay and revokes the family)."""

    __tablename__ = "oauth_refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[int] = mapped_column(
        ForeignKey("oauth_token_families.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
