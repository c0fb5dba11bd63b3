"""A wallet's flows: its ledger entries (available bucket), as the portals list them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.enums import FlowBizType
from portico.envelope import Pagination
from portico.ledger.models import LedgerEntry
from portico.ledger.service import AVAILABLE
from portico.paging import PageParams, fetch_page
from portico.tenancy import scoped
from portico.wallets.models import Wallet


async def list_wallet_flows(
    session: AsyncSession, *, wallet: Wallet, params: PageParams, biz_type: FlowBizType | None
) -> tuple[list[LedgerEntry], Pagination]:
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
    return list(entries), pagination
