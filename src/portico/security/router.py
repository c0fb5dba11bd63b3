"""`/security/...`: MFA methods, sessions and login history, IP whitelist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from portico.auth import challenges
from portico.auth.deps import CurrentPrincipal, Principal
from portico.auth.errors import TooManyAttempts
from portico.deps import AuthKitDep, SessionDep
from portico.envelope import Envelope, NoContent, Page, Pagination, no_content, ok
from portico.errors import InvalidParameter, raises
from portico.ops import events
from portico.security import ipwhitelist, mfa
from portico.security import sessions as session_service
from portico.security.errors import (
    MfaCodeRejected,
    TotpAlreadyEnabled,
    TotpNotSetUp,
    WhitelistExcludesCaller,
)
from portico.security.schemas import (
    BackupCodesGeneratedOut,
    BackupCodesStatusOut,
    IpWhitelistIn,
    IpWhitelistOut,
    LoginHistoryOut,
    MfaMethodStatusOut,
    OtpCodeIn,
    OtpSetupOut,
    SessionConfigIn,
    SessionConfigOut,
    SessionOut,
    SessionTerminateIn,
    TerminatedOut,
)
from portico.web.context import ClientDep

router = APIRouter(tags=["security"])


def _status(status: mfa.MethodStatus) -> MfaMethodStatusOut:
    return MfaMethodStatusOut(
        mfa_method=status.method,
        is_enabled=status.is_enabled,
        is_primary=status.is_primary,
        verified_at=status.verified_at,
    )


@router.get("/security/mfa", response_model=Envelope[list[MfaMethodStatusOut]])
async def list_mfa_methods(principal: CurrentPrincipal, session: SessionDep) -> Response:
    """The account's MFA methods (EMAIL, TOTP, BACKUP_CODE) and their state."""
    statuses = await mfa.method_statuses(session, principal.account.id)
    return ok([_status(s) for s in statuses])


@router.post("/security/mfa/otp/setup", response_model=Envelope[OtpSetupOut])
@raises(TotpAlreadyEnabled)
async def setup_otp(principal: CurrentPrincipal, session: SessionDep, kit: AuthKitDep) -> Response:
    """Start authenticator-app setup: a new secret and its `otpauth://` URI."""
    setup = await mfa.setup_totp(session, kit, account=principal.account)
    return ok(
        OtpSetupOut(
            secret=setup.secret,
            qr_code_uri=setup.qr_code_uri,
            issuer=setup.issuer,
            account_name=setup.account_name,
        )
    )


def _mfa_changed(session: AsyncSession, principal: Principal, change: str) -> None:
    events.after_commit_event(
        session, events.MFA_CHANGED, account_id=principal.account.biz_id, change=change
    )


@router.post("/security/mfa/otp/verify", response_model=Envelope[MfaMethodStatusOut])
@raises(TooManyAttempts, TotpNotSetUp, TotpAlreadyEnabled, MfaCodeRejected)
async def verify_otp(
    body: OtpCodeIn, principal: CurrentPrincipal, session: SessionDep, kit: AuthKitDep
) -> Response:
    """Enable the authenticator app with a first code from it."""
    async with challenges.code_attempt(session, kit, account=principal.account):
        status = await mfa.verify_totp(session, kit, account=principal.account, code=body.code)
    _mfa_changed(session, principal, "TOTP_ENABLED")
    return ok(_status(status))


@router.post("/security/mfa/otp/revoke", response_model=NoContent)
@raises(TooManyAttempts, TotpNotSetUp, MfaCodeRejected)
async def revoke_otp(
    body: OtpCodeIn, principal: CurrentPrincipal, session: SessionDep, kit: AuthKitDep
) -> Response:
    """Turn the authenticator app off (needs a current code from it)."""
    async with challenges.code_attempt(session, kit, account=principal.account):
        await mfa.revoke_totp(session, kit, account=principal.account, code=body.code)
    _mfa_changed(session, principal, "TOTP_REVOKED")
    return no_content()


@router.get("/security/mfa/backup-codes", response_model=Envelope[BackupCodesStatusOut])
async def backup_codes_status(principal: CurrentPrincipal, session: SessionDep) -> Response:
    """How many backup codes remain of the current batch."""
    remaining, total = await mfa.backup_code_counts(session, principal.account.id)
    return ok(BackupCodesStatusOut(remaining_count=remaining, total_generated=total))


@router.post(
    "/security/mfa/backup-codes/generate", response_model=Envelope[BackupCodesGeneratedOut]
)
async def generate_backup_codes(
    principal: CurrentPrincipal, session: SessionDep, kit: AuthKitDep
) -> Response:
    """Replace the backup codes with 10 new single-use codes, shown only this once."""
    codes = await mfa.generate_backup_codes(session, kit, account=principal.account)
    _mfa_changed(session, principal, "BACKUP_CODES_GENERATED")
    return ok(
        BackupCodesGeneratedOut(codes=codes, remaining_count=len(codes), total_generated=len(codes))
    )


