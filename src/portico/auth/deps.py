"""The signed-in caller: a Bearer access token bound to a live session row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from sqlalchemy import ColumnElement, Select, bindparam, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from portico.accounts.models import Account
from portico.db import utcnow
from portico.deps import AuthKitDep, SessionDep
from portico.enums import AccountStatus
from portico.errors import TokenInvalid, TokenMissing, raises
from portico.security import ipwhitelist
from portico.security.errors import IpNotAllowed
from portico.security.kit import AuthKit
from portico.security.models import AuthSession
from portico.tenancy import MAX_BIZ_ID, across_workspaces
from portico.web.context import ClientDep, PortalDep
from portico.workspaces.models import Workspace, WorkspaceMember, WorkspaceRole

WORKSPACE_HEADER = "x-workspace-id"
Membership = tuple[WorkspaceMember, Workspace, WorkspaceRole]


@dataclass(frozen=True, slots=True)
class Principal:
    account: Account
    session: AuthSession
    # The caller's membership of the workspace `X-Workspace-Id` names (else its default one),
    # read in the same query; None when there is none. `workspaces.deps` decides what that means.
    membership: Membership | None = None


def _principal_statement(
    *, by_workspace_biz_id: bool, columns: Sequence[ColumnElement[Any]] = ()
) -> Select[AuthSession, Account, WorkspaceMember, Workspace, WorkspaceRole]:
    """The session, its account and the requested membership, in one query (one per request).

    `columns`: these columns of the five tables instead of the five entities (a Core statement,
    for `web.fast_reads`), with the same joins and conditions."""
    member, workspace = aliased(WorkspaceMember), aliased(Workspace)
    chosen = (
        select(member.id)
        .join(workspace, workspace.id == member.workspace_id)
        .where(
            member.account_id == Account.id,
            workspace.institution_id == Account.institution_id,
        )
    )
    if by_workspace_biz_id:
        chosen = chosen.where(workspace.biz_id == bindparam("workspace_biz_id"))
    chosen = chosen.order_by(member.is_default.desc(), member.id).limit(1)
    entities: Sequence[Any] = columns or (
        AuthSession,
        Account,
        WorkspaceMember,
        Workspace,
        WorkspaceRole,
    )
    statement = (
        select(*entities)
        .select_from(AuthSession)
        .join(Account, Account.id == AuthSession.account_id)
        .outerjoin(WorkspaceMember, WorkspaceMember.id == chosen.scalar_subquery())
        .outerjoin(Workspace, Workspace.id == WorkspaceMember.workspace_id)
        .outerjoin(WorkspaceRole, WorkspaceRole.id == WorkspaceMember.role_id)
        .where(AuthSession.biz_id == bindparam("session_biz_id"))
    )
    return across_workspaces(statement, "the caller's own memberships")


_BY_DEFAULT = _principal_statement(by_workspace_biz_id=False)
_BY_WORKSPACE = _principal_statement(by_workspace_biz_id=True)


@raises(TokenMissing, TokenInvalid, IpNotAllowed)
async def get_principal(
    request: Request,
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
    workspace_biz_id = request.headers.get(WORKSPACE_HEADER)
    if workspace_biz_id:
        row = (
            await session.execute(
                _BY_WORKSPACE,
                {
                    "session_biz_id": claims.session_biz_id,
                    "workspace_biz_id": workspace_biz_id[:MAX_BIZ_ID],
                },
            )
        ).first()
    else:
        row = (
            await session.execute(_BY_DEFAULT, {"session_biz_id": claims.session_biz_id})
        ).first()
    if row is None:
        raise TokenInvalid()
    auth_session, account, member, workspace, role = row
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
        # Written by the side transaction: the request's session must not write it again (a
        # read request's session may not write at all).
        set_committed_value(auth_session, "last_activity_time", now)
    membership = None if member is None else (member, workspace, role)
    # for the request's log line (`RequestContextMiddleware`)
    request.state.account_id = account.biz_id
    request.state.workspace_id = None if workspace is None else workspace.biz_id
    return Principal(account=account, session=auth_session, membership=membership)


# lastActivityTime is kept to this resolution: at most one write per session per minute.
ACTIVITY_RESOLUTION = timedelta(seconds=60)


async def _touch(kit: AuthKit, session_id: int, now: datetime) -> None:
    # Its own short transaction: activity bookkeeping must not hold the request's write lock.
    async with kit.database.side_transaction() as side:
        await side.execute(
            update(AuthSession)
            .where(
                AuthSession.id == session_id,
                AuthSession.last_activity_time < now - ACTIVITY_RESOLUTION,
            )
            .values(last_activity_time=now)
        )


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
