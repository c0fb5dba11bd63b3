"""Wallets of a workspace: find, create on first use, and read their flows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from portico.db import utcnow
from portico.enums import WalletStatus, WalletType
from portico.errors import NotFound
from portico.ids import new_biz_id
from portico.money import enabled_currency
from portico.tenancy import get_in_workspace, scoped
from portico.wallets.errors import WalletClosed, WalletFrozen
from portico.wallets.models import Wallet
from portico.workspaces.models import Workspace


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
    code = (await enabled_currency(session, currency)).code
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
