"""`/recharges...`: pay-in channels, quotes, and recharges of the workspace."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from portico.auth.deps import CurrentPrincipal
from portico.deps import SessionDep
from portico.enums import RechargeStatus
from portico.envelope import Created, Envelope, Page, created, ok
from portico.errors import NotFound, raises
from portico.files import service as file_service
from portico.idempotency import service as idempotency
from portico.idempotency.errors import IdempotencyConflict
from portico.ledger.errors import InvalidOrderState
from portico.money import currency_scales, scale_of, to_minor
from portico.paging import PageDep, WalletFilter
from portico.recharges import service
from portico.recharges.errors import AmountOutOfRange
from portico.recharges.schemas import (
    RechargeCancelIn,
    RechargeChannelOut,
    RechargeCreateIn,
    RechargeOut,
    RechargeProofIn,
    RechargeQuoteIn,
    RechargeQuoteOut,
)
from portico.wallets import service as wallet_service
from portico.wallets.errors import CurrencyMismatch
from portico.workspaces.deps import RechargeRead, RechargeWrite

router = APIRouter(tags=["recharges"])


@router.get("/recharges", response_model=Envelope[Page[RechargeOut]])
@raises(NotFound)
async def list_recharges(
    context: RechargeRead,
    session: SessionDep,
    params: PageDep,
    status: Annotated[RechargeStatus | None, Query()] = None,
    wallet_biz_id: WalletFilter = None,
) -> Response:
    """The workspace's recharges, newest first; `walletBizId` (one of the workspace's
    wallets, else 404) keeps those into that wallet."""
    wallet = await wallet_service.wallet_filter(
        session, workspace_id=context.workspace.id, wallet_biz_id=wallet_biz_id
    )
    recharges, pagination = await service.list_recharges(
        session, workspace_id=context.workspace.id, params=params, status=status, wallet=wallet
    )
    scales = await currency_scales(session)
    items = [RechargeOut.from_row(r, scales[r.currency]) for r in recharges]
    return ok(Page[RechargeOut](items=items, pagination=pagination))


@router.get("/recharges/available-channels", response_model=Envelope[list[RechargeChannelOut]])
async def list_recharge_channels(context: RechargeRead, session: SessionDep) -> Response:
    """The institution's pay-in channels, with limits, fees and payment instructions."""
    channels = await service.list_channels(session, institution_id=context.workspace.institution_id)
    scales = await currency_scales(session)
    return ok([RechargeChannelOut.from_row(c, scales[c.currency]) for c in channels])


@router.post("/recharges/quote", response_model=Envelope[RechargeQuoteOut])
@raises(NotFound, AmountOutOfRange)
async def quote_recharge(
    body: RechargeQuoteIn, context: RechargeWrite, session: SessionDep
) -> Response:
    """The fee and the credited amount for paying in `amount` through a channel."""
    channel = await service.get_channel(
        session, institution_id=context.workspace.institution_id, channel_biz_id=body.channel_biz_id
    )
    scale = await scale_of(session, channel.currency)
    return ok(
        RechargeQuoteOut.from_quote(service.quote(channel, to_minor(body.amount, scale)), scale)
    )


@router.post("/recharges", response_model=Created[RechargeOut], status_code=201)
@raises(NotFound, CurrencyMismatch, AmountOutOfRange, IdempotencyConflict)
async def create_recharge(
    body: RechargeCreateIn,
    request: Request,
    context: RechargeWrite,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> Response:
    """Announce a pay-in (PENDING); the wallet is credited when the issuer approves it."""

    async def action() -> Response:
        recharge = await service.create_recharge(
            session,
            actor=principal.account,
            workspace=context.workspace,
            channel_biz_id=body.channel_biz_id,
            amount=body.amount,
            wallet_biz_id=body.wallet_biz_id,
            currency=body.currency,
            remark=body.remark,
        )
        return created(RechargeOut.from_row(recharge, await scale_of(session, recharge.currency)))

    return await idempotency.respond_once(
        session,
        request,
        workspace_id=context.workspace.id,
        account_id=principal.account.id,
        body=body,
        action=action,
    )


@router.get("/recharges/{bizId}", response_model=Envelope[RechargeOut])
@raises(NotFound)
async def get_recharge(bizId: str, context: RechargeRead, session: SessionDep) -> Response:
    """One recharge of the workspace."""
    recharge = await service.get_recharge(
        session, workspace_id=context.workspace.id, recharge_biz_id=bizId
    )
    return ok(RechargeOut.from_row(recharge, await scale_of(session, recharge.currency)))


@router.post("/recharges/{bizId}/proof", response_model=Envelope[RechargeOut])
@raises(NotFound, InvalidOrderState)
async def attach_recharge_proof(
    bizId: str, body: RechargeProofIn, context: RechargeWrite, session: SessionDep
) -> Response:
    """Attach the payment proof (a `RECHARGE_PROOF` file of the workspace); the recharge goes
    UNDER_REVIEW."""
    recharge = await service.get_recharge(
        session, workspace_id=context.workspace.id, recharge_biz_id=bizId
    )
    proof = await file_service.get_proof(
        session, workspace_id=context.workspace.id, file_biz_id=body.file_biz_id
    )
    await service.attach_proof(session, recharge=recharge, file_biz_id=proof.biz_id)
    return ok(RechargeOut.from_row(recharge, await scale_of(session, recharge.currency)))


@router.post("/recharges/{bizId}/cancel", response_model=Envelope[RechargeOut])
@raises(NotFound, InvalidOrderState)
async def cancel_recharge(
    bizId: str, context: RechargeWrite, session: SessionDep, body: RechargeCancelIn | None = None
) -> Response:
    """Cancel a PENDING recharge."""
    recharge = await service.get_recharge(
        session, workspace_id=context.workspace.id, recharge_biz_id=bizId
    )
    await service.cancel(session, recharge=recharge, reason=body.cancel_reason if body else None)
    return ok(RechargeOut.from_row(recharge, await scale_of(session, recharge.currency)))
