"""Wallets of a workspace: find, create on first use, and read their flows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from portico.db import utcnow
from portico.enums import FlowBizType, FlowDirection, WalletStatus, WalletType
from portico.envelope import Pagination
from portico.errors import NotFound
from portico.ids import new_biz_id
from portico.ledger.models import LedgerEntry
from portico.ledger.service import AVAILABLE
from portico.money import currency_scales, get_currency, to_wire
from portico.paging import PageParams, fetch_page
from portico.wallets.errors import WalletClosed, WalletFrozen
from portico.wallets.models import Wallet
from portico.wallets.schemas import WalletFlowOut
from portico.workspaces.models import Workspace
from portico.workspaces.scope import get_in_workspace, scoped


async def list_wallets(session: AsyncSession, *, workspace_id: int) -> list[Wallet]:
    statement = select(Wallet).order_by(Wallet.id)
    rows = await session.execute(scoped(statement, Wallet, workspace_id))
    return list(rows.scalars())


async def get_wallet(session: AsyncSession, *, workspace_id: int, wallet_biz_id: str) -> Wallet:
    """A wallet of the workspace by `bizId`; another workspace's is `404`, as is an unknown id."""
    return await get_in_workspace(session, Wallet, workspace_id=workspace_id, biz_id=wallet_biz_id)


async def wallet_filter(
    session: AsyncSession, *, workspace_id: int, wallet_biz_id: str | None
) -> Wallet | None:
    """The wallet a list is filtered by (`walletBizId`): one of the workspace's, else `404`
    like any other foreign or unknown id; None when the list is not filtered."""
    if wallet_biz_id is None:
        return None
    return await get_wallet(session, workspace_id=workspace_id, wallet_biz_id=wallet_biz_id)


async def find_wallet(session: AsyncSession, *, workspace_id: int, currency: str) -> Wallet | None:
    statement = select(Wallet).where(Wallet.currency == currency)
    return (await session.execute(scoped(statement, Wallet, workspace_id))).scalar_one_or_none()


async def wallet_for(session: AsyncSession, *, workspace: Workspace, currency: str) -> Wallet:
    """The workspace's wallet of `currency`, created on first use.

    Two requests creating the same wallet at once both end with the one row: the insert
    skips on the unique (workspace, currency) key and the row is read back.
    """
    found = await find_wallet(session, workspace_id=workspace.id, currency=currency)
    if found is not None:
        return found
    code = (await get_currency(session, currency)).code
    now = utcnow()
    values = {
        "biz_id": new_biz_id(),
        "workspace_id": workspace.id,
        "institution_id": workspace.institution_id,
        "currency": code,
        "name": f"{code} Wallet",
        "wallet_type": WalletType.STANDARD.value,
        "status": WalletStatus.ACTIVE.value,
        "available": 0,
        "frozen": 0,
        "flows_since": 0,
        "created_at": now,
        "updated_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        insert(Wallet)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["workspace_id", "currency"])
    )
    wallet = await find_wallet(session, workspace_id=workspace.id, currency=code)
    if wallet is None:  # pragma: no cover - the row exists after the insert
        raise NotFound()
    return wallet


def ensure_active(*wallets: Wallet) -> None:
    """Refuse to move money through a closed (its owner deleted) or frozen wallet."""
    if any(wallet.status == WalletStatus.CLOSED for wallet in wallets):
        raise WalletClosed()
    if any(wallet.status != WalletStatus.ACTIVE for wallet in wallets):
        raise WalletFrozen()


async def scale_of(session: AsyncSession, currency: str) -> int:
    scales = await currency_scales(session, currency)
    if currency not in scales:
        raise NotFound()
    return scales[currency]


async def list_flows(
    session: AsyncSession, *, wallet: Wallet, params: PageParams, biz_type: FlowBizType | None
) -> tuple[list[WalletFlowOut], Pagination]:
    """The wallet's view of its ledger entries (available bucket), newest first."""
    statement = (
        select(LedgerEntry)
        .where(
            LedgerEntry.wallet_id == wallet.id,
            LedgerEntry.account == AVAILABLE,
            LedgerEntry.id > wallet.flows_since,
        )
        .order_by(LedgerEntry.id.desc())
    )
    if biz_type is not None:
        statement = statement.where(LedgerEntry.biz_type == biz_type.value)
    entries, pagination = await fetch_page(
        session, scoped(statement, LedgerEntry, wallet.workspace_id), params, LedgerEntry.created_at
    )
    scale = await scale_of(session, wallet.currency)
    items = [
        WalletFlowOut(
            biz_id=f"fl{entry.id:014d}",
            wallet_biz_id=wallet.biz_id,
            direction=FlowDirection.IN if entry.amount > 0 else FlowDirection.OUT,
            biz_type=FlowBizType(entry.biz_type),
            biz_order_id=entry.order_biz_id,
            amount=to_wire(abs(entry.amount), scale),
            balance_before=to_wire(entry.balance_before or 0, scale),
            balance_after=to_wire(entry.balance_after or 0, scale),
            currency=entry.currency,
            remark=entry.remark,
            created_at=entry.created_at,
        )
        for entry in entries
    ]
    return items, pagination
