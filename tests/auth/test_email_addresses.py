"""Email addresses in every field that takes one: special-use domains accepted (the documents'
own `consumer@slaunchx.test`), lookalikes folded to one normal form (NFKC, IDNA, lower case) so
they cannot become a second account, and local parts mixing scripts refused."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.email_address import normalise_email
from tests.factories.accounts import DEFAULT_PASSWORD, create_account
from tests.factories.institutions import InstitutionCodes
from tests.factories.money import fund_wallet
from tests.factories.workspaces import owned_workspace
from tests.support.portal import Portal, assert_error, assert_ok

FULLWIDTH_M = "\uff4d"  # ｍ, FULLWIDTH LATIN SMALL LETTER M
CYRILLIC_A = "\u0430"  # а, CYRILLIC SMALL LETTER A
INVALID = "VALIDATION.INVALID_PARAMETER"


class TestNormalForm:
    @pytest.mark.parametrize(
        ("given", "stored"),
        [
            ("consumer@slaunchx.test", "consumer@slaunchx.test"),
            ("a@x.example", "a@x.example"),
            ("a@app.localhost", "a@app.localhost"),
            ("a@nowhere.invalid", "a@nowhere.invalid"),
            ("Consumer@Demo.Portico", "consumer@demo.portico"),
            (f"{FULLWIDTH_M}alx@example.com", "malx@example.com"),
            ("x@\uff45xample\uff0ecom", "x@example.com"),  # fullwidth e and dot
            ("user@B\u00dcCHER.de", "user@xn--bcher-kva.de"),
            ("\u03b1\u03b2\u03b3@example.gr", "\u03b1\u03b2\u03b3@example.gr"),  # all Greek
            ("\u3042\u30a2\u6f22abc@example.jp", "\u3042\u30a2\u6f22abc@example.jp"),  # Japanese
        ],
    )
    def test_accepted(self, given: str, stored: str) -> None:
        assert normalise_email(given) == stored

    @pytest.mark.parametrize(
        "given",
        [
            f"m{CYRILLIC_A}lx@example.com",  # Latin with Cyrillic
            "abc\u03b1@example.com",  # Latin with Greek
            "a@localhost",  # no dot
            "a..b@example.com",
            '"quoted"@example.com',
            "user@[127.0.0.1]",
            "a@-x.com",
            "a@x.c0m",
            "@example.com",
            "a@",
            "x" * 65 + "@example.com",
        ],
    )
    def test_refused(self, given: str) -> None:
        with pytest.raises(ValueError, match=r".+"):
            normalise_email(given)


async def _register(portal: Portal, email: str) -> Any:
    return await portal.post(
        "/auth/register/initiate", {"email": email, "password": "Str0ngPassw0rd!"}
    )


class TestEveryEmailField:
    @pytest.mark.both_portals
    async def test_the_documents_example_address_registers_and_signs_in(
        self, portal: Portal, session: AsyncSession
    ) -> None:
        started = assert_ok(await _register(portal, "consumer@slaunchx.test"))
        code = await portal.outbox.last_code("consumer@slaunchx.test")
        assert_ok(
            await portal.post(
                "/auth/register/verify", {"sessionId": started["sessionId"], "code": code}
            )
        )
        started = assert_ok(
            await portal.post(
                "/auth/login/initiate",
                {"email": "Consumer@SLaunchX.test", "password": "Str0ngPassw0rd!"},
            )
        )
        assert started["mfaMethods"][0]["code"] == "EMAIL"
        forgot = await portal.post("/auth/password/forgot", {"email": "consumer@slaunchx.test"})
        assert_ok(forgot)

    @pytest.mark.both_portals
    async def test_a_mixed_script_address_is_refused_everywhere(
        self, portal: Portal, account: Any
    ) -> None:
        mixed = f"m{CYRILLIC_A}lx@example.com"
        token = (await portal.login(account.email))["accessToken"]
        roles = assert_ok(await portal.get("/roles", token=token))
        transfer = "/transfer" if portal.prefix.endswith("consumer") else "/transfers"
        for path, body, field in [
            ("/auth/register/initiate", {"email": mixed, "password": "Str0ngPassw0rd!"}, "email"),
            ("/auth/login/initiate", {"email": mixed, "password": DEFAULT_PASSWORD}, "email"),
            ("/auth/password/forgot", {"email": mixed}, "email"),
            ("/invitations", {"email": mixed, "roleId": roles[1]["bizId"]}, "email"),
            (
                f"{transfer}/command/create",
                {"fromWalletBizId": "w", "toAccountEmail": mixed, "amount": "1"},
                "toAccountEmail",
            ),
        ]:
            response = await portal.post(path, body, token=token)
            assert_error(response, 400, INVALID)
            assert response.json()["message"] == f"Invalid request parameters: {field}", path


class TestLookalikes:
    async def test_a_fullwidth_lookalike_is_the_same_account(
        self, portal: Portal, session: AsyncSession, institution: InstitutionCodes
    ) -> None:
        await create_account(
            session,
            institution_id=institution.institution_id,
            portal=portal.portal,
            email="malx@example.com",
        )
        await session.commit()
        lookalike = f"{FULLWIDTH_M}alx@example.com"
        # registering it is registering a taken address: the owner is told, nothing is created
        assert_ok(await _register(portal, lookalike))
        notice = await portal.outbox.last("malx@example.com")
        assert notice["Subject"] == "You already have a Portico account"
        count = await session.scalar(select(func.count()).select_from(Account))
        assert count == 1
        # and it signs in to that account
        started = await portal.post(
            "/auth/login/initiate", {"email": lookalike.upper(), "password": DEFAULT_PASSWORD}
        )
        assert_ok(started)

    async def test_a_transfer_to_a_lookalike_pays_the_real_account(
        self, portal: Portal, session: AsyncSession, institution: InstitutionCodes
    ) -> None:
        payer = await create_account(
            session, institution_id=institution.institution_id, portal=portal.portal
        )
        payee = await create_account(
            session,
            institution_id=institution.institution_id,
            portal=portal.portal,
            email="malx@example.com",
            name="Malx",
        )
        wallet = await fund_wallet(
            session, workspace=await owned_workspace(session, owner=payer), amount="10"
        )
        await owned_workspace(session, owner=payee)
        await session.commit()
        token = (await portal.login(payer.email))["accessToken"]
        transfer = "/transfer" if portal.prefix.endswith("consumer") else "/transfers"
        order = assert_ok(
            await portal.post(
                f"{transfer}/command/create",
                {
                    "fromWalletBizId": wallet.biz_id,
                    "toAccountEmail": f"{FULLWIDTH_M}ALX@EXAMPLE.COM",
                    "amount": "2.50",
                },
                token=token,
            ),
            code="2001",
            status=201,
        )
        assert order["payeeAccountBizId"] == payee.biz_id

    async def test_an_invitation_to_a_lookalike_reaches_the_real_account(
        self, portal: Portal, session: AsyncSession, institution: InstitutionCodes
    ) -> None:
        owner = await create_account(
            session, institution_id=institution.institution_id, portal=portal.portal
        )
        await owned_workspace(session, owner=owner)
        invitee = await create_account(
            session,
            institution_id=institution.institution_id,
            portal=portal.portal,
            email="malx@example.com",
        )
        await session.commit()
        token = (await portal.login(owner.email))["accessToken"]
        roles = assert_ok(await portal.get("/roles", token=token))
        invited = assert_ok(
            await portal.post(
                "/invitations",
                {"email": f"{FULLWIDTH_M}alx@example.com", "roleId": roles[1]["bizId"]},
                token=token,
            ),
            code="2001",
            status=201,
        )
        assert invited["inviteeEmail"] == "malx@example.com"
        theirs = (await portal.login(invitee.email))["accessToken"]
        received = assert_ok(await portal.get("/profile/invitations", token=theirs))
        assert [i["bizId"] for i in received] == [invited["bizId"]]
