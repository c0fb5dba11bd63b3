"""The back office over HTTP: lists, actions (idempotent, audited) and their refusals."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.db import utcnow
from portico.enums import AccountPortal
from portico.issuer.models import AuditEvent
from portico.recharges import service as recharge_service
from portico.recharges.models import Recharge
from portico.runtime import runtime_of
from portico.wallets.models import Wallet
from portico.withdrawals import service as withdrawal_service
from tests.factories.accounts import create_account
from tests.factories.institutions import create_institution
from tests.factories.money import create_recharge_channel, create_withdrawal_channel, fund_wallet
from tests.factories.oauth import create_issuer_client, mint_token
from tests.factories.workspaces import owned_workspace
from tests.support.oauth import IssuerApi, Realm, assert_issuer_error

LIST_KEYS = ["items", "offset", "limit", "total"]


async def _recharges(session: AsyncSession, account: Account, n: int) -> list[Recharge]:
    workspace = await owned_workspace(session, owner=account)
    channel = await create_recharge_channel(session, institution_id=account.institution_id)
    made = [
        await recharge_service.create_recharge(
            session,
            actor=account,
            workspace=workspace,
            channel_biz_id=channel.biz_id,
            amount=Decimal(10 + i),
        )
        for i in range(n)
    ]
    await session.commit()
    return made


class TestRecharges:
    async def test_list_filter_approve_reject_and_audit(
        self, issuer_api: IssuerApi, consumer: Account, session: AsyncSession
    ) -> None:
        first, second, third = await _recharges(session, consumer, 3)
        listed = (await issuer_api.get("/recharges")).json()
        assert list(listed) == LIST_KEYS and listed["total"] == 3
        assert [r["bizId"] for r in listed["items"]] == [third.biz_id, second.biz_id, first.biz_id]
        assert listed["items"][0]["accountBizId"] == consumer.biz_id
        window = (await issuer_api.get("/recharges", params={"offset": 1, "limit": 1})).json()
        assert [r["bizId"] for r in window["items"]] == [second.biz_id]
        approved = await issuer_api.post(f"/recharges/{first.biz_id}:approve")
        assert approved.json()["rechargeStatus"]["code"] == "COMPLETED"
        rejected = await issuer_api.post(
            f"/recharges/{second.biz_id}:reject", {"reason": "no funds"}
        )
        assert rejected.json()["rejectReason"] == "no funds"
        again = await issuer_api.post(f"/recharges/{first.biz_id}:approve")
        assert_issuer_error(again, 400, "ORDER.INVALID_STATE")
        pending = (await issuer_api.get("/recharges", params={"status": "PENDING"})).json()
        assert [r["bizId"] for r in pending["items"]] == [third.biz_id]
        future = (utcnow() + timedelta(days=1)).isoformat()
        assert (await issuer_api.get("/recharges", params={"startTime": future})).json()[
            "total"
        ] == 0
        events = (await session.execute(select(AuditEvent.action, AuditEvent.actor_id))).all()
        assert sorted(events) == [
            ("recharge.approve", issuer_api.client.client_id),
            ("recharge.reject", issuer_api.client.client_id),
        ]

    async def test_idempotent_approval_replays_and_credits_once(
        self, issuer_api: IssuerApi, consumer: Account, session: AsyncSession
    ) -> None:
        (recharge,) = await _recharges(session, consumer, 1)
        key = {"Idempotency-Key": "approve-1"}
        first = await issuer_api.post(f"/recharges/{recharge.biz_id}:approve", headers=key)
        second = await issuer_api.post(f"/recharges/{recharge.biz_id}:approve", headers=key)
        assert first.status_code == second.status_code == 200
        assert first.content == second.content
        assert second.headers["idempotent-replayed"] == "true"
        wallet = (await session.execute(select(Wallet))).scalar_one()
        assert wallet.available == 1000
        assert len((await session.execute(select(AuditEvent))).all()) == 1

    async def test_other_institution_and_unknown(
        self, issuer_api: IssuerApi, session: AsyncSession
    ) -> None:
        other = await create_institution(session, name="Other")
        stranger = await create_account(session, institution_id=other.institution_id)
        (theirs,) = await _recharges(session, stranger, 1)
        for biz_id in (theirs.biz_id, "unknown"):
            assert_issuer_error(
                await issuer_api.post(f"/recharges/{biz_id}:approve"), 404, "RESOURCE.NOT_FOUND"
            )
        assert (await issuer_api.get("/recharges")).json()["total"] == 0

    @pytest.mark.parametrize(
        "params",
        [
            {"status": "NOPE"},
            {"limit": 0},
            {"limit": 101},
            {"startTime": "yesterday"},
            {"startTime": "2030-01-01", "endTime": "2020-01-01"},
        ],
    )
    async def test_bad_list_parameters(self, issuer_api: IssuerApi, params: dict[str, Any]) -> None:
        assert_issuer_error(
            await issuer_api.get("/recharges", params=params), 400, "VALIDATION.INVALID_PARAMETER"
        )


class TestWithdrawals:
    async def test_complete_and_reject(
        self, issuer_api: IssuerApi, consumer: Account, session: AsyncSession
    ) -> None:
        workspace = await owned_workspace(session, owner=consumer)
        wallet = await fund_wallet(session, workspace=workspace, amount="30")
        channel = await create_withdrawal_channel(session, workspace=workspace)
        made = [
            await withdrawal_service.create_withdrawal(
                session,
                actor=consumer,
                workspace=workspace,
                wallet_biz_id=wallet.biz_id,
                withdrawal_channel_biz_id=channel.biz_id,
                amount=Decimal(10),
            )
            for _ in range(2)
        ]
        await session.commit()
        listed = (await issuer_api.get("/withdrawals", params={"status": "PENDING"})).json()
        assert listed["total"] == 2
        done = await issuer_api.post(f"/withdrawals/{made[0].biz_id}:complete")
        assert done.json()["withdrawalStatus"]["code"] == "COMPLETED"
        released = await issuer_api.post(f"/withdrawals/{made[1].biz_id}:reject", {"reason": "KYC"})
        assert released.json()["withdrawalStatus"]["code"] == "REJECTED"
        assert_issuer_error(
            await issuer_api.post(f"/withdrawals/{made[1].biz_id}:complete"),
            400,
            "ORDER.INVALID_STATE",
        )
        session.expire_all()
        wallet_row = (await session.execute(select(Wallet))).scalar_one()
        assert (wallet_row.available, wallet_row.frozen) == (2000, 0)


class TestFxRates:
    async def test_set_and_list(self, issuer_api: IssuerApi) -> None:
        body = {"baseCurrency": "usd", "quoteCurrency": "EUR", "rate": "0.91", "spreadBps": 25}
        first = await issuer_api.post("/fx-rates:set", body)
        assert first.status_code == 200, first.text
        assert first.json()["rate"] == "0.91" and first.json()["feeBps"] == 0
        await issuer_api.post("/fx-rates:set", {**body, "rate": "0.92"})
        rates = (await issuer_api.get("/fx-rates")).json()["items"]
        assert [(r["baseCurrency"], r["quoteCurrency"], r["rate"]) for r in rates] == [
            ("USD", "EUR", "0.92")
        ]

    @pytest.mark.parametrize(
        "body",
        [
            {"baseCurrency": "USD", "quoteCurrency": "USD", "rate": "1"},
            {"baseCurrency": "USD", "quoteCurrency": "XYZ", "rate": "1"},
            {"baseCurrency": "USD", "quoteCurrency": "EUR", "rate": "0"},
            {"baseCurrency": "USD", "quoteCurrency": "EUR", "rate": "1", "spreadBps": 10000},
            {"baseCurrency": "USD", "quoteCurrency": "EUR", "rate": "1", "feeBps": -1},
            {"baseCurrency": "USD", "quoteCurrency": "EUR", "rate": True},
            {"baseCurrency": "USD", "quoteCurrency": "EUR"},
        ],
    )
    async def test_bad_rates(self, issuer_api: IssuerApi, body: dict[str, Any]) -> None:
        assert_issuer_error(
            await issuer_api.post("/fx-rates:set", body), 400, "VALIDATION.INVALID_PARAMETER"
        )

    async def test_inexact_numbers_are_refused_in_this_api_s_shape(
        self, issuer_api: IssuerApi
    ) -> None:
        response = await issuer_api.http.post(
            issuer_api.url("/fx-rates:set"),
            content=b'{"baseCurrency":"USD","quoteCurrency":"EUR","rate":1e3}',
            headers={**issuer_api.headers(), "content-type": "application/json"},
        )
        assert_issuer_error(response, 400, "VALIDATION.INVALID_PARAMETER")


class TestChannels:
    async def test_recharge_channels(
        self, issuer_api: IssuerApi, http: Any, institution: Any, session: AsyncSession
    ) -> None:
        created = await issuer_api.post(
            "/recharge-channels",
            {
                "currency": "EUR",
                "channelName": "SEPA",
                "minAmount": "5",
                "maxAmount": "500",
                "feeBps": 10,
                "fixedFee": "0.50",
                "instructions": "IBAN ...",
            },
        )
        assert created.status_code == 201, created.text
        channel = created.json()
        assert (channel["minAmount"], channel["maxAmount"], channel["fixedFee"]) == (
            "5.00",
            "500.00",
            "0.50",
        )
        assert channel["enabled"] is True
        updated = await issuer_api.post(
            f"/recharge-channels/{channel['bizId']}:update", {"maxAmount": None, "enabled": False}
        )
        assert updated.json()["maxAmount"] is None and updated.json()["enabled"] is False
        listed = (await issuer_api.get("/recharge-channels")).json()["items"]
        assert [c["bizId"] for c in listed] == [channel["bizId"]]
        refused = await issuer_api.post(
            f"/recharge-channels/{channel['bizId']}:update", {"minAmount": "10", "maxAmount": "9"}
        )
        assert_issuer_error(refused, 400, "VALIDATION.INVALID_PARAMETER")
        assert_issuer_error(
            await issuer_api.post("/recharge-channels/unknown:update", {}),
            404,
            "RESOURCE.NOT_FOUND",
        )
        for bad in (
            {"currency": "EUR", "channelName": "x", "minAmount": "0"},
            {"currency": "EUR", "channelName": "x", "minAmount": "5", "maxAmount": "1"},
            {"currency": "EUR", "channelName": "x", "minAmount": "5", "feeBps": 10000},
            {"currency": "JPY", "channelName": "x", "minAmount": "5.5"},
        ):
            assert_issuer_error(
                await issuer_api.post("/recharge-channels", bad),
                400,
                "VALIDATION.INVALID_PARAMETER",
            )

    async def test_withdrawal_channels(
        self, issuer_api: IssuerApi, consumer: Account, session: AsyncSession
    ) -> None:
        workspace = await owned_workspace(session, owner=consumer)
        workspace_biz_id = workspace.biz_id
        await session.commit()
        created = await issuer_api.post(
            "/withdrawal-channels",
            {
                "workspaceBizId": workspace_biz_id,
                "channelType": "BANK_TRANSFER",
                "channelName": "Main",
                "currency": "USD",
                "accountName": "Carol",
                "accountNumber": "GB00123456789012",
            },
        )
        assert created.status_code == 201, created.text
        channel = created.json()
        assert channel["accountNumber"] == "GB00123456789012"  # in full, for the payer
        assert channel["workspaceBizId"] == workspace_biz_id and channel["isDefault"] is True
        fixed = await issuer_api.post(
            f"/withdrawal-channels/{channel['bizId']}:update", {"accountNumber": "GB00999988887777"}
        )
        assert fixed.json()["accountNumber"] == "GB00999988887777"
        crypto_field = await issuer_api.post(
            f"/withdrawal-channels/{channel['bizId']}:update", {"address": "TQ1234567890abcdef"}
        )
        assert_issuer_error(crypto_field, 400, "VALIDATION.INVALID_PARAMETER")
        listed = await issuer_api.get(
            "/withdrawal-channels", params={"workspaceBizId": workspace_biz_id}
        )
        assert [c["bizId"] for c in listed.json()["items"]] == [channel["bizId"]]
        assert (
            await issuer_api.get("/withdrawal-channels", params={"workspaceBizId": "none"})
        ).json()["total"] == 0
        unknown = await issuer_api.post(
            "/withdrawal-channels",
            {
                "workspaceBizId": "unknown",
                "channelType": "CRYPTO",
                "channelName": "c",
                "currency": "USDT",
                "network": "TRC20",
                "address": "TQ1234567890abcdef",
            },
        )
        assert_issuer_error(unknown, 404, "RESOURCE.NOT_FOUND")


class TestPartners:
    async def test_list_approve_reject(
        self, issuer_api: IssuerApi, session: AsyncSession, realm: Realm
    ) -> None:
        pending = [
            await create_account(
                session,
                institution_id=realm.institution_id,
                portal=AccountPortal.PARTNER,
                email=f"p{i}@example.com",
                pending_approval=True,
            )
            for i in range(2)
        ]
        await session.commit()
        listed = (await issuer_api.get("/partners", params={"status": "PENDING"})).json()
        assert listed["total"] == 2 and listed["items"][0]["approvalStatus"] == "PENDING"
        approved = await issuer_api.post(f"/partners/{pending[0].biz_id}:approve")
        assert approved.json()["approvalStatus"] == "APPROVED"
        rejected = await issuer_api.post(f"/partners/{pending[1].biz_id}:reject", {"reason": "no"})
        assert rejected.json()["approvalStatus"] == "REJECTED"
        assert rejected.json()["accountStatus"] == "REJECTED"
        for state, expected in (("APPROVED", pending[0]), ("REJECTED", pending[1])):
            items = (await issuer_api.get("/partners", params={"status": state})).json()["items"]
            assert [p["accountBizId"] for p in items] == [expected.biz_id]
        assert_issuer_error(
            await issuer_api.post(f"/partners/{pending[0].biz_id}:reject"),
            400,
            "PARTNER.NOT_PENDING",
        )

    async def test_twenty_parallel_approvals_succeed_once(
        self, issuer_api: IssuerApi, session: AsyncSession, realm: Realm
    ) -> None:
        partner = await create_account(
            session,
            institution_id=realm.institution_id,
            portal=AccountPortal.PARTNER,
            email="rush@example.com",
            pending_approval=True,
        )
        await session.commit()
        responses = await asyncio.gather(
            *[issuer_api.post(f"/partners/{partner.biz_id}:approve") for _ in range(20)]
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(200) == 1 and statuses.count(400) == 19, statuses
        assert len((await session.execute(select(AuditEvent))).all()) == 1


class TestConsumersAndAudit:
    async def test_lookup_by_email_and_id(
        self, issuer_api: IssuerApi, consumer: Account, session: AsyncSession
    ) -> None:
        await fund_wallet(
            session, workspace=await owned_workspace(session, owner=consumer), amount="2"
        )
        await session.commit()
        found = await issuer_api.post("/consumers:lookup", {"email": " Carol@Example.com "})
        assert found.status_code == 200, found.text
        body = found.json()
        assert body["consumerId"] == consumer.biz_id and body["status"] == "ACTIVE"
        assert body["wallets"][0]["availableBalance"] == "2.00"
        by_id = (await issuer_api.get(f"/consumers/{consumer.biz_id}")).json()
        assert by_id == body
        assert_issuer_error(
            await issuer_api.post("/consumers:lookup", {"email": "nobody@example.com"}),
            404,
            "RESOURCE.NOT_FOUND",
        )
        assert_issuer_error(
            await issuer_api.post("/consumers:lookup", {}), 400, "VALIDATION.INVALID_PARAMETER"
        )

    async def test_audit_log_paged_and_filtered(
        self, issuer_api: IssuerApi, consumer: Account, session: AsyncSession
    ) -> None:
        for verb in ("suspend", "resume", "suspend"):
            await issuer_api.post(f"/consumers/{consumer.biz_id}/operations:{verb}", {})
        everything = (await issuer_api.get("/audit-events")).json()
        assert everything["total"] == 3
        assert [e["action"] for e in everything["items"]] == [
            "consumer.suspend",
            "consumer.resume",
            "consumer.suspend",
        ]
        assert set(everything["items"][0]) == {
            "eventId",
            "actorType",
            "actorId",
            "action",
            "targetType",
            "targetId",
            "outcome",
            "correlationId",
            "requestId",
            "createdAt",
        }
        assert everything["items"][0]["targetId"] == consumer.biz_id
        only = (await issuer_api.get("/audit-events", params={"action": "consumer.resume"})).json()
        assert only["total"] == 1
        await session.execute(update(AuditEvent).values(created_at=utcnow() - timedelta(days=2)))
        await session.commit()
        recent = (
            await issuer_api.get(
                "/audit-events", params={"startTime": (utcnow() - timedelta(days=1)).isoformat()}
            )
        ).json()
        assert recent["total"] == 0


class TestScopes:
    async def test_a_client_holds_only_its_scopes(
        self,
        app: Any,
        issuer_api: IssuerApi,
        session: AsyncSession,
        realm: Realm,
        consumer: Account,
    ) -> None:
        narrow = await create_issuer_client(
            session,
            runtime_of(app).auth_kit,
            institution_id=realm.institution_id,
            scopes=["issuer:consumers:read"],
        )
        token = (
            await mint_token(
                session, app, institution_id=realm.institution_id, issuer_client=narrow.client
            )
        ).access_token
        await session.commit()
        allowed = await issuer_api.get(f"/consumers/{consumer.biz_id}/operations", token=token)
        assert allowed.status_code == 200
        for response in (
            await issuer_api.post(
                f"/consumers/{consumer.biz_id}/operations:suspend", {}, token=token
            ),
            await issuer_api.get("/recharges", token=token),
            await issuer_api.get("/audit-events", token=token),
        ):
            assert_issuer_error(response, 403, "ACCESS.INSUFFICIENT_SCOPE")
            assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
