"""Idempotency-Key records are kept 7 days, then swept: by a periodic job on the job scheduler,
or by `portico idempotency purge`."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.config import Settings
from portico.db import Database, utcnow
from portico.idempotency import service as idempotency
from portico.idempotency.models import IdempotencyRecord
from portico.main import create_app
from tests.support.cli import portico
from tests.support.db import make_settings


async def add_records(session: AsyncSession, *, expired: int, live: int) -> None:
    now = utcnow()
    for n in range(expired + live):
        session.add(
            IdempotencyRecord(
                workspace_id=1,
                account_id=1,
                idempotency_key=f"key-{n}",
                request_hash="0" * 64,
                status_code=201,
                response_body=b"{}",
                created_at=now - timedelta(days=8),
                expires_at=now - timedelta(seconds=1) if n < expired else now + timedelta(days=1),
            )
        )
    await session.commit()


async def remaining_keys(session: AsyncSession) -> list[str]:
    session.expire_all()
    rows = await session.execute(
        select(IdempotencyRecord.idempotency_key).order_by(IdempotencyRecord.idempotency_key)
    )
    return list(rows.scalars())


async def test_purge_deletes_only_expired_records_in_batches(
    session: AsyncSession, database: Database
) -> None:
    await add_records(session, expired=5, live=2)
    assert await idempotency.purge_expired(database, batch=2) == 5
    assert await remaining_keys(session) == ["key-5", "key-6"]
    assert await idempotency.purge_expired(database) == 0


@pytest.mark.usefixtures("cli_env")
async def test_the_purge_command(session: AsyncSession, capsys: pytest.CaptureFixture[str]) -> None:
    await add_records(session, expired=3, live=1)
    assert await portico("idempotency", "purge") == 0
    assert "deleted 3 expired key(s)" in capsys.readouterr().out
    assert await remaining_keys(session) == ["key-3"]


async def test_the_scheduler_sweeps_periodically(
    session: AsyncSession, database: Database, database_url: str, tmp_path: Path
) -> None:
    await add_records(session, expired=2, live=1)
    # every second (a sixth cron field), on the API process's own worker
    settings: Settings = make_settings(
        database_url, tmp_path, idempotency_purge_cron="* * * * * *", jobs_in_process=True
    )
    app: Any = create_app(settings, database=database)
    async with app.router.lifespan_context(app):
        for _ in range(100):
            if await remaining_keys(session) == ["key-2"]:
                break
            await asyncio.sleep(0.05)
    assert await remaining_keys(session) == ["key-2"]
