"""The signed-in caller: a Bearer access token bound to a live session row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Header
from sqlalchemy import select, update

from portico.accounts.models import Account
from portico.auth.kit import AuthKit, AuthKitDep
from portico.auth.models import AuthSession
from portico.db import utcnow
from portico.deps import SessionDep
from portico.enums import AccountStatus
from portico.errors import TokenInvalid, TokenMissing
from portico.security import ipwhitelist
from portico.security.errors import IpNotAllowed
from portico.web.context import ClientDep, PortalDep


@dataclass(frozen=True, slots=True)
class Principal:
    account: Account
    session: AuthSession


async def get_principal(
    session: SessionDep,
    kit: AuthKitDep,
    ctx: PortalDep,
    client: ClientDep,
    authorization: Annotated[str | None, Header(description="`Bearer <access token>`")] = None,
) -> Principal:
    """Authenticate the request; a token of an ended session fails on the very next request."""
    if not authorization:
        raise TokenMissing()
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenMissing()
    claims = kit.tokens.read_access_token(token.strip())
    if (
        claims is None
        or claims.portal != ctx.portal.value
        or claims.institution_biz_id != ctx.institution_biz_id
    ):
        raise TokenInvalid()
    row = (
        await session.execute(
            select(AuthSession, Account)
            .join(Account, Account.id == AuthSession.account_id)
            .where(AuthSession.biz_id == claims.session_biz_id)
        )
    ).first()
    if row is None:
        raise TokenInvalid()
    auth_session, account = row
    now = utcnow()
    if (
        auth_session.revoked_at is not None
        or auth_session.expires_at <= now
        or account.biz_id != claims.account_biz_id
        or account.institution_id != ctx.institution_id
        or account.status != AccountStatus.ACTIVE
    ):
        raise TokenInvalid()
    if account.ip_whitelist_enabled and not ipwhitelist.allows(
        list(account.ip_whitelist or []), client.ip
    ):
        raise IpNotAllowed()
    if now - auth_session.last_activity_time > ACTIVITY_RESOLUTION:
        await _touch(kit, auth_session.id, now)
        auth_session.last_activity_time = now
    return Principal(account=account, session=auth_session)


# lastActivityTime is kept to this resolution: at most one write per session per minute.
ACTIVITY_RESOLUTION = timedelta(seconds=60)


async def _touch(kit: AuthKit, session_id: int, now: datetime) -> None:
    # Its own short transaction: activity bookkeeping must not hold the request's write lock.
    async with kit.database.side_sessionmaker() as side, side.begin():
        await side.execute(
            update(AuthSession)
            .where(
                AuthSession.id == session_id,
                AuthSession.last_activity_time < now - ACTIVITY_RESOLUTION,
            )
            .values(last_activity_time=now)
        )


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
