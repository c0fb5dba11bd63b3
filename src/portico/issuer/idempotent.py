"""`Idempotency-Key` on every issuer API action, through the one idempotency service.

Keys are per issuer client: a record's workspace is the institution's negative id (a
namespace no workspace uses) and its caller the client's row id. The fingerprint is the
method, the whole path and the validated body, so one key replays only the very same action.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from portico.idempotency import service as idempotency
from portico.issuer.deps import IssuerCaller


def namespace(institution_id: int) -> int:
    """The idempotency `workspace_id` of an institution's issuer clients."""
    return -institution_id


async def respond_once(
    session: AsyncSession,
    request: Request,
    caller: IssuerCaller,
    body: BaseModel | None,
    action: Callable[[], Awaitable[Response]],
) -> Response:
    payload = body.model_dump(mode="json") if body is not None else None
    text = json.dumps([request.method, request.url.path, payload], sort_keys=True)
    return await idempotency.run_once(
        session,
        workspace_id=namespace(caller.institution.id),
        account_id=caller.client.id,
        key=idempotency.idempotency_key(request),
        request_hash=hashlib.sha256(text.encode()).hexdigest(),
        action=action,
        operation="issuer_operation",
    )
