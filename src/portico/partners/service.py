"""The issuer's decision on a partner account, and what a partner may do before it.

A partner registers with `pending_approval` set. Until the issuer approves it, the partner may
sign in, secure its account and set up its workspaces, but moves no money and makes no API keys
in any workspace, and neither does any member of its workspaces: the gate is the caller's state
and the workspace owner's (`ensure_workspace_may_transact`, on the routes of the `GATED`
permissions). A rejected partner's status is REJECTED: it cannot sign in and its sessions end.
The CLI (`portico partner approve|reject`) and, later, the issuer API call these functions.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.errors import AccountInactive, PendingApproval
from portico.accounts.models import Account
from portico.db import affected_rows, utcnow
from portico.enums import AccountPortal, AccountStatus, RoleType
from portico.mail.sender import Mailer, send_after_commit
from portico.partners import emails
from portico.partners.errors import NotAwaitingApproval
from portico.security.sessions import revoke_sessions
from portico.tenancy import scoped
from portico.workspaces.models import WorkspaceMember, WorkspaceRole

# The permissions whose routes move money or hand out credentials.
GATED = frozenset(
    {
        "transfer:write",
        "exchange:write",
        "recharge:write",
        "withdrawal:write",
        "wallet:write",
        "apikey:write",
    }
)
REJECTION_REASON_MAX = 500


async def ensure_workspace_may_transact(
    session: AsyncSession, *, caller: Account, workspace_id: int, caller_is_owner: bool
) -> None:
    """Refuse money and credentials to a caller awaiting approval, and in a workspace whose
    owner is not an approved, active account (`ACCOUNT.PENDING_APPROVAL`, `ACCOUNT.NOT_ACTIVE`;
    a workspace without an owner moves nothing either)."""
    if caller.pending_approval:
        raise PendingApproval()
    if caller_is_owner:
        return  # the owner is the caller: signed in, so active, and not pending
    statement = (
        select(Account.status, Account.pending_approval)
        .join(WorkspaceMember, WorkspaceMember.account_id == Account.id)
        .join(WorkspaceRole, WorkspaceRole.id == WorkspaceMember.role_id)
        .where(WorkspaceMember.is_owner.is_(True) | (WorkspaceRole.role_type == RoleType.OWNER))
        .order_by(WorkspaceMember.is_owner.desc(), WorkspaceMember.id)
        .limit(1)
    )
    owner = (await session.execute(scoped(statement, WorkspaceMember, workspace_id))).first()
    if owner is None or owner.status != AccountStatus.ACTIVE:
        raise AccountInactive()
    if owner.pending_approval:
        raise PendingApproval()


async def find_partner(session: AsyncSession, *, institution_id: int, email: str) -> Account | None:
    """The institution's partner account with this email."""
    return (
        await session.execute(
            select(Account).where(
                Account.institution_id == institution_id,
                Account.portal == AccountPortal.PARTNER,
                Account.email == email.strip().lower(),
            )
        )
    ).scalar_one_or_none()


async def _decide(
    session: AsyncSession,
    partner: Account,
    *,
    awaiting: ColumnElement[bool],
    status: AccountStatus,
    reason: str | None = None,
) -> None:
    """Record the decision on a partner in the state `awaiting` allows (exactly once, even when
    two decisions race); otherwise `PARTNER.NOT_PENDING`."""
    now = utcnow()
    decided = await session.execute(
        update(Account)
        .where(Account.id == partner.id, Account.portal == AccountPortal.PARTNER, awaiting)
        .values(
            status=status,
            pending_approval=False,
            approval_decided_at=now,
            rejection_reason=reason,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if affected_rows(decided) != 1:
        raise NotAwaitingApproval()
    await session.refresh(partner)


_PENDING = (Account.status == AccountStatus.ACTIVE) & Account.pending_approval.is_(True)


async def approve_partner(session: AsyncSession, mailer: Mailer, *, partner: Account) -> None:
    """Approve a pending partner (or one rejected before): its workspaces may move money and
    hold API keys from now on. The partner is mailed once the transaction commits."""
    awaiting = _PENDING | (Account.status == AccountStatus.REJECTED)
    await _decide(session, partner, awaiting=awaiting, status=AccountStatus.ACTIVE)
    send_after_commit(session, mailer, emails.approved(partner.email))


async def reject_partner(
    session: AsyncSession, mailer: Mailer, *, partner: Account, reason: str | None
) -> None:
    """Reject a pending partner: its status becomes REJECTED, it cannot sign in and its sessions
    end. The partner is mailed (with the reason) once the transaction commits."""
    reason = (reason or "").strip()[:REJECTION_REASON_MAX] or None
    await _decide(session, partner, awaiting=_PENDING, status=AccountStatus.REJECTED, reason=reason)
    await revoke_sessions(session, account_id=partner.id, reason="REJECTED")
    send_after_commit(session, mailer, emails.rejected(partner.email, reason))
