"""Partner approval: a partner account starts `pendingApproval` (it may sign in and set up,
but moves no money and holds no usable API keys); the issuer approves it, or rejects it
(status REJECTED: its sessions end and it can no longer sign in)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.auth.sessions import revoke_sessions
from portico.db import utcnow
from portico.enums import AccountPortal, AccountStatus
from portico.errors import NotFound
from portico.issuer import audit
from portico.issuer.audit import Actor
from portico.issuer.paging import Window, fetch
from portico.wallets.errors import InvalidOrderState
from portico.workspaces.scope import MAX_BIZ_ID


class PartnerState(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


def partner_state(account: Account) -> PartnerState:
    if account.status == AccountStatus.REJECTED:
        return PartnerState.REJECTED
    return PartnerState.PENDING if account.pending_approval else PartnerState.APPROVED


def _partners(institution_id: int) -> Select[Account]:
    return select(Account).where(
        Account.institution_id == institution_id, Account.portal == AccountPortal.PARTNER
    )


async def list_partners(
    session: AsyncSession, *, institution_id: int, window: Window, state: PartnerState | None
) -> tuple[list[Account], int]:
    statement = _partners(institution_id)
    if state == PartnerState.REJECTED:
        statement = statement.where(Account.status == AccountStatus.REJECTED)
    elif state is not None:
        statement = statement.where(
            Account.status != AccountStatus.REJECTED,
            Account.pending_approval.is_(state == PartnerState.PENDING),
        )
    return await fetch(session, statement.order_by(Account.id.desc()), window, Account.created_at)


async def _decide(
    session: AsyncSession,
    *,
    institution_id: int | None,
    account_biz_id: str,
    values: dict[str, object],
) -> Account:
    """Apply a decision to a pending partner; only one of racing decisions wins, the others
    (and any decision on a partner no longer pending) are `ORDER.INVALID_STATE`."""
    statement = select(Account).where(
        Account.portal == AccountPortal.PARTNER, Account.biz_id == account_biz_id[:MAX_BIZ_ID]
    )
    if institution_id is not None:
        statement = statement.where(Account.institution_id == institution_id)
    account = (await session.execute(statement)).scalar_one_or_none()
    if account is None:
        raise NotFound()
    decided = await session.execute(
        update(Account)
        .where(
            Account.id == account.id,
            Account.pending_approval.is_(True),
            Account.status != AccountStatus.REJECTED,
        )
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(decided, "rowcount", 0) != 1:
        raise InvalidOrderState()
    await session.refresh(account)
    return account


async def approve_partner(
    session: AsyncSession, *, account_biz_id: str, actor: Actor, institution_id: int | None = None
) -> Account:
    """Let a pending partner move money and use API keys (once)."""
    account = await _decide(
        session,
        institution_id=institution_id,
        account_biz_id=account_biz_id,
        values={"pending_approval": False},
    )
    await _audit(session, actor, account, "partner.approve")
    return account


async def reject_partner(
    session: AsyncSession, *, account_biz_id: str, actor: Actor, institution_id: int | None = None
) -> Account:
    """Refuse a pending partner: REJECTED, its sessions end."""
    account = await _decide(
        session,
        institution_id=institution_id,
        account_biz_id=account_biz_id,
        values={"status": AccountStatus.REJECTED},
    )
    await revoke_sessions(session, account_id=account.id, reason="REJECTED")
    await _audit(session, actor, account, "partner.reject")
    return account


async def _audit(session: AsyncSession, actor: Actor, account: Account, action: str) -> None:
    await audit.record(
        session,
        institution_id=account.institution_id,
        actor=actor,
        action=action,
        target_type="partner",
        target_id=account.biz_id,
        outcome=partner_state(account).value,
    )
