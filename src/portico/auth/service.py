"""Sign-up and sign-in: two steps each, the second proven by a code sent by mail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import ONE_ACCOUNT_PER_EMAIL, Account
from portico.auth import emails, throttle
from portico.auth.errors import (
    AccountNotActive,
    InvalidCredentials,
    MfaCodeInvalid,
    PasswordIncorrect,
    ResetTokenInvalid,
    SessionNotFound,
    TooManyAttempts,
)
from portico.auth.models import LoginChallenge, PasswordResetToken
from portico.auth.sessions import IssuedTokens, open_session
from portico.db import unique_violation, utcnow
from portico.enums import AccountPortal, AccountStatus, JoinSource, MfaMethod, WorkspaceKind
from portico.ids import new_biz_id, new_token
from portico.mail.sender import Mail, send_after_commit
from portico.onboarding.activation import activate_subscriptions
from portico.ops import events
from portico.referrals import service as referral_service
from portico.security import mfa
from portico.security.kit import AuthKit
from portico.security.models import AuthSession, MfaEnrollment
from portico.security.sessions import record_login, revoke_sessions, session_ended
from portico.security.tokens import new_email_code
from portico.web.context import ClientInfo, PortalContext
from portico.workspaces import service as workspace_service

PURPOSE_LOGIN = "LOGIN"
PURPOSE_REGISTER = "REGISTER"
REGISTER_IP_LIMIT = 20
REGISTER_EMAIL_LIMIT = 5
FORGOT_IP_LIMIT = 20
FORGOT_EMAIL_LIMIT = 5
MAX_RESENDS = 5


@dataclass(frozen=True, slots=True)
class ChallengeStarted:
    session_id: str
    mfa_methods: list[MfaMethod]
    expires_in: int
    account_status: AccountStatus | None
    pending_approval: bool


def _mail_after_commit(session: AsyncSession, kit: AuthKit, mail: Mail) -> None:
    send_after_commit(session, kit.mailer, mail)


async def _reserve(
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


async def _find_account(session: AsyncSession, ctx: PortalContext, email: str) -> Account | None:
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
    await _reserve(
        kit,
        key,
        kit.settings.login_account_max_failures,
        lock=(AccountPortal(account.portal).value, "mfa", None),
    )
    yield
    await throttle.clear(session, key)


def _new_challenge(
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
        portal=ctx.portal.value,
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


def _minutes(kit: AuthKit) -> int:
    return max(1, kit.settings.email_code_ttl_seconds // 60)


async def login_initiate(
    session: AsyncSession,
    kit: AuthKit,
    *,
    ctx: PortalContext,
    email: str,
    password: str,
    client: ClientInfo,
) -> ChallengeStarted:
    """Check the password and mail a code; unknown emails and wrong passwords look the same."""
    settings = kit.settings
    account_key = throttle.account_key(ctx.institution_id, ctx.portal.value, email)
    ip_key = throttle.ip_key("login", client.ip)
    portal = ctx.portal.value
    await _reserve(kit, ip_key, settings.login_ip_max_failures, lock=(portal, "ip", client.ip))
    await _reserve(
        kit, account_key, settings.login_account_max_failures, lock=(portal, "account", client.ip)
    )
    mfa_key = throttle.mfa_key(ctx.institution_id, ctx.portal.value, email)
    if await throttle.exhausted(kit.database, mfa_key, limit=settings.login_account_max_failures):
        events.locked_out(portal=portal, scope="mfa", ip=client.ip)
        raise TooManyAttempts()

    account = await _find_account(session, ctx, email)
    verified = await kit.hasher.verify(account.password_hash if account else None, password)
    if account is None or not verified:
        if account is not None:
            record_login(
                session,
                account=account,
                client=client,
                success=False,
                failure_reason="INVALID_CREDENTIALS",
            )
        events.signin_failed(
            portal=portal,
            reason="INVALID_CREDENTIALS",
            account_id=account.biz_id if account else None,
            ip=client.ip,
        )
        raise InvalidCredentials(commit_changes=True)

    await throttle.clear(session, account_key)
    await throttle.give_back(session, ip_key)
    if kit.hasher.needs_rehash(account.password_hash):
        account.password_hash = await kit.hasher.hash(password)

    if account.status != AccountStatus.ACTIVE:
        # The password was right, so telling the owner why they cannot proceed leaks nothing.
        challenge, _ = _new_challenge(
            kit,
            purpose=PURPOSE_LOGIN,
            ctx=ctx,
            email=email,
            account_id=account.id,
            payload={"blocked": True},
            with_code=False,
        )
        session.add(challenge)
        return ChallengeStarted(
            session_id=challenge.id,
            mfa_methods=[],
            expires_in=settings.login_session_ttl_seconds,
            account_status=AccountStatus(account.status),
            pending_approval=account.pending_approval,
        )

    methods = await enabled_mfa_methods(session, account.id)
    challenge, code = _new_challenge(
        kit,
        purpose=PURPOSE_LOGIN,
        ctx=ctx,
        email=email,
        account_id=account.id,
        payload={"resends": 0},
        with_code=True,
    )
    session.add(challenge)
    _mail_after_commit(session, kit, emails.login_code(account.email, str(code), _minutes(kit)))
    return ChallengeStarted(
        session_id=challenge.id,
        mfa_methods=methods,
        expires_in=settings.login_session_ttl_seconds,
        account_status=None,
        pending_approval=account.pending_approval,
    )


async def _open_challenge(
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


async def _spend_attempt(session: AsyncSession, kit: AuthKit, challenge: LoginChallenge) -> None:
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
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise SessionNotFound()
    await session.refresh(challenge)


def _code_matches(kit: AuthKit, challenge: LoginChallenge, code: str) -> bool:
    expected = challenge.code_hash or kit.tokens.digest(f"{challenge.id}:no-code")
    presented = kit.tokens.digest(f"{challenge.id}:{code}")
    fresh = challenge.code_expires_at is not None and challenge.code_expires_at > utcnow()
    return kit.tokens.same(expected, presented) and challenge.code_hash is not None and fresh


def _wrong_code(kit: AuthKit, challenge: LoginChallenge) -> MfaCodeInvalid:
    if challenge.attempts >= kit.settings.email_code_max_attempts:
        challenge.consumed_at = utcnow()  # the fifth wrong code ends the login session
    return MfaCodeInvalid(commit_changes=True)


async def login_verify(
    session: AsyncSession,
    kit: AuthKit,
    *,
    ctx: PortalContext,
    challenge_id: str,
    method: str,
    code: str,
    client: ClientInfo,
) -> IssuedTokens:
    """Complete a login with the emailed code; returns the session's tokens."""
    challenge = await _open_challenge(
        session, ctx=ctx, challenge_id=challenge_id, purpose=PURPOSE_LOGIN
    )
    mfa_key = throttle.mfa_key(ctx.institution_id, ctx.portal.value, challenge.email)
    await _reserve(
        kit,
        mfa_key,
        kit.settings.login_account_max_failures,
        lock=(ctx.portal.value, "mfa", client.ip),
    )
    await _spend_attempt(session, kit, challenge)
    account = await session.get(Account, challenge.account_id) if challenge.account_id else None
    if account is None:
        raise SessionNotFound()
    if (challenge.payload or {}).get("blocked") or account.status != AccountStatus.ACTIVE:
        raise AccountNotActive()
    methods = await enabled_mfa_methods(session, account.id)
    if method not in {m.value for m in methods}:
        raise MfaCodeInvalid(commit_changes=True)
    if not await _second_factor_ok(
        session, kit, challenge=challenge, account=account, method=method, code=code
    ):
        record_login(
            session,
            account=account,
            client=client,
            success=False,
            failure_reason="MFA_CODE_INVALID",
        )
        events.signin_failed(
            portal=ctx.portal.value,
            reason="MFA_CODE_INVALID",
            account_id=account.biz_id,
            ip=client.ip,
        )
        raise _wrong_code(kit, challenge)
    challenge.consumed_at = utcnow()
    await throttle.clear(session, mfa_key)
    await throttle.clear(
        session, throttle.account_key(ctx.institution_id, ctx.portal.value, challenge.email)
    )
    if ctx.portal == AccountPortal.CONSUMER:
        # An onboarded customer's first sign-in makes its partners' subscriptions ACTIVE.
        await activate_subscriptions(session, account_id=account.id)
    return await open_session(session, kit, account=account, ctx=ctx, client=client)


