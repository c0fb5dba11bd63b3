"""`/exports...`: request an export of the workspace's records, follow it, download its file."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from portico.auth.deps import CurrentPrincipal
from portico.db import after_commit
from portico.deps import SessionDep, StorageDep
from portico.envelope import Created, Envelope, Page, created, ok
from portico.errors import NotFound, PermissionDenied, raises
from portico.exports import service
from portico.exports.errors import ExportExpired, ExportFailed, ExportNotReady
from portico.exports.schemas import ExportCreateIn, ExportOut
from portico.exports.writers import CSV_TYPE, XLSX_TYPE
from portico.paging import PageDep
from portico.runtime import runtime_of
from portico.storage.http import binary_response, download_response
from portico.workspaces.deps import ExportRead, ExportWrite

router = APIRouter(tags=["exports"])


@router.post("/exports", response_model=Created[ExportOut], status_code=201)
@raises(PermissionDenied, NotFound)
async def create_export(
    body: ExportCreateIn,
    request: Request,
    context: ExportWrite,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> Response:
    """Request an export (PENDING); a background job writes the file. Needs the read
    permission of the exported records too."""
    filters = body.filters
    export = await service.create_export(
        session,
        workspace=context.workspace,
        permissions=context.permissions,
        actor=principal.account.biz_id,
        export_type=body.export_type,
        file_format=body.format,
        start=service.parse_filter_time(filters.start_time) if filters else None,
        end=service.parse_filter_time(filters.end_time) if filters else None,
        wallet_biz_id=filters.wallet_biz_id if filters else None,
    )
    jobs = runtime_of(request.app).jobs
    export_id = export.id

    async def defer() -> None:
        await jobs.defer_export(export_id)

    # Once the row is committed; if this is lost, the maintenance job defers it again.
    after_commit(session, defer)
    return created(ExportOut.from_row(export))


@router.get("/exports", response_model=Envelope[Page[ExportOut]])
async def list_exports(context: ExportRead, session: SessionDep, params: PageDep) -> Response:
    """The workspace's exports, newest first."""
    exports, pagination = await service.list_exports(
        session, workspace_id=context.workspace.id, params=params
    )
    return ok(
        Page[ExportOut](items=[ExportOut.from_row(e) for e in exports], pagination=pagination)
    )


@router.get("/exports/{bizId}", response_model=Envelope[ExportOut])
@raises(NotFound)
async def get_export(bizId: str, context: ExportRead, session: SessionDep) -> Response:
    """One export of the workspace: its status, and its file's name and size once done."""
    export = await service.get_export(
        session, workspace_id=context.workspace.id, export_biz_id=bizId
    )
    return ok(ExportOut.from_row(export))


@router.get(
    "/exports/{bizId}/download",
    response_class=StreamingResponse,
    responses=binary_response((CSV_TYPE, XLSX_TYPE)),
)
@raises(NotFound, PermissionDenied, ExportNotReady, ExportFailed, ExportExpired)
async def download_export(
    bizId: str, context: ExportRead, session: SessionDep, storage: StorageDep
) -> Response:
    """The export's file: `409 EXPORT.NOT_READY` before it is COMPLETED, `409 EXPORT.FAILED`,
    and `410 EXPORT.EXPIRED` after `expiresAt` (the file is deleted then)."""
    export = await service.get_export(
        session, workspace_id=context.workspace.id, export_biz_id=bizId
    )
    service.check_may_read(context.permissions, export.export_type)
    key = service.check_downloadable(export)
    return await download_response(
        storage,
        key=key,
        file_name=export.file_name or f"{export.biz_id}",
        content_type=export.content_type or "application/octet-stream",
        size=export.file_size or 0,
    )
