"""The `portico` commands of the issuer API and the token endpoint."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.db import utcnow
from portico.enums import AccountPortal
from portico.issuer.models import AuditEvent, ConsumerOperation
from portico.jobs.tasks import purge_old_operations, retention_sweeps
from portico.oauth.models import IssuerClient, SigningKey, TokenFamily
from portico.runtime import runtime_of
from tests.factories.accounts import create_account
from tests.support.cli import portico
from tests.support.oauth import IssuerApi, Realm, token_request

pytestmark = pytest.mark.usefixtures("cli_env")


async def test_issuer_clients_created_listed_and_revoked(
    http: httpx.AsyncClient,
    session: AsyncSession,
    realm: Realm,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await portico("issuer", "create-client", "--name", "core banking") == 0
    out = capsys.readouterr().out
    client_id = re.search(r"client_id\s+(ic_\w+)", out).group(1)  # type: ignore[union-attr]
    secret = re.search(r"client_secret\s+(\S+)", out).group(1)  # type: ignore[union-attr]
    stored = (await session.execute(select(IssuerClient))).scalar_one()
    assert stored.secret_hash != secret and secret not in stored.secret_hash
    assert f"/auth/realms/{realm.name}/protocol/openid-connect/token" in out
    got = await token_request(
        http, realm, {"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert got.status_code == 200
    assert await portico("issuer", "list-clients") == 0
    listed = capsys.readouterr().out
    assert client_id in listed and "ACTIVE" in listed and secret not in listed
    assert await portico("issuer", "revoke-client", client_id) == 0
    assert "REVOKED" in capsys.readouterr().out
    refused = await token_request(
        http, realm, {"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert refused.status_code == 401
    assert await portico("issuer", "revoke-client", "ic_unknown") == 1
    assert await portico("issuer", "create-client", "--name", "x", "--scope", "wallet:read") == 1


async def test_create_institution_with_a_realm(
    session: AsyncSession, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await portico("create-institution", "--name", "Realm Bank", "--realm", "cdp") == 0
    assert "token realm       cdp" in capsys.readouterr().out
    assert await portico("create-institution", "--name", "Bad", "--realm", "no/slash") == 1


async def test_purge_operations(
    issuer_api: IssuerApi, session: AsyncSession, realm: Realm, capsys: pytest.CaptureFixture[str]
) -> None:
    consumer = await create_account(session, institution_id=realm.institution_id)
    await session.commit()
    for verb in ("suspend", "resume"):
        await issuer_api.post(f"/consumers/{consumer.biz_id}/operations:{verb}", {})
    await session.execute(
        update(ConsumerOperation)
        .where(ConsumerOperation.operation == "SUSPEND")
        .values(start_time=utcnow() - timedelta(days=100))
    )
    await session.commit()
    assert await portico("issuer", "purge-operations") == 0
    assert "deleted 1 operation(s) older than 92 days" in capsys.readouterr().out
    left = (await session.execute(select(ConsumerOperation.operation))).scalars().all()
    assert left == ["RESUME"]


async def test_token_rotate_key_and_purge(
    session: AsyncSession,
    realm: Realm,
    issuer_api: IssuerApi,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = set((await session.execute(select(SigningKey.kid))).scalars())
    assert await portico("token", "rotate-key", "--grace-seconds", "60") == 0
    assert "new signing key" in capsys.readouterr().out
    keys = (await session.execute(select(SigningKey))).scalars().all()
    assert len(keys) == len(before) + 1
    assert all(k.retires_at is not None for k in keys if k.kid in before)
    await session.execute(update(TokenFamily).values(expires_at=utcnow() - timedelta(seconds=1)))
    await session.commit()
    assert await portico("token", "purge") == 0
    assert "deleted 1 expired grant(s)" in capsys.readouterr().out


async def test_partner_decisions_at_the_cli_are_audited(
    session: AsyncSession, realm: Realm, capsys: pytest.CaptureFixture[str]
) -> None:
    for email in ("p1@example.com", "p2@example.com"):
        await create_account(
            session,
            institution_id=realm.institution_id,
            portal=AccountPortal.PARTNER,
            email=email,
            pending_approval=True,
        )
    await session.commit()
    assert await portico("partner", "approve", "p1@example.com") == 0
    assert await portico("partner", "reject", "p2@example.com", "--reason", "no licence") == 0
    assert await portico("partner", "reject", "p1@example.com") == 1
    assert "refused: PARTNER.NOT_PENDING" in capsys.readouterr().err
    events = (
        await session.execute(select(AuditEvent.action, AuditEvent.actor_type, AuditEvent.outcome))
    ).all()
    assert sorted(events) == [
        ("partner.approve", "CLI", "APPROVED"),
        ("partner.reject", "CLI", "REJECTED"),
    ]


async def test_the_maintenance_job_purges_old_operations(
    app: Any, issuer_api: IssuerApi, session: AsyncSession, realm: Realm
) -> None:
    """The retention needs no cron of the operator's: the periodic maintenance job applies it."""
    consumer = await create_account(session, institution_id=realm.institution_id)
    await session.commit()
    for verb in ("suspend", "resume"):
        await issuer_api.post(f"/consumers/{consumer.biz_id}/operations:{verb}", {})
    await session.execute(
        update(ConsumerOperation)
        .where(ConsumerOperation.operation == "SUSPEND")
        .values(start_time=utcnow() - timedelta(days=93))
    )
    await session.commit()
    runtime = runtime_of(app).for_jobs()
    assert await purge_old_operations(runtime) == 1
    assert await purge_old_operations(runtime) == 0
    session.expire_all()
    left = (await session.execute(select(ConsumerOperation.operation))).scalars().all()
    assert left == ["RESUME"]


async def test_the_maintenance_job_purges_expired_grants(
    app: Any, session: AsyncSession, realm: Realm, issuer_api: IssuerApi
) -> None:
    await session.execute(update(TokenFamily).values(expires_at=utcnow() - timedelta(seconds=1)))
    await session.commit()
    assert (await session.execute(select(TokenFamily))).first() is not None
    runtime = runtime_of(app).for_jobs()
    await retention_sweeps(runtime)
    session.expire_all()
    assert (await session.execute(select(TokenFamily))).first() is None
