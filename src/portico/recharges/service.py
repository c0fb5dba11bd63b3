"""Recharges: quote → create (PENDING) → proof (UNDER_REVIEW) → the issuer approves
(COMPLETED, wallet credited) or rejects (REJECTED); the user may cancel while PENDING."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.db import utcnow
from portico.enums import ChannelType, FlowBizType, RechargeStatus
from portico.envelope import Pagination
from portico.errors import NotFound
from portico.ids import new_biz_id
from portico.ledger import service as ledger
from portico.ledger.service import FEES, SETTLEMENT, Leg, system_account
from portico.ledger.transitions import transition
from portico.money import scale_of, to_minor
from portico.paging import PageParams, fetch_page
from portico.recharges.errors import AmountOutOfRange
from portico.recharges.models import BPS, Recharge, RechargeChannel
from portico.tenancy import (
    MAX_BIZ_ID,
    get_across_workspaces,
    get_in_workspace,
    scoped,
)
from portico.wallets import service as wallet_service
from portico.wallets.errors import CurrencyMismatch
from portico.wallets.models import Wallet
from portico.workspaces.models import Workspace

QUOTE_TTL = timedelta(minutes=15)


async def add_channel(
    session: AsyncSession,
    *,
    institution_id: int,
    currency: str,
    scale: int,
    name: str,
    channel_type: ChannelType = ChannelType.BANK_TRANSFER,
    min_amount: Decimal = Decimal(1),
    max_amount: Decimal | None = Decimal(1_000_000),
    fee_bps: int = 0,
    fixed_fee: Decimal = Decimal(0),
    instructions: str | None = None,
) -> RechargeChannel:
    """A recharge channel of the institution (issuer back office, demo data)."""
    channel = RechargeChannel(
        biz_id=new_biz_id(),
        institution_id=institution_id,
        channel_name=name,
        channel_type=channel_type,
        currency=currency,
        min_amount=to_minor(min_amount, scale),
        max_amount=to_minor(max_amount, scale) if max_amount is not None else None,
        fee_bps=fee_bps,
        fixed_fee=int(fixed_fee.scaleb(scale)),
        instructions=instructions,
        enabled=True,
    )
    session.add(channel)
    await session.flush()
    return channel


async def list_channels(
    session: AsyncSession, *, institution_id: int, include_disabled: bool = False
) -> list[RechargeChannel]:
    """The institution's enabled channels (all of them for the issuer's back office)."""
    statement = select(RechargeChannel).where(RechargeChannel.institution_id == institution_id)
    if not include_disabled:
        statement = statement.where(RechargeChannel.enabled.is_(True))
    rows = await session.execute(statement.order_by(RechargeChannel.id))
    return list(rows.scalars())


async def get_channel(
    session: AsyncSession, *, institution_id: int, channel_biz_id: str
) -> RechargeChannel:
    channel = (
        await session.execute(
            select(RechargeChannel).where(
                RechargeChannel.institution_id == institution_id,
                RechargeChannel.biz_id == channel_biz_id[:MAX_BIZ_ID],
                RechargeChannel.enabled.is_(True),
            )
        )
    ).scalar_one_or_none()
    if channel is None:
        raise NotFound()
    return channel


def price(channel: RechargeChannel, amount: int) -> tuple[int, int]:
    """(fee, credited amount) for paying in `amount`; outside the limits is refused."""
    if amount < channel.min_amount or (
        channel.max_amount is not None and amount > channel.max_amount
    ):
        raise AmountOutOfRange()
    fee = channel.fixed_fee + int((amount * channel.fee_bps / BPS).to_integral_value(ROUND_CEILING))
    if amount - fee <= 0:
        raise AmountOutOfRange()
    return fee, amount - fee


@dataclass(frozen=True, slots=True)
class RechargeQuote:
    """What a top-up of `amount` through a channel costs, valid until `expires_at`."""

    channel_biz_id: str
    currency: str
    amount: int
    fee: int
    actual_amount: int
    expires_at: datetime


def quote(channel: RechargeChannel, amount: int) -> RechargeQuote:
    """Price a top-up of `amount` (minor units) through `channel`."""
    fee, actual = price(channel, amount)
    return RechargeQuote(
        channel_biz_id=channel.biz_id,
        currency=channel.currency,
        amount=amount,
        fee=fee,
        actual_amount=actual,
        expires_at=utcnow() + QUOTE_TTL,
    )


async def create_recharge(
    session: AsyncSession,
    *,
    actor: Account,
    workspace: Workspace,
    channel_biz_id: str,
    amount: Decimal,
    wallet_biz_id: str | None = None,
    currency: str | None = None,
    remark: str | None = None,
) -> Recharge:
    """Announce a pay-in of `amount` through the channel (PENDING until the issuer decides)."""
    channel = await get_channel(
        session, institution_id=workspace.institution_id, channel_biz_id=channel_biz_id
    )
    if currency is not None and currency.upper() != channel.currency:
        raise CurrencyMismatch()
    if wallet_biz_id is not None:
        wallet = await wallet_service.get_wallet(
            session, workspace_id=workspace.id, wallet_biz_id=wallet_biz_id
        )
        if wallet.currency != channel.currency:
            raise CurrencyMismatch()
    else:
        wallet = await wallet_service.wallet_for(
            session, workspace=workspace, currency=channel.currency
        )
    minor = to_minor(amount, await scale_of(session, channel.currency))
    fee, actual = price(channel, minor)
    now = utcnow()
    recharge = Recharge(
        biz_id=new_biz_id(),
        workspace_id=workspace.id,
        workspace_biz_id=workspace.biz_id,
        institution_id=workspace.institution_id,
        wallet_id=wallet.id,
        wallet_biz_id=wallet.biz_id,
        channel_biz_id=channel.biz_id,
        account_biz_id=actor.biz_id,
        amount=minor,
        fee=fee,
        actual_amount=actual,
        currency=channel.currency,
        status=RechargeStatus.PENDING,
        remark=remark,
        created_at=now,
        updated_at=now,
    )
    session.add(recharge)
    await session.flush()
    return recharge


async def list_recharges(
    session: AsyncSession,
    *,
    workspace_id: int,
    params: PageParams,
    status: RechargeStatus | None,
    wallet: Wallet | None = None,
) -> tuple[list[Recharge], Pagination]:
    statement = select(Recharge).order_by(Recharge.id.desc())
    if status is not None:
        statement = statement.where(Recharge.status == status)
    if wallet is not None:
        statement = statement.where(Recharge.wallet_id == wallet.id)
    return await fetch_page(
        session, scoped(statement, Recharge, workspace_id), params, Recharge.created_at
    )


async def get_recharge(
    session: AsyncSession, *, workspace_id: int, recharge_biz_id: str
) -> Recharge:
    return await get_in_workspace(
        session, Recharge, workspace_id=workspace_id, biz_id=recharge_biz_id
    )


async def get_for_issuer(session: AsyncSession, *, recharge_biz_id: str) -> Recharge:
    """A recharge by id for the issuer's back office (any workspace)."""
    return await get_across_workspaces(
        session, Recharge, biz_id=recharge_biz_id, reason="issuer back office"
    )


