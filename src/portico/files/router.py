"""`/files...`: upload (streamed to the store), describe and download a workspace's files."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from portico.auth.deps import CurrentPrincipal
from portico.db import on_rollback
from portico.deps import SessionDep, SettingsDep, StorageDep
from portico.envelope import Created, Envelope, created, ok
from portico.errors import BodyTooLarge, NotFound, UnsupportedMediaType, raises
from portico.files import service
from portico.files.errors import FileEmpty, FileTooLarge, FileTypeNotAllowed
from portico.files.filetypes import ANY_ALLOWED
from portico.files.schemas import UPLOAD_REQUEST_BODY, FileInfoOut
from portico.files.upload import receive_upload
from portico.storage.http import binary_response, download_response
from portico.workspaces.deps import FileRead, FileWrite

router = APIRouter(tags=["files"])


@router.post(
    "/files/upload",
    response_model=Created[FileInfoOut],
    status_code=201,
    openapi_extra=UPLOAD_REQUEST_BODY,
)
@raises(FileTooLarge, BodyTooLarge, FileTypeNotAllowed, FileEmpty, UnsupportedMediaType)
async def upload_file(
    request: Request,
    context: FileWrite,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
) -> Response:
    """Upload a file (`multipart/form-data`: `file`, `purpose`); its type is read from its
    bytes, and it is refused past `PORTICO_FILE_MAX_BYTES`."""
    # The body may take minutes to arrive: give the pooled connection back meanwhile (the
    # access checks above only read).
    await session.commit()
    key = service.new_storage_key(context.workspace.biz_id)
    received = await receive_upload(
        request, storage=storage, key=key, max_bytes=settings.file_max_bytes
    )

    async def remove_object() -> None:
        await storage.delete(key)

    # The bytes are committed; if the row is not, they go too.
    on_rollback(session, remove_object)
    stored = await service.record_file(
        session,
        workspace_id=context.workspace.id,
        uploaded_by=principal.account.biz_id,
        received=received,
    )
    return created(FileInfoOut.from_row(stored))


@router.get("/files/{bizId}", response_model=Envelope[FileInfoOut])
@raises(NotFound)
async def get_file(bizId: str, context: FileRead, session: SessionDep) -> Response:
    """One file of the workspace."""
    stored = await service.get_file(session, workspace_id=context.workspace.id, file_biz_id=bizId)
    return ok(FileInfoOut.from_row(stored))


@router.get(
    "/files/{bizId}/download",
    response_class=StreamingResponse,
    responses=binary_response(ANY_ALLOWED),
)
@raises(NotFound)
async def download_file(
    bizId: str, context: FileRead, session: SessionDep, storage: StorageDep
) -> Response:
    """The file's bytes, as an attachment."""
    stored = await service.get_file(session, workspace_id=context.workspace.id, file_biz_id=bizId)
    return await download_response(
        storage,
        key=stored.storage_key,
        file_name=stored.file_name,
        content_type=stored.content_type,
        size=stored.file_size,
    )
