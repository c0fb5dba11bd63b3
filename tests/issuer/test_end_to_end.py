"""The issue's end-to-end scenario: the issuer's back office (Authlib's OAuth2 client, client
credentials) pays a consumer's money out through the issuer API and then deletes the consumer;
the consumer's live token dies at once, the log shows the operation, the books verify."""

from __future__ import annotations

from typing import Any

import pytest

from portico.enums import AccountPortal
from tests.factories.accounts import create_account
from tests.factories.institutions import InstitutionCodes
from tests.factories.money import create_recharge_channel
from tests.factories.oauth import IssuerCredentials
from tests.support.authlib_client import oauth_client
from tests.support.cli import portico
from tests.support.mail import Outbox
from tests.support.oauth import Realm
from tests.support.portal import Portal, assert_error, assert_ok


@pytest.mark.usefixtures("cli_env")
async def test_pay_out_then_delete(
    app: Any,
    session: Any,
    http: Any,
    institution: InstitutionCodes,
    realm: Realm,
    issuer_client: IssuerCredentials,
    outbox: Outbox,
) -> None:
    consumer = await create_account(
        session, institution_id=realm.institution_id, email="erin@example.com"
    )
    channel = await create_recharge_channel(session, institution_id=realm.institution_id)
    await session.commit()
    portal = Portal(http, AccountPortal.CONSUMER, institution.consumer, outbox)
    access = (await portal.login("erin@example.com"))["accessToken"]

    async with oauth_client(app, issuer_client.client_id, issuer_client.secret) as issuer:
        await issuer.fetch_token(realm.token_url, grant_type="client_credentials")
        api = f"/issuers/{realm.issuer_id}"

        # money in: the consumer announces a recharge, the issuer approves it over HTTP
        recharge = assert_ok(
            await portal.post(
                "/recharges", {"channelBizId": channel.biz_id, "amount": "40"}, token=access
            ),
            "2001",
            201,
        )
        approved = await issuer.post(f"{api}/recharges/{recharge['bizId']}:approve")
        assert approved.status_code == 200, approved.text
        assert approved.json()["rechargeStatus"]["code"] == "COMPLETED"

        # money out, to zero: the consumer asks, the issuer pays it out
        destination = assert_ok(
            await portal.post(
                "/withdrawal-channels",
                {
                    "channelType": "BANK_TRANSFER",
                    "channelName": "Erin's bank",
                    "currency": "USD",
                    "accountName": "Erin",
                    "accountNumber": "GB00123456789012",
                },
                token=access,
            ),
            "2001",
            201,
        )
        asked = assert_ok(
            await portal.post(
                "/withdrawals",
                {
                    "walletBizId": recharge["walletBizId"],
                    "withdrawalChannelBizId": destination["bizId"],
                    "amount": "40",
                },
                token=access,
            ),
            "2001",
            201,
        )
        pending = (await issuer.get(f"{api}/withdrawals", params={"status": "PENDING"})).json()
        assert [w["bizId"] for w in pending["items"]] == [asked["bizId"]]
        paid = await issuer.post(
            f"{api}/withdrawals/{asked['bizId']}:complete",
            headers={"Idempotency-Key": "pay-erin-1", "x-correlation-id": "erin exit"},
        )
        assert paid.json()["withdrawalStatus"]["code"] == "COMPLETED"
        balance = assert_ok(await portal.get(f"/wallets/{recharge['walletBizId']}", token=access))
        assert balance["totalBalance"] == "0.00"

        # the deletion, and the consumer's live token refused on its very next request
        deleted = await issuer.post(
            f"{api}/consumers/{consumer.biz_id}/operations:delete",
            json={"reason": "customer left", "reasonCode": "USER_DECISION"},
            headers={"x-correlation-id": "erin exit"},
        )
        assert deleted.json()["status"] == "SUCCESSFUL", deleted.text
        assert_error(await portal.get("/profile", token=access), 401, "ACCESS.TOKEN_INVALID")

        # the operation in the log, and the actions in the audit log
        log = (await issuer.get(f"{api}/consumers/{consumer.biz_id}/operations")).json()
        assert [(o["operationId"], o["operation"], o["status"]) for o in log["operations"]] == [
            (deleted.json()["operationId"], "DELETE", "SUCCESSFUL")
        ]
        assert log["operations"][0]["reasonCode"] == "USER_DECISION"
        events = (await issuer.get(f"{api}/audit-events")).json()["items"]
        assert [(e["action"], e["actorId"], e["correlationId"]) for e in events] == [
            ("consumer.delete", issuer_client.client_id, "erin exit"),
            ("withdrawal.complete", issuer_client.client_id, "erin exit"),
            ("recharge.approve", issuer_client.client_id, None),
        ]

    assert await portico("ledger", "verify") == 0