async def _second_factor_ok(
    session: AsyncSession,
    kit: AuthKit,
    *,
    challenge: LoginChallenge,
    account: Account,
    method: str,
    code: str,
) -> bool:
    if method == MfaMethod.TOTP.value:
        enrollment = await mfa.totp_enrollment(session, account.id)
        return enrollment is not None and await mfa.check_totp(
            session, kit, enrollment=enrollment, code=code
        )
    if method == MfaMethod.BACKUP_CODE.value:
        return await mfa.use_backup_code(session, kit, account_id=account.id, code=code)
    return _code_matches(kit, challenge, code)


async def resend_code(
    session: AsyncSession, kit: AuthKit, *, ctx: PortalContext, challenge_id: str
) -> None:
    """Mail a fresh code for a pending login or registration (the old code stops working)."""
    challenge = await session.get(LoginChallenge, challenge_id)
    if challenge is None or challenge.purpose not in {PURPOSE_LOGIN, PURPOSE_REGISTER}:
        raise SessionNotFound()
    challenge = await _open_challenge(
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
        _mail_after_commit(session, kit, emails.already_registered(challenge.email))
        return
    code = new_email_code()
    now = utcnow()
    challenge.code_hash = kit.tokens.digest(f"{challenge.id}:{code}")
    challenge.code_expires_at = now + timedelta(seconds=kit.settings.email_code_ttl_seconds)
    challenge.expires_at = max(
        challenge.expires_at, now + timedelta(seconds=kit.settings.login_session_ttl_seconds)
    )
    builder = emails.login_code if challenge.purpose == PURPOSE_LOGIN else emails.registration_code
    _mail_after_commit(session, kit, builder(challenge.email, code, _minutes(kit)))


async def register_initiate(
    session: AsyncSession,
    kit: AuthKit,
    *,
    ctx: PortalContext,
    email: str,
    password: str,
    account_name: str | None,
    referral_code: str | None,
    client: ClientInfo,
) -> ChallengeStarted:
    """Start a registration; an already registered email gets the same answer and a notice."""
    await _reserve(kit, throttle.ip_key("register", client.ip), REGISTER_IP_LIMIT)
    await _reserve(
        kit, throttle.email_key("register", ctx.institution_id, email), REGISTER_EMAIL_LIMIT
    )
    # Hash before looking the email up, so both paths cost the same.
    password_hash = await kit.hasher.hash(password)
    existing = await _find_account(session, ctx, email)
    if existing is not None:
        challenge, _ = _new_challenge(
            kit,
            purpose=PURPOSE_REGISTER,
            ctx=ctx,
            email=email,
            account_id=None,
            payload={"existing": True, "resends": 0},
            with_code=False,
        )
        session.add(challenge)
        _mail_after_commit(session, kit, emails.already_registered(email))
    else:
        challenge, code = _new_challenge(
            kit,
            purpose=PURPOSE_REGISTER,
            ctx=ctx,
            email=email,
            account_id=None,
            payload={
                "passwordHash": password_hash,
                "accountName": account_name,
                "referralCode": referral_code,
                "resends": 0,
            },
            with_code=True,
        )
        session.add(challenge)
        _mail_after_commit(session, kit, emails.registration_code(email, str(code), _minutes(kit)))
    return ChallengeStarted(
        session_id=challenge.id,
        mfa_methods=[MfaMethod.EMAIL],
        expires_in=kit.settings.login_session_ttl_seconds,
        account_status=None,
        pending_approval=ctx.portal == AccountPortal.PARTNER,
    )


async def create_account(
    session: AsyncSession,
    *,
    institution_id: int,
    portal: AccountPortal,
    email: str,
    password_hash: str,
    account_name: str | None,
    join_source: JoinSource = JoinSource.REGISTRATION,
    pending_approval: bool | None = None,
    max_sessions: int = 3,
) -> Account:
    """Create an account with everything registration provisions.

    The account, a LIVE workspace, its OWNER and member roles, the owner membership and the
    EMAIL MFA method (enabled, primary).
    """
    now = utcnow()
    name = account_name or email.split("@", 1)[0]
    account = Account(
        biz_id=new_biz_id(),
        institution_id=institution_id,
        portal=portal,
        email=email,
        name=name,
        status=AccountStatus.ACTIVE,
        pending_approval=(portal == AccountPortal.PARTNER)
        if pending_approval is None
        else pending_approval,
        password_hash=password_hash,
        default_language="en",
        default_timezone="UTC",
        default_country="US",
        max_sessions=max_sessions,
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    await session.flush()
    await workspace_service.create_workspace(
        session,
        owner=account,
        name=f"{name}'s Workspace",
        kind=WorkspaceKind.LIVE,
        join_source=join_source,
        is_default=True,
    )
    session.add(
        MfaEnrollment(
            account_id=account.id,
            method=MfaMethod.EMAIL,
            is_enabled=True,
            is_primary=True,
            verified_at=now,
            created_at=now,
        )
    )
    await session.flush()
    return account


async def register_verify(
    session: AsyncSession,
    kit: AuthKit,
    *,
    ctx: PortalContext,
    challenge_id: str,
    code: str,
    client: ClientInfo,
) -> IssuedTokens:
    """Complete a registration with its code: create and sign in the account."""
    challenge = await _open_challenge(
        session, ctx=ctx, challenge_id=challenge_id, purpose=PURPOSE_REGISTER
    )
    await _spend_attempt(session, kit, challenge)
    payload = challenge.payload or {}
    if payload.get("existing") or not _code_matches(kit, challenge, code):
        raise _wrong_code(kit, challenge)
    challenge.consumed_at = utcnow()
    if await _find_account(session, ctx, challenge.email) is not None:
        # Registered meanwhile through another challenge: this one is simply spent.
        raise SessionNotFound(commit_changes=True)
    try:
        account = await create_account(
            session,
            institution_id=ctx.institution_id,
            portal=ctx.portal,
            email=challenge.email,
            password_hash=str(payload["passwordHash"]),
            account_name=payload.get("accountName"),
            max_sessions=kit.settings.max_sessions_default,
        )
    except IntegrityError as exc:
        # Another challenge for the same email completed at the same moment: as above.
        if unique_violation(exc, ONE_ACCOUNT_PER_EMAIL):
            raise SessionNotFound() from exc
        raise
    if ctx.portal == AccountPortal.CONSUMER:
        await referral_service.record_referral(
            session,
            institution_id=ctx.institution_id,
            account=account,
            code=payload.get("referralCode"),
        )
    return await open_session(session, kit, account=account, ctx=ctx, client=client)


async def logout(session: AsyncSession, *, account_id: int, session_id: int) -> int:
    """End the caller's session."""
    result = await session.execute(
        update(AuthSession)
        .where(
            AuthSession.id == session_id,
            AuthSession.account_id == account_id,
            AuthSession.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow(), revoke_reason="LOGOUT")
    )
    ended = int(result.rowcount)  # type: ignore[attr-defined]
    if ended:
        await session_ended(session, account_id=account_id, reason="LOGOUT", count=ended)
    return ended


FORGOT_MESSAGE = "如果邮箱存在, 将收到重置链接"


async def password_forgot(
    session: AsyncSession, kit: AuthKit, *, ctx: PortalContext, email: str, client: ClientInfo
) -> None:
    """Mail a single-use reset link if the account exists; the answer never says whether."""
    await _reserve(kit, throttle.ip_key("forgot", client.ip), FORGOT_IP_LIMIT)
    await _reserve(kit, throttle.email_key("forgot", ctx.institution_id, email), FORGOT_EMAIL_LIMIT)
    account = await _find_account(session, ctx, email)
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
    _mail_after_commit(session, kit, emails.password_reset(account.email, link, minutes))


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
    if claimed.rowcount < 1:  # type: ignore[attr-defined]
        raise ResetTokenInvalid()
    await _set_password(session, kit, account, new_password)
    await revoke_sessions(session, account_id=account.id, reason="PASSWORD_RESET")
    await throttle.clear(
        session, throttle.account_key(account.institution_id, account.portal, account.email)
    )
    await throttle.clear(
        session, throttle.mfa_key(account.institution_id, account.portal, account.email)
    )
    _mail_after_commit(session, kit, emails.password_changed(account.email))


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
    await _reserve(kit, account_key, kit.settings.login_account_max_failures)
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
    _mail_after_commit(session, kit, emails.password_changed(account.email))
