"""`/issuers/{issuerId}/...`: the back office over HTTP, through the same service functions as
the `portico` CLI. Lists are windows (`offset`, `limit`, `startTime`, `endTime`, a status),
newest first; actions are `POST …/{id}:verb` (the custom-method form of `operations:delete`),
each idempotent with `Idempotency-Key` and recorded in the audit log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from portico.deps import SessionDep
from portico.enums import ChannelType, RechargeStatus, WithdrawalStatus
from portico.errors import NotFound
from portico.issuer import audit, idempotent, operations, partners, service
from portico.issuer.backoffice_schemas import (
    ConsumerLookupIn,
    ConsumerOut,
    FxRateIn,
    FxRateOut,
    IssuerRechargeChannelOut,
    IssuerRechargeOut,
    IssuerWithdrawalChannelOut,
    IssuerWithdrawalOut,
    PartnerOut,
    RechargeChannelCreateIn,
    RechargeChannelUpdateIn,
    RejectIn,
    WithdrawalChannelCreateIn,
    WithdrawalChannelUpdateIn,
)
from portico.issuer.deps import (
    AuditRead,
    ChannelsRead,
    ChannelsWrite,
    ConsumersRead,
    FxRead,
    FxWrite,
    IssuerCaller,
    PartnersRead,
    PartnersWrite,
    RechargesRead,
    RechargesWrite,
    WithdrawalsRead,
    WithdrawalsWrite,
)
from portico.issuer.operations_router import CORRELATION, ERRORS, IssuerId, json_response
from portico.issuer.paging import Window, WindowDep
from portico.issuer.schemas import AuditEventOut, ListOut
from portico.money import currency_scales, scale_of
from portico.recharges.models import Recharge, RechargeChannel
from portico.runtime import runtime_of
from portico.withdrawals.models import Withdrawal

router = APIRouter(prefix="/issuers/{issuerId}", responses=ERRORS)
ObjectId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
READ = {"parameters": CORRELATION["parameters"][:1]}
ACTION = CORRELATION


def _page(items: list[Any], window: Window, total: int) -> Response:
    return json_response(
        ListOut[Any](items=items, offset=window.offset, limit=window.limit, total=total)
    )


async def _once(
    session: SessionDep,
    request: Request,
    caller: IssuerCaller,
    body: BaseModel | None,
    act: Callable[[], Awaitable[BaseModel]],
    status: int = 200,
) -> Response:
    async def respond() -> Response:
        return json_response(await act(), status)

    return await idempotent.respond_once(session, request, caller, body, respond)


async def _recharge_out(session: SessionDep, row: Recharge) -> IssuerRechargeOut:
    return IssuerRechargeOut.from_row(row, await scale_of(session, row.currency))


async def _withdrawal_out(session: SessionDep, row: Withdrawal) -> IssuerWithdrawalOut:
    return IssuerWithdrawalOut.from_row(row, await scale_of(session, row.currency))


async def _channel_out(session: SessionDep, row: RechargeChannel) -> IssuerRechargeChannelOut:
    return IssuerRechargeChannelOut.from_row(row, await scale_of(session, row.currency))


# --- recharges -------------------------------------------------------------------------------


@router.get(
    "/recharges",
    tags=["issuer: recharges"],
    response_model=ListOut[IssuerRechargeOut],
    openapi_extra=READ,
)
async def list_recharges(
    issuerId: IssuerId,
    caller: RechargesRead,
    session: SessionDep,
    window: WindowDep,
    status: Annotated[RechargeStatus | None, Query()] = None,
) -> Response:
    """The institution's recharges, newest first; `items` are recharges."""
    rows, total = await service.list_recharges(
        session, institution_id=caller.institution.id, window=window, status=status
    )
    scales = await currency_scales(session)
    return _page([IssuerRechargeOut.from_row(r, scales[r.currency]) for r in rows], window, total)


