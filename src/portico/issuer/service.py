"""The issuer's back office: recharges, withdrawals, FX rates and channels, the same functions
for the issuer API and the `portico` CLI. Every action is recorded in the audit log with its
actor, in the action's own transaction.

`institution_id` scopes an action to one issuer (the API always passes the caller's); the CLI
passes None, its operator acting for every institution of the installation.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.db import utcnow
from portico.enums import ChannelType, RechargeStatus, WithdrawalStatus
from portico.errors import InvalidParameter, NotFound
from portico.exchanges import service as exchange_service
from portico.exchanges.models import FxRate
from portico.issuer import audit
from portico.issuer.audit import Actor
from portico.issuer.paging import Window, fetch
from portico.money import MAX_MAJOR_UNITS, enabled_currency, to_minor
from portico.recharges import service as recharge_service
from portico.recharges.models import Recharge, RechargeChannel
from portico.tenancy import MAX_BIZ_ID, across_workspaces
from portico.wallets.models import Wallet
from portico.withdrawals import service as withdrawal_service
from portico.withdrawals.models import Withdrawal, WithdrawalChannel
from portico.withdrawals.service import Destination
from portico.workspaces.models import Workspace, WorkspaceMember

M = TypeVar("M", Recharge, Withdrawal, WithdrawalChannel)
Order = TypeVar("Order", Recharge, Withdrawal)
BACK_OFFICE = "issuer back office"
REASON_MAX = 500


async def _order(
    session: AsyncSession, model: type[M], *, biz_id: str, institution_id: int | None
) -> M:
    """An order (or withdrawal channel) by bizId in any workspace of the institution."""
    statement = select(model).where(model.biz_id == biz_id[:MAX_BIZ_ID])
    if institution_id is not None:
        owner = select(Workspace.id).where(Workspace.institution_id == institution_id)
        statement = statement.where(model.workspace_id.in_(owner))
    found = (await session.execute(across_workspaces(statement, BACK_OFFICE))).scalar_one_or_none()
    if found is None:
        raise NotFound()
    return found


# --- recharges -------------------------------------------------------------------------------


async def _list_orders(
    session: AsyncSession,
    model: type[Order],
    *,
    institution_id: int,
    window: Window,
    status: str | None,
) -> tuple[list[Order], int]:
    statement = select(model).where(model.institution_id == institution_id)
    if status is not None:
        statement = statement.where(model.status == status)
    statement = across_workspaces(statement.order_by(model.id.desc()), BACK_OFFICE)
    return await fetch(session, statement, window, model.created_at)


async def list_recharges(
    session: AsyncSession,
    *,
    institution_id: int,
    window: Window,
    status: RechargeStatus | None = None,
) -> tuple[list[Recharge], int]:
    return await _list_orders(
        session, Recharge, institution_id=institution_id, window=window, status=status
    )


async def approve_recharge(
    session: AsyncSession, *, recharge_biz_id: str, actor: Actor, institution_id: int | None = None
) -> Recharge:
    """Credit the wallet (once; a second approval is `ORDER.INVALID_STATE`)."""
    recharge = await _order(
        session, Recharge, biz_id=recharge_biz_id, institution_id=institution_id
    )
    await recharge_service.approve(session, recharge=recharge)
    await _audit(session, actor, recharge.institution_id, "recharge.approve", recharge)
    return recharge


async def reject_recharge(
    session: AsyncSession,
    *,
    recharge_biz_id: str,
    reason: str | None,
    actor: Actor,
    institution_id: int | None = None,
) -> Recharge:
    recharge = await _order(
        session, Recharge, biz_id=recharge_biz_id, institution_id=institution_id
    )
    await recharge_service.reject(session, recharge=recharge, reason=reason and reason[:REASON_MAX])
    await _audit(session, actor, recharge.institution_id, "recharge.reject", recharge)
    return recharge


# --- withdrawals -----------------------------------------------------------------------------


async def list_withdrawals(
    session: AsyncSession,
    *,
    institution_id: int,
    window: Window,
    status: WithdrawalStatus | None = None,
) -> tuple[list[Withdrawal], int]:
    return await _list_orders(
        session, Withdrawal, institution_id=institution_id, window=window, status=status
    )


async def complete_withdrawal(
    session: AsyncSession,
    *,
    withdrawal_biz_id: str,
    actor: Actor,
    institution_id: int | None = None,
) -> Withdrawal:
    """Pay the frozen amount out (once)."""
    withdrawal = await _order(
        session, Withdrawal, biz_id=withdrawal_biz_id, institution_id=institution_id
    )
    await withdrawal_service.complete(session, withdrawal=withdrawal)
    await _audit(session, actor, withdrawal.institution_id, "withdrawal.complete", withdrawal)
    return withdrawal


async def reject_withdrawal(
    session: AsyncSession,
    *,
    withdrawal_biz_id: str,
    reason: str | None,
    actor: Actor,
    institution_id: int | None = None,
) -> Withdrawal:
    """Release the frozen amount back to the wallet."""
    withdrawal = await _order(
        session, Withdrawal, biz_id=withdrawal_biz_id, institution_id=institution_id
    )
    await withdrawal_service.reject(
        session, withdrawal=withdrawal, reason=reason and reason[:REASON_MAX]
    )
    await _audit(session, actor, withdrawal.institution_id, "withdrawal.reject", withdrawal)
    return withdrawal


async def _audit(
    session: AsyncSession, actor: Actor, institution_id: int, action: str, order: Any
) -> None:
    await audit.record(
        session,
        institution_id=institution_id,
        actor=actor,
        action=action,
        target_type=action.split(".", 1)[0],
        target_id=order.biz_id,
        outcome=str(getattr(order, "status", "")) or None,
    )


# --- FX rates --------------------------------------------------------------------------------


async def list_rates(session: AsyncSession, *, institution_id: int) -> list[FxRate]:
    rows = await session.execute(
        select(FxRate)
        .where(FxRate.institution_id == institution_id)
        .order_by(FxRate.base_currency, FxRate.quote_currency)
    )
    return list(rows.scalars())


async def set_rate(
    session: AsyncSession,
    *,
    institution_id: int,
    base: str,
    quote: str,
    rate: Decimal,
    spread_bps: int,
    fee_bps: int,
    actor: Actor,
) -> FxRate:
    """Set (or replace) the mid rate BASE→QUOTE with its spread and fee."""
    if not rate.is_finite() or rate >= MAX_MAJOR_UNITS:
        raise InvalidParameter()
    found = await exchange_service.set_rate(
        session,
        institution_id=institution_id,
        base=base,
        quote=quote,
        rate=rate,
        spread_bps=spread_bps,
        fee_bps=fee_bps,
    )
    await audit.record(
        session,
        institution_id=institution_id,
        actor=actor,
        action="fx.set",
        target_type="fx_rate",
        target_id=f"{found.base_currency}/{found.quote_currency}",
        outcome=found.rate,
    )
    return found


# --- recharge channels -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RechargeChannelChanges:
    """What an update sets (None: left as it is; `clear_max_amount` removes the limit)."""

    name: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    clear_max_amount: bool = False
    fee_bps: int | None = None
    fixed_fee: Decimal | None = None
    instructions: str | None = None
    enabled: bool | None = None


async def list_recharge_channels(
    session: AsyncSession, *, institution_id: int
) -> list[RechargeChannel]:
    """Every channel of the institution, disabled ones too (the portals list enabled ones)."""
    return await recharge_service.list_channels(
        session, institution_id=institution_id, include_disabled=True
    )


async def _recharge_channel(
    session: AsyncSession, *, institution_id: int, channel_biz_id: str
) -> RechargeChannel:
    channel = (
        await session.execute(
            select(RechargeChannel).where(
                RechargeChannel.institution_id == institution_id,
                RechargeChannel.biz_id == channel_biz_id[:MAX_BIZ_ID],
            )
        )
    ).scalar_one_or_none()
    if channel is None:
        raise NotFound()
    return channel


def _fee_bps(value: int) -> int:
    if not 0 <= value < 10_000:
        raise InvalidParameter()
    return value


def _minor_or_zero(amount: Decimal, scale: int) -> int:
    return 0 if amount == 0 else to_minor(amount, scale)


async def create_recharge_channel(
    session: AsyncSession,
    *,
    institution_id: int,
    currency: str,
    name: str,
    channel_type: ChannelType,
    min_amount: Decimal,
    max_amount: Decimal | None,
    fee_bps: int,
    fixed_fee: Decimal,
    instructions: str | None,
    actor: Actor,
) -> RechargeChannel:
    found = await enabled_currency(session, currency)
    min_minor = to_minor(min_amount, found.scale)
    if max_amount is not None and to_minor(max_amount, found.scale) < min_minor:
        raise InvalidParameter()
    _minor_or_zero(fixed_fee, found.scale)
    channel = await recharge_service.add_channel(
        session,
        institution_id=institution_id,
        currency=found.code,
        scale=found.scale,
        name=name,
        channel_type=channel_type,
        min_amount=min_amount,
        max_amount=max_amount,
        fee_bps=_fee_bps(fee_bps),
        fixed_fee=fixed_fee,
        instructions=instructions,
    )
    await _channel_audit(session, actor, institution_id, "recharge_channel.create", channel.biz_id)
    return channel


async def update_recharge_channel(
    session: AsyncSession,
    *,
    institution_id: int,
    channel_biz_id: str,
    changes: RechargeChannelChanges,
    actor: Actor,
) -> RechargeChannel:
    channel = await _recharge_channel(
        session, institution_id=institution_id, channel_biz_id=channel_biz_id
    )
    scale = (await enabled_currency(session, channel.currency)).scale
    min_amount = channel.min_amount
    if changes.min_amount is not None:
        min_amount = to_minor(changes.min_amount, scale)
    max_amount = channel.max_amount
    if changes.clear_max_amount:
        max_amount = None
    elif changes.max_amount is not None:
        max_amount = to_minor(changes.max_amount, scale)
    if max_amount is not None and max_amount < min_amount:
        raise InvalidParameter()
    channel.min_amount, channel.max_amount = min_amount, max_amount
    if changes.name is not None:
        channel.channel_name = changes.name
    if changes.fee_bps is not None:
        channel.fee_bps = _fee_bps(changes.fee_bps)
    if changes.fixed_fee is not None:
        channel.fixed_fee = _minor_or_zero(changes.fixed_fee, scale)
    if changes.instructions is not None:
        channel.instructions = changes.instructions
    if changes.enabled is not None:
        channel.enabled = changes.enabled
    await session.flush()
    await _channel_audit(session, actor, institution_id, "recharge_channel.update", channel.biz_id)
    return channel


async def _channel_audit(
    session: AsyncSession, actor: Actor, institution_id: int, action: str, biz_id: str
) -> None:
    await audit.record(
        session,
        institution_id=institution_id,
        actor=actor,
        action=action,
        target_type=action.split(".", 1)[0],
        target_id=biz_id,
    )


# --- withdrawal channels (the customers' saved payout destinations) --------------------------


@dataclass(frozen=True, slots=True)
class WithdrawalChannelChanges:
    channel_name: str | None = None
    account_name: str | None = None
    account_number: str | None = None
    bank_name: str | None = None
    bank_code: str | None = None
    country: str | None = None
    network: str | None = None
    address: str | None = None
    is_default: bool | None = None


async def list_withdrawal_channels(
    session: AsyncSession,
    *,
    institution_id: int,
    window: Window,
    workspace_biz_id: str | None = None,
) -> tuple[list[WithdrawalChannel], int]:
    owner = select(Workspace.id).where(Workspace.institution_id == institution_id)
    if workspace_biz_id is not None:
        owner = owner.where(Workspace.biz_id == workspace_biz_id[:MAX_BIZ_ID])
    statement = across_workspaces(
        select(WithdrawalChannel)
        .where(WithdrawalChannel.workspace_id.in_(owner))
        .order_by(WithdrawalChannel.id.desc()),
        BACK_OFFICE,
    )
    return await fetch(session, statement, window, WithdrawalChannel.created_at)


async def create_withdrawal_channel(
    session: AsyncSession,
    *,
    institution_id: int,
    workspace_biz_id: str,
    body: Destination,
    actor: Actor,
) -> WithdrawalChannel:
    """Save a payout destination for a customer's workspace (on its behalf)."""
    workspace = (
        await session.execute(
            select(Workspace).where(
                Workspace.institution_id == institution_id,
                Workspace.biz_id == workspace_biz_id[:MAX_BIZ_ID],
            )
        )
    ).scalar_one_or_none()
    if workspace is None:
        raise NotFound()
    channel = await withdrawal_service.create_channel(session, workspace=workspace, body=body)
    await _channel_audit(
        session, actor, institution_id, "withdrawal_channel.create", channel.biz_id
    )
    return channel


