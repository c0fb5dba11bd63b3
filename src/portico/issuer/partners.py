"""The issuer's partner decisions, over HTTP and at the CLI (`cli/partner.py`):
`portico.partners.service` decides (and mails the partner); this lists partners by approval
status and records every decision in the audit log."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.enums import AccountPortal, AccountStatus
from portico.errors import NotFound
from portico.issuer import audit
from portico.issuer.audit import Actor
from portico.issuer.paging import Window, fetch
from portico.mail.sender import Mailer
from portico.partners import service as partner_service
from portico.tenancy import MAX_BIZ_ID


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


async def get_partner(
    session: AsyncSession, *, institution_id: int, account_biz_id: str
) -> Account:
    statement = _partners(institution_id).where(Account.biz_id == account_biz_id[:MAX_BIZ_ID])
    partner = (await session.execute(statement)).scalar_one_or_none()
    if partner is None:
        raise NotFound()
    return partner


async def decide(
    session: AsyncSession,
    mailer: Mailer,
    *,
    partner: Account,
    approve: bool,
    reason: str | None,
    actor: Actor,
) -> Account:
    """Approve (a pending or rejected partner) or reject (a pending one), once even when
    decisions race (`PARTNER.NOT_PENDING` otherwise), and record it."""
    if approve:
        await partner_service.approve_partner(session, mailer, partner=partner)
    else:
        await partner_service.reject_partner(session, mailer, partner=partner, reason=reason)
    await audit.record(
        session,
        institution_id=partner.institution_id,
        actor=actor,
        action="partner.approve" if approve else "partner.reject",
        target_type="partner",
        target_id=partner.biz_id,
        outcome=partner_state(partner).value,
    )
    return partner