@router.post(
    "/recharges/{rechargeId}:approve",
    tags=["issuer: recharges"],
    response_model=IssuerRechargeOut,
    openapi_extra=ACTION,
)
async def approve_recharge(
    issuerId: IssuerId,
    rechargeId: ObjectId,
    caller: RechargesWrite,
    session: SessionDep,
    request: Request,
) -> Response:
    """Credit the wallet (once: approving again is `ORDER.INVALID_STATE`)."""

    async def act() -> BaseModel:
        row = await service.approve_recharge(
            session,
            recharge_biz_id=rechargeId,
            actor=caller.actor,
            institution_id=caller.institution.id,
        )
        return await _recharge_out(session, row)

    return await _once(session, request, caller, None, act)


@router.post(
    "/recharges/{rechargeId}:reject",
    tags=["issuer: recharges"],
    response_model=IssuerRechargeOut,
    openapi_extra=ACTION,
)
async def reject_recharge(
    issuerId: IssuerId,
    rechargeId: ObjectId,
    caller: RechargesWrite,
    session: SessionDep,
    request: Request,
    body: RejectIn | None = None,
) -> Response:
    """Refuse the recharge (while pending or under review)."""

    async def act() -> BaseModel:
        row = await service.reject_recharge(
            session,
            recharge_biz_id=rechargeId,
            reason=body.reason if body else None,
            actor=caller.actor,
            institution_id=caller.institution.id,
        )
        return await _recharge_out(session, row)

    return await _once(session, request, caller, body, act)


# --- withdrawals -----------------------------------------------------------------------------


@router.get(
    "/withdrawals",
    tags=["issuer: withdrawals"],
    response_model=ListOut[IssuerWithdrawalOut],
    openapi_extra=READ,
)
async def list_withdrawals(
    issuerId: IssuerId,
    caller: WithdrawalsRead,
    session: SessionDep,
    window: WindowDep,
    status: Annotated[WithdrawalStatus | None, Query()] = None,
) -> Response:
    """The institution's withdrawals, newest first; `items` are withdrawals."""
    rows, total = await service.list_withdrawals(
        session, institution_id=caller.institution.id, window=window, status=status
    )
    scales = await currency_scales(session)
    return _page([IssuerWithdrawalOut.from_row(r, scales[r.currency]) for r in rows], window, total)


@router.post(
    "/withdrawals/{withdrawalId}:complete",
    tags=["issuer: withdrawals"],
    response_model=IssuerWithdrawalOut,
    openapi_extra=ACTION,
)
async def complete_withdrawal(
    issuerId: IssuerId,
    withdrawalId: ObjectId,
    caller: WithdrawalsWrite,
    session: SessionDep,
    request: Request,
) -> Response:
    """Pay the frozen amount out (once)."""

    async def act() -> BaseModel:
        row = await service.complete_withdrawal(
            session,
            withdrawal_biz_id=withdrawalId,
            actor=caller.actor,
            institution_id=caller.institution.id,
        )
        return await _withdrawal_out(session, row)

    return await _once(session, request, caller, None, act)


@router.post(
    "/withdrawals/{withdrawalId}:reject",
    tags=["issuer: withdrawals"],
    response_model=IssuerWithdrawalOut,
    openapi_extra=ACTION,
)
async def reject_withdrawal(
    issuerId: IssuerId,
    withdrawalId: ObjectId,
    caller: WithdrawalsWrite,
    session: SessionDep,
    request: Request,
    body: RejectIn | None = None,
) -> Response:
    """Refuse the withdrawal: the frozen amount goes back to the wallet."""

    async def act() -> BaseModel:
        row = await service.reject_withdrawal(
            session,
            withdrawal_biz_id=withdrawalId,
            reason=body.reason if body else None,
            actor=caller.actor,
            institution_id=caller.institution.id,
        )
        return await _withdrawal_out(session, row)

    return await _once(session, request, caller, body, act)


