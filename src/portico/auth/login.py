"""Sign-in: the password step, the second-factor step, and signing out."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.auth import emails, throttle
from portico.auth.challenges import (
    PURPOSE_LOGIN,
    ChallengeStarted,
    code_matches,
    code_minutes,
    enabled_mfa_methods,
    find_account,
    mail_after_commit,
    new_challenge,
    open_challenge,
    reserve_attempt,
    spend_attempt,
    wrong_code,
)
from portico.auth.errors import (
    AccountNotActive,
    InvalidCredentials,
    MfaCodeInvalid,
    SessionNotFound,
    TooManyAttempts,
)
from portico.auth.models import LoginChallenge
from portico.caller import ClientInfo, PortalContext
from portico.db import affected_rows, utcnow
from portico.enums import AccountStatus, MfaMethod
from portico.ops import events
from portico.security import mfa
from portico.security.kit import AuthKit
from portico.security.models import AuthSession
from portico.security.sessions import record_login, session_ended


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
    await reserve_attempt(
        kit, ip_key, settings.login_ip_max_failures, lock=(portal, "ip", client.ip)
    )
    await reserve_attempt(
        kit, account_key, settings.login_account_max_failures, lock=(portal, "account", client.ip)
    )
    mfa_key = throttle.mfa_key(ctx.institution_id, ctx.portal.value, email)
    if await throttle.exhausted(kit.database, mfa_key, limit=settings.login_account_max_failures):
        events.locked_out(portal=portal, scope="mfa", ip=client.ip)
        raise TooManyAttempts()

    account = await find_account(session, ctx, email)
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
        challenge, _ = new_challenge(
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
    challenge, code = new_challenge(
        kit,
        purpose=PURPOSE_LOGIN,
        ctx=ctx,
        email=email,
        account_id=account.id,
        payload={"resends": 0},
        with_code=True,
    )
    session.add(challenge)
    mail_after_commit(session, kit, emails.login_code(account.email, str(code), code_minutes(kit)))
    return ChallengeStarted(
        session_id=challenge.id,
        mfa_methods=methods,
        expires_in=settings.login_session_ttl_seconds,
        account_status=None,
        pending_approval=account.pending_approval,
    )


async def verify_login(
    session: AsyncSession,
    kit: AuthKit,
    *,
    ctx: PortalContext,
    challenge_id: str,
    method: str,
    code: str,
    client: ClientInfo,
) -> Account:
    """Check a login's second factor and spend its challenge; returns the account to sign in."""
    challenge = await open_challenge(
        session, ctx=ctx, challenge_id=challenge_id, purpose=PURPOSE_LOGIN
    )
    mfa_key = throttle.mfa_key(ctx.institution_id, ctx.portal.value, challenge.email)
    await reserve_attempt(
        kit,
        mfa_key,
        kit.settings.login_account_max_failures,
        lock=(ctx.portal.value, "mfa", client.ip),
    )
    await spend_attempt(session, kit, challenge)
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
        raise wrong_code(kit, challenge)
    challenge.consumed_at = utcnow()
    await throttle.clear(session, mfa_key)
    await throttle.clear(
        session, throttle.account_key(ctx.institution_id, ctx.portal.value, challenge.email)
    )
    return account


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
    return code_matches(kit, challenge, code)


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
    ended = affected_rows(result)
    if ended:
        await session_ended(session, account_id=account_id, reason="LOGOUT", count=ended)
    return ended
