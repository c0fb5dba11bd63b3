"""Onboarding under truly parallel requests: two real server processes on the test database
(SQLite or PostgreSQL), 20 requests at once, alternating between them."""

from __future__ import annotations

import asyncio
import email
import email.policy
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.config import Settings
from portico.enums import AccountPortal
from portico.files.models import StoredFile
from portico.onboarding.models import KycProfile, Subscription
from portico.rel.models import RelContact
from tests.support.oauth import Realm
from tests.support.onboarding import PREFIX, onboarding_client, payload

PARALLEL = 20


async def _send_all(urls: list[str], token: str, bodies: list[dict[str, Any]]) -> list[Any]:
    async def send(index: int, body: dict[str, Any]) -> Any:
        async with httpx.AsyncClient(base_url=urls[index % len(urls)], timeout=60) as client:
            response = await client.post(
                f"{PREFIX}/onBoarding/customer",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            )
            return response.status_code, response.json()

    return await asyncio.gather(*(send(i, body) for i, body in enumerate(bodies)))


async def _count(session: AsyncSession, model: Any, *where: Any) -> int:
    statement = select(func.count()).select_from(model).where(*where)
    return int((await session.execute(statement)).scalar_one())


def _mails_to(settings: Settings, address: str) -> int:
    directory = settings.resolved_mail_outbox_dir
    found = 0
    for path in directory.glob("*.eml") if directory.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found += message["To"] == address
    return found


async def test_twenty_parallel_onboardings_of_one_payload_are_one_customer(
    app: Any,
    http: httpx.AsyncClient,
    session: AsyncSession,
    realm: Realm,
    servers: list[str],
    settings: Settings,
) -> None:
    client, _ = await onboarding_client(app, http, session, realm, email="partner@example.com")
    assert client.token
    answers = await _send_all(servers, client.token, [payload()] * PARALLEL)
    assert {status for status, _ in answers} == {200}, answers
    assert {body["code"] for _, body in answers} == {"SUCCESS"}
    assert len({body["data"]["customerId"] for _, body in answers}) == 1
    assert sum(body["data"]["created"] for _, body in answers) == 1
    assert sum(body["data"]["activationMailSent"] for _, body in answers) == 1
    consumers = await _count(session, Account, Account.portal == AccountPortal.CONSUMER)
    assert consumers == 1
    assert await _count(session, KycProfile) == 1
    assert await _count(session, Subscription) == 1
    assert await _count(session, RelContact) == 1
    assert await _count(session, StoredFile) == 2  # the ID front and the face, once each
    for _ in range(50):  # the servers send mail in the background
        if _mails_to(settings, "ada@example.com"):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)
    assert _mails_to(settings, "ada@example.com") == 1


async def test_parallel_documents_with_one_email_make_one_customer(
    app: Any,
    http: httpx.AsyncClient,
    session: AsyncSession,
    realm: Realm,
    servers: list[str],
) -> None:
    client, _ = await onboarding_client(app, http, session, realm, email="partner@example.com")
    assert client.token
    bodies = [payload(idNumber=f"DOC{i:04d}") for i in range(PARALLEL)]
    answers = await _send_all(servers, client.token, bodies)
    codes = sorted(body["code"] for _, body in answers)
    assert codes == ["CUSTOMER_UPDATE_FAILED"] * (PARALLEL - 1) + ["SUCCESS"], answers
    assert {status for status, body in answers if body["code"] != "SUCCESS"} == {409}
    assert await _count(session, KycProfile) == 1
    assert await _count(session, Account, Account.portal == AccountPortal.CONSUMER) == 1
