"""The issuer document's consumer operations: every documented field, status and validation
rule, plus SUSPEND and RESUME."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.db import utcnow
from portico.enums import AccountPortal
from portico.issuer import operations
from portico.issuer.models import AuditEvent, ConsumerOperation
from portico.wallets.models import Wallet
from tests.factories.accounts import create_account
from tests.factories.institutions import InstitutionCodes, create_institution
from tests.factories.money import create_withdrawal_channel, fund_wallet
from tests.factories.workspaces import owned_workspace
from tests.support.oauth import IssuerApi, assert_issuer_error, portal_session
from tests.support.portal import assert_error

OPERATION_KEYS = [
    "operationId",
    "operation",
    "status",
    "startTime",
    "endTime",
    "requestorType",
    "requestorId",
    "reason",
    "reasonCode",
    "details",
    "errorCode",
    "error",
]
ISO_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
OPERATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ERROR_TEXT = re.compile(r"^[a-zA-Z0-9_ \/\\\[\],.'#;:{}()?!*-]*$")


def ops(consumer: Account) -> str:
    return f"/consumers/{consumer.biz_id}/operations"


async def operate(
    issuer_api: IssuerApi, consumer: Account, verb: str, body: Any = None, **kw: Any
) -> dict[str, Any]:
    response = await issuer_api.post(f"{ops(consumer)}:{verb}", body, **kw)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


class TestDelete:
    async def test_answer_and_every_documented_field(
        self, issuer_api: IssuerApi, consumer: Account
    ) -> None:
        result = await operate(issuer_api, consumer, "delete", {"reason": "customer asked 28 June"})
        assert list(result) == ["operationId", "status"]
        assert result["status"] == "SUCCESSFUL" and OPERATION_ID.match(result["operationId"])
        response = await issuer_api.get(f"{ops(consumer)}/{result['operationId']}")
        assert response.status_code == 200
        operation = response.json()
        assert list(operation) == OPERATION_KEYS
        assert operation["operationId"] == result["operationId"]
        assert operation["operation"] == "DELETE"
        assert operation["status"] == "SUCCESSFUL"
        assert ISO_MILLIS.match(operation["startTime"]) and ISO_MILLIS.match(operation["endTime"])
        assert operation["startTime"] <= operation["endTime"]
        assert operation["requestorType"] == "ISSUER"
        assert operation["requestorId"] == issuer_api.issuer_id
        assert operation["reason"] == "customer asked 28 June"
        assert operation["reasonCode"] == "ISSUER_DECISION"  # the documented default
        assert operation["errorCode"] is None and operation["error"] is None
        assert operation["details"]["walletsClosed"] >= 0

    async def test_reason_code_and_no_body(
        self, issuer_api: IssuerApi, session: AsyncSession, realm: Any
    ) -> None:
        first = await create_account(
            session, institution_id=realm.institution_id, email="u1@example.com"
        )
        second = await create_account(
            session, institution_id=realm.institution_id, email="u2@example.com"
        )
        await session.commit()
        with_code = await operate(issuer_api, first, "delete", {"reasonCode": "USER_DECISION"})
        bare = await issuer_api.http.post(
            issuer_api.url(f"{ops(second)}:delete"), headers=issuer_api.headers()
        )
        assert bare.status_code == 200, bare.text
        rows = {
            row.operation_id: row
            for row in (await session.execute(select(ConsumerOperation))).scalars()
        }
        assert rows[with_code["operationId"]].reason_code == "USER_DECISION"
        assert rows[bare.json()["operationId"]].reason_code == "ISSUER_DECISION"
        assert rows[bare.json()["operationId"]].reason is None

    @pytest.mark.parametrize(
        "body",
        [
            {"reason": "not allowed!"},
            {"reason": ""},
            {"reason": "x" * 65},
            {"reason": 12},
            {"reasonCode": "OTHER"},
            {"reasonCode": None, "reason": "é"},
            [],
            "text",
        ],
    )
    async def test_invalid_bodies(
        self, issuer_api: IssuerApi, consumer: Account, session: AsyncSession, body: Any
    ) -> None:
        response = await issuer_api.post(f"{ops(consumer)}:delete", body)
        assert_issuer_error(response, 400, "VALIDATION.INVALID_PARAMETER")
        assert (await session.execute(select(ConsumerOperation))).first() is None

    async def test_malformed_json(self, issuer_api: IssuerApi, consumer: Account) -> None:
        response = await issuer_api.http.post(
            issuer_api.url(f"{ops(consumer)}:delete"),
            content=b'{"reason": ',
            headers={**issuer_api.headers(), "content-type": "application/json"},
        )
        assert_issuer_error(response, 400, "VALIDATION.INVALID_PARAMETER")

    async def test_colon_matches_literally_and_percent_encoded(
        self, issuer_api: IssuerApi, consumer: Account
    ) -> None:
        encoded = await issuer_api.http.post(
            issuer_api.url(f"{ops(consumer)}%3Adelete"), headers=issuer_api.headers(), json={}
        )
        assert encoded.status_code == 200 and encoded.json()["status"] == "SUCCESSFUL"
        for wrong in (f"{ops(consumer)}:erase", f"{ops(consumer)}/delete", f"{ops(consumer)}:"):
            response = await issuer_api.post(wrong, {})
            assert response.status_code in (404, 405)
            assert list(response.json()) == ["error"]

    async def test_money_left_fails_and_changes_nothing(
        self,
        issuer_api: IssuerApi,
        consumer: Account,
        session: AsyncSession,
        app: Any,
        institution: InstitutionCodes,
    ) -> None:
        workspace = await owned_workspace(session, owner=consumer)
        await fund_wallet(session, workspace=workspace, amount="5")
        await session.commit()
        access, _ = await portal_session(app, session, consumer, institution)
        result = await operate(issuer_api, consumer, "delete")
        assert result["status"] == "FAILED"
        operation = (await issuer_api.get(f"{ops(consumer)}/{result['operationId']}")).json()
        assert operation["errorCode"] == "BALANCE_NOT_ZERO"
        assert ERROR_TEXT.match(operation["error"]) and len(operation["error"]) <= 256
        assert operation["endTime"] is not None and operation["details"] is None
        consumer_id = consumer.id
        session.expire_all()
        account = await session.get(Account, consumer_id)
        assert account is not None and account.status == "ACTIVE"
        assert account.email == "carol@example.com"
        wallet = (await session.execute(select(Wallet))).scalar_one()
        assert wallet.status == "ACTIVE" and wallet.available == 500
        profile = await issuer_api.http.get(
            "/web/v1/consumer/profile",
            headers={
                "X-PORTAL-ACCESS-CODE": institution.consumer,
                "Authorization": f"Bearer {access}",
            },
        )
        assert profile.status_code == 200

    async def test_pending_withdrawal_fails(
        self,
        issuer_api: IssuerApi,
        consumer: Account,
        session: AsyncSession,
        app: Any,
        institution: InstitutionCodes,
    ) -> None:
        workspace = await owned_workspace(session, owner=consumer)
        wallet = await fund_wallet(session, workspace=workspace, amount="5")
        channel = await create_withdrawal_channel(session, workspace=workspace)
        await session.commit()
        access, _ = await portal_session(app, session, consumer, institution)
        created = await issuer_api.http.post(
            "/web/v1/consumer/withdrawals",
            json={
                "walletBizId": wallet.biz_id,
                "withdrawalChannelBizId": channel.biz_id,
                "amount": "5",
            },
            headers={
                "X-PORTAL-ACCESS-CODE": institution.consumer,
                "Authorization": f"Bearer {access}",
            },
        )
        assert created.status_code == 201, created.text
        result = await operate(issuer_api, consumer, "delete")
        operation = (await issuer_api.get(f"{ops(consumer)}/{result['operationId']}")).json()
        assert (operation["status"], operation["errorCode"]) == ("FAILED", "WITHDRAWAL_PENDING")

    async def test_deleting_twice_fails_the_second_time(
        self, issuer_api: IssuerApi, consumer: Account
    ) -> None:
        assert (await operate(issuer_api, consumer, "delete"))["status"] == "SUCCESSFUL"
        second = await operate(issuer_api, consumer, "delete")
        operation = (await issuer_api.get(f"{ops(consumer)}/{second['operationId']}")).json()
        assert (operation["status"], operation["errorCode"]) == ("FAILED", "CONSUMER_DELETED")

    async def test_parallel_deletes_delete_once(
        self, issuer_api: IssuerApi, consumer: Account, session: AsyncSession
    ) -> None:
        responses = await asyncio.gather(
            *[issuer_api.post(f"{ops(consumer)}:delete", {}) for _ in range(10)]
        )
        assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
        statuses = sorted(r.json()["status"] for r in responses)
        assert statuses == ["FAILED"] * 9 + ["SUCCESSFUL"]
        codes = (await session.execute(select(ConsumerOperation.error_code))).scalars().all()
        assert sorted(code or "" for code in codes) == [""] + ["CONSUMER_DELETED"] * 9

    async def test_idempotency_key_replays(
        self, issuer_api: IssuerApi, consumer: Account, session: AsyncSession
    ) -> None:
        key = {"Idempotency-Key": "delete-carol-1"}
        first = await issuer_api.post(f"{ops(consumer)}:delete", {"reason": "a"}, headers=key)
        again = await issuer_api.post(f"{ops(consumer)}:delete", {"reason": "a"}, headers=key)
        assert first.json() == again.json()
        assert again.headers["idempotent-replayed"] == "true"
        other = await issuer_api.post(f"{ops(consumer)}:delete", {"reason": "b"}, headers=key)
        assert_issuer_error(other, 409, "REQUEST.IDEMPOTENCY_CONFLICT")
        assert len((await session.execute(select(ConsumerOperation))).all()) == 1


class TestLookups:
    async def test_unknown_partner_or_other_institution_consumer_is_404(
        self, issuer_api: IssuerApi, session: AsyncSession, realm: Any
    ) -> None:

        partner = await create_account(
            session,
            institution_id=realm.institution_id,
            portal=AccountPortal.PARTNER,
            email="p@example.com",
        )
        other = await create_institution(session, name="Elsewhere")
        stranger = await create_account(session, institution_id=other.institution_id)
        await session.commit()
        for consumer_id in ("unknown", partner.biz_id, stranger.biz_id):
            for response in (
                await issuer_api.get(f"/consumers/{consumer_id}/operations"),
                await issuer_api.post(f"/consumers/{consumer_id}/operations:delete", {}),
                await issuer_api.get(f"/consumers/{consumer_id}/operations/abc"),
            ):
                assert_issuer_error(response, 404, "RESOURCE.NOT_FOUND")

    async def test_no_operations_is_an_empty_list(
        self, issuer_api: IssuerApi, consumer: Account
    ) -> None:
        response = await issuer_api.get(ops(consumer))
        assert response.status_code == 200
        assert response.json() == {"operations": [], "remainingOperations": 0}

    async def test_newest_first_offset_limit_and_remaining(
        self, issuer_api: IssuerApi, consumer: Account
    ) -> None:
        ids = []
        for verb in ("suspend", "resume", "suspend", "resume", "suspend"):
            ids.append((await operate(issuer_api, consumer, verb))["operationId"])
        default = (await issuer_api.get(ops(consumer))).json()
        assert [o["operationId"] for o in default["operations"]] == ids[::-1]
        assert default["remainingOperations"] == 0
        page = (await issuer_api.get(ops(consumer), params={"offset": 1, "limit": 2})).json()
        assert [o["operationId"] for o in page["operations"]] == [ids[3], ids[2]]
        assert page["remainingOperations"] == 2
        assert all(list(o) == OPERATION_KEYS for o in page["operations"])
        beyond = (await issuer_api.get(ops(consumer), params={"offset": 9})).json()
        assert beyond == {"operations": [], "remainingOperations": 0}

    @pytest.mark.parametrize(
        "params",
        [{"limit": 0}, {"limit": 51}, {"limit": "ten"}, {"offset": -1}, {"offset": "x"}],
    )
    async def test_bad_paging(
        self, issuer_api: IssuerApi, consumer: Account, params: dict[str, Any]
    ) -> None:
        assert_issuer_error(
            await issuer_api.get(ops(consumer), params=params), 400, "VALIDATION.INVALID_PARAMETER"
        )

    async def test_limit_fifty_is_allowed(self, issuer_api: IssuerApi, consumer: Account) -> None:
        assert (await issuer_api.get(ops(consumer), params={"limit": 50})).status_code == 200

    async def test_operation_of_another_consumer_is_404(
        self, issuer_api: IssuerApi, consumer: Account, session: AsyncSession, realm: Any
    ) -> None:
        other = await create_account(session, institution_id=realm.institution_id, email="o@x.io")
        await session.commit()
        mine = await operate(issuer_api, consumer, "suspend")
        response = await issuer_api.get(f"{ops(other)}/{mine['operationId']}")
        assert_issuer_error(response, 404, "RESOURCE.NOT_FOUND")


class TestValidation:
    @pytest.mark.parametrize(
        "path",
        [
            "/issuers/SHORT/consumers/abc/operations",
            "/issuers/ELEVENCHARS/consumers/abc/operations",
            "/issuers/{issuer}/consumers/bad.id/operations",
            "/issuers/{issuer}/consumers/" + "a" * 65 + "/operations",
            "/issuers/{issuer}/consumers/abc/operations/bad%20id",
            "/issuers/{issuer}/consumers/abc/operations/" + "b" * 65,
        ],
    )
    async def test_path_parameters(self, issuer_api: IssuerApi, path: str) -> None:
        url = path.format(issuer=issuer_api.issuer_id)
        response = await issuer_api.http.get(url, headers=issuer_api.headers())
        assert_issuer_error(response, 400, "VALIDATION.INVALID_PARAMETER")

    async def test_correlation_id_echoed_logged_and_recorded(
        self,
        issuer_api: IssuerApi,
        consumer: Account,
        session: AsyncSession,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        correlation = "case 42-a.b_c"
        with caplog.at_level("INFO", logger="portico.issuer"):
            response = await issuer_api.post(
                f"{ops(consumer)}:suspend", {}, headers={"x-correlation-id": correlation}
            )
        assert response.headers["x-correlation-id"] == correlation
        assert any(f"correlation-id={correlation}" in r.getMessage() for r in caplog.records)
        row = (await session.execute(select(ConsumerOperation))).scalar_one()
        assert row.correlation_id == correlation
        event = (await session.execute(select(AuditEvent))).scalar_one()
        assert event.correlation_id == correlation
        refused = await issuer_api.get(ops(consumer), headers={"x-correlation-id": "nope"})
        assert refused.headers["x-correlation-id"] == "nope"
        assert (await issuer_api.get(ops(consumer))).headers.get("x-correlation-id") is None

    @pytest.mark.parametrize("value", ["", "a" * 65, "bad/char", "\u00e9".encode(), "a,b", "x\ty"])
    async def test_bad_correlation_ids(
        self, issuer_api: IssuerApi, consumer: Account, value: str | bytes
    ) -> None:
        response = await issuer_api.http.get(
            issuer_api.url(ops(consumer)),
            headers={**issuer_api.headers(), "x-correlation-id": value},
        )
        assert_issuer_error(response, 400, "VALIDATION.INVALID_PARAMETER")
        assert "x-correlation-id" not in response.headers


class TestSuspendResume:
    async def test_suspension_ends_access_at_once_and_resume_restores_sign_in(
        self,
        app: Any,
        issuer_api: IssuerApi,
        consumer: Account,
        session: AsyncSession,
        institution: InstitutionCodes,
        outbox: Any,
    ) -> None:
        access, refresh = await portal_session(app, session, consumer, institution)
        portal = {"X-PORTAL-ACCESS-CODE": institution.consumer}
        bearer = {**portal, "Authorization": f"Bearer {access}"}
        assert (
            await issuer_api.http.get("/web/v1/consumer/wallets", headers=bearer)
        ).status_code == 200
        suspended = await operate(issuer_api, consumer, "suspend", {"reason": "fraud check"})
        assert suspended["status"] == "SUCCESSFUL"
        assert_error(
            await issuer_api.http.get("/web/v1/consumer/wallets", headers=bearer),
            401,
            "ACCESS.TOKEN_INVALID",
        )
        refreshed = await issuer_api.http.post(
            "/web/v1/consumer/auth/token/refresh", json={"refreshToken": refresh}, headers=portal
        )
        assert_error(refreshed, 404, "AUTH.SESSION_NOT_FOUND")
        login = await issuer_api.http.post(
            "/web/v1/consumer/auth/login/initiate",
            json={"email": consumer.email, "password": "CorrectHorse9!"},
            headers=portal,
        )
        assert login.json()["data"]["accountStatus"]["code"] == "SUSPENDED"
        assert login.json()["data"]["mfaMethods"] == []
        again = await operate(issuer_api, consumer, "suspend")
        detail = (await issuer_api.get(f"{ops(consumer)}/{again['operationId']}")).json()
        assert (detail["status"], detail["errorCode"]) == ("FAILED", "CONSUMER_ALREADY_SUSPENDED")
        resumed = await operate(issuer_api, consumer, "resume")
        assert resumed["status"] == "SUCCESSFUL"
        login = await issuer_api.http.post(
            "/web/v1/consumer/auth/login/initiate",
            json={"email": consumer.email, "password": "CorrectHorse9!"},
            headers=portal,
        )
        assert login.json()["data"]["mfaMethods"] != []
        # the old session stays ended
        assert (
            await issuer_api.http.get("/web/v1/consumer/wallets", headers=bearer)
        ).status_code == 401
        resume_active = await operate(issuer_api, consumer, "resume")
        detail = (await issuer_api.get(f"{ops(consumer)}/{resume_active['operationId']}")).json()
        assert (detail["status"], detail["errorCode"]) == ("FAILED", "CONSUMER_NOT_SUSPENDED")


class TestPurge:
    async def test_operations_older_than_three_months_are_removed(
        self, issuer_api: IssuerApi, consumer: Account, session: AsyncSession
    ) -> None:
        old = await operate(issuer_api, consumer, "suspend")
        new = await operate(issuer_api, consumer, "resume")
        await session.execute(
            update(ConsumerOperation)
            .where(ConsumerOperation.operation_id == old["operationId"])
            .values(start_time=utcnow() - timedelta(days=93))
        )
        await session.commit()
        assert await operations.purge_operations(session, retention_days=92) == 1
        await session.commit()
        listed = (await issuer_api.get(ops(consumer))).json()["operations"]
        assert [o["operationId"] for o in listed] == [new["operationId"]]
