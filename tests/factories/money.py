"""Money factories: funded wallets, recharge channels, FX rates, withdrawal channels."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger, bindparam, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.db import UTCDateTime, utcnow
from portico.enums import ChannelType, FlowBizType
from portico.exchanges import service as exchange_service
from portico.ids import new_biz_id
from portico.ledger import service as ledger
from portico.ledger.models import LedgerEntry, LedgerPosting
from portico.ledger.service import AVAILABLE, SETTLEMENT, Leg
from portico.money import enabled_currency, to_minor
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
    scale = (await enabled_currency(session, currency)).scale
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
    scale = (await enabled_currency(session, currency)).scale
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


async def add_flows(
    session: AsyncSession, *, wallet: Wallet, count: int, amount: int = 100
) -> None:
    """`count` credits of `amount` minor units to the wallet in one statement (a large history
    for exports and benchmarks), balanced by one settlement entry; the wallet's cached balance
    follows."""
    posting = LedgerPosting(
        biz_id=new_biz_id(),
        institution_id=wallet.institution_id,
        posting_type="TEST_HISTORY",
        order_biz_id=None,
        created_at=utcnow(),
    )
    session.add(posting)
    await session.flush()
    start = wallet.available
    await session.execute(
        text(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
            "INSERT INTO ledger_entries (posting_id, institution_id, currency, account, wallet_id,"
            " workspace_id, amount, balance_before, balance_after, biz_type, order_biz_id,"
            " remark, created_at) "
            "SELECT :posting, :institution, :currency, :account, :wallet, :workspace, :amount,"
            " :start + (i - 1) * :amount, :start + i * :amount, 'RECHARGE', :order, 'history',"
            " :created FROM n"
        ).bindparams(
            bindparam("count", type_=BigInteger()),
            bindparam("amount", type_=BigInteger()),
            bindparam("start", type_=BigInteger()),
            bindparam("created", type_=UTCDateTime()),
        ),
        {
            "count": count,
            "posting": posting.id,
            "institution": wallet.institution_id,
            "currency": wallet.currency,
            "account": AVAILABLE,
            "wallet": wallet.id,
            "workspace": wallet.workspace_id,
            "amount": amount,
            "start": start,
            "order": "hist",
            "created": utcnow(),
        },
    )
    session.add(
        LedgerEntry(
            posting_id=posting.id,
            institution_id=wallet.institution_id,
            currency=wallet.currency,
            account=SETTLEMENT,
            amount=-count * amount,
            biz_type=FlowBizType.RECHARGE.value,
            created_at=utcnow(),
        )
    )
    await session.execute(
        update(Wallet).where(Wallet.id == wallet.id).values(available=start + count * amount)
    )
    await session.flush()
