"""Signed-in sessions: opening one (with the session limit), issuing and rotating tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.caller import ClientInfo, PortalContext
from portico.db import affected_rows, lock_row, utcnow
from portico.enums import AccountStatus
from portico.ids import new_token
from portico.security.kit import AuthKit
from portico.security.models import AuthSession, RefreshToken
from portico.security.sessions import evict_beyond, record_login, session_ended
from portico.security.tokens import AccessClaims


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int


async def _new_refresh_token(session: AsyncSession, kit: AuthKit, auth_session: AuthSession) -> str:
    token = new_token(32)
    session.add(RefreshToken(token_hash=kit.tokens.digest(token), session_id=auth_session.id))
    await session.flush()
    return token


def _access_token(
    kit: AuthKit, *, account: Account, auth_session: AuthSession, ctx: PortalContext
) -> str:
    return kit.tokens.issue_access_token(
        AccessClaims(
            account_biz_id=account.biz_id,
            session_biz_id=auth_session.biz_id,
            portal=ctx.portal.value,
            institution_biz_id=ctx.institution_biz_id,
        )
    )


async def open_session(
    session: AsyncSession, kit: AuthKit, *, account: Account, ctx: PortalContext, client: ClientInfo
) -> IssuedTokens:
    """Start a signed-in session, evicting the oldest beyond the account's limit."""
    # Parallel logins count and evict one at a time, so the limit holds.
    await lock_row(session, Account, account.id)
    await evict_beyond(session, account_id=account.id, keep=account.max_sessions - 1)
    now = utcnow()
    auth_session = AuthSession(
        biz_id=new_token(24),
        account_id=account.id,
        client_ip=client.ip,
        user_agent=client.user_agent,
        client_hash=client.client_hash,
        client_country=client.country,
        locale=client.locale,
        login_time=now,
        last_activity_time=now,
        expires_at=now + timedelta(seconds=kit.settings.refresh_token_ttl_seconds),
    )
    session.add(auth_session)
    await session.flush()
    account.last_login_at = now
    account.last_login_ip = client.ip
    record_login(session, account=account, client=client, success=True)
    refresh = await _new_refresh_token(session, kit, auth_session)
    return IssuedTokens(
        access_token=_access_token(kit, account=account, auth_session=auth_session, ctx=ctx),
        refresh_token=refresh,
        expires_in=kit.settings.access_token_ttl_seconds,
    )


async def rotate_refresh_token(
    session: AsyncSession, kit: AuthKit, *, presented: str, ctx: PortalContext
) -> IssuedTokens | None:
    """Swap a refresh token for a new pair; None when it is unknown, dead or replayed.

    A replayed (already rotated) token revokes its whole session: someone else holds it.
    """
    token_hash = kit.tokens.digest(presented)
    row = (
        await session.execute(
            select(RefreshToken, AuthSession, Account)
            .join(AuthSession, AuthSession.id == RefreshToken.session_id)
            .join(Account, Account.id == AuthSession.account_id)
            .where(RefreshToken.token_hash == token_hash)
        )
    ).first()
    if row is None:
        return None
    _, auth_session, account = row
    if (
        account.institution_id != ctx.institution_id
        or account.portal != ctx.portal
        or account.status != AccountStatus.ACTIVE
    ):
        return None
    now = utcnow()
    if auth_session.revoked_at is not None or auth_session.expires_at <= now:
        return None
    # Exactly one caller can mark the token used; a second (a replay, or a race) loses.
    claimed = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == token_hash, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    if affected_rows(claimed) != 1:
        auth_session.revoked_at = now
        auth_session.revoke_reason = "REFRESH_REUSE"
        await session_ended(session, account_id=account.id, reason="REFRESH_REUSE", count=1)
        return None
    refresh = await _new_refresh_token(session, kit, auth_session)
    return IssuedTokens(
        access_token=_access_token(kit, account=account, auth_session=auth_session, ctx=ctx),
        refresh_token=refresh,
        expires_in=kit.settings.access_token_ttl_seconds,
    )
