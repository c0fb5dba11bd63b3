"""Exports of a workspace: requested here, written by a job (`runner.py`).

Who may export what: `export:write` to request one, `export:read` to see them, and in both
cases (and to download) the read permission of the records exported (`wallet:read` for wallet
flows, `transfer:read` for transfers, …): an export never shows a member what they could not
read through the API."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.db import affected_rows, utcnow
from portico.enums import ExportStatus
from portico.envelope import Pagination
from portico.errors import InvalidParameter, PermissionDenied
from portico.exports.errors import ExportExpired, ExportFailed, ExportNotReady
from portico.exports.models import Export
from portico.exports.sources import SOURCES, Filters
from portico.ids import new_biz_id, new_token
from portico.paging import PageParams, fetch_page, parse_time
from portico.tenancy import across_workspaces, get_in_workspace, scoped
from portico.wallets import service as wallet_service
from portico.workspaces.models import Workspace

# A PENDING export nobody claimed this long after its last change is deferred again.
UNCLAIMED_GRACE = timedelta(seconds=10)


def check_may_read(permissions: frozenset[str], export_type: str) -> None:
    """The member must hold the read permission of the exported records."""
    if SOURCES[export_type].permission not in permissions:
        raise PermissionDenied()


def parse_filter_time(value: int | str | None) -> datetime | None:
    return parse_time(str(value)) if value is not None else None


async def create_export(
    session: AsyncSession,
    *,
    workspace: Workspace,
    permissions: frozenset[str],
    actor: str,
    export_type: str,
    file_format: str,
    start: datetime | None,
    end: datetime | None,
    wallet_biz_id: str | None,
) -> Export:
    """A PENDING export (the caller defers its job once the row is committed)."""
    check_may_read(permissions, export_type)
    if start and end and start > end:
        raise InvalidParameter()
    wallet = None
    if wallet_biz_id:
        wallet = await wallet_service.get_wallet(
            session, workspace_id=workspace.id, wallet_biz_id=wallet_biz_id
        )
    now = utcnow()
    export = Export(
        biz_id=new_biz_id(),
        workspace_id=workspace.id,
        workspace_biz_id=workspace.biz_id,
        requested_by=actor,
        export_type=export_type,
        format=file_format,
        filter_start=start,
        filter_end=end,
        filter_wallet_id=wallet.id if wallet else None,
        filter_wallet_biz_id=wallet.biz_id if wallet else None,
        status=ExportStatus.PENDING,
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    session.add(export)
    await session.flush()
    return export


async def list_exports(
    session: AsyncSession, *, workspace_id: int, params: PageParams
) -> tuple[list[Export], Pagination]:
    statement = scoped(select(Export).order_by(Export.id.desc()), Export, workspace_id)
    return await fetch_page(session, statement, params, Export.created_at)


async def get_export(session: AsyncSession, *, workspace_id: int, export_biz_id: str) -> Export:
    return await get_in_workspace(session, Export, workspace_id=workspace_id, biz_id=export_biz_id)


def check_downloadable(export: Export) -> str:
    """The stored file's key; `409 EXPORT.NOT_READY` before completion, `409 EXPORT.FAILED`,
    `410 EXPORT.EXPIRED` once `expiresAt` has passed."""
    if export.status == ExportStatus.FAILED:
        raise ExportFailed()
    if export.status != ExportStatus.COMPLETED:
        raise ExportNotReady()
    expired = export.expires_at is not None and export.expires_at <= utcnow()
    if expired or export.purged_at is not None or export.storage_key is None:
        raise ExportExpired()
    return export.storage_key


# --- the job's side: claim with a lease, renew it, finish -------------------------------


def _by_id(export_id: int) -> Select[Export]:
    return across_workspaces(
        select(Export).where(Export.id == export_id).execution_options(populate_existing=True),
        "a job's own export, by id",
    )


def filters_of(export: Export) -> Filters:
    return Filters(
        workspace_id=export.workspace_id,
        start=export.filter_start,
        end=export.filter_end,
        wallet_id=export.filter_wallet_id,
        wallet_biz_id=export.filter_wallet_biz_id,
    )


def storage_key(export: Export, attempt: int) -> str:
    """Each attempt writes its own object, so a lost worker's file never mixes with the next."""
    extension = "xlsx" if export.format == "XLSX" else "csv"
    return f"exports/{export.workspace_biz_id}/{export.biz_id}-{attempt}-{new_token(6)}.{extension}"


def file_name(export: Export) -> str:
    extension = "xlsx" if export.format == "XLSX" else "csv"
    stamp = export.created_at.strftime("%Y%m%d-%H%M%S")
    return f"{SOURCES[export.export_type].file_stem}-{stamp}-{export.biz_id}.{extension}"


