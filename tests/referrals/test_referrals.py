"""Partner referral codes (one per workspace, unique in the institution, also under 20
parallel creates on real server processes) and the consumers who register with them."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.auth.sessions import open_session
from portico.caller import ClientInfo, PortalContext
from portico.db import Database
from portico.enums import AccountPortal
from portico.referrals.models import Referral, ReferralCode
from portico.runtime import runtime_of
from tests.factories.accounts import create_account
from tests.factories.institutions import InstitutionCodes
from tests.support.mail import Outbox
from tests.support.money import Money
from tests.support.portal import Portal, assert_error, assert_ok

PARTNER = pytest.mark.parametrize("portal_kind", [AccountPortal.PARTNER], ids=["partner"])
CODE_FIELDS = ["bizId", "code", "isActive", "extraData", "usageCount", "createdAt", "updatedAt"]
REFERRAL_FIELDS = [
    "bizId",
    "referredAccountBizId",
    "referredAccountEmail",
    "referredAccountName",
    "referralCode",
    "registeredAt",
    "accountStatus",
]
INVALID, NOT_FOUND = "VALIDATION.INVALID_PARAMETER", "RESOURCE.NOT_FOUND"


async def register_consumer(
    http: httpx.AsyncClient,
    institution: InstitutionCodes,
    outbox: Outbox,
    email: str,
    referral_code: str | None,
) -> None:
    consumer = Portal(http, AccountPortal.CONSUMER, institution.consumer, outbox)
    body: dict[str, Any] = {"email": email, "password": "Referred123!", "accountName": "Ref"}
    if referral_code is not None:
        body["referralCode"] = referral_code
    started = assert_ok(await consumer.post("/auth/register/initiate", body))
    code = await outbox.last_code(email)
    assert_ok(
        await consumer.post(
            "/auth/register/verify", {"sessionId": started["sessionId"], "code": code}
        )
    )


@PARTNER
class TestReferralCodes:
    async def test_none_then_one_code(self, money: Money) -> None:
        alice = money.alice
        assert assert_ok(await alice.get("/referral-codes/mine")) is None
        assert assert_ok(await alice.get("/referrals/mine/count")) == 0
        empty = assert_ok(await alice.post("/referrals/mine/query", {"page": 0, "size": 10}))
        assert empty == {"items": [], "total": 0, "page": 0, "size": 10}

        made = assert_ok(
            await alice.post("/referral-codes", {"code": "alice2026", "extraData": "spring"}),
            "2001",
            201,
        )
        assert list(made) == CODE_FIELDS
        assert made["code"] == "ALICE2026" and made["isActive"] is True
        assert made["extraData"] == "spring" and made["usageCount"] == 0
        assert assert_ok(await alice.get("/referral-codes/mine")) == made

        # one per workspace
        again = await alice.post("/referral-codes", {"code": "OTHER123"})
        assert_error(again, 400, "REFERRAL.CODE_EXISTS")
        # unique in the institution, whatever the case
        taken = await money.bob.post("/referral-codes", {"code": "Alice2026"})
        assert_error(taken, 400, "REFERRAL.CODE_TAKEN")
        assert assert_ok(await money.bob.get("/referral-codes/mine")) is None

    async def test_a_generated_code(self, money: Money) -> None:
        made = assert_ok(await money.alice.post("/referral-codes", {"extraData": "x"}), "2001", 201)
        assert len(made["code"]) == 8 and made["code"].isalnum() and made["code"].isupper()

    async def test_bad_bodies(self, money: Money) -> None:
        for body in (
            {},
            {"code": "abc"},
            {"code": "has space"},
            {"code": 1234},
            {"code": "x" * 21},
        ):
            assert_error(await money.alice.post("/referral-codes", body), 400, INVALID)
        assert_error(
            await money.alice.post("/referral-codes", {"extraData": "x" * 1001}), 400, INVALID
        )
        for body in ({"page": -1}, {"size": 0}, {"size": 101}, {"page": "0"}):
            assert_error(await money.alice.post("/referrals/mine/query", body), 400, INVALID)

    async def test_activate_deactivate_update(self, money: Money) -> None:
        made = assert_ok(
            await money.alice.post("/referral-codes", {"code": "ACTV1234"}), "2001", 201
        )
        ref = {"bizId": made["bizId"]}
        off = assert_ok(await money.alice.post("/referral-codes/deactivate", ref))
        assert off["isActive"] is False
        on = assert_ok(await money.alice.post("/referral-codes/activate", ref))
        assert on["isActive"] is True
        updated = assert_ok(
            await money.alice.post("/referral-codes/update", {**ref, "extraData": "updated data"})
        )
        assert updated["extraData"] == "updated data" and updated["code"] == "ACTV1234"
        unchanged = assert_ok(await money.alice.post("/referral-codes/update", ref))
        assert unchanged["extraData"] == "updated data"
        cleared = assert_ok(
            await money.alice.post("/referral-codes/update", {**ref, "extraData": None})
        )
        assert cleared["extraData"] is None

    async def test_unknown_and_foreign_codes_are_not_found(self, money: Money) -> None:
        made = assert_ok(
            await money.alice.post("/referral-codes", {"code": "MINE1234"}), "2001", 201
        )
        for biz_id in ("non-existent-referral-code-id", made["bizId"]):
            for action in ("activate", "deactivate"):
                response = await money.bob.post(f"/referral-codes/{action}", {"bizId": biz_id})
                assert_error(response, 404, NOT_FOUND)
            response = await money.bob.post(
                "/referral-codes/update", {"bizId": biz_id, "extraData": "updated data"}
            )
            assert_error(response, 404, NOT_FOUND)
        assert assert_ok(await money.alice.get("/referral-codes/mine")) == made

    async def test_not_on_the_consumer_portal(self, money: Money, http: httpx.AsyncClient) -> None:
        for method, path in (
            ("GET", "/referral-codes/mine"),
            ("POST", "/referral-codes"),
            ("POST", "/referrals/mine/query"),
            ("GET", "/referrals/mine/count"),
        ):
            response = await http.request(method, f"/web/v1/consumer{path}")
            assert_error(response, 404, NOT_FOUND)


@PARTNER
class TestReferralsAtRegistration:
    async def test_active_inactive_and_unknown_codes(
        self,
        money: Money,
        http: httpx.AsyncClient,
        institution: InstitutionCodes,
        outbox: Outbox,
        session: AsyncSession,
    ) -> None:
        made = assert_ok(
            await money.alice.post("/referral-codes", {"code": "JOINME01"}), "2001", 201
        )
        await register_consumer(http, institution, outbox, "first.user@example.com", "joinme01")
        await register_consumer(http, institution, outbox, "nobody@example.com", "NOSUCHCODE")
        await register_consumer(http, institution, outbox, "plain@example.com", None)
        assert_ok(await money.alice.post("/referral-codes/deactivate", {"bizId": made["bizId"]}))
        await register_consumer(http, institution, outbox, "late@example.com", "JOINME01")
        assert_ok(await money.alice.post("/referral-codes/activate", {"bizId": made["bizId"]}))
        await register_consumer(http, institution, outbox, "second@example.com", " JoinMe01 ")

        assert assert_ok(await money.alice.get("/referrals/mine/count")) == 2
        page = assert_ok(await money.alice.post("/referrals/mine/query", {"page": 0, "size": 1}))
        assert page["total"] == 2 and page["page"] == 0 and page["size"] == 1
        (newest,) = page["items"]
        assert list(newest) == REFERRAL_FIELDS
        assert newest["referredAccountEmail"] == "s***@example.com"
        assert newest["referralCode"] == "JOINME01"
        assert newest["accountStatus"]["code"] == "ACTIVE"
        second_page = assert_ok(
            await money.alice.post("/referrals/mine/query", {"page": 1, "size": 1})
        )
        assert second_page["items"][0]["referredAccountEmail"] == "f***@example.com"
        assert assert_ok(await money.alice.post("/referrals/mine/query"))["total"] == 2
        assert assert_ok(await money.alice.get("/referral-codes/mine"))["usageCount"] == 2
        # nobody else sees them
        assert assert_ok(await money.bob.get("/referrals/mine/count")) == 0
        # every registration went through, with or without a usable code
        emails = (
            await session.execute(select(Account.email).where(Account.portal == "CONSUMER"))
        ).scalars()
        assert {
            "first.user@example.com",
            "nobody@example.com",
            "plain@example.com",
            "late@example.com",
            "second@example.com",
        } <= set(emails)


class TestParallelCreates:
    """20 truly parallel creates against two server processes: one code, the rest a business
    error, never a 500."""

    async def test_one_code_per_workspace_and_per_institution(
        self,
        servers: list[str],
        app: Any,
        database: Database,
        session: AsyncSession,
        institution: InstitutionCodes,
    ) -> None:
        accounts = [
            await create_account(
                session,
                institution_id=institution.institution_id,
                portal=AccountPortal.PARTNER,
                email=f"partner{n}@example.com",
            )
            for n in range(21)
        ]
        await session.commit()
        ctx = PortalContext(AccountPortal.PARTNER, institution.institution_id, institution.biz_id)
        client = ClientInfo("127.0.0.1", "parallel", None, None, None)
        tokens = []
        async with database.sessionmaker() as s:
            for account in accounts:
                loaded = await s.get(Account, account.id)
                assert loaded is not None
                issued = await open_session(
                    s, runtime_of(app).auth_kit, account=loaded, ctx=ctx, client=client
                )
                tokens.append(issued.access_token)
            await s.commit()

        async with httpx.AsyncClient(timeout=30) as http:

            async def create(n: int, token: str, code: str) -> httpx.Response:
                return await http.post(
                    f"{servers[n % 2]}/web/v1/partner/referral-codes",
                    json={"code": code},
                    headers={
                        "X-PORTAL-ACCESS-CODE": institution.partner,
                        "Authorization": f"Bearer {token}",
                    },
                )

            # one workspace, 20 different codes at once
            own = await asyncio.gather(*(create(n, tokens[0], f"OWN{n:05d}") for n in range(20)))
            # 20 workspaces, one code at once
            same = await asyncio.gather(*(create(n, tokens[n + 1], "SAMECODE") for n in range(20)))
        for answers, loser in ((own, "REFERRAL.CODE_EXISTS"), (same, "REFERRAL.CODE_TAKEN")):
            statuses = sorted(r.status_code for r in answers)
            assert statuses == [201] + [400] * 19, [r.text for r in answers]
            assert {r.json()["code"] for r in answers if r.status_code == 400} == {loser}
        codes = (await session.execute(select(ReferralCode.code))).scalars().all()
        assert len(codes) == 2 and "SAMECODE" in codes
        assert (await session.execute(select(func.count()).select_from(Referral))).scalar_one() == 0