# --- FX rates --------------------------------------------------------------------------------


@router.get("/fx-rates", tags=["issuer: fx"], response_model=ListOut[FxRateOut], openapi_extra=READ)
async def list_rates(issuerId: IssuerId, caller: FxRead, session: SessionDep) -> Response:
    """Every rate of the institution, by pair; `items` are rates."""
    rows = await service.list_rates(session, institution_id=caller.institution.id)
    return _page([FxRateOut.from_row(r) for r in rows], Window(0, len(rows) or 1), len(rows))


@router.post("/fx-rates:set", tags=["issuer: fx"], response_model=FxRateOut, openapi_extra=ACTION)
async def set_rate(
    issuerId: IssuerId, body: FxRateIn, caller: FxWrite, session: SessionDep, request: Request
) -> Response:
    """Set (or replace) the mid rate of a pair, with its spread and fee in basis points."""

    async def act() -> BaseModel:
        row = await service.set_rate(
            session,
            institution_id=caller.institution.id,
            base=body.base_currency,
            quote=body.quote_currency,
            rate=body.rate,
            spread_bps=body.spread_bps,
            fee_bps=body.fee_bps,
            actor=caller.actor,
        )
        return FxRateOut.from_row(row)

    return await _once(session, request, caller, body, act)


# --- recharge channels -----------------------------------------------------------------------


@router.get(
    "/recharge-channels",
    tags=["issuer: channels"],
    response_model=ListOut[IssuerRechargeChannelOut],
    openapi_extra=READ,
)
async def list_recharge_channels(
    issuerId: IssuerId, caller: ChannelsRead, session: SessionDep
) -> Response:
    """Every recharge channel, disabled ones too; `items` are channels."""
    rows = await service.list_recharge_channels(session, institution_id=caller.institution.id)
    scales = await currency_scales(session)
    items = [IssuerRechargeChannelOut.from_row(r, scales[r.currency]) for r in rows]
    return _page(items, Window(0, len(rows) or 1), len(rows))


@router.post(
    "/recharge-channels",
    tags=["issuer: channels"],
    response_model=IssuerRechargeChannelOut,
    status_code=201,
    openapi_extra=ACTION,
)
async def create_recharge_channel(
    issuerId: IssuerId,
    body: RechargeChannelCreateIn,
    caller: ChannelsWrite,
    session: SessionDep,
    request: Request,
) -> Response:
    """A new way to pay in, shown to the portals' users at once."""

    async def act() -> BaseModel:
        row = await service.create_recharge_channel(
            session,
            institution_id=caller.institution.id,
            currency=body.currency,
            name=body.channel_name,
            channel_type=ChannelType(body.channel_type),
            min_amount=body.min_amount,
            max_amount=body.max_amount,
            fee_bps=body.fee_bps,
            fixed_fee=body.fixed_fee if body.fixed_fee is not None else Decimal(0),
            instructions=body.instructions,
            actor=caller.actor,
        )
        return IssuerRechargeChannelOut.from_row(row, await scale_of(session, row.currency))

    return await _once(session, request, caller, body, act, status=201)


@router.post(
    "/recharge-channels/{channelId}:update",
    tags=["issuer: channels"],
    response_model=IssuerRechargeChannelOut,
    openapi_extra=ACTION,
)
async def update_recharge_channel(
    issuerId: IssuerId,
    channelId: ObjectId,
    body: RechargeChannelUpdateIn,
    caller: ChannelsWrite,
    session: SessionDep,
    request: Request,
) -> Response:
    """Change a channel's name, limits, fees, instructions, or enable/disable it."""

    async def act() -> BaseModel:
        changes = service.RechargeChannelChanges(
            name=body.channel_name,
            min_amount=body.min_amount,
            max_amount=body.max_amount,
            clear_max_amount="max_amount" in body.model_fields_set and body.max_amount is None,
            fee_bps=body.fee_bps,
            fixed_fee=body.fixed_fee,
            instructions=body.instructions,
            enabled=body.enabled,
        )
        row = await service.update_recharge_channel(
            session,
            institution_id=caller.institution.id,
            channel_biz_id=channelId,
            changes=changes,
            actor=caller.actor,
        )
        return IssuerRechargeChannelOut.from_row(row, await scale_of(session, row.currency))

    return await _once(session, request, caller, body, act)


