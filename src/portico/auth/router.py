"""`/auth/...`: register, login (two steps), tokens, logout, password reset and change."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from portico.auth import challenges, login, password_flows, registration
from portico.auth.challenges import ChallengeStarted
from portico.auth.deps import CurrentPrincipal
from portico.auth.errors import (
    AccountNotActive,
    CaptchaInvalid,
    InvalidCredentials,
    MfaCodeInvalid,
    PasswordIncorrect,
    ResetTokenInvalid,
    SessionNotFound,
    TooManyAttempts,
)
from portico.auth.schemas import (
    LoginInitiateIn,
    LoginInitiateOut,
    LoginResendIn,
    LoginVerifyIn,
    LogoutOut,
    PasswordChangeIn,
    PasswordForgotIn,
    PasswordForgotOut,
    PasswordResetIn,
    RefreshIn,
    RefreshOut,
    RegisterInitiateIn,
    RegisterVerifyIn,
    TokenPairOut,
)
from portico.auth.sessions import IssuedTokens, rotate_refresh_token
from portico.auth.turnstile import verify_turnstile
from portico.deps import AuthKitDep, SessionDep
from portico.envelope import Envelope, NoContent, no_content, ok
from portico.errors import raises
from portico.flows import signin
from portico.web.context import ClientDep, PortalDep

router = APIRouter(tags=["auth"])


def _started(result: ChallengeStarted) -> LoginInitiateOut:
    return LoginInitiateOut(
        session_id=result.session_id,
        mfa_methods=list(result.mfa_methods),
        expires_in=result.expires_in,
        account_status=result.account_status,
        pending_approval=result.pending_approval,
    )


def _tokens(tokens: IssuedTokens) -> TokenPairOut:
    return TokenPairOut(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
    )


@router.post("/auth/register/initiate", response_model=Envelope[LoginInitiateOut])
@raises(CaptchaInvalid, TooManyAttempts)
async def register_initiate(
    body: RegisterInitiateIn,
    session: SessionDep,
    kit: AuthKitDep,
    ctx: PortalDep,
    client: ClientDep,
) -> Response:
    """Start a registration: validates the details and mails a 6-digit code."""
    await verify_turnstile(kit.settings, body.turnstile_token, client.ip)
    result = await registration.register_initiate(
        session,
        kit,
        ctx=ctx,
        email=body.email,
        password=body.password,
        account_name=body.account_name,
        referral_code=body.referral_code,
        client=client,
    )
    return ok(_started(result))


@router.post("/auth/register/verify", response_model=Envelope[TokenPairOut])
@raises(SessionNotFound, MfaCodeInvalid)
async def register_verify(
    body: RegisterVerifyIn, session: SessionDep, kit: AuthKitDep, ctx: PortalDep, client: ClientDep
) -> Response:
    """Complete a registration with the mailed code; creates the account and signs it in."""
    tokens = await signin.register_verify(
        session, kit, ctx=ctx, challenge_id=body.session_id, code=body.code, client=client
    )
    return ok(_tokens(tokens))


@router.post("/auth/login/initiate", response_model=Envelope[LoginInitiateOut])
@raises(CaptchaInvalid, TooManyAttempts, InvalidCredentials)
async def login_initiate(
    body: LoginInitiateIn, session: SessionDep, kit: AuthKitDep, ctx: PortalDep, client: ClientDep
) -> Response:
    """Check email and password, and mail a sign-in code."""
    await verify_turnstile(kit.settings, body.turnstile_token, client.ip)
    result = await login.login_initiate(
        session, kit, ctx=ctx, email=body.email, password=body.password, client=client
    )
    return ok(_started(result))


@router.post("/auth/login/verify", response_model=Envelope[TokenPairOut])
@raises(SessionNotFound, AccountNotActive, MfaCodeInvalid, TooManyAttempts)
async def login_verify(
    body: LoginVerifyIn, session: SessionDep, kit: AuthKitDep, ctx: PortalDep, client: ClientDep
) -> Response:
    """Complete a login with an MFA code; returns access and refresh tokens."""
    tokens = await signin.login_verify(
        session,
        kit,
        ctx=ctx,
        challenge_id=body.session_id,
        method=body.mfa_method,
        code=body.code,
        client=client,
    )
    return ok(_tokens(tokens))


@router.post("/auth/login/resend", response_model=NoContent)
@raises(SessionNotFound, TooManyAttempts)
async def login_resend(
    body: LoginResendIn, session: SessionDep, kit: AuthKitDep, ctx: PortalDep
) -> Response:
    """Mail a new code for a pending login or registration."""
    await challenges.resend_code(session, kit, ctx=ctx, challenge_id=body.session_id)
    return no_content()


@router.post("/auth/token/refresh", response_model=Envelope[RefreshOut])
@raises(SessionNotFound)
async def token_refresh(
    body: RefreshIn, session: SessionDep, kit: AuthKitDep, ctx: PortalDep
) -> Response:
    """Exchange a refresh token for a new pair; the old refresh token stops working."""
    tokens = await rotate_refresh_token(session, kit, presented=body.refresh_token, ctx=ctx)
    if tokens is None:
        raise SessionNotFound(commit_changes=True)
    return ok(
        RefreshOut(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_in=tokens.expires_in,
        )
    )


@router.post("/auth/logout", response_model=Envelope[LogoutOut])
async def logout(principal: CurrentPrincipal, session: SessionDep) -> Response:
    """End the current session."""
    ended = await login.logout(
        session, account_id=principal.account.id, session_id=principal.session.id
    )
    return ok(LogoutOut(success=True, terminated_sessions=ended))


@router.post("/auth/password/forgot", response_model=Envelope[PasswordForgotOut])
@raises(CaptchaInvalid, TooManyAttempts)
async def password_forgot(
    body: PasswordForgotIn, session: SessionDep, kit: AuthKitDep, ctx: PortalDep, client: ClientDep
) -> Response:
    """Mail a password reset link if the account exists (the answer is the same either way)."""
    await verify_turnstile(kit.settings, body.turnstile_token, client.ip)
    await password_flows.password_forgot(session, kit, ctx=ctx, email=body.email, client=client)
    return ok(PasswordForgotOut(success=True, message=password_flows.FORGOT_MESSAGE))


@router.post("/auth/password/reset", response_model=NoContent)
@raises(ResetTokenInvalid)
async def password_reset(
    body: PasswordResetIn, session: SessionDep, kit: AuthKitDep, ctx: PortalDep
) -> Response:
    """Set a new password with the token from a reset link; all sessions end."""
    await password_flows.password_reset(
        session, kit, ctx=ctx, token=body.token, new_password=body.new_password
    )
    return no_content()


@router.post("/security/password/change", response_model=NoContent, tags=["security"])
@raises(TooManyAttempts, PasswordIncorrect)
async def password_change(
    body: PasswordChangeIn, principal: CurrentPrincipal, session: SessionDep, kit: AuthKitDep
) -> Response:
    """Change the signed-in account's password; its other sessions end."""
    await password_flows.password_change(
        session,
        kit,
        account=principal.account,
        current_session_id=principal.session.id,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    return no_content()
