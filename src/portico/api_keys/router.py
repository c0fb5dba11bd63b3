"""`/api-keys...`: workspace API keys."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from portico.api_keys import service
from portico.api_keys.schemas import ApiKeyCreatedOut, ApiKeyCreateIn, ApiKeyIdIn, ApiKeyOut
from portico.auth.deps import CurrentPrincipal
from portico.deps import AuthKitDep, SessionDep
from portico.envelope import Created, Envelope, NoContent, Page, Pagination, created, no_content, ok
from portico.errors import NotFound, raises
from portico.ops import events
from portico.workspaces.deps import ApiKeyRead, ApiKeyWrite

router = APIRouter(tags=["api-keys"])


@router.get("/api-keys", response_model=Envelope[Page[ApiKeyOut]])
async def list_api_keys(context: ApiKeyRead, session: SessionDep) -> Response:
    """The workspace's API keys, newest first (deleted keys are gone)."""
    keys = await service.list_keys(session, workspace_id=context.workspace.id)
    items = [ApiKeyOut.from_row(key) for key in keys]
    return ok(Page[ApiKeyOut](items=items, pagination=Pagination.unpaged(len(items))))


@router.post("/api-keys", response_model=Created[ApiKeyCreatedOut], status_code=201)
async def create_api_key(
    body: ApiKeyCreateIn,
    context: ApiKeyWrite,
    principal: CurrentPrincipal,
    session: SessionDep,
    kit: AuthKitDep,
) -> Response:
    """Create a key with scopes the caller holds; its secret is shown only in this answer."""
    key, secret = await service.create_key(
        session,
        kit,
        workspace=context.workspace,
        held=context.permissions,
        created_by=principal.account.biz_id,
        name=body.name,
        scopes=body.scopes,
        ip_whitelist=body.ip_whitelist,
    )
    events.after_commit_event(
        session,
        events.API_KEY_CREATED,
        account_id=principal.account.biz_id,
        workspace_id=context.workspace.biz_id,
        api_key_id=key.key_id,
        scopes=len(key.scopes or []),
    )
    return created(ApiKeyCreatedOut.from_row(key, secret))


@router.get("/api-keys/available-permissions", response_model=Envelope[list[str]])
async def available_permissions(context: ApiKeyRead) -> Response:
    """The permission codes the caller may grant to a key, in catalogue order."""
    return ok(service.grantable(context.permissions))


@router.post("/api-keys/enable", response_model=Envelope[ApiKeyOut])
@raises(NotFound)
async def enable_api_key(body: ApiKeyIdIn, context: ApiKeyWrite, session: SessionDep) -> Response:
    """Let a disabled key authenticate again (the caller must hold the key's scopes)."""
    key = await service.get_key(session, workspace_id=context.workspace.id, key_id=body.api_key_id)
    await service.set_status(session, key=key, status=service.ACTIVE, held=context.permissions)
    return ok(ApiKeyOut.from_row(key))


@router.post("/api-keys/disable", response_model=Envelope[ApiKeyOut])
@raises(NotFound)
async def disable_api_key(body: ApiKeyIdIn, context: ApiKeyWrite, session: SessionDep) -> Response:
    """Stop a key from authenticating, keeping it for later re-enabling."""
    key = await service.get_key(session, workspace_id=context.workspace.id, key_id=body.api_key_id)
    await service.set_status(session, key=key, status=service.DISABLED, held=context.permissions)
    return ok(ApiKeyOut.from_row(key))


@router.post("/api-keys/delete", response_model=NoContent)
@raises(NotFound)
async def delete_api_key(body: ApiKeyIdIn, context: ApiKeyWrite, session: SessionDep) -> Response:
    """Delete a key for good: it stops working and leaves the list."""
    key = await service.get_key(session, workspace_id=context.workspace.id, key_id=body.api_key_id)
    await service.delete_key(session, key=key)
    return no_content()


@router.get("/api-keys/{keyBizId}", response_model=Envelope[ApiKeyOut])
@raises(NotFound)
async def get_api_key(keyBizId: str, context: ApiKeyRead, session: SessionDep) -> Response:
    """One API key of the workspace (never its secret)."""
    key = await service.get_key(session, workspace_id=context.workspace.id, key_id=keyBizId)
    return ok(ApiKeyOut.from_row(key))