async def claim(
    session: AsyncSession, *, export_id: int, token: str, lease: timedelta, max_attempts: int
) -> tuple[Export | None, str | None]:
    """Take the export for this worker: `(export, leftover key)` when claimed, `(None, key)`
    when it is done, held by a live lease, or given up; `key` is a dead attempt's object to
    delete."""
    export = (await session.execute(_by_id(export_id))).scalar_one_or_none()
    now = utcnow()
    if export is None or export.status in (ExportStatus.COMPLETED, ExportStatus.FAILED):
        return None, None
    lease_is_live = export.lease_expires_at is not None and export.lease_expires_at > now
    if export.status == ExportStatus.PROCESSING and lease_is_live:
        return None, None
    leftover = export.storage_key
    # `attempts` is the row's version: of two workers claiming at once, one changes the row.
    guard = (Export.id == export.id, Export.attempts == export.attempts)
    if export.attempts >= max_attempts:
        await session.execute(
            across_workspaces(
                update(Export)
                .where(*guard)
                .values(
                    status=ExportStatus.FAILED,
                    failure_reason=f"gave up after {export.attempts} attempts",
                    lease_token=None,
                    lease_expires_at=None,
                    storage_key=None,
                    updated_at=now,
                ),
                "a job's own export, by id",
            )
        )
        return None, leftover
    attempt = export.attempts + 1
    result = await session.execute(
        across_workspaces(
            update(Export)
            .where(*guard)
            .values(
                status=ExportStatus.PROCESSING,
                attempts=attempt,
                lease_token=token,
                lease_expires_at=now + lease,
                storage_key=storage_key(export, attempt),
                started_at=export.started_at or now,
                updated_at=now,
            ),
            "a job's own export, by id",
        )
    )
    if affected_rows(result) != 1:
        return None, None
    claimed = (await session.execute(_by_id(export_id))).scalar_one()
    return claimed, leftover


def _held(export_id: int, token: str) -> tuple[ColumnElement[bool], ...]:
    return (
        Export.id == export_id,
        Export.lease_token == token,
        Export.status == ExportStatus.PROCESSING,
    )


async def _update_held(session: AsyncSession, export_id: int, token: str, **values: object) -> bool:
    result = await session.execute(
        across_workspaces(
            update(Export).where(*_held(export_id, token)).values(updated_at=utcnow(), **values),
            "a job's own export, under its lease",
        )
    )
    return affected_rows(result) == 1


async def renew_lease(
    session: AsyncSession, *, export_id: int, token: str, lease: timedelta
) -> bool:
    """Extend the lease; false if another worker has taken the export meanwhile."""
    return await _update_held(session, export_id, token, lease_expires_at=utcnow() + lease)


async def complete(
    session: AsyncSession,
    *,
    export: Export,
    token: str,
    retention: timedelta,
    content_type: str,
    size: int,
    sha256: str,
    rows: int,
) -> bool:
    """Mark the export done (only under this worker's lease: one completion, ever)."""
    now = utcnow()
    return await _update_held(
        session,
        export.id,
        token,
        status=ExportStatus.COMPLETED,
        lease_token=None,
        lease_expires_at=None,
        file_name=file_name(export),
        content_type=content_type,
        file_size=size,
        sha256=sha256,
        row_count=rows,
        completed_at=now,
        expires_at=now + retention,
    )


async def fail(session: AsyncSession, *, export_id: int, token: str, reason: str) -> bool:
    return await _update_held(
        session,
        export_id,
        token,
        status=ExportStatus.FAILED,
        lease_token=None,
        lease_expires_at=None,
        storage_key=None,
        failure_reason=reason[:200],
    )


async def stale_export_ids(session: AsyncSession, *, limit: int = 100) -> list[int]:
    """Exports no live worker holds: PENDING and not claimed in a while, or PROCESSING with
    their lease run out (the worker died)."""
    now = utcnow()
    pending = (Export.status == ExportStatus.PENDING) & (Export.updated_at < now - UNCLAIMED_GRACE)
    abandoned = (Export.status == ExportStatus.PROCESSING) & (Export.lease_expires_at < now)
    statement = select(Export.id).where(pending | abandoned).order_by(Export.id).limit(limit)
    rows = await session.execute(across_workspaces(statement, "the recovery sweep"))
    return list(rows.scalars())


async def expired_files(session: AsyncSession, *, limit: int = 100) -> list[tuple[int, str | None]]:
    """Completed exports past `expiresAt` whose file is still stored."""
    statement = (
        select(Export.id, Export.storage_key)
        .where(
            Export.status == ExportStatus.COMPLETED,
            Export.expires_at <= utcnow(),
            Export.purged_at.is_(None),
            Export.storage_key.is_not(None),
        )
        .order_by(Export.id)
        .limit(limit)
    )
    rows = await session.execute(across_workspaces(statement, "the expiry sweep"))
    return [(row[0], row[1]) for row in rows]


async def mark_purged(session: AsyncSession, *, export_id: int) -> None:
    await session.execute(
        across_workspaces(
            update(Export)
            .where(Export.id == export_id, Export.purged_at.is_(None))
            .values(purged_at=utcnow(), storage_key=None, updated_at=utcnow()),
            "the expiry sweep",
        )
    )
