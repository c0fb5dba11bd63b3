"""Export factories: an export row in any state (its file, where given, written to the store)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from portico.db import utcnow
from portico.enums import ExportStatus
from portico.exports.models import Export
from portico.ids import new_biz_id
from portico.storage import Storage
from portico.workspaces.models import Workspace


async def create_export(
    session: AsyncSession,
    *,
    workspace: Workspace,
    status: ExportStatus = ExportStatus.PENDING,
    export_type: str = "WALLET_FLOWS",
    attempts: int = 0,
    lease_expires_at: datetime | None = None,
    expires_at: datetime | None = None,
    storage: Storage | None = None,
    content: bytes | None = None,
) -> Export:
    now = utcnow()
    biz_id = new_biz_id()
    key = None
    if content is not None and storage is not None:
        key = f"exports/{workspace.biz_id}/{biz_id}-old.csv"
        writer = storage.writer(key)
        await writer.write(content)
        await writer.commit()
    export = Export(
        biz_id=biz_id,
        workspace_id=workspace.id,
        workspace_biz_id=workspace.biz_id,
        requested_by="factory",
        export_type=export_type,
        format="CSV",
        status=status,
        attempts=attempts,
        lease_token="old-token" if status == ExportStatus.PROCESSING else None,
        lease_expires_at=lease_expires_at,
        storage_key=key,
        file_name=f"{biz_id}.csv" if status == ExportStatus.COMPLETED else None,
        content_type="text/csv; charset=utf-8",
        file_size=len(content) if content else None,
        created_at=now - timedelta(minutes=5),
        updated_at=now - timedelta(minutes=5),
        completed_at=now - timedelta(minutes=4) if status == ExportStatus.COMPLETED else None,
        expires_at=expires_at,
    )
    session.add(export)
    await session.flush()
    return export
