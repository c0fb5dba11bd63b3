"""`/issuers/{issuerId}/consumers/{consumerId}/kyc...`: an onboarded customer's KYC profile,
and the compliance flags the onboarding API answers (`UNDER_INVESTIGATION`, `BLOCKED`).

Flagging and clearing run the same service function as `portico issuer flag-customer` /
`clear-customer`, are idempotent with `Idempotency-Key` and recorded in the audit log. A
consumer that was never onboarded (no KYC profile), or was deleted, is `404`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import StringConstraints
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from portico.accounts.models import Account
from portico.crypto import SecretBox
from portico.deps import SessionDep
from portico.envelope import RequestModel, WireModel
from portico.files.models import StoredFile
from portico.issuer import idempotent
from portico.issuer.deps import ConsumersRead, ConsumersWrite, IssuerCaller
from portico.issuer.operations_router import CORRELATION, ERRORS, IssuerId, json_response
from portico.issuer.schemas import IsoTime
from portico.onboarding import masterdata
from portico.onboarding import service as onboarding_service
from portico.onboarding.models import ComplianceStatus, KycProfile
from portico.runtime import runtime_of
from portico.tenancy import across_workspaces

router = APIRouter(prefix="/issuers/{issuerId}", responses=ERRORS, tags=["issuer: customers"])
ConsumerId = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The consumer account's bizId")
]
FlagReason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class KycDocumentsOut(WireModel):
    """The document images: file bizIds of the consumer's workspace (null when not given)."""

    id_front: str | None
    id_back: str | None
    face: str | None


class CustomerSubscriptionOut(WireModel):
    subscription_id: str
    partner_workspace_id: str
    status: Literal["PENDING", "ACTIVE"]
    created_at: IsoTime
    activated_at: IsoTime | None


class KycProfileOut(WireModel):
    """What the partner supplied, as stored; the ID number is shown masked (its last 4)."""

    consumer_id: str
    given_name: str | None
    middle_name: str | None
    family_name: str | None
    date_of_birth: date | None
    gender: str | None
    nationality: str | None
    id_type: str | None
    id_country: str | None
    id_number_masked: str | None
    id_issue_date: date | None
    id_expiry_date: date | None
    kyc_level: str
    screening_status: str
    partner_kyc_reference: str | None
    compliance_status: Literal["NONE", "UNDER_INVESTIGATION", "BLOCKED"]
    compliance_reason: str | None
    compliance_changed_at: IsoTime | None
    documents: KycDocumentsOut
    subscriptions: list[CustomerSubscriptionOut]
    created_at: IsoTime
    updated_at: IsoTime


class FlagIn(RequestModel):
    compliance_status: Literal["UNDER_INVESTIGATION", "BLOCKED"]
    reason: FlagReason | None = None


class ClearIn(RequestModel):
    reason: FlagReason | None = None


def _masked(box: SecretBox, sealed: str | None) -> str | None:
    number = box.open(sealed) if sealed else None
    if number is None:
        return None
    text = masterdata.normalise_id_number(number.decode())
    return "•" * max(len(text) - 4, 0) + text[-4:]


async def _file_id(session: AsyncSession, file_id: int | None) -> str | None:
    if not file_id:
        return None
    statement = select(StoredFile.biz_id).where(StoredFile.id == file_id)
    found = await session.execute(across_workspaces(statement, "a customer's KYC document ids"))
    return found.scalar_one_or_none()


async def profile_view(
    session: AsyncSession, box: SecretBox, profile: KycProfile, account: Account
) -> KycProfileOut:
    subscriptions = await onboarding_service.subscriptions_of(session, account_id=account.id)
    return KycProfileOut(
        consumer_id=account.biz_id,
        given_name=profile.given_name,
        middle_name=profile.middle_name,
        family_name=profile.family_name,
        date_of_birth=profile.birth_date,
        gender=profile.gender,
        nationality=profile.nationality,
        id_type=profile.id_type,
        id_country=profile.id_country,
        id_number_masked=_masked(box, profile.id_number_sealed),
        id_issue_date=profile.id_issue_date,
        id_expiry_date=profile.id_expiry_date,
        kyc_level=profile.kyc_level,
        screening_status=profile.screening_status,
        partner_kyc_reference=profile.partner_kyc_reference,
        compliance_status=profile.compliance_status.value,
        compliance_reason=profile.compliance_reason,
        compliance_changed_at=profile.compliance_changed_at,
        documents=KycDocumentsOut(
            id_front=await _file_id(session, profile.id_front_file_id),
            id_back=await _file_id(session, profile.id_back_file_id),
            face=await _file_id(session, profile.face_file_id),
        ),
        subscriptions=[
            CustomerSubscriptionOut(
                subscription_id=row.biz_id,
                partner_workspace_id=workspace_biz_id,
                status=row.status,
                created_at=row.created_at,
                activated_at=row.activated_at,
            )
            for row, workspace_biz_id in subscriptions
        ],
        created_at=profile.created_at,
        updated_at=profile.updated_at,
    )


def _box(request: Request) -> SecretBox:
    box = runtime_of(request.app).auth_kit.box
    return box


@router.get(
    "/consumers/{consumerId}/kyc",
    response_model=KycProfileOut,
    openapi_extra={"parameters": CORRELATION["parameters"][:1]},
    summary="Get a customer's KYC profile",
)
async def get_kyc_profile(
    issuerId: IssuerId,
    consumerId: ConsumerId,
    caller: ConsumersRead,
    session: SessionDep,
    request: Request,
) -> Response:
    """The onboarded customer's KYC profile, compliance flag and subscriptions."""
    profile, account = await onboarding_service.get_profile(
        session, institution_id=caller.institution.id, consumer_id=consumerId
    )
    return json_response(await profile_view(session, _box(request), profile, account))


async def _set(
    session: AsyncSession,
    request: Request,
    caller: IssuerCaller,
    body: Any,
    consumer_id: str,
    status: ComplianceStatus,
) -> Response:
    async def act() -> Response:
        profile, account = await onboarding_service.set_compliance(
            session,
            institution_id=caller.institution.id,
            consumer_id=consumer_id,
            status=status,
            reason=body.reason if body is not None else None,
            actor=caller.actor,
        )
        return json_response(await profile_view(session, _box(request), profile, account))

    return await idempotent.respond_once(session, request, caller, body, act)


@router.post(
    "/consumers/{consumerId}/kyc:flag",
    response_model=KycProfileOut,
    openapi_extra=CORRELATION,
    summary="Flag a customer",
)
async def flag_customer(
    issuerId: IssuerId,
    consumerId: ConsumerId,
    body: FlagIn,
    caller: ConsumersWrite,
    session: SessionDep,
    request: Request,
) -> Response:
    """Flag the customer `UNDER_INVESTIGATION` or `BLOCKED` (replacing any flag): the
    onboarding API's lookup then answers `200 UNDER_INVESTIGATION` / `BLOCKED` and onboarding
    `406`. Answers the profile."""
    status = ComplianceStatus(body.compliance_status)
    return await _set(session, request, caller, body, consumerId, status)


@router.post(
    "/consumers/{consumerId}/kyc:clear",
    response_model=KycProfileOut,
    openapi_extra=CORRELATION,
    summary="Clear a customer's flag",
)
async def clear_customer(
    issuerId: IssuerId,
    consumerId: ConsumerId,
    caller: ConsumersWrite,
    session: SessionDep,
    request: Request,
    body: ClearIn | None = None,
) -> Response:
    """Clear the customer's compliance flag (`NONE`); answers the profile."""
    return await _set(session, request, caller, body, consumerId, ComplianceStatus.NONE)
