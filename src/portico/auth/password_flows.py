"""Password flows: a forgotten password's reset link, the reset itself, a change."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.auth import emails, throttle
from portico.auth.challenges import (
    find_account,
    mail_after_commit,
    reserve_attempt,
)
from portico.auth.errors import (
    PasswordIncorrect,
    ResetTokenInvalid,
)
from portico.auth.models import PasswordResetToken
from portico.caller import ClientInfo, PortalContext
from portico.db import affected_rows, utcnow
from portico.ids import new_token
from portico.security.kit import AuthKit
from portico.security.sessions import revoke_sessions

FORGOT_IP_LIMIT = 20
FORGOT_EMAIL_LIMIT = 5

FORGOT_MESSAGE = "如果邮箱存在, 将收到重置链接"


async def password_forgot(
    session: AsyncSession, kit: AuthKit, *, ctx: PortalContext, email: str, client: ClientInfo
) -> None:
    """Mail a single-use reset link if the account exists; the answer never says whether."""
    await reserve_attempt(kit, throttle.ip_key("forgot", client.ip), FORGOT_IP_LIMIT)
    await reserve_attempt(
        kit, throttle.email_key("forgot", ctx.institution_id, email), FORGOT_EMAIL_LIMIT
    )
    account = await find_account(session, ctx, email)
    if account is None:
        return
    token = new_token(32)
    now = utcnow()
    session.add(
        PasswordResetToken(
            token_hash=kit.tokens.digest(token),
            account_id=account.id,
            expires_at=now + timedelta(seconds=kit.settings.password_reset_ttl_seconds),
            created_at=now,
        )
    )
    link = kit.settings.password_reset_url.format(
        base=kit.settings.public_base_url, portal=ctx.portal.value.lower(), token=token
    )
    minutes = max(1, kit.settings.password_reset_ttl_seconds // 60)
    mail_after_commit(session, kit, emails.password_reset(account.email, link, minutes))


async def _set_password(
    session: AsyncSession, kit: AuthKit, account: Account, new_password: str
) -> datetime:
    now = utcnow()
    account.password_hash = await kit.hasher.hash(new_password)
    account.password_changed_at = now
    account.updated_at = now
    return now


async def password_reset(
    session: AsyncSession, kit: AuthKit, *, ctx: PortalContext, token: str, new_password: str
) -> None:
    """Set a new password from a reset link; every session of the account ends."""
    token_hash = kit.tokens.digest(token)
    row = await session.get(PasswordResetToken, token_hash)
    account = await session.get(Account, row.account_id) if row else None
    if (
        row is None
        or account is None
        or account.institution_id != ctx.institution_id
        or account.portal != ctx.portal
        or row.used_at is not None
        or row.expires_at <= utcnow()
    ):
        raise ResetTokenInvalid()
    claimed = await session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.account_id == account.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if affected_rows(claimed) < 1:
        raise ResetTokenInvalid()
    await _set_password(session, kit, account, new_password)
    await revoke_sessions(session, account_id=account.id, reason="PASSWORD_RESET")
    await throttle.clear(
        session, throttle.account_key(account.institution_id, account.portal, account.email)
    )
    await throttle.clear(
        session, throttle.mfa_key(account.institution_id, account.portal, account.email)
    )
    mail_after_commit(session, kit, emails.password_changed(account.email))


async def password_change(
    session: AsyncSession,
    kit: AuthKit,
    *,
    account: Account,
    current_session_id: int,
    current_password: str,
    new_password: str,
) -> None:
    """Change the password of a signed-in account; its other sessions end."""
    account_key = throttle.account_key(account.institution_id, account.portal, account.email)
    await reserve_attempt(kit, account_key, kit.settings.login_account_max_failures)
    if not await kit.hasher.verify(account.password_hash, current_password):
        raise PasswordIncorrect()
    await throttle.clear(session, account_key)
    await _set_password(session, kit, account, new_password)
    await revoke_sessions(
        session,
        account_id=account.id,
        reason="PASSWORD_CHANGED",
        keep_session_id=current_session_id,
    )
    mail_after_commit(session, kit, emails.password_changed(account.email))
