"""Invitations: sent by a workspace, answered by the invitee in the same institution and portal.

A PENDING invitation past `expires_at` is EXPIRED on the wire; its row is rewritten EXPIRED
when the email is invited again (one PENDING row per email and workspace). Every answer
(accept, decline, cancel) claims the row with one conditional UPDATE, so two concurrent answers
never both succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.db import affected_rows, flush_unique, lock_row, utcnow
from portico.enums import AccountPortal, InvitationStatus, JoinSource, RoleType
from portico.errors import InvalidParameter, NotFound
from portico.ids import new_biz_id
from portico.invitations import emails
from portico.invitations.errors import AlreadyMember, AlreadyPending, NotPending, TooManyPending
from portico.invitations.models import ONE_PENDING_PER_EMAIL, Invitation
from portico.mail.sender import Mailer, send_after_commit
from portico.tenancy import across_workspaces, scoped
from portico.workspaces import service as workspace_service
from portico.workspaces.models import ONE_MEMBERSHIP, Workspace, WorkspaceMember, WorkspaceRole
from portico.workspaces.permissions import refuse_grants, role_permissions

INVITATION_TTL = timedelta(days=7)
# Live (PENDING, unexpired) invitations a workspace may have at once: invitations send mail to
# any address, so their number is bounded.
MAX_PENDING_PER_WORKSPACE = 100
RECEIVED = "invitations addressed to the caller"


def effective_status(invitation: Invitation, now: datetime) -> InvitationStatus:
    status = invitation.status
    if status == InvitationStatus.PENDING and invitation.expires_at <= now:
        return InvitationStatus.EXPIRED
    return status


@dataclass(frozen=True, slots=True)
class InvitationDetails:
    """An invitation with its workspace and role, and its status as of now (EXPIRED when a
    PENDING one is past `expires_at`)."""

    invitation: Invitation
    workspace: Workspace
    role: WorkspaceRole
    status: InvitationStatus


def _details(
    invitation: Invitation, workspace: Workspace, role: WorkspaceRole, now: datetime
) -> InvitationDetails:
    return InvitationDetails(invitation, workspace, role, effective_status(invitation, now))


def _query() -> Select[Invitation, Workspace, WorkspaceRole]:
    return (
        select(Invitation, Workspace, WorkspaceRole)
        .join(Workspace, Workspace.id == Invitation.workspace_id)
        .join(WorkspaceRole, WorkspaceRole.id == Invitation.role_id)
    )


def _newest_first(
    statement: Select[Invitation, Workspace, WorkspaceRole],
) -> Select[Invitation, Workspace, WorkspaceRole]:
    return statement.order_by(Invitation.created_at.desc(), Invitation.id.desc())


# -- workspace side ------------------------------------------------------------------------------


async def sent_by(session: AsyncSession, *, workspace_id: int) -> list[InvitationDetails]:
    """Every invitation the workspace sent, newest first."""
    rows = (await session.execute(scoped(_newest_first(_query()), Invitation, workspace_id))).all()
    now = utcnow()
    return [_details(i, w, r, now) for i, w, r in rows]


async def _invitable_role(
    session: AsyncSession, *, workspace_id: int, role_biz_id: str
) -> WorkspaceRole:
    """A role of this workspace other than OWNER; unknown and foreign ids are 404."""
    role = (
        await session.execute(
            scoped(
                select(WorkspaceRole).where(WorkspaceRole.biz_id == role_biz_id),
                WorkspaceRole,
                workspace_id,
            )
        )
    ).scalar_one_or_none()
    if role is None:
        raise NotFound()
    if role.role_type == RoleType.OWNER:
        raise InvalidParameter()
    return role


async def _mark_expired(
    session: AsyncSession, *, workspace_id: int, email: str, now: datetime
) -> None:
    """Store EXPIRED on the email's unanswered invitations past their time (only one PENDING row
    per email may exist)."""
    await session.execute(
        scoped(
            update(Invitation)
            .where(
                Invitation.email == email,
                Invitation.status == InvitationStatus.PENDING,
                Invitation.expires_at <= now,
            )
            .values(status=InvitationStatus.EXPIRED.value, updated_at=now)
            .execution_options(synchronize_session=False),
            Invitation,
            workspace_id,
        )
    )


async def _email_is_member(
    session: AsyncSession, *, workspace: Workspace, email: str, portal: AccountPortal
) -> bool:
    statement = (
        select(WorkspaceMember.id)
        .join(Account, Account.id == WorkspaceMember.account_id)
        .where(
            Account.email == email,
            Account.portal == portal,
            Account.institution_id == workspace.institution_id,
        )
    )
    found = (await session.execute(scoped(statement, WorkspaceMember, workspace.id))).first()
    return found is not None


async def create_invitation(
    session: AsyncSession,
    mailer: Mailer,
    *,
    workspace: Workspace,
    inviter: Account,
    held: frozenset[str],
    portal: AccountPortal,
    email: str,
    role_biz_id: str,
) -> InvitationDetails:
    """Invite `email` to the workspace with a role whose every permission the inviter holds;
    the invitee is mailed after commit."""
    role = await _invitable_role(session, workspace_id=workspace.id, role_biz_id=role_biz_id)
    refuse_grants(held, role_permissions(role))
    # Invitations of a workspace are made one at a time, so the count below stays true.
    await lock_row(session, Workspace, workspace.id)
    if await _email_is_member(session, workspace=workspace, email=email, portal=portal):
        raise AlreadyMember()
    now = utcnow()
    await _mark_expired(session, workspace_id=workspace.id, email=email, now=now)
    live = scoped(
        select(func.count(Invitation.id)).where(
            Invitation.status == InvitationStatus.PENDING, Invitation.expires_at > now
        ),
        Invitation,
        workspace.id,
    )
    if (await session.execute(live.where(Invitation.email == email))).scalar_one():
        raise AlreadyPending()
    if (await session.execute(live)).scalar_one() >= MAX_PENDING_PER_WORKSPACE:
        raise TooManyPending()
    invitation = Invitation(
        biz_id=new_biz_id(),
        workspace_id=workspace.id,
        portal=portal,
        email=email,
        role_id=role.id,
        invited_by=inviter.biz_id,
        status=InvitationStatus.PENDING,
        decline_reason=None,
        expires_at=now + INVITATION_TTL,
        created_at=now,
        updated_at=now,
    )
    session.add(invitation)
    await flush_unique(session, ONE_PENDING_PER_EMAIL, AlreadyPending())

    mail = emails.invitation(
        email,
        workspace_name=workspace.name,
        inviter=f"{inviter.name} ({inviter.email})" if inviter.name else inviter.email,
        role_name=role.name,
        portal_label=portal.info.label,
        expires_at=invitation.expires_at,
    )
    send_after_commit(session, mailer, mail)
    return _details(invitation, workspace, role, now)


async def _claim(
    session: AsyncSession, invitation: Invitation, status: InvitationStatus, **values: object
) -> bool:
    """Move a live PENDING invitation to `status`; false if another answer came first."""
    now = utcnow()
    result = await session.execute(
        scoped(
            update(Invitation)
            .where(
                Invitation.id == invitation.id,
                Invitation.status == InvitationStatus.PENDING,
                Invitation.expires_at > now,
            )
            .values(status=status.value, updated_at=now, **values)
            .execution_options(synchronize_session=False),
            Invitation,
            invitation.workspace_id,
        )
    )
    return affected_rows(result) == 1


async def cancel_invitation(
    session: AsyncSession, *, workspace_id: int, invitation_biz_id: str
) -> None:
    """Withdraw a live invitation of this workspace; others' and unknown ids are 404."""
    invitation = (
        await session.execute(
            scoped(
                select(Invitation).where(Invitation.biz_id == invitation_biz_id),
                Invitation,
                workspace_id,
            )
        )
    ).scalar_one_or_none()
    if invitation is None:
        raise NotFound()
    if effective_status(invitation, utcnow()) != InvitationStatus.PENDING:
        raise NotPending()
    if not await _claim(session, invitation, InvitationStatus.CANCELLED):
        raise NotPending()


