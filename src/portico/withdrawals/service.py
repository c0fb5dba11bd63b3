"""Withdrawals: create freezes the amount (available → frozen); the issuer completes it
(frozen paid out) or rejects it (unfrozen); the user may cancel while PENDING (unfrozen)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.db import lock_row, utcnow
from portico.enums import ChannelType, FlowBizType, WithdrawalStatus
from portico.envelope import Pagination
from portico.errors import InvalidParameter
from portico.ids import new_biz_id
from portico.ledger import service as ledger
from portico.ledger.service import FROZEN, SETTLEMENT, Leg, system_account
from portico.ledger.transitions import transition
from portico.money import enabled_currency, scale_of, to_minor
from portico.paging import PageParams, fetch_page
from portico.tenancy import (
    get_across_workspaces,
    get_in_workspace,
    scoped,
)
from portico.wallets import service as wallet_service
from portico.wallets.errors import CurrencyMismatch, InsufficientBalance
from portico.wallets.models import Wallet
from portico.withdrawals.models import Withdrawal, WithdrawalChannel
from portico.workspaces.models import Workspace

MAX_CHANNELS = 50


async def list_channels(session: AsyncSession, *, workspace_id: int) -> list[WithdrawalChannel]:
    statement = select(WithdrawalChannel).order_by(
        WithdrawalChannel.is_default.desc(), WithdrawalChannel.id
    )
    rows = await session.execute(scoped(statement, WithdrawalChannel, workspace_id))
    return list(rows.scalars())


async def _clear_default(session: AsyncSession, *, workspace_id: int) -> None:
    await session.execute(
        scoped(
            update(WithdrawalChannel).where(WithdrawalChannel.is_default.is_(True)),
            WithdrawalChannel,
            workspace_id,
        )
        .values(is_default=False)
        .execution_options(synchronize_session=False)
    )


async def make_default(session: AsyncSession, *, channel: WithdrawalChannel) -> None:
    """Make `channel` its workspace's default payout destination (and no other)."""
    await _clear_default(session, workspace_id=channel.workspace_id)
    channel.is_default = True


@dataclass(frozen=True, slots=True)
class Destination:
    """A payout destination to save: a bank account (account name and number, bank) or a
    crypto address (network, address); the fields of the other kind are not kept."""

    channel_type: ChannelType
    channel_name: str
    currency: str
    account_name: str | None = None
    account_number: str | None = None
    bank_name: str | None = None
    bank_code: str | None = None
    country: str | None = None
    network: str | None = None
    address: str | None = None
    is_default: bool = False


async def create_channel(
    session: AsyncSession, *, workspace: Workspace, body: Destination
) -> WithdrawalChannel:
    currency = await enabled_currency(session, body.currency)
    # Channels of a workspace are made one at a time: the count and the default stay true.
    await lock_row(session, Workspace, workspace.id)
    existing = await list_channels(session, workspace_id=workspace.id)
    if len(existing) >= MAX_CHANNELS:
        raise InvalidParameter()
    if body.is_default:
        await _clear_default(session, workspace_id=workspace.id)
    now = utcnow()
    bank = body.channel_type == ChannelType.BANK_TRANSFER
    channel = WithdrawalChannel(
        biz_id=new_biz_id(),
        workspace_id=workspace.id,
        channel_type=body.channel_type,
        channel_name=body.channel_name,
        currency=currency.code,
        account_name=body.account_name if bank else None,
        account_number=body.account_number if bank else None,
        bank_name=body.bank_name if bank else None,
        bank_code=body.bank_code if bank else None,
        country=body.country,
        network=None if bank else body.network,
        address=None if bank else body.address,
        is_default=body.is_default or not existing,
        created_at=now,
        updated_at=now,
    )
    session.add(channel)
    await session.flush()
    return channel


