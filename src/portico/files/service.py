"""Files of a workspace: recorded after their bytes are committed to the store."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from portico.db import utcnow
from portico.errors import InvalidParameter
from portico.files.filetypes import FilePurpose
from portico.files.models import StoredFile
from portico.files.upload import ReceivedFile
from portico.ids import new_biz_id, new_token
from portico.tenancy import get_in_workspace


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
    """A file of the workspace; another workspace's, or an unknown id, is `404`."""
    return await get_in_workspace(
        session, StoredFile, workspace_id=workspace_id, biz_id=file_biz_id
    )


async def get_proof(session: AsyncSession, *, workspace_id: int, file_biz_id: str) -> StoredFile:
    """A file of the workspace uploaded as a recharge proof (`404` unknown or foreign, `400`
    for a file uploaded for another purpose)."""
    stored = await get_file(session, workspace_id=workspace_id, file_biz_id=file_biz_id)
    if stored.purpose != FilePurpose.RECHARGE_PROOF:
        raise InvalidParameter()
    return stored