# -- received side -------------------------------------------------------------------------------


def _addressed_to(
    statement: Select[Invitation, Workspace, WorkspaceRole], account: Account
) -> Select[Invitation, Workspace, WorkspaceRole]:
    """Invitations for the account's email, in its institution and portal."""
    return across_workspaces(
        statement.where(
            Invitation.email == account.email.lower(),
            Invitation.portal == account.portal,
            Workspace.institution_id == account.institution_id,
        ),
        RECEIVED,
    )


async def received_by(session: AsyncSession, *, account: Account) -> list[InvitationDetails]:
    """The caller's live invitations, newest first."""
    now = utcnow()
    statement = _newest_first(
        _query().where(Invitation.status == InvitationStatus.PENDING, Invitation.expires_at > now)
    )
    rows = (await session.execute(_addressed_to(statement, account))).all()
    return [_details(i, w, r, now) for i, w, r in rows]


async def _live_received(
    session: AsyncSession, *, account: Account, invitation_biz_id: str
) -> tuple[Invitation, Workspace, WorkspaceRole]:
    """The caller's live invitation; anything else is the documented 400."""
    row = (
        await session.execute(
            _addressed_to(_query().where(Invitation.biz_id == invitation_biz_id), account)
        )
    ).first()
    if row is None:
        raise InvalidParameter()
    invitation, workspace, role = row
    if effective_status(invitation, utcnow()) != InvitationStatus.PENDING:
        raise InvalidParameter()
    return invitation, workspace, role


async def accept_invitation(
    session: AsyncSession, *, account: Account, invitation_biz_id: str
) -> workspace_service.Membership:
    """Join the workspace with the invitation's role; the invitation is used up."""
    invitation, workspace, role = await _live_received(
        session, account=account, invitation_biz_id=invitation_biz_id
    )
    already = (
        await session.execute(
            scoped(
                select(WorkspaceMember.id).where(WorkspaceMember.account_id == account.id),
                WorkspaceMember,
                workspace.id,
            )
        )
    ).first()
    if already is not None:
        raise InvalidParameter()
    if not await _claim(session, invitation, InvitationStatus.ACCEPTED):
        raise InvalidParameter()
    now = utcnow()
    membership = WorkspaceMember(
        workspace_id=workspace.id,
        account_id=account.id,
        role_id=role.id,
        join_source=JoinSource.INVITATION,
        is_owner=False,
        is_default=False,
        created_at=now,
        updated_at=now,
    )
    session.add(membership)
    # Joined by another path at the same moment: nothing is kept (the request rolls back).
    await flush_unique(session, ONE_MEMBERSHIP, InvalidParameter())
    return await workspace_service.get_membership(
        session, membership_id=membership.id, workspace_id=workspace.id
    )


async def decline_invitation(
    session: AsyncSession, *, account: Account, invitation_biz_id: str, reason: str | None
) -> None:
    """Refuse a live invitation, with an optional reason kept for the workspace."""
    invitation, _, _ = await _live_received(
        session, account=account, invitation_biz_id=invitation_biz_id
    )
    if not await _claim(
        session, invitation, InvitationStatus.DECLINED, decline_reason=reason or None
    ):
        raise InvalidParameter()