async def attach_proof(session: AsyncSession, *, recharge: Recharge, file_biz_id: str) -> Recharge:
    await transition(
        session,
        recharge,
        allowed_from=(RechargeStatus.PENDING, RechargeStatus.UNDER_REVIEW),
        values={
            "proof_file_biz_id": file_biz_id,
            "status": RechargeStatus.UNDER_REVIEW,
            "updated_at": utcnow(),
        },
    )
    return recharge


async def cancel(session: AsyncSession, *, recharge: Recharge, reason: str | None) -> Recharge:
    await transition(
        session,
        recharge,
        allowed_from=(RechargeStatus.PENDING,),
        values={
            "status": RechargeStatus.CANCELLED,
            "cancel_reason": reason,
            "updated_at": utcnow(),
        },
    )
    return recharge


async def close(session: AsyncSession, *, recharge: Recharge, reason: str) -> Recharge:
    """Cancel a recharge still waiting for the issuer, pending or under review (the
    consumer's deletion); no money moved yet, so none moves now."""
    await transition(
        session,
        recharge,
        allowed_from=(RechargeStatus.PENDING, RechargeStatus.UNDER_REVIEW),
        values={
            "status": RechargeStatus.CANCELLED,
            "cancel_reason": reason,
            "updated_at": utcnow(),
        },
    )
    return recharge


async def approve(session: AsyncSession, *, recharge: Recharge) -> Recharge:
    """Credit the wallet (once): settlement pays in `amount`, the wallet gets the rest of the
    fee. A second approval, or one after a rejection or cancel, is refused."""
    locked = await ledger.lock_wallets(session, (recharge.wallet_id,))
    wallet = locked[recharge.wallet_id]
    now = utcnow()
    await transition(
        session,
        recharge,
        allowed_from=(RechargeStatus.PENDING, RechargeStatus.UNDER_REVIEW),
        values={"status": RechargeStatus.COMPLETED, "updated_at": now, "completed_at": now},
    )
    kind = await ledger.workspace_kind(session, recharge.workspace_id)
    settlement, fees = system_account(SETTLEMENT, kind), system_account(FEES, kind)
    legs = [
        Leg(recharge.currency, -recharge.amount, FlowBizType.RECHARGE, account=settlement),
        Leg(recharge.currency, recharge.actual_amount, FlowBizType.RECHARGE, wallet),
    ]
    if recharge.fee:
        legs.append(Leg(recharge.currency, recharge.fee, FlowBizType.FEE, account=fees))
    await ledger.post(
        session,
        institution_id=recharge.institution_id,
        posting_type="RECHARGE",
        order_biz_id=recharge.biz_id,
        legs=legs,
    )
    return recharge


async def reject(session: AsyncSession, *, recharge: Recharge, reason: str | None) -> Recharge:
    await transition(
        session,
        recharge,
        allowed_from=(RechargeStatus.PENDING, RechargeStatus.UNDER_REVIEW),
        values={"status": RechargeStatus.REJECTED, "reject_reason": reason, "updated_at": utcnow()},
    )
    return recharge