async def create_withdrawal(
    session: AsyncSession,
    *,
    actor: Account,
    workspace: Workspace,
    wallet_biz_id: str,
    withdrawal_channel_biz_id: str,
    amount: Decimal,
    remark: str | None = None,
) -> Withdrawal:
    """Freeze `amount` of the wallet for a payout to the channel."""
    wallet = await wallet_service.get_wallet(
        session, workspace_id=workspace.id, wallet_biz_id=wallet_biz_id
    )
    channel = await get_in_workspace(
        session,
        WithdrawalChannel,
        workspace_id=workspace.id,
        biz_id=withdrawal_channel_biz_id,
    )
    if channel.currency != wallet.currency:
        raise CurrencyMismatch()
    minor = to_minor(amount, await scale_of(session, wallet.currency))
    wallet = (await ledger.lock_wallets(session, (wallet.id,)))[wallet.id]
    wallet_service.ensure_active(wallet)
    if wallet.available < minor:
        raise InsufficientBalance()
    now = utcnow()
    withdrawal = Withdrawal(
        biz_id=new_biz_id(),
        workspace_id=workspace.id,
        workspace_biz_id=workspace.biz_id,
        institution_id=workspace.institution_id,
        wallet_id=wallet.id,
        wallet_biz_id=wallet.biz_id,
        withdrawal_channel_biz_id=channel.biz_id,
        account_biz_id=actor.biz_id,
        amount=minor,
        fee=0,
        actual_amount=minor,
        currency=wallet.currency,
        status=WithdrawalStatus.PENDING,
        remark=remark,
        created_at=now,
        updated_at=now,
    )
    session.add(withdrawal)
    await ledger.post(
        session,
        institution_id=workspace.institution_id,
        posting_type="WITHDRAWAL_FREEZE",
        order_biz_id=withdrawal.biz_id,
        legs=[
            Leg(wallet.currency, -minor, FlowBizType.WITHDRAWAL, wallet, remark="frozen"),
            Leg(wallet.currency, minor, FlowBizType.WITHDRAWAL, wallet, account=FROZEN),
        ],
    )
    return withdrawal


async def _settle(
    session: AsyncSession,
    withdrawal: Withdrawal,
    *,
    status: WithdrawalStatus,
    values: dict[str, object],
) -> Withdrawal:
    """End a PENDING withdrawal: pay the frozen amount out (COMPLETED) or release it."""
    wallet = (await ledger.lock_wallets(session, (withdrawal.wallet_id,)))[withdrawal.wallet_id]
    now = utcnow()
    await transition(
        session,
        withdrawal,
        allowed_from=(WithdrawalStatus.PENDING,),
        values={"status": status, "updated_at": now, **values},
    )
    amount, currency = withdrawal.amount, withdrawal.currency
    if status == WithdrawalStatus.COMPLETED:
        kind = await ledger.workspace_kind(session, withdrawal.workspace_id)
        legs = [
            Leg(currency, -amount, FlowBizType.WITHDRAWAL, wallet, account=FROZEN),
            Leg(currency, amount, FlowBizType.WITHDRAWAL, account=system_account(SETTLEMENT, kind)),
        ]
    else:
        legs = [
            Leg(currency, -amount, FlowBizType.WITHDRAWAL, wallet, account=FROZEN),
            Leg(currency, amount, FlowBizType.WITHDRAWAL, wallet, remark="released"),
        ]
    await ledger.post(
        session,
        institution_id=withdrawal.institution_id,
        posting_type=f"WITHDRAWAL_{status.value}",
        order_biz_id=withdrawal.biz_id,
        legs=legs,
    )
    return withdrawal


async def cancel(
    session: AsyncSession, *, withdrawal: Withdrawal, reason: str = "Cancelled by the user"
) -> Withdrawal:
    return await _settle(
        session, withdrawal, status=WithdrawalStatus.CANCELLED, values={"cancel_reason": reason}
    )


async def complete(session: AsyncSession, *, withdrawal: Withdrawal) -> Withdrawal:
    return await _settle(
        session, withdrawal, status=WithdrawalStatus.COMPLETED, values={"completed_at": utcnow()}
    )


async def reject(
    session: AsyncSession, *, withdrawal: Withdrawal, reason: str | None
) -> Withdrawal:
    return await _settle(
        session, withdrawal, status=WithdrawalStatus.REJECTED, values={"reject_reason": reason}
    )


async def list_withdrawals(
    session: AsyncSession,
    *,
    workspace_id: int,
    params: PageParams,
    status: WithdrawalStatus | None,
    wallet: Wallet | None = None,
) -> tuple[list[Withdrawal], Pagination]:
    statement = select(Withdrawal).order_by(Withdrawal.id.desc())
    if status is not None:
        statement = statement.where(Withdrawal.status == status)
    if wallet is not None:
        statement = statement.where(Withdrawal.wallet_id == wallet.id)
    return await fetch_page(
        session, scoped(statement, Withdrawal, workspace_id), params, Withdrawal.created_at
    )


async def get_withdrawal(
    session: AsyncSession, *, workspace_id: int, withdrawal_biz_id: str
) -> Withdrawal:
    return await get_in_workspace(
        session, Withdrawal, workspace_id=workspace_id, biz_id=withdrawal_biz_id
    )


async def get_for_issuer(session: AsyncSession, *, withdrawal_biz_id: str) -> Withdrawal:
    """A withdrawal by id for the issuer's back office (any workspace)."""
    return await get_across_workspaces(
        session, Withdrawal, biz_id=withdrawal_biz_id, reason="issuer back office"
    )
