"""`/sandbox/reset` (consumer portal only)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from portico.deps import SessionDep
from portico.envelope import NoContent, no_content
from portico.errors import PermissionDenied, raises
from portico.sandbox import service
from portico.workspaces.deps import WalletWrite

router = APIRouter(tags=["sandbox"])


@router.post("/sandbox/reset", response_model=NoContent)
@raises(PermissionDenied)
async def reset_sandbox(context: WalletWrite, session: SessionDep) -> Response:
    """Wipe a SANDBOX workspace's orders, flows and balances and reseed its test balances
    (`403 ACCESS.PERMISSION_DENIED` in a LIVE workspace)."""
    await service.reset(session, workspace=context.workspace)
    return no_content()
