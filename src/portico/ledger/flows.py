"""A wallet's flows: its ledger entries (available bucket) as the portals list them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.enums import FlowBizType, FlowDirection
from portico.envelope import Pagination
from portico.ledger.models import LedgerEntry
from portico.ledger.service import AVAILABLE
from portico.money import to_wire
from portico.paging import PageParams, fetch_page
from portico.tenancy import scoped
from portico.wallets.models import Wallet
from portico.wallets.schemas import WalletFlowOut
from portico.wallets.service import scale_of


async def list_wallet_flows(
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
