"""Completing a sign-in or a sign-up: the account's other domains take part."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import ONE_ACCOUNT_PER_EMAIL
from portico.auth import login, registration
from portico.auth.errors import SessionNotFound
from portico.auth.sessions import IssuedTokens, open_session
from portico.caller import ClientInfo, PortalContext
from portico.db import unique_violation
from portico.enums import AccountPortal
from portico.flows.accounts import create_account
from portico.onboarding.activation import activate_subscriptions
from portico.referrals import service as referral_service
from portico.security.kit import AuthKit


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
    """Complete a login with its second factor; returns the session's tokens."""
    account = await login.verify_login(
        session, kit, ctx=ctx, challenge_id=challenge_id, method=method, code=code, client=client
    )
    if ctx.portal == AccountPortal.CONSUMER:
        # An onboarded customer's first sign-in makes its partners' subscriptions ACTIVE.
        await activate_subscriptions(session, account_id=account.id)
    return await open_session(session, kit, account=account, ctx=ctx, client=client)


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
    challenge = await registration.verify_registration(
        session, kit, ctx=ctx, challenge_id=challenge_id, code=code
    )
    payload = challenge.payload or {}
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
