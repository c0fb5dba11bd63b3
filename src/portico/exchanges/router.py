"""`/exchanges...`: quotes and currency exchanges between the workspace's wallets."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from portico.auth.deps import CurrentPrincipal
from portico.deps import SessionDep
from portico.envelope import Created, Envelope, Page, created, ok
from portico.errors import NotFound, raises
from portico.exchanges import service
from portico.exchanges.errors import QuoteExpired, QuoteUsed, RateUnavailable
from portico.exchanges.schemas import ExchangeIn, ExchangeOut, QuoteIn, QuoteOut
from portico.idempotency import service as idempotency
from portico.idempotency.errors import IdempotencyConflict
from portico.money import currency_scales
from portico.paging import PageDep, WalletFilter
from portico.wallets import service as wallet_service
from portico.wallets.errors import InsufficientBalance, WalletClosed, WalletFrozen
from portico.workspaces.deps import ExchangeRead, ExchangeWrite

router = APIRouter(tags=["exchanges"])


@router.get("/exchanges", response_model=Envelope[Page[ExchangeOut]])
@raises(NotFound)
async def list_exchanges(
    context: ExchangeRead,
    session: SessionDep,
    params: PageDep,
    wallet_biz_id: WalletFilter = None,
) -> Response:
    """The workspace's exchanges, newest first; `walletBizId` (one of the workspace's wallets,
    else 404) keeps those from or to that wallet."""
    wallet = await wallet_service.wallet_filter(
        session, workspace_id=context.workspace.id, wallet_biz_id=wallet_biz_id
    )
    exchanges, pagination = await service.list_exchanges(
        session, workspace_id=context.workspace.id, params=params, wallet=wallet
    )
    scales = await currency_scales(session)
    items = [ExchangeOut.from_row(e, scales) for e in exchanges]
    return ok(Page[ExchangeOut](items=items, pagination=pagination))


@router.post("/exchanges/quote", response_model=Envelope[QuoteOut])
@raises(RateUnavailable)
async def quote_exchange(
    body: QuoteIn, context: ExchangeWrite, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """Price an exchange; the quote can be executed once within 30 seconds."""
    quote = await service.create_quote(
        session,
        actor=principal.account,
        workspace=context.workspace,
        from_currency=body.from_currency,
        to_currency=body.to_currency,
        amount=body.amount,
        side=body.side,
    )
    return ok(QuoteOut.from_row(quote, await currency_scales(session)))


@router.post("/exchanges", response_model=Created[ExchangeOut], status_code=201)
@raises(
    NotFound,
    QuoteUsed,
    QuoteExpired,
    WalletFrozen,
    WalletClosed,
    InsufficientBalance,
    IdempotencyConflict,
)
async def create_exchange(
    body: ExchangeIn,
    request: Request,
    context: ExchangeWrite,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> Response:
    """Execute a quote at its price (once; an expired or used quote is refused); idempotent."""

    async def action() -> Response:
        exchange = await service.execute_quote(
            session,
            actor=principal.account,
            workspace=context.workspace,
            quote_biz_id=body.quote_id,
        )
        return created(ExchangeOut.from_row(exchange, await currency_scales(session)))

    return await idempotency.respond_once(
        session,
        request,
        workspace_id=context.workspace.id,
        account_id=principal.account.id,
        body=body,
        action=action,
    )


@router.get("/exchanges/{bizId}", response_model=Envelope[ExchangeOut])
@raises(NotFound)
async def get_exchange(bizId: str, context: ExchangeRead, session: SessionDep) -> Response:
    """One exchange of the workspace."""
    exchange = await service.get_exchange(
        session, workspace_id=context.workspace.id, exchange_biz_id=bizId
    )
    return ok(ExchangeOut.from_row(exchange, await currency_scales(session)))
