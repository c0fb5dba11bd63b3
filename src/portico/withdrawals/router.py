"""`/withdrawal-channels` and `/withdrawals...`: payout destinations and withdrawals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from portico.auth.deps import CurrentPrincipal
from portico.deps import SessionDep
from portico.enums import WithdrawalStatus
from portico.envelope import Created, Envelope, Page, created, ok
from portico.errors import NotFound, raises
from portico.idempotency import service as idempotency
from portico.idempotency.errors import IdempotencyConflict
from portico.ledger.errors import InvalidOrderState
from portico.money import currency_scales, scale_of
from portico.paging import PageDep, WalletFilter
from portico.wallets import service as wallet_service
from portico.wallets.errors import CurrencyMismatch, InsufficientBalance, WalletClosed, WalletFrozen
from portico.withdrawals import service
from portico.withdrawals.schemas import (
    WithdrawalChannelIn,
    WithdrawalChannelOut,
    WithdrawalCreateIn,
    WithdrawalOut,
)
from portico.workspaces.deps import WithdrawalRead, WithdrawalWrite

router = APIRouter(tags=["withdrawals"])


@router.get("/withdrawal-channels", response_model=Envelope[list[WithdrawalChannelOut]])
async def list_withdrawal_channels(context: WithdrawalRead, session: SessionDep) -> Response:
    """The workspace's payout destinations (account numbers masked), default first."""
    channels = await service.list_channels(session, workspace_id=context.workspace.id)
    return ok([WithdrawalChannelOut.from_row(c) for c in channels])


@router.post("/withdrawal-channels", response_model=Created[WithdrawalChannelOut], status_code=201)
async def create_withdrawal_channel(
    body: WithdrawalChannelIn, context: WithdrawalWrite, session: SessionDep
) -> Response:
    """Save a bank account or crypto address to withdraw to."""
    channel = await service.create_channel(
        session, workspace=context.workspace, body=body.destination()
    )
    return created(WithdrawalChannelOut.from_row(channel))


@router.get("/withdrawals", response_model=Envelope[Page[WithdrawalOut]])
@raises(NotFound)
async def list_withdrawals(
    context: WithdrawalRead,
    session: SessionDep,
    params: PageDep,
    status: Annotated[WithdrawalStatus | None, Query()] = None,
    wallet_biz_id: WalletFilter = None,
) -> Response:
    """The workspace's withdrawals, newest first; `walletBizId` (one of the workspace's
    wallets, else 404) keeps those out of that wallet."""
    wallet = await wallet_service.wallet_filter(
        session, workspace_id=context.workspace.id, wallet_biz_id=wallet_biz_id
    )
    withdrawals, pagination = await service.list_withdrawals(
        session, workspace_id=context.workspace.id, params=params, status=status, wallet=wallet
    )
    scales = await currency_scales(session)
    items = [WithdrawalOut.from_row(w, scales[w.currency]) for w in withdrawals]
    return ok(Page[WithdrawalOut](items=items, pagination=pagination))


@router.post("/withdrawals", response_model=Created[WithdrawalOut], status_code=201)
@raises(
    NotFound, CurrencyMismatch, WalletFrozen, WalletClosed, InsufficientBalance, IdempotencyConflict
)
async def create_withdrawal(
    body: WithdrawalCreateIn,
    request: Request,
    context: WithdrawalWrite,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> Response:
    """Withdraw to a saved channel: the amount is frozen until the issuer pays it out."""

    async def action() -> Response:
        withdrawal = await service.create_withdrawal(
            session,
            actor=principal.account,
            workspace=context.workspace,
            wallet_biz_id=body.wallet_biz_id,
            withdrawal_channel_biz_id=body.withdrawal_channel_biz_id,
            amount=body.amount,
            remark=body.remark,
        )
        return created(
            WithdrawalOut.from_row(withdrawal, await scale_of(session, withdrawal.currency))
        )

    return await idempotency.respond_once(
        session,
        request,
        workspace_id=context.workspace.id,
        account_id=principal.account.id,
        body=body,
        action=action,
    )


@router.get("/withdrawals/{bizId}", response_model=Envelope[WithdrawalOut])
@raises(NotFound)
async def get_withdrawal(bizId: str, context: WithdrawalRead, session: SessionDep) -> Response:
    """One withdrawal of the workspace."""
    withdrawal = await service.get_withdrawal(
        session, workspace_id=context.workspace.id, withdrawal_biz_id=bizId
    )
    return ok(WithdrawalOut.from_row(withdrawal, await scale_of(session, withdrawal.currency)))


@router.post("/withdrawals/{bizId}/cancel", response_model=Envelope[WithdrawalOut])
@raises(NotFound, InvalidOrderState)
async def cancel_withdrawal(bizId: str, context: WithdrawalWrite, session: SessionDep) -> Response:
    """Cancel a PENDING withdrawal; the frozen amount goes back to available."""
    withdrawal = await service.get_withdrawal(
        session, workspace_id=context.workspace.id, withdrawal_biz_id=bizId
    )
    await service.cancel(session, withdrawal=withdrawal)
    return ok(WithdrawalOut.from_row(withdrawal, await scale_of(session, withdrawal.currency)))
