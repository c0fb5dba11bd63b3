"""Partner portal only: `/referral-codes...` (the workspace's one code) and `/referrals/mine...`
(the consumers who registered with it)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from portico.auth.deps import CurrentPrincipal
from portico.deps import SessionDep
from portico.envelope import Created, Envelope, created, ok
from portico.errors import NotFound, raises
from portico.referrals import service
from portico.referrals.errors import ReferralCodeExists, ReferralCodeTaken
from portico.referrals.schemas import (
    ReferralCodeCreateIn,
    ReferralCodeOut,
    ReferralCodeRefIn,
    ReferralCodeUpdateIn,
    ReferralOut,
    ReferralPage,
    ReferralQueryIn,
)
from portico.workspaces.deps import ReferralRead, ReferralWrite

router = APIRouter(tags=["referrals"])


@router.get("/referral-codes/mine", response_model=Envelope[ReferralCodeOut | None])
async def get_my_referral_code(context: ReferralRead, session: SessionDep) -> Response:
    """The workspace's referral code; `null` before one is created."""
    mine = await service.find_mine(session, workspace_id=context.workspace.id)
    return ok(ReferralCodeOut.from_row(mine) if mine else None)


@router.post("/referral-codes", response_model=Created[ReferralCodeOut], status_code=201)
@raises(ReferralCodeExists, ReferralCodeTaken)
async def create_referral_code(
    body: ReferralCodeCreateIn,
    context: ReferralWrite,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> Response:
    """Create the workspace's code (one per workspace; unique in the institution)."""
    code = await service.create_code(
        session,
        workspace=context.workspace,
        code=body.code,
        extra_data=body.extra_data,
        actor=principal.account.biz_id,
    )
    return created(ReferralCodeOut.from_row(code))


async def _set_active(
    body: ReferralCodeRefIn, context: ReferralWrite, session: SessionDep, *, active: bool
) -> Response:
    code = await service.get_code(session, workspace_id=context.workspace.id, biz_id=body.biz_id)
    return ok(ReferralCodeOut.from_row(await service.set_active(session, code=code, active=active)))


@router.post("/referral-codes/activate", response_model=Envelope[ReferralCodeOut])
@raises(NotFound)
async def activate_referral_code(
    body: ReferralCodeRefIn, context: ReferralWrite, session: SessionDep
) -> Response:
    """Accept the code at registration again."""
    return await _set_active(body, context, session, active=True)


@router.post("/referral-codes/deactivate", response_model=Envelope[ReferralCodeOut])
@raises(NotFound)
async def deactivate_referral_code(
    body: ReferralCodeRefIn, context: ReferralWrite, session: SessionDep
) -> Response:
    """Stop accepting the code (registrations with it are then not referrals)."""
    return await _set_active(body, context, session, active=False)


@router.post("/referral-codes/update", response_model=Envelope[ReferralCodeOut])
@raises(NotFound)
async def update_referral_code(
    body: ReferralCodeUpdateIn, context: ReferralWrite, session: SessionDep
) -> Response:
    """Replace the code's `extraData` (a string; `null` clears it)."""
    code = await service.get_code(session, workspace_id=context.workspace.id, biz_id=body.biz_id)
    if "extra_data" in body.model_fields_set:
        code = await service.set_extra_data(session, code=code, extra_data=body.extra_data)
    return ok(ReferralCodeOut.from_row(code))


@router.post("/referrals/mine/query", response_model=Envelope[ReferralPage])
async def query_my_referrals(
    context: ReferralRead, session: SessionDep, body: ReferralQueryIn | None = None
) -> Response:
    """The consumers who registered with the workspace's code, newest first (0-based pages,
    emails masked)."""
    query = body or ReferralQueryIn()
    referred, total = await service.list_referrals(
        session, workspace_id=context.workspace.id, page=query.page, size=query.size
    )
    items = [ReferralOut.from_referred(r) for r in referred]
    return ok(ReferralPage(items=items, total=total, page=query.page, size=query.size))


@router.get("/referrals/mine/count", response_model=Envelope[int])
async def count_my_referrals(context: ReferralRead, session: SessionDep) -> Response:
    """How many consumers registered with the workspace's code."""
    return ok(await service.count_referrals(session, workspace_id=context.workspace.id))
