"""`/issuers/{issuerId}/consumers/{consumerId}/operations...`: the issuer document's consumer
operations, plus SUSPEND and RESUME in the same form.

`consumerId` is the consumer account's bizId (as the portals show it). Every operation answers
`200 {"operationId","status"}` with its final status: a refused one (a consumer that still
holds money, say) is `FAILED`, recorded with `errorCode` and `error`, and changed nothing else.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from portico.deps import SessionDep
from portico.issuer import idempotent, operations
from portico.issuer.deps import ConsumersRead, ConsumersWrite
from portico.issuer.models import OperationType, ReasonCode, RequestorType
from portico.issuer.schemas import (
    ErrorOut,
    OperationIn,
    OperationListOut,
    OperationOut,
    OperationResultOut,
)

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Invalid request URI, header, query or body"},
    401: {"model": ErrorOut, "description": "The Authorization header is missing or invalid"},
    403: {"model": ErrorOut, "description": "Not an issuer client, another issuer, or no scope"},
    404: {"model": ErrorOut, "description": "Unknown consumer or operation"},
}
CORRELATION = {
    "parameters": [
        {
            "name": "x-correlation-id",
            "in": "header",
            "required": False,
            "description": "Echoed and logged in clear (no personal data); not unique.",
            "schema": {"type": "string", "pattern": r"^[a-zA-Z0-9_\-\. ]{1,64}$"},
        },
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "Replays the first answer for the same key and body (7 days).",
            "schema": {"type": "string", "maxLength": 200},
        },
    ]
}
router = APIRouter(prefix="/issuers/{issuerId}", tags=["issuer: consumer operations"])

IssuerId = Annotated[str, Path(min_length=10, max_length=10, description="The id of the issuer")]
ConsumerId = Annotated[
    str,
    Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The consumer account's bizId"),
]
OperationId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


def json_response(model: BaseModel, status: int = 200) -> Response:
    body = json.dumps(
        model.model_dump(mode="json", by_alias=True), ensure_ascii=False, separators=(",", ":")
    )
    return Response(body.encode(), status_code=status, media_type="application/json")


def _operation_route(operation: OperationType, summary: str, description: str) -> None:
    """`POST …/consumers/{consumerId}/operations:<verb>` for one operation type."""

    async def operate(
        issuerId: IssuerId,
        consumerId: ConsumerId,
        caller: ConsumersWrite,
        session: SessionDep,
        request: Request,
        body: OperationIn | None = None,
    ) -> Response:
        consumer = await operations.get_consumer(
            session, institution_id=caller.institution.id, consumer_id=consumerId
        )

        async def act() -> Response:
            record = await operations.run(
                session,
                consumer=consumer,
                operation=operation,
                requestor=operations.Requestor(RequestorType.ISSUER, caller.institution.issuer_id),
                reason=body.reason if body else None,
                reason_code=ReasonCode(body.reason_code) if body and body.reason_code else None,
                actor=caller.actor,
            )
            return json_response(
                OperationResultOut.model_validate(
                    {"operation_id": record.operation_id, "status": record.status}
                )
            )

        return await idempotent.respond_once(session, request, caller, body, act)

    verb = operation.value.lower()
    operate.__name__ = f"{verb}_consumer"
    router.add_api_route(
        f"/consumers/{{consumerId}}/operations:{verb}",
        operate,
        methods=["POST"],
        response_model=OperationResultOut,
        responses=ERRORS,
        openapi_extra=CORRELATION,
        summary=summary,
        description=description,
    )


_operation_route(
    OperationType.DELETE,
    "Delete",
    """Delete the consumer for good: sessions and refresh tokens revoked, API keys deleted,
wallets closed, pending recharges and withdrawals cancelled, memberships removed and its
personal data erased everywhere; ledger entries and orders stay, de-identified. A consumer
whose LIVE wallets still hold money gets a FAILED operation (`BALANCE_NOT_ZERO`,
`WITHDRAWAL_PENDING`) and nothing changes. Irreversible: the same person registers again as a
new consumer, with a new consumerId.""",
)
_operation_route(
    OperationType.SUSPEND,
    "Suspend",
    """Suspend the consumer: its sessions end now, it can neither sign in nor move money, and
its API keys stop working, until it is resumed.""",
)
_operation_route(
    OperationType.RESUME,
    "Resume",
    "Lift a suspension: the consumer may sign in again (its old sessions stay ended).",
)


@router.get(
    "/consumers/{consumerId}/operations",
    response_model=OperationListOut,
    responses=ERRORS,
    openapi_extra={"parameters": CORRELATION["parameters"][:1]},
    summary="Get all operations",
)
async def list_operations(
    issuerId: IssuerId,
    consumerId: ConsumerId,
    caller: ConsumersRead,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="0 is the newest")] = 0,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    """The consumer's operations, newest first; an empty list when there are none.
    Operations older than 3 months are removed."""
    consumer = await operations.get_consumer(
        session, institution_id=caller.institution.id, consumer_id=consumerId
    )
    page, remaining = await operations.list_operations(
        session, consumer=consumer, offset=offset, limit=limit
    )
    return json_response(
        OperationListOut(
            operations=[OperationOut.from_row(row) for row in page],
            remaining_operations=remaining,
        )
    )


@router.get(
    "/consumers/{consumerId}/operations/{operationId}",
    response_model=OperationOut,
    responses=ERRORS,
    openapi_extra={"parameters": CORRELATION["parameters"][:1]},
    summary="Get operation",
)
async def get_operation(
    issuerId: IssuerId,
    consumerId: ConsumerId,
    operationId: OperationId,
    caller: ConsumersRead,
    session: SessionDep,
) -> Response:
    """One operation of the consumer, with every field."""
    consumer = await operations.get_consumer(
        session, institution_id=caller.institution.id, consumer_id=consumerId
    )
    record = await operations.get_operation(session, consumer=consumer, operation_id=operationId)
    return json_response(OperationOut.from_row(record))
