"""`/wallets...`: the workspace's wallets, balances and flows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from portico.deps import SessionDep
from portico.enums import FlowBizType, FlowDirection
from portico.envelope import Envelope, Page, ok
from portico.errors import NotFound, raises
from portico.ledger import flows as ledger_flows
from portico.money import scale_of, to_wire
from portico.paging import PageDep
from portico.wallets import service
from portico.wallets.schemas import WalletBalanceOut, WalletFlowOut, WalletOut
from portico.workspaces.deps import WalletRead

router = APIRouter(tags=["wallets"])


@router.get("/wallets", response_model=Envelope[list[WalletOut]])
async def list_wallets(context: WalletRead, session: SessionDep) -> Response:
    """The workspace's wallets, one per currency, oldest first."""
    wallets = await service.list_wallets(session, workspace_id=context.workspace.id)
    views = [
        WalletOut.from_row(
            w,
            workspace_biz_id=context.workspace.biz_id,
            scale=await scale_of(session, w.currency),
        )
        for w in wallets
    ]
    return ok(views)


@router.get("/wallets/{walletBizId}", response_model=Envelope[WalletOut])
@raises(NotFound)
async def get_wallet(walletBizId: str, context: WalletRead, session: SessionDep) -> Response:
    """One wallet of the workspace."""
    wallet = await service.get_wallet(
        session, workspace_id=context.workspace.id, wallet_biz_id=walletBizId
    )
    scale = await scale_of(session, wallet.currency)
    return ok(WalletOut.from_row(wallet, workspace_biz_id=context.workspace.biz_id, scale=scale))


@router.get("/wallets/{walletBizId}/balance", response_model=Envelope[WalletBalanceOut])
@raises(NotFound)
async def get_wallet_balance(
    walletBizId: str, context: WalletRead, session: SessionDep
) -> Response:
    """A wallet's available, frozen and total balance."""
    wallet = await service.get_wallet(
        session, workspace_id=context.workspace.id, wallet_biz_id=walletBizId
    )
    scale = await scale_of(session, wallet.currency)
    return ok(WalletBalanceOut.from_row(wallet, scale=scale))


@router.get("/wallets/{walletBizId}/flows", response_model=Envelope[Page[WalletFlowOut]])
@raises(NotFound)
async def list_wallet_flows(
    walletBizId: str,
    context: WalletRead,
    session: SessionDep,
    params: PageDep,
    biz_type: Annotated[FlowBizType | None, Query(alias="bizType")] = None,
) -> Response:
    """The wallet's movements, newest first, with the balance before and after each."""
    wallet = await service.get_wallet(
        session, workspace_id=context.workspace.id, wallet_biz_id=walletBizId
    )
    entries, pagination = await ledger_flows.list_wallet_flows(
        session, wallet=wallet, params=params, biz_type=biz_type
    )
    scale = await scale_of(session, wallet.currency)
    items = [
        WalletFlowOut(
            biz_id=f"fl{entry.id:014d}",
            wallet_biz_id=wallet.biz_id,
            direction=FlowDirection.IN if entry.amount > 0 else FlowDirection.OUT,
            biz_type=entry.biz_type,
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
    return ok(Page[WalletFlowOut](items=items, pagination=pagination))
