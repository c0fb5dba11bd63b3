"""Registration: initiate, then the mailed code creates and signs in the account."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.config import Settings
from portico.enums import AccountPortal
from portico.security.models import MfaEnrollment
from portico.security.passwords import PasswordHasher
from portico.workspaces.models import Workspace, WorkspaceMember, WorkspaceRole
from tests.factories.accounts import TEST_ARGON2_MEMORY_KIB, TEST_ARGON2_TIME_COST
from tests.support.portal import Portal, assert_error, assert_ok

NEW = {"email": "New.User@Example.com", "password": "Str0ngPassw0rd!", "accountName": "New User"}


async def _register(portal: Portal, body: dict[str, Any] = NEW) -> dict[str, Any]:
    started = assert_ok(await portal.post("/auth/register/initiate", body))
    email = body["email"].lower()
    code = await portal.outbox.last_code(email)
    data: dict[str, Any] = assert_ok(
        await portal.post(
            "/auth/register/verify", {"sessionId": started["sessionId"], "code": code}
        )
    )
    return data


class TestRegister:
    @pytest.mark.both_portals
    async def test_provisions_everything(self, portal: Portal, session: AsyncSession) -> None:
        started = assert_ok(await portal.post("/auth/register/initiate", NEW))
        assert started["mfaMethods"][0]["code"] == "EMAIL"
        assert started["pendingApproval"] is (portal.portal == AccountPortal.PARTNER)
        code = await portal.outbox.last_code("new.user@example.com")
        tokens = assert_ok(
            await portal.post(
                "/auth/register/verify", {"sessionId": started["sessionId"], "code": code}
            )
        )
        assert tokens["tokenType"] == "Bearer"
        profile = assert_ok(await portal.get("/profile", token=tokens["accessToken"]))
        assert profile["accountEmail"] == "new.user@example.com"
        assert profile["accountName"] == "New User"
        assert profile["accountPortal"]["code"] == portal.portal.value
        assert (
            profile["defaultLanguage"],
            profile["defaultTimezone"],
            profile["defaultCountry"],
        ) == ("en", "UTC", "US")

        account = (
            await session.execute(select(Account).where(Account.email == "new.user@example.com"))
        ).scalar_one()
        assert account.password_hash.startswith(
            f"$argon2id$v=19$m={TEST_ARGON2_MEMORY_KIB},t={TEST_ARGON2_TIME_COST},p=1$"
        )
        assert account.pending_approval is (portal.portal == AccountPortal.PARTNER)
        workspace = (await session.execute(select(Workspace))).scalar_one()
        assert (workspace.kind, workspace.status) == ("LIVE", "ACTIVE")
        roles = (
            (await session.execute(select(WorkspaceRole).order_by(WorkspaceRole.id)))
            .scalars()
            .all()
        )
        assert [(r.name, r.role_type, r.description) for r in roles] == [
            ("所有者", "OWNER", "空间所有者,拥有全部权限"),
            ("成员", "CUSTOM", "默认成员角色"),
        ]
        member = (await session.execute(select(WorkspaceMember))).scalar_one()
        assert (
            member.account_id,
            member.role_id,
            member.join_source,
            member.is_owner,
            member.is_default,
        ) == (
            account.id,
            roles[0].id,
            "REGISTRATION",
            True,
            True,
        )
        mfa = (await session.execute(select(MfaEnrollment))).scalar_one()
        assert (mfa.method, mfa.is_enabled, mfa.is_primary) == ("EMAIL", True, True)
        assert len(workspace.biz_id) == 16 and workspace.biz_id.isalnum()

    async def test_existing_email_gets_same_answer_and_a_notice(
        self, portal: Portal, account: Any
    ) -> None:
        body = {**NEW, "email": account.email}
        started = assert_ok(await portal.post("/auth/register/initiate", body))
        assert list(started) == [
            "sessionId",
            "mfaMethods",
            "expiresIn",
            "accountStatus",
            "pendingApproval",
        ]
        notice = await portal.outbox.last(account.email)
        assert "already exists" in notice.get_content()
        response = await portal.post(
            "/auth/register/verify", {"sessionId": started["sessionId"], "code": "123456"}
        )
        assert_error(response, 401, "AUTH.MFA_CODE_INVALID")

    async def test_wrong_code_then_right_code(self, portal: Portal) -> None:
        started = assert_ok(await portal.post("/auth/register/initiate", NEW))
        code = await portal.outbox.last_code("new.user@example.com")
        wrong = "000000" if code != "000000" else "111111"
        assert_error(
            await portal.post(
                "/auth/register/verify", {"sessionId": started["sessionId"], "code": wrong}
            ),
            401,
            "AUTH.MFA_CODE_INVALID",
        )
        assert_ok(
            await portal.post(
                "/auth/register/verify", {"sessionId": started["sessionId"], "code": code}
            )
        )
        # single use
        assert_error(
            await portal.post(
                "/auth/register/verify", {"sessionId": started["sessionId"], "code": code}
            ),
            404,
            "AUTH.SESSION_NOT_FOUND",
        )

    async def test_second_challenge_for_same_email_cannot_duplicate(self, portal: Portal) -> None:
        first = assert_ok(await portal.post("/auth/register/initiate", NEW))
        first_code = await portal.outbox.last_code("new.user@example.com")
        second = assert_ok(await portal.post("/auth/register/initiate", NEW))
        second_code = await portal.outbox.last_code("new.user@example.com")
        assert_ok(
            await portal.post(
                "/auth/register/verify", {"sessionId": first["sessionId"], "code": first_code}
            )
        )
        response = await portal.post(
            "/auth/register/verify", {"sessionId": second["sessionId"], "code": second_code}
        )
        assert_error(response, 404, "AUTH.SESSION_NOT_FOUND")

    async def test_resend_for_registration(self, portal: Portal) -> None:
        started = assert_ok(await portal.post("/auth/register/initiate", NEW))
        assert_ok(
            await portal.post("/auth/login/resend", {"sessionId": started["sessionId"]}),
            code="2004",
        )
        code = await portal.outbox.last_code("new.user@example.com")
        assert_ok(
            await portal.post(
                "/auth/register/verify", {"sessionId": started["sessionId"], "code": code}
            )
        )

    @pytest.mark.both_portals
    async def test_then_login_works(self, portal: Portal) -> None:
        await _register(portal)
        tokens = await portal.login("new.user@example.com", NEW["password"])
        assert_ok(await portal.get("/profile", token=tokens["accessToken"]))

    async def test_bad_bodies(self, portal: Portal) -> None:
        for body in [
            {},
            {"email": "x@y.co"},
            {**NEW, "password": "short"},
            {**NEW, "password": "x" * 129},
            {**NEW, "email": "nope"},
            {**NEW, "accountName": 7},
            {**NEW, "accountName": " "},
            None,
        ]:
            assert_error(
                await portal.post("/auth/register/initiate", body),
                400,
                "VALIDATION.INVALID_PARAMETER",
            )
        assert_error(
            await portal.post("/auth/register/verify", {}), 400, "VALIDATION.INVALID_PARAMETER"
        )
        assert_error(
            await portal.post("/auth/register/verify", {"sessionId": "nope", "code": "123456"}),
            404,
            "AUTH.SESSION_NOT_FOUND",
        )

    async def test_login_challenge_is_not_a_registration(
        self, portal: Portal, account: Any
    ) -> None:
        started = assert_ok(
            await portal.post(
                "/auth/login/initiate", {"email": account.email, "password": "CorrectHorse9!"}
            )
        )
        code = await portal.outbox.last_code(account.email)
        response = await portal.post(
            "/auth/register/verify", {"sessionId": started["sessionId"], "code": code}
        )
        assert_error(response, 404, "AUTH.SESSION_NOT_FOUND")

    async def test_mail_bombing_is_limited(self, portal: Portal) -> None:
        statuses = [
            (
                await portal.post("/auth/register/initiate", {**NEW, "email": "victim@example.com"})
            ).status_code
            for _ in range(7)
        ]
        assert statuses == [200] * 5 + [429] * 2


def test_password_hashing_defaults_to_the_owasp_minimum() -> None:

    settings = Settings(_env_file=None)
    assert (settings.argon2_memory_kib, settings.argon2_time_cost) == (19_456, 2)
    assert settings.argon2_parallelism == 1
    hashed = asyncio.run(PasswordHasher(settings).hash("CorrectHorse9!"))
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
