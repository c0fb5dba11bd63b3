"""Login and registration challenges: a pending sign-in waiting for its mailed code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.auth import emails, throttle
from portico.auth.errors import (
    MfaCodeInvalid,
    SessionNotFound,
    TooManyAttempts,
)
from portico.auth.models import LoginChallenge
from portico.caller import PortalContext
from portico.db import affected_rows, utcnow
from portico.enums import AccountStatus, MfaMethod
from portico.ids import new_token
from portico.mail.sender import Mail, send_after_commit
from portico.ops import events
from portico.security import mfa
from portico.security.kit import AuthKit
from portico.security.tokens import new_email_code

PURPOSE_LOGIN = "LOGIN"
PURPOSE_REGISTER = "REGISTER"
MAX_RESENDS = 5


@dataclass(frozen=True, slots=True)
class ChallengeStarted:
    session_id: str
    mfa_methods: list[MfaMethod]
    expires_in: int
    account_status: AccountStatus | None
    pending_approval: bool


def mail_after_commit(session: AsyncSession, kit: AuthKit, mail: Mail) -> None:
    send_after_commit(session, kit.mailer, mail)


async def reserve_attempt(
    kit: AuthKit, key: str, limit: int, *, lock: tuple[str, str, str | None] | None = None
) -> None:
    """Reserve one attempt under `key`; refused beyond `limit`. `lock` (portal, what is locked,
    client IP) names a sign-in lock, reported as a security event when it refuses."""
    if not await throttle.reserve(
        kit.database, key, limit=limit, window_seconds=kit.settings.login_failure_window_seconds
    ):
        if lock is not None:
            events.locked_out(portal=lock[0], scope=lock[1], ip=lock[2])
        raise TooManyAttempts()


async def find_account(session: AsyncSession, ctx: PortalContext, email: str) -> Account | None:
    return (
        await session.execute(
            select(Account).where(
                Account.institution_id == ctx.institution_id,
                Account.portal == ctx.portal,
                Account.email == email,
            )
        )
    ).scalar_one_or_none()


async def enabled_mfa_methods(session: AsyncSession, account_id: int) -> list[MfaMethod]:
    """The methods a login can be completed with, primary first."""
    return await mfa.usable_methods(session, account_id)


@asynccontextmanager
async def code_attempt(
    session: AsyncSession, kit: AuthKit, *, account: Account
) -> AsyncIterator[None]:
    """Count a signed-in MFA code attempt toward the account's lock; a success clears it."""
    key = throttle.mfa_key(account.institution_id, account.portal, account.email)
    await reserve_attempt(
        kit,
        key,
        kit.settings.login_account_max_failures,
        lock=(account.portal.value, "mfa", None),
    )
    yield
    await throttle.clear(session, key)


def new_challenge(
    kit: AuthKit,
    *,
    purpose: str,
    ctx: PortalContext,
    email: str,
    account_id: int | None,
    payload: dict[str, Any] | None,
    with_code: bool,
) -> tuple[LoginChallenge, str | None]:
    now = utcnow()
    challenge_id = new_token(24)
    code = new_email_code() if with_code else None
    challenge = LoginChallenge(
        id=challenge_id,
        purpose=purpose,
        institution_id=ctx.institution_id,
        portal=ctx.portal,
        account_id=account_id,
        email=email,
        code_hash=kit.tokens.digest(f"{challenge_id}:{code}") if code else None,
        code_expires_at=now + timedelta(seconds=kit.settings.email_code_ttl_seconds)
        if code
        else None,
        attempts=0,
        payload=payload,
        expires_at=now + timedelta(seconds=kit.settings.login_session_ttl_seconds),
        created_at=now,
    )
    return challenge, code


def code_minutes(kit: AuthKit) -> int:
    return max(1, kit.settings.email_code_ttl_seconds // 60)


async def open_challenge(
    session: AsyncSession, *, ctx: PortalContext, challenge_id: str, purpose: str
) -> LoginChallenge:
    challenge = await session.get(LoginChallenge, challenge_id)
    if (
        challenge is None
        or challenge.purpose != purpose
        or challenge.institution_id != ctx.institution_id
        or challenge.portal != ctx.portal.value
        or challenge.consumed_at is not None
        or challenge.expires_at <= utcnow()
    ):
        raise SessionNotFound()
    return challenge


async def spend_attempt(session: AsyncSession, kit: AuthKit, challenge: LoginChallenge) -> None:
    """Count one try against the challenge atomically; a spent challenge is gone."""
    result = await session.execute(
        update(LoginChallenge)
        .where(
            LoginChallenge.id == challenge.id,
            LoginChallenge.consumed_at.is_(None),
            LoginChallenge.attempts < kit.settings.email_code_max_attempts,
        )
        .values(attempts=LoginChallenge.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if affected_rows(result) != 1:
        raise SessionNotFound()
    await session.refresh(challenge)


def code_matches(kit: AuthKit, challenge: LoginChallenge, code: str) -> bool:
    expected = challenge.code_hash or kit.tokens.digest(f"{challenge.id}:no-code")
    presented = kit.tokens.digest(f"{challenge.id}:{code}")
    fresh = challenge.code_expires_at is not None and challenge.code_expires_at > utcnow()
    return kit.tokens.same(expected, presented) and challenge.code_hash is not None and fresh


def wrong_code(kit: AuthKit, challenge: LoginChallenge) -> MfaCodeInvalid:
    if challenge.attempts >= kit.settings.email_code_max_attempts:
        challenge.consumed_at = utcnow()  # the fifth wrong code ends the login session
    return MfaCodeInvalid(commit_changes=True)


async def resend_code(
    session: AsyncSession, kit: AuthKit, *, ctx: PortalContext, challenge_id: str
) -> None:
    """Mail a fresh code for a pending login or registration (the old code stops working)."""
    challenge = await session.get(LoginChallenge, challenge_id)
    if challenge is None or challenge.purpose not in {PURPOSE_LOGIN, PURPOSE_REGISTER}:
        raise SessionNotFound()
    challenge = await open_challenge(
        session, ctx=ctx, challenge_id=challenge_id, purpose=challenge.purpose
    )
    payload = dict(challenge.payload or {})
    if payload.get("blocked"):
        raise SessionNotFound()
    if int(payload.get("resends", 0)) >= MAX_RESENDS:
        raise TooManyAttempts()
    payload["resends"] = int(payload.get("resends", 0)) + 1
    challenge.payload = payload
    if payload.get("existing"):
        # Same answer as a real resend; the mailbox owner learns someone is trying.
        mail_after_commit(session, kit, emails.already_registered(challenge.email))
        return
    code = new_email_code()
    now = utcnow()
    challenge.code_hash = kit.tokens.digest(f"{challenge.id}:{code}")
    challenge.code_expires_at = now + timedelta(seconds=kit.settings.email_code_ttl_seconds)
    challenge.expires_at = max(
        challenge.expires_at, now + timedelta(seconds=kit.settings.login_session_ttl_seconds)
    )
    builder = emails.login_code if challenge.purpose == PURPOSE_LOGIN else emails.registration_code
    mail_after_commit(session, kit, builder(challenge.email, code, code_minutes(kit)))
