"""Workspaces and their members."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.constants import data as constants
from portico.db import affected_rows, lock_row, utcnow
from portico.enums import JoinSource, RoleType, WorkspaceKind, WorkspaceStatus
from portico.errors import InvalidParameter, NotFound, PermissionDenied
from portico.ids import new_biz_id
from portico.institutions.models import Institution
from portico.tenancy import across_workspaces, scoped
from portico.workspaces.errors import OwnerCannotLeave, OwnerIsPermanent
from portico.workspaces.models import Workspace, WorkspaceMember, WorkspaceRole

# Stored data, seeded exactly as the portal documents show them (not localised).
OWNER_ROLE_NAME = "所有者"
OWNER_ROLE_DESCRIPTION = "空间所有者,拥有全部权限"
MEMBER_ROLE_NAME = "成员"
MEMBER_ROLE_DESCRIPTION = "默认成员角色"


async def create_workspace(
    session: AsyncSession,
    *,
    owner: Account,
    name: str,
    kind: WorkspaceKind,
    join_source: JoinSource,
    is_default: bool,
    timezone: str = "UTC",
) -> Workspace:
    """Create a workspace with its two built-in roles and the owner's membership (a SANDBOX
    one's test balances are `flows.workspaces.create_workspace`'s part)."""
    now = utcnow()
    workspace = Workspace(
        biz_id=new_biz_id(),
        institution_id=owner.institution_id,
        name=name,
        timezone=timezone,
        kind=kind,
        status=WorkspaceStatus.ACTIVE,
        created_at=now,
        updated_at=now,
    )
    session.add(workspace)
    await session.flush()
    owner_role = WorkspaceRole(
        biz_id=new_biz_id(),
        workspace_id=workspace.id,
        name=OWNER_ROLE_NAME,
        role_type=RoleType.OWNER,
        description=OWNER_ROLE_DESCRIPTION,
        is_builtin=True,
        permission_codes=[],
        created_at=now,
        updated_at=now,
    )
    member_role = WorkspaceRole(
        biz_id=new_biz_id(),
        workspace_id=workspace.id,
        name=MEMBER_ROLE_NAME,
        role_type=RoleType.CUSTOM,
        description=MEMBER_ROLE_DESCRIPTION,
        is_builtin=True,
        permission_codes=[],
        created_at=now,
        updated_at=now,
    )
    session.add_all([owner_role, member_role])
    await session.flush()
    session.add(
        WorkspaceMember(
            workspace_id=workspace.id,
            account_id=owner.id,
            role_id=owner_role.id,
            join_source=join_source,
            is_owner=True,
            is_default=is_default,
            created_at=now,
            updated_at=now,
        )
    )
    await session.flush()
    return workspace


async def institution_biz_id(session: AsyncSession, institution_id: int) -> str:
    biz_id = (
        await session.execute(select(Institution.biz_id).where(Institution.id == institution_id))
    ).scalar_one()
    return str(biz_id)


@dataclass(frozen=True, slots=True)
class Membership:
    """A membership with its workspace, role, member account and the institution's bizId."""

    member: WorkspaceMember
    workspace: Workspace
    role: WorkspaceRole
    account: Account
    institution_biz_id: str


def _membership_query() -> Select[WorkspaceMember, Workspace, WorkspaceRole, Account]:
    return (
        select(WorkspaceMember, Workspace, WorkspaceRole, Account)
        .join(Workspace, Workspace.id == WorkspaceMember.workspace_id)
        .join(WorkspaceRole, WorkspaceRole.id == WorkspaceMember.role_id)
        .join(Account, Account.id == WorkspaceMember.account_id)
    )


async def memberships_of(session: AsyncSession, *, account: Account) -> list[Membership]:
    """The caller's memberships, default first."""
    institution = await institution_biz_id(session, account.institution_id)
    rows = (
        await session.execute(
            across_workspaces(
                _membership_query()
                .where(WorkspaceMember.account_id == account.id)
                .order_by(WorkspaceMember.is_default.desc(), WorkspaceMember.id),
                "the caller's own memberships",
            )
        )
    ).all()
    return [Membership(m, w, r, a, institution) for m, w, r, a in rows]