@router.get("/security/sessions", response_model=Envelope[list[SessionOut]])
async def list_sessions(principal: CurrentPrincipal, session: SessionDep) -> Response:
    """The account's live sessions, the caller's first."""
    rows = await session_service.live_sessions(session, account_id=principal.account.id)
    items = [
        SessionOut(
            session_id=row.biz_id,
            client_ip=row.client_ip,
            user_agent=row.user_agent,
            login_time=row.login_time,
            last_activity_time=row.last_activity_time,
            is_current=row.id == principal.session.id,
        )
        for row in rows
    ]
    items.sort(key=lambda item: not item.is_current)
    return ok(items)


@router.post("/security/sessions/terminate", response_model=Envelope[None])
async def terminate_session(
    body: SessionTerminateIn, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """End one of the account's sessions."""
    await session_service.terminate_session(
        session, account_id=principal.account.id, session_biz_id=body.session_id
    )
    return ok(None)


@router.post("/security/sessions/terminate-all", response_model=Envelope[TerminatedOut])
async def terminate_all_sessions(principal: CurrentPrincipal, session: SessionDep) -> Response:
    """End every session of the account but the caller's."""
    ended = await session_service.revoke_sessions(
        session,
        account_id=principal.account.id,
        reason="TERMINATED",
        keep_session_id=principal.session.id,
    )
    return ok(TerminatedOut(success=True, terminated_sessions=ended))


def _config(principal: CurrentPrincipal) -> SessionConfigOut:
    account = principal.account
    return SessionConfigOut(
        account_biz_id=account.biz_id,
        sso_enabled=True,
        max_sessions=account.max_sessions,
        password_changed_at=account.password_changed_at,
        last_login_at=account.last_login_at,
        last_login_ip=account.last_login_ip,
    )


@router.get("/security/sessions/config", response_model=Envelope[SessionConfigOut])
async def get_session_config(principal: CurrentPrincipal) -> Response:
    """Session limit and sign-in facts of the account."""
    return ok(_config(principal))


@router.post("/security/sessions/config", response_model=Envelope[SessionConfigOut])
async def set_session_config(
    body: SessionConfigIn, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """Set the session limit (1-10); the oldest sessions beyond it end."""
    await session_service.set_session_limit(
        session,
        account=principal.account,
        limit=body.max_concurrent_sessions,
        current_session_id=principal.session.id,
    )
    return ok(_config(principal))


@router.get("/security/sessions/history", response_model=Envelope[Page[LoginHistoryOut]])
async def login_history(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int | None, Query(alias="pageSize", ge=1, le=100)] = None,
    size: Annotated[int | None, Query(ge=1, le=100)] = None,
) -> Response:
    """Sign-in attempts, successful (`loginResult` 1) and failed (2), newest first."""
    per_page = page_size or size or 20
    rows, total = await session_service.login_history(
        session, account_id=principal.account.id, page=page, page_size=per_page
    )
    items = [
        LoginHistoryOut(
            biz_id=row.biz_id,
            login_time=row.login_time,
            client_ip=row.client_ip,
            user_agent=row.user_agent,
            login_result=row.login_result,
            failure_reason=row.failure_reason,
        )
        for row in rows
    ]
    pagination = Pagination.paged(total_records=total, page=page, page_size=per_page)
    return ok(Page[LoginHistoryOut](items=items, pagination=pagination))


def _whitelist(principal: CurrentPrincipal) -> IpWhitelistOut:
    account = principal.account
    return IpWhitelistOut(
        enabled=account.ip_whitelist_enabled, entries=list(account.ip_whitelist or [])
    )


@router.get("/security/ip-whitelist", response_model=Envelope[IpWhitelistOut])
async def get_ip_whitelist(principal: CurrentPrincipal) -> Response:
    """The account's IP whitelist and whether it is enforced."""
    return ok(_whitelist(principal))


@router.post("/security/ip-whitelist", response_model=Envelope[IpWhitelistOut])
@raises(WhitelistExcludesCaller)
async def replace_ip_whitelist(
    body: IpWhitelistIn, principal: CurrentPrincipal, session: SessionDep, client: ClientDep
) -> Response:
    """Replace the whitelist with `addresses` (or `ips`): IPs and CIDRs."""
    field = "addresses" if body.addresses is not None else "ips"
    entries = body.addresses if body.addresses is not None else body.ips
    if entries is None:
        raise InvalidParameter("addresses")
    ipwhitelist.replace(principal.account, entries, caller_ip=client.ip, field=field)
    await session.flush()
    return ok(_whitelist(principal))


@router.post("/security/ip-whitelist/enable", response_model=NoContent)
@raises(WhitelistExcludesCaller)
async def enable_ip_whitelist(
    principal: CurrentPrincipal, session: SessionDep, client: ClientDep
) -> Response:
    """Enforce the whitelist (refused if it would lock out the caller's own IP)."""
    ipwhitelist.enable(principal.account, caller_ip=client.ip)
    await session.flush()
    return no_content()


@router.post("/security/ip-whitelist/disable", response_model=NoContent)
async def disable_ip_whitelist(principal: CurrentPrincipal, session: SessionDep) -> Response:
    """Stop enforcing the whitelist."""
    ipwhitelist.disable(principal.account)
    await session.flush()
    return no_content()
