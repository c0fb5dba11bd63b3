"""Money factories: funded wallets, recharge channels, FX rates, withdrawal channels."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from portico.enums import ChannelType, FlowBizType
from portico.exchanges import service as exchange_service
from portico.ids import new_biz_id
from portico.ledger import service as ledger
from portico.ledger.service import SETTLEMENT, Leg
from portico.money import get_currency, to_minor
from portico.recharges import service as recharge_service
from portico.recharges.models import RechargeChannel
from portico.wallets import service as wallet_service
from portico.wallets.models import Wallet
from portico.withdrawals.models import WithdrawalChannel
from portico.workspaces.models import Workspace


async def fund_wallet(
    session: AsyncSession, *, workspace: Workspace, currency: str = "USD", amount: str = "100"
) -> Wallet:
    """The workspace's wallet of `currency`, credited `amount` from the settlement account
    (what an approved recharge does)."""
    scale = (await get_currency(session, currency)).scale
    wallet = await wallet_service.wallet_for(session, workspace=workspace, currency=currency)
    wallet = (await ledger.lock_wallets(session, (wallet.id,)))[wallet.id]
    minor = to_minor(Decimal(amount), scale)
    await ledger.post(
        session,
        institution_id=workspace.institution_id,
        posting_type="TEST_FUNDING",
        order_biz_id=None,
        legs=[
            Leg(currency, -minor, FlowBizType.RECHARGE, account=SETTLEMENT),
            Leg(currency, minor, FlowBizType.RECHARGE, wallet),
        ],
    )
    return wallet


async def create_recharge_channel(
    session: AsyncSession,
    *,
    institution_id: int,
    currency: str = "USD",
    fee_bps: int = 0,
    fixed_fee: str = "0",
    min_amount: str = "1",
    max_amount: str | None = "10000",
) -> RechargeChannel:
    scale = (await get_currency(session, currency)).scale
    return await recharge_service.add_channel(
        session,
        institution_id=institution_id,
        currency=currency,
        scale=scale,
        name=f"{currency} bank",
        channel_type=ChannelType.BANK_TRANSFER,
        min_amount=Decimal(min_amount),
        max_amount=Decimal(max_amount) if max_amount else None,
        fee_bps=fee_bps,
        fixed_fee=Decimal(fixed_fee),
        instructions="Pay to account 123",
    )


async def set_rate(
    session: AsyncSession,
    *,
    institution_id: int,
    base: str = "USD",
    quote: str = "EUR",
    rate: str = "0.9",
    spread_bps: int = 0,
    fee_bps: int = 0,
) -> None:
    await exchange_service.set_rate(
        session,
        institution_id=institution_id,
        base=base,
        quote=quote,
        rate=Decimal(rate),
        spread_bps=spread_bps,
        fee_bps=fee_bps,
    )


async def create_withdrawal_channel(
    session: AsyncSession, *, workspace: Workspace, currency: str = "USD"
) -> WithdrawalChannel:
    channel = WithdrawalChannel(
        biz_id=new_biz_id(),
        workspace_id=workspace.id,
        channel_type=ChannelType.BANK_TRANSFER,
        channel_name="My bank",
        currency=currency,
        account_name="Alice",
        account_number="GB00123456781234",
        bank_name="Bank",
        is_default=True,
    )
    session.add(channel)
    await session.flush()
    return channel