async def get_membership(
    session: AsyncSession, *, membership_id: int, workspace_id: int
) -> Membership:
    """One membership of the workspace with what it is shown with."""
    row = (
        await session.execute(
            scoped(
                _membership_query().where(WorkspaceMember.id == membership_id),
                WorkspaceMember,
                workspace_id,
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFound()
    member, workspace, role, account = row
    institution = await institution_biz_id(session, workspace.institution_id)
    return Membership(member, workspace, role, account, institution)


async def members_of(session: AsyncSession, *, workspace: Workspace) -> list[Membership]:
    """Every member of the workspace, owners first."""
    institution = await institution_biz_id(session, workspace.institution_id)
    rows = (
        await session.execute(
            scoped(
                _membership_query().order_by(WorkspaceMember.is_owner.desc(), WorkspaceMember.id),
                WorkspaceMember,
                workspace.id,
            )
        )
    ).all()
    return [Membership(m, w, r, a, institution) for m, w, r, a in rows]


async def update_workspace(workspace: Workspace, *, name: str | None, timezone: str | None) -> None:
    """Partial update of name and time zone."""
    if timezone is not None:
        if timezone not in constants.timezone_ids():
            raise InvalidParameter()
        workspace.timezone = timezone
    if name is not None:
        workspace.name = name
    workspace.updated_at = utcnow()


async def make_default(
    session: AsyncSession, *, account: Account, membership: WorkspaceMember
) -> None:
    """Make this membership the caller's default (and no other)."""
    # One change of an account's defaults at a time (the partial unique index backs it up).
    await lock_row(session, Account, account.id)
    mine = across_workspaces(
        update(WorkspaceMember)
        .where(WorkspaceMember.account_id == account.id)
        .execution_options(synchronize_session=False),
        "the caller's own memberships",
    )
    await session.execute(mine.where(WorkspaceMember.id != membership.id).values(is_default=False))
    now = utcnow()
    made = await session.execute(
        mine.where(WorkspaceMember.id == membership.id).values(is_default=True, updated_at=now)
    )
    if affected_rows(made) != 1:
        raise PermissionDenied()  # removed from the workspace meanwhile
    membership.is_default, membership.updated_at = True, now


async def end_membership(session: AsyncSession, *, membership: WorkspaceMember) -> None:
    """Delete a membership (leaving or being removed); an account left without a default gets
    its oldest owned workspace, else its oldest other membership."""
    account_id = membership.account_id
    await lock_row(session, Account, account_id)
    await session.execute(
        scoped(
            delete(WorkspaceMember).where(WorkspaceMember.id == membership.id),
            WorkspaceMember,
            membership.workspace_id,
        )
    )
    others = select(WorkspaceMember.id).where(WorkspaceMember.account_id == account_id)
    successor = (
        others.order_by(WorkspaceMember.is_owner.desc(), WorkspaceMember.id)
        .limit(1)
        .scalar_subquery()
    )
    has_default = others.where(WorkspaceMember.is_default.is_(True)).exists()
    await session.execute(
        across_workspaces(
            update(WorkspaceMember)
            .where(WorkspaceMember.id == successor, ~has_default)
            .values(is_default=True, updated_at=utcnow())
            .execution_options(synchronize_session=False),
            "the departing member's own memberships",
        )
    )


async def leave(session: AsyncSession, *, membership: WorkspaceMember) -> None:
    """Leave the workspace; owners cannot."""
    if membership.is_owner:
        raise OwnerCannotLeave()
    await end_membership(session, membership=membership)


async def get_member(
    session: AsyncSession, *, workspace_id: int, user_biz_id: str
) -> WorkspaceMember:
    """A member of the workspace by account bizId; 404 otherwise."""
    member = (
        await session.execute(
            scoped(
                select(WorkspaceMember)
                .join(Account, Account.id == WorkspaceMember.account_id)
                .where(Account.biz_id == user_biz_id),
                WorkspaceMember,
                workspace_id,
            )
        )
    ).scalar_one_or_none()
    if member is None:
        raise NotFound()
    return member


async def remove_member(session: AsyncSession, *, workspace_id: int, user_biz_id: str) -> None:
    """Remove a member; the owner cannot be removed."""
    member = await get_member(session, workspace_id=workspace_id, user_biz_id=user_biz_id)
    if member.is_owner:
        raise OwnerIsPermanent()
    await end_membership(session, membership=member)
