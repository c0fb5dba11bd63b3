"""An account's security state: signed-in sessions, refresh tokens, login history, MFA."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portico.db import Base, BigIntPK, EnumColumn, UTCDateTime, utcnow
from portico.enums import MfaMethod
from portico.pii import pii


class AuthSession(Base):
    """A signed-in device: access tokens name it, refresh tokens rotate within it."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    client_ip: Mapped[str | None] = mapped_column(String(64), info=pii())
    user_agent: Mapped[str | None] = mapped_column(String(512), info=pii())
    client_hash: Mapped[str | None] = mapped_column(String(256), info=pii())
    client_country: Mapped[str | None] = mapped_column(String(8), info=pii())
    locale: Mapped[str | None] = mapped_column(String(32), info=pii())
    login_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    revoke_reason: Mapped[str | None] = mapped_column(String(32))


class RefreshToken(Base):
    """A refresh token, stored by its SHA-256; `used_at` marks it rotated."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginHistory(Base):
    __tablename__ = "login_history"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    login_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    client_ip: Mapped[str | None] = mapped_column(String(64), info=pii())
    user_agent: Mapped[str | None] = mapped_column(String(512), info=pii())
    client_country: Mapped[str | None] = mapped_column(String(8), info=pii())
    login_result: Mapped[int] = mapped_column(SmallInteger)  # 1 success, 2 failure
    failure_reason: Mapped[str | None] = mapped_column(String(64))


# One row per account and method: a second TOTP row made every TOTP route fail for good.
ONE_ENROLMENT_PER_METHOD = Index(
    "uq_mfa_enrollments_account_id_method", "account_id", "method", unique=True
)


class MfaEnrollment(Base):
    """An account's MFA method (EMAIL at registration; TOTP and backup codes later)."""

    __tablename__ = "mfa_enrollments"
    __table_args__ = (ONE_ENROLMENT_PER_METHOD,)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[MfaMethod] = mapped_column(EnumColumn(MfaMethod, 20))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # TOTP only: the shared secret, encrypted at rest, and the last accepted time step.
    secret_encrypted: Mapped[str | None] = mapped_column(Text)
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BackupCode(Base):
    """A single-use recovery code, stored as a keyed digest."""

    __tablename__ = "backup_codes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