# --- withdrawal channels ---------------------------------------------------------------------


@router.get(
    "/withdrawal-channels",
    tags=["issuer: channels"],
    response_model=ListOut[IssuerWithdrawalChannelOut],
    openapi_extra=READ,
)
async def list_withdrawal_channels(
    issuerId: IssuerId,
    caller: ChannelsRead,
    session: SessionDep,
    window: WindowDep,
    workspace_biz_id: Annotated[
        str | None, Query(alias="workspaceBizId", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    ] = None,
) -> Response:
    """The customers' saved payout destinations (in full), newest first."""
    rows, total = await service.list_withdrawal_channels(
        session,
        institution_id=caller.institution.id,
        window=window,
        workspace_biz_id=workspace_biz_id,
    )
    names = await service.workspace_biz_ids(session, {r.workspace_id for r in rows})
    items = [IssuerWithdrawalChannelOut.from_workspace_row(r, names[r.workspace_id]) for r in rows]
    return _page(items, window, total)


@router.post(
    "/withdrawal-channels",
    tags=["issuer: channels"],
    response_model=IssuerWithdrawalChannelOut,
    status_code=201,
    openapi_extra=ACTION,
)
async def create_withdrawal_channel(
    issuerId: IssuerId,
    body: WithdrawalChannelCreateIn,
    caller: ChannelsWrite,
    session: SessionDep,
    request: Request,
) -> Response:
    """Save a payout destination for a customer's workspace, on its behalf."""

    async def act() -> BaseModel:
        row = await service.create_withdrawal_channel(
            session,
            institution_id=caller.institution.id,
            workspace_biz_id=body.workspace_biz_id,
            body=body.destination(),
            actor=caller.actor,
        )
        return IssuerWithdrawalChannelOut.from_workspace_row(row, body.workspace_biz_id)

    return await _once(session, request, caller, body, act, status=201)


@router.post(
    "/withdrawal-channels/{channelId}:update",
    tags=["issuer: channels"],
    response_model=IssuerWithdrawalChannelOut,
    openapi_extra=ACTION,
)
async def update_withdrawal_channel(
    issuerId: IssuerId,
    channelId: ObjectId,
    body: WithdrawalChannelUpdateIn,
    caller: ChannelsWrite,
    session: SessionDep,
    request: Request,
) -> Response:
    """Correct a saved destination (bank fields on a bank channel, network and address on a
    crypto one)."""

    async def act() -> BaseModel:
        row = await service.update_withdrawal_channel(
            session,
            institution_id=caller.institution.id,
            channel_biz_id=channelId,
            changes=service.WithdrawalChannelChanges(**body.model_dump(exclude_none=True)),
            actor=caller.actor,
        )
        names = await service.workspace_biz_ids(session, {row.workspace_id})
        return IssuerWithdrawalChannelOut.from_workspace_row(row, names[row.workspace_id])

    return await _once(session, request, caller, body, act)


# --- partners --------------------------------------------------------------------------------


@router.get(
    "/partners", tags=["issuer: partners"], response_model=ListOut[PartnerOut], openapi_extra=READ
)
async def list_partners(
    issuerId: IssuerId,
    caller: PartnersRead,
    session: SessionDep,
    window: WindowDep,
    status: Annotated[partners.PartnerState | None, Query()] = None,
) -> Response:
    """Partner accounts by approval status (PENDING, APPROVED, REJECTED), newest first."""
    rows, total = await partners.list_partners(
        session, institution_id=caller.institution.id, window=window, state=status
    )
    return _page([PartnerOut.from_row(r) for r in rows], window, total)


@router.post(
    "/partners/{partnerId}:approve",
    tags=["issuer: partners"],
    response_model=PartnerOut,
    openapi_extra=ACTION,
)
async def approve_partner(
    issuerId: IssuerId,
    partnerId: ObjectId,
    caller: PartnersWrite,
    session: SessionDep,
    request: Request,
) -> Response:
    """Let a pending (or rejected) partner move money and use API keys; it is mailed."""

    async def act() -> BaseModel:
        partner = await partners.get_partner(
            session, institution_id=caller.institution.id, account_biz_id=partnerId
        )
        row = await partners.decide(
            session,
            runtime_of(request.app).mailer,
            partner=partner,
            approve=True,
            reason=None,
            actor=caller.actor,
        )
        return PartnerOut.from_row(row)

    return await _once(session, request, caller, None, act)


@router.post(
    "/partners/{partnerId}:reject",
    tags=["issuer: partners"],
    response_model=PartnerOut,
    openapi_extra=ACTION,
)
async def reject_partner(
    issuerId: IssuerId,
    partnerId: ObjectId,
    caller: PartnersWrite,
    session: SessionDep,
    request: Request,
    body: RejectIn | None = None,
) -> Response:
    """Refuse a pending partner: REJECTED, its sessions end; it is mailed the reason."""

    async def act() -> BaseModel:
        partner = await partners.get_partner(
            session, institution_id=caller.institution.id, account_biz_id=partnerId
        )
        row = await partners.decide(
            session,
            runtime_of(request.app).mailer,
            partner=partner,
            approve=False,
            reason=body.reason if body else None,
            actor=caller.actor,
        )
        return PartnerOut.from_row(row)

    return await _once(session, request, caller, body, act)


# --- consumers and the audit log -------------------------------------------------------------


async def _consumer_view(session: SessionDep, consumer: Any) -> ConsumerOut:
    wallets = await service.consumer_wallets(session, account_id=consumer.id)
    return ConsumerOut.from_row(consumer, wallets, await currency_scales(session))


@router.post(
    "/consumers:lookup", tags=["issuer: consumers"], response_model=ConsumerOut, openapi_extra=READ
)
async def lookup_consumer(
    issuerId: IssuerId, body: ConsumerLookupIn, caller: ConsumersRead, session: SessionDep
) -> Response:
    """A consumer by email (unknown: 404)."""
    consumer = await operations.find_consumer_by_email(
        session, institution_id=caller.institution.id, email=body.email
    )
    if consumer is None:
        raise NotFound()
    return json_response(await _consumer_view(session, consumer))


@router.get(
    "/consumers/{consumerId}",
    tags=["issuer: consumers"],
    response_model=ConsumerOut,
    openapi_extra=READ,
)
async def get_consumer(
    issuerId: IssuerId, consumerId: ObjectId, caller: ConsumersRead, session: SessionDep
) -> Response:
    """A consumer by consumerId, with its wallets (a deleted one shows only what is left)."""
    consumer = await operations.get_consumer(
        session, institution_id=caller.institution.id, consumer_id=consumerId
    )
    return json_response(await _consumer_view(session, consumer))


@router.get(
    "/audit-events",
    tags=["issuer: audit"],
    response_model=ListOut[AuditEventOut],
    openapi_extra=READ,
)
async def list_audit_events(
    issuerId: IssuerId,
    caller: AuditRead,
    session: SessionDep,
    window: WindowDep,
    action: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: Annotated[str | None, Query(alias="actorId", max_length=64)] = None,
) -> Response:
    """Every back-office action and consumer operation, newest first: who, what, when."""
    rows, total = await audit.list_events(
        session,
        institution_id=caller.institution.id,
        window=window,
        action=action,
        actor_id=actor_id,
    )
    return _page([AuditEventOut.from_row(r) for r in rows], window, total)
