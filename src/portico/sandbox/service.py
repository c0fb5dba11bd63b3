"""Sandbox workspaces: test balances at creation, and `sandbox/reset`.

The ledger stays append-only through a reset: pending orders are cancelled (releasing frozen
funds), every wallet is brought to zero by an ADJUSTMENT against the institution's SANDBOX
account, the workspace's own orders are deleted and the transfers it sent or received are hidden
from it (the other side keeps them), its wallets' flow history is hidden (the entries stay and
the books still balance), and the test balances are posted again.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.enums import FlowBizType, WithdrawalStatus, WorkspaceKind
from portico.errors import PermissionDenied
from portico.exchanges.models import Exchange, ExchangeQuote
from portico.ledger import service as ledger
from portico.ledger.models import LedgerEntry
from portico.ledger.service import SANDBOX, Leg
from portico.money import enabled_currency, to_minor
from portico.recharges.models import Recharge
from portico.tenancy import across_workspaces, scoped
from portico.transfers.models import TransferOrder
from portico.wallets import service as wallet_service
from portico.withdrawals import service as withdrawal_service
from portico.withdrawals.models import Withdrawal
from portico.workspaces.models import Workspace

# The test balances of a new or reset sandbox workspace.
TEST_BALANCES: dict[str, Decimal] = {
    "USD": Decimal("10000"),
    "EUR": Decimal("10000"),
    "USDT": Decimal("10000"),
}


async def seed(session: AsyncSession, *, workspace: Workspace) -> None:
    """Credit the test balances to a sandbox workspace's wallets."""
    for code, amount in TEST_BALANCES.items():
        currency = await enabled_currency(session, code)
        wallet = await wallet_service.wallet_for(session, workspace=workspace, currency=code)
        wallet = (await ledger.lock_wallets(session, (wallet.id,)))[wallet.id]
        minor = to_minor(amount, currency.scale)
        await ledger.post(
            session,
            institution_id=workspace.institution_id,
            posting_type="SANDBOX_SEED",
            order_biz_id=None,
            legs=[
                Leg(code, -minor, FlowBizType.ADJUSTMENT, account=SANDBOX),
                Leg(code, minor, FlowBizType.ADJUSTMENT, wallet, remark="sandbox test balance"),
            ],
        )


async def reset(session: AsyncSession, *, workspace: Workspace) -> None:
    """Wipe the sandbox workspace's orders, flows and balances, and reseed it."""
    if workspace.kind != WorkspaceKind.SANDBOX:
        raise PermissionDenied()
    wallets = await wallet_service.list_wallets(session, workspace_id=workspace.id)
    await ledger.lock_wallets(session, (w.id for w in wallets))
    pending = await session.execute(
        scoped(
            select(Withdrawal).where(Withdrawal.status == WithdrawalStatus.PENDING),
            Withdrawal,
            workspace.id,
        )
    )
    for withdrawal in pending.scalars().all():
        await withdrawal_service.cancel(session, withdrawal=withdrawal)
    wallets = list((await ledger.lock_wallets(session, (w.id for w in wallets))).values())
    for wallet in wallets:
        if wallet.available:
            await ledger.post(
                session,
                institution_id=workspace.institution_id,
                posting_type="SANDBOX_RESET",
                order_biz_id=None,
                legs=[
                    Leg(wallet.currency, -wallet.available, FlowBizType.ADJUSTMENT, wallet),
                    Leg(wallet.currency, wallet.available, FlowBizType.ADJUSTMENT, account=SANDBOX),
                ],
            )
    for model in (Exchange, ExchangeQuote, Recharge, Withdrawal):
        await session.execute(scoped(delete(model), model, workspace.id))
    # Transfers have two sides: hide them from this workspace only (the other keeps its history).
    await session.execute(
        scoped(update(TransferOrder), TransferOrder, workspace.id)
        .values(payer_hidden=True)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        across_workspaces(
            update(TransferOrder).where(TransferOrder.payee_workspace_id == workspace.id),
            "transfers the sandbox workspace received",
        )
        .values(payee_hidden=True)
        .execution_options(synchronize_session=False)
    )
    last_entry = (
        await session.execute(
            across_workspaces(select(func.max(LedgerEntry.id)), "the newest entry id")
        )
    ).scalar_one()
    for wallet in wallets:
        wallet.flows_since = int(last_entry or 0)
    await session.flush()
    await seed(session, workspace=workspace)
