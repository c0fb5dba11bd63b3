"""Sign-up: the first step mails a code; the flows layer creates the account."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from portico.auth import emails, throttle
from portico.auth.challenges import (
    PURPOSE_REGISTER,
    ChallengeStarted,
    code_matches,
    code_minutes,
    find_account,
    mail_after_commit,
    new_challenge,
    open_challenge,
    reserve_attempt,
    spend_attempt,
    wrong_code,
)
from portico.auth.errors import SessionNotFound
from portico.auth.models import LoginChallenge
from portico.caller import ClientInfo, PortalContext
from portico.db import utcnow
from portico.enums import AccountPortal, MfaMethod
from portico.security.kit import AuthKit

REGISTER_IP_LIMIT = 20
REGISTER_EMAIL_LIMIT = 5


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
    await reserve_attempt(kit, throttle.ip_key("register", client.ip), REGISTER_IP_LIMIT)
    await reserve_attempt(
        kit, throttle.email_key("register", ctx.institution_id, email), REGISTER_EMAIL_LIMIT
    )
    # Hash before looking the email up, so both paths cost the same.
    password_hash = await kit.hasher.hash(password)
    existing = await find_account(session, ctx, email)
    if existing is not None:
        challenge, _ = new_challenge(
            kit,
            purpose=PURPOSE_REGISTER,
            ctx=ctx,
            email=email,
            account_id=None,
            payload={"existing": True, "resends": 0},
            with_code=False,
        )
        session.add(challenge)
        mail_after_commit(session, kit, emails.already_registered(email))
    else:
        challenge, code = new_challenge(
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
        mail_after_commit(
            session, kit, emails.registration_code(email, str(code), code_minutes(kit))
        )
    return ChallengeStarted(
        session_id=challenge.id,
        mfa_methods=[MfaMethod.EMAIL],
        expires_in=kit.settings.login_session_ttl_seconds,
        account_status=None,
        pending_approval=ctx.portal == AccountPortal.PARTNER,
    )


async def verify_registration(
    session: AsyncSession,
    kit: AuthKit,
    *,
    ctx: PortalContext,
    challenge_id: str,
    code: str,
) -> LoginChallenge:
    """Check a registration's code and spend its challenge; returns it, with the account's
    details, for the account to be created."""
    challenge = await open_challenge(
        session, ctx=ctx, challenge_id=challenge_id, purpose=PURPOSE_REGISTER
    )
    await spend_attempt(session, kit, challenge)
    if (challenge.payload or {}).get("existing") or not code_matches(kit, challenge, code):
        raise wrong_code(kit, challenge)
    challenge.consumed_at = utcnow()
    if await find_account(session, ctx, challenge.email) is not None:
        # Registered meanwhile through another challenge: this one is simply spent.
        raise SessionNotFound(commit_changes=True)
    return challenge
