"""Transfers: consumer `/transfer/...`, partner `/transfers/...` (one set of routes, two
prefixes; the consumer also has `query/orders/wallet/{walletBizId}`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from portico.auth.deps import CurrentPrincipal
from portico.db import in_a_transaction, single_statement
from portico.deps import SessionDep
from portico.enums import TransferStatus
from portico.envelope import Created, Envelope, Page, Pagination, created, ok, stored_answer
from portico.errors import NotFound, raises
from portico.idempotency import service as idempotency
from portico.idempotency.errors import IdempotencyConflict
from portico.money import currency_scales, scale_of
from portico.paging import PageDep, WalletFilter
from portico.transfers import service
from portico.transfers.schemas import TransferCreateIn, TransferOrderOut, booked_answer
from portico.wallets import service as wallet_service
from portico.wallets.errors import CurrencyMismatch, InsufficientBalance, WalletClosed, WalletFrozen
from portico.wallets.models import Wallet
from portico.workspaces.deps import TransferRead, TransferWrite


def payment_of(body: TransferCreateIn) -> service.Payment:
    """The transfer the body asks for, as the service takes it."""
    return service.Payment(
        from_wallet_biz_id=body.from_wallet_biz_id,
        to_wallet_biz_id=body.to_wallet_biz_id,
        to_account_email=body.to_account_email,
        amount=body.amount,
        currency=body.currency,
        remark=body.remark,
        client_reference=body.client_reference,
    )


def build_router(prefix: str, *, with_wallet_orders: bool) -> APIRouter:
    """The transfer routes under `prefix` (`/transfer` or `/transfers`)."""
    router = APIRouter(prefix=prefix, tags=["transfers"])

    @router.post("/command/create", response_model=Created[TransferOrderOut], status_code=201)
    @single_statement
    @raises(
        NotFound,
        CurrencyMismatch,
        WalletFrozen,
        WalletClosed,
        InsufficientBalance,
        IdempotencyConflict,
    )
    async def create_transfer(
        body: TransferCreateIn,
        request: Request,
        context: TransferWrite,
        principal: CurrentPrincipal,
        session: SessionDep,
    ) -> Response:
        """Pay another wallet or account of the institution (same currency); idempotent."""
        payment = payment_of(body)

        async def action() -> Response:
            order = await service.create_transfer(
                session, actor=principal.account, workspace=context.workspace, payment=payment
            )
            return created(
                TransferOrderOut.from_row(order, scale=await scale_of(session, order.currency))
            )

        async def book(key: str | None, request_hash: str) -> Response | None:
            answer = await service.book_transfer(
                session,
                actor=principal.account,
                workspace=context.workspace,
                payment=payment,
                key=key,
                request_hash=request_hash,
                template=booked_answer,
            )
            if answer is None:  # a replay, or the Python path: in a transaction
                await in_a_transaction(session)
                return None
            return stored_answer(answer, 201)

        # PostgreSQL books a payment to a wallet in one statement (its key's claim and stored
        # answer included); SQLite, and a payment to an account by email, go through `action`.
        fast = body.to_wallet_biz_id is not None and service.books_in_one_call(session)
        if not fast:
            await in_a_transaction(session)
        return await idempotency.respond_once(
            session,
            request,
            workspace_id=context.workspace.id,
            account_id=principal.account.id,
            body=body,
            action=action,
            client_reference=body.client_reference,
            book=book if fast else None,
        )

    async def _page(
        session: SessionDep,
        workspace_id: int,
        params: PageDep,
        status: TransferStatus | None,
        wallet: Wallet | None,
    ) -> Response:
        orders, pagination = await service.list_orders(
            session, workspace_id=workspace_id, params=params, status=status, wallet=wallet
        )
        scales = await currency_scales(session)
        items = [TransferOrderOut.from_row(o, scale=scales[o.currency]) for o in orders]
        return ok(Page[TransferOrderOut](items=items, pagination=pagination))

    @router.get("/query/orders", response_model=Envelope[Page[TransferOrderOut]])
    @raises(NotFound)
    async def list_transfer_orders(
        context: TransferRead,
        session: SessionDep,
        params: PageDep,
        status: Annotated[TransferStatus | None, Query()] = None,
        wallet_biz_id: WalletFilter = None,
    ) -> Response:
        """Transfers the workspace sent or received, newest first; `walletBizId` (one of the
        workspace's wallets, else 404) keeps those in or out of that wallet."""
        wallet = await wallet_service.wallet_filter(
            session, workspace_id=context.workspace.id, wallet_biz_id=wallet_biz_id
        )
        return await _page(session, context.workspace.id, params, status, wallet)

    if with_wallet_orders:

        @router.get(
            "/query/orders/wallet/{walletBizId}",
            response_model=Envelope[Page[TransferOrderOut]],
        )
        async def list_wallet_transfer_orders(
            walletBizId: str, context: TransferRead, session: SessionDep, params: PageDep
        ) -> Response:
            """Transfers in or out of one of the workspace's wallets. Any other id, unknown or
            another workspace's alike, has none: the documented empty page."""
            try:
                wallet = await wallet_service.get_wallet(
                    session, workspace_id=context.workspace.id, wallet_biz_id=walletBizId
                )
            except NotFound:
                return ok(Page[TransferOrderOut](items=[], pagination=Pagination.unpaged(0)))
            return await _page(session, context.workspace.id, params, None, wallet)

    @router.get("/query/orders/{transferBizId}", response_model=Envelope[TransferOrderOut])
    @raises(NotFound)
    async def get_transfer_order(
        transferBizId: str, context: TransferRead, session: SessionDep
    ) -> Response:
        """One transfer the workspace sent or received."""
        order = await service.get_order(
            session, workspace_id=context.workspace.id, order_biz_id=transferBizId
        )
        return ok(TransferOrderOut.from_row(order, scale=await scale_of(session, order.currency)))

    @router.get("/query/orders/{transferBizId}/completed", response_model=Envelope[bool])
    async def is_transfer_completed(
        transferBizId: str, context: TransferRead, session: SessionDep
    ) -> Response:
        """`true` only for a completed transfer; `false` for any other, or an unknown id."""
        order = await service.find_order(
            session, workspace_id=context.workspace.id, order_biz_id=transferBizId
        )
        return ok(order is not None and order.status == TransferStatus.COMPLETED)

    return router


consumer_router = build_router("/transfer", with_wallet_orders=True)
partner_router = build_router("/transfers", with_wallet_orders=False)
