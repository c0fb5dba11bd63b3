"""Files of a workspace: recorded after their bytes are committed to the store."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.db import affected_rows, utcnow
from portico.errors import InvalidParameter, NotFound
from portico.files.filetypes import FilePurpose
from portico.files.models import StoredFile
from portico.files.upload import ReceivedFile
from portico.ids import new_biz_id, new_token
from portico.tenancy import across_workspaces, get_in_workspace

PURGE = "the erased files sweep"


def new_storage_key(workspace_biz_id: str) -> str:
    """A fresh server-made key: `files/<workspace>/<random>`."""
    return f"files/{workspace_biz_id}/{new_token(18)}"


async def record_file(
    session: AsyncSession, *, workspace_id: int, uploaded_by: str, received: ReceivedFile
) -> StoredFile:
    stored = StoredFile(
        biz_id=new_biz_id(),
        workspace_id=workspace_id,
        purpose=received.purpose.value,
        file_name=received.file_name,
        content_type=received.content_type,
        file_size=received.size,
        sha256=received.sha256,
        storage_key=received.storage_key,
        uploaded_by=uploaded_by,
        created_at=utcnow(),
    )
    session.add(stored)
    await session.flush()
    return stored


async def get_file(session: AsyncSession, *, workspace_id: int, file_biz_id: str) -> StoredFile:
    """A file of the workspace; another workspace's, an unknown id or an erased file is `404`."""
    stored = await get_in_workspace(
        session, StoredFile, workspace_id=workspace_id, biz_id=file_biz_id
    )
    if stored.erased_at is not None:
        raise NotFound()
    return stored


async def get_proof(session: AsyncSession, *, workspace_id: int, file_biz_id: str) -> StoredFile:
    """A file of the workspace uploaded as a recharge proof (`404` unknown or foreign, `400`
    for a file uploaded for another purpose)."""
    stored = await get_file(session, workspace_id=workspace_id, file_biz_id=file_biz_id)
    if stored.purpose != FilePurpose.RECHARGE_PROOF:
        raise InvalidParameter()
    return stored


async def mark_erased(session: AsyncSession, *, workspace_ids: list[int]) -> int:
    """The files of these workspaces (a deleted consumer's) are erased: not found from now on,
    their bytes deleted from the store by the next maintenance sweep."""
    statement = (
        update(StoredFile)
        .where(StoredFile.workspace_id.in_(workspace_ids), StoredFile.erased_at.is_(None))
        .values(erased_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(across_workspaces(statement, "erasing a consumer's files"))
    return affected_rows(result)


async def erased_unpurged(
    session: AsyncSession, *, limit: int = 100
) -> list[tuple[int, str | None]]:
    """Erased files whose bytes may still be in the store: (id, storage key), oldest first."""
    statement = (
        select(StoredFile.id, StoredFile.storage_key)
        .where(StoredFile.erased_at.is_not(None), StoredFile.purged_at.is_(None))
        .order_by(StoredFile.id)
        .limit(limit)
    )
    rows = await session.execute(across_workspaces(statement, PURGE))
    return [(row[0], row[1]) for row in rows]


async def mark_purged(session: AsyncSession, *, file_id: int) -> None:
    statement = (
        update(StoredFile)
        .where(StoredFile.id == file_id, StoredFile.purged_at.is_(None))
        .values(purged_at=utcnow())
    )
    await session.execute(across_workspaces(statement, PURGE))
