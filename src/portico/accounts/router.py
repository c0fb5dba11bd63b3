"""`/profile`: the signed-in account."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from portico.accounts import service as account_service
from portico.accounts.models import Account
from portico.accounts.schemas import ProfileOut, ProfileUpdateIn
from portico.auth.deps import CurrentPrincipal
from portico.deps import SessionDep
from portico.envelope import Envelope, ok

router = APIRouter(tags=["profile"])


async def _profile(session: AsyncSession, account: Account) -> Response:
    biz_id = await account_service.institution_biz_id_of(session, account)
    return ok(ProfileOut.from_row(account, institution_biz_id=biz_id))


@router.get("/profile", response_model=Envelope[ProfileOut])
async def get_profile(principal: CurrentPrincipal, session: SessionDep) -> Response:
    """The signed-in account's profile."""
    return await _profile(session, principal.account)


@router.post("/profile/update", response_model=Envelope[ProfileOut])
async def update_profile(
    body: ProfileUpdateIn, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """Update name, phone, language, timezone or country."""
    account_service.update_profile(
        principal.account, account_service.ProfileChanges(**body.model_dump())
    )
    await session.flush()
    return await _profile(session, principal.account)
