"""File factories: a file row of a workspace (its bytes are not needed where only the row is
checked, as for a recharge proof)."""

from __future__ import annotations

import hashlib

from sqlalchemy.ext.asyncio import AsyncSession

from portico.files import service as file_service
from portico.files.filetypes import FilePurpose
from portico.files.models import StoredFile
from portico.files.upload import ReceivedFile
from portico.workspaces.models import Workspace


async def create_file(
    session: AsyncSession,
    *,
    workspace: Workspace,
    purpose: FilePurpose = FilePurpose.RECHARGE_PROOF,
    file_name: str = "proof.pdf",
) -> StoredFile:
    content = b"%PDF-1.4 test"
    return await file_service.record_file(
        session,
        workspace_id=workspace.id,
        uploaded_by="factory",
        received=ReceivedFile(
            storage_key=file_service.new_storage_key(workspace.biz_id),
            file_name=file_name,
            content_type="application/pdf",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            purpose=purpose,
        ),
    )