async def update_withdrawal_channel(
    session: AsyncSession,
    *,
    institution_id: int,
    channel_biz_id: str,
    changes: WithdrawalChannelChanges,
    actor: Actor,
) -> WithdrawalChannel:
    """Correct a saved destination; bank fields only on a bank channel, network and address
    only on a crypto one."""
    channel = await _order(
        session, WithdrawalChannel, biz_id=channel_biz_id, institution_id=institution_id
    )
    bank = channel.channel_type == ChannelType.BANK_TRANSFER
    bank_fields = (changes.account_name, changes.account_number, changes.bank_name)
    crypto_fields = (changes.network, changes.address)
    if any(v is not None for v in (crypto_fields if bank else (*bank_fields, changes.bank_code))):
        raise InvalidParameter()
    for name in (
        "channel_name",
        "account_name",
        "account_number",
        "bank_name",
        "bank_code",
        "country",
        "network",
        "address",
    ):
        value = getattr(changes, name)
        if value is not None:
            setattr(channel, name, value)
    if changes.is_default:
        await withdrawal_service.make_default(session, channel=channel)
    elif changes.is_default is False:
        channel.is_default = False
    channel.updated_at = utcnow()
    await session.flush()
    await _channel_audit(
        session, actor, institution_id, "withdrawal_channel.update", channel.biz_id
    )
    return channel


async def workspace_biz_ids(session: AsyncSession, workspace_ids: set[int]) -> dict[int, str]:
    rows = await session.execute(
        select(Workspace.id, Workspace.biz_id).where(Workspace.id.in_(workspace_ids))
    )
    return {int(workspace_id): str(biz_id) for workspace_id, biz_id in rows.all()}


async def consumer_wallets(session: AsyncSession, *, account_id: int) -> list[Wallet]:
    """The wallets of every workspace the consumer owns (LIVE and SANDBOX)."""
    owned = select(WorkspaceMember.workspace_id).where(
        WorkspaceMember.account_id == account_id, WorkspaceMember.is_owner.is_(True)
    )
    rows = await session.execute(
        across_workspaces(
            select(Wallet).where(Wallet.workspace_id.in_(owned)).order_by(Wallet.id), BACK_OFFICE
        )
    )
    return list(rows.scalars())
