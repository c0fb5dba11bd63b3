"""Forgot, reset and change password."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.auth.models import PasswordResetToken
from portico.db import utcnow
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.support.portal import Portal, assert_error, assert_ok

FORGOT_DATA = {"success": True, "message": "如果邮箱存在, 将收到重置链接"}


async def _reset_token(portal: Portal, email: str) -> str:
    assert_ok(
        await portal.post(
            "/auth/password/forgot", {"email": email, "turnstileToken": "1x00000000000000000000AA"}
        )
    )
    body = (await portal.outbox.last(email)).get_content()
    match = re.search(r"token=([A-Za-z0-9_\-]+)", body)
    assert match, body
    return match.group(1)


class TestForgot:
    async def test_known_and_unknown_answer_the_same(self, portal: Portal, account: Any) -> None:
        known = assert_ok(await portal.post("/auth/password/forgot", {"email": account.email}))
        unknown = assert_ok(
            await portal.post("/auth/password/forgot", {"email": "ghost@example.com"})
        )
        assert known == unknown == FORGOT_DATA
        assert len(await portal.outbox.messages(account.email)) == 1
        assert await portal.outbox.messages("ghost@example.com") == []

    async def test_bad_bodies(self, portal: Portal) -> None:
        for body in [{}, {"email": "nope"}, {"email": 3}, None]:
            assert_error(
                await portal.post("/auth/password/forgot", body),
                400,
                "VALIDATION.INVALID_PARAMETER",
            )

    async def test_limited_per_email(self, portal: Portal, account: Any) -> None:
        statuses = [
            (await portal.post("/auth/password/forgot", {"email": account.email})).status_code
            for _ in range(6)
        ]
        assert statuses == [200] * 5 + [429]


class TestReset:
    async def test_resets_and_ends_every_session(self, portal: Portal, account: Any) -> None:
        tokens = await portal.login(account.email)
        reset = await _reset_token(portal, account.email)
        assert_ok(
            await portal.post(
                "/auth/password/reset", {"token": reset, "newPassword": "BrandNewPass1"}
            ),
            code="2004",
        )
        assert_error(
            await portal.get("/profile", token=tokens["accessToken"]), 401, "ACCESS.TOKEN_INVALID"
        )
        assert_error(
            await portal.post(
                "/auth/login/initiate", {"email": account.email, "password": DEFAULT_PASSWORD}
            ),
            401,
            "AUTH.INVALID_CREDENTIALS",
        )
        await portal.login(account.email, "BrandNewPass1")

    async def test_token_is_single_use(self, portal: Portal, account: Any) -> None:
        reset = await _reset_token(portal, account.email)
        assert_ok(
            await portal.post(
                "/auth/password/reset", {"token": reset, "newPassword": "BrandNewPass1"}
            ),
            code="2004",
        )
        again = await portal.post(
            "/auth/password/reset", {"token": reset, "newPassword": "OtherPass123"}
        )
        assert_error(again, 400, "AUTH.RESET_TOKEN_INVALID")

    async def test_expired_token(self, portal: Portal, account: Any, session: AsyncSession) -> None:
        reset = await _reset_token(portal, account.email)
        await session.execute(
            update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
        response = await portal.post(
            "/auth/password/reset", {"token": reset, "newPassword": "BrandNewPass1"}
        )
        assert_error(response, 400, "AUTH.RESET_TOKEN_INVALID")

    async def test_unlocks_a_locked_account(self, portal: Portal, account: Any) -> None:
        for _ in range(5):
            await portal.post(
                "/auth/login/initiate", {"email": account.email, "password": "wrong-password"}
            )
        reset = await _reset_token(portal, account.email)
        assert_ok(
            await portal.post(
                "/auth/password/reset", {"token": reset, "newPassword": "BrandNewPass1"}
            ),
            code="2004",
        )
        await portal.login(account.email, "BrandNewPass1")

    async def test_bad_input(self, portal: Portal) -> None:
        assert_error(
            await portal.post(
                "/auth/password/reset", {"token": "nope", "newPassword": "BrandNewPass1"}
            ),
            400,
            "AUTH.RESET_TOKEN_INVALID",
        )
        assert_error(
            await portal.post("/auth/password/reset", {"token": "nope", "newPassword": "short"}),
            400,
            "VALIDATION.INVALID_PARAMETER",
        )
        assert_error(
            await portal.post("/auth/password/reset", {}), 400, "VALIDATION.INVALID_PARAMETER"
        )


class TestChange:
    async def test_changes_and_ends_other_sessions(self, portal: Portal, account: Any) -> None:
        other = await portal.login(account.email)
        mine = await portal.login(account.email)
        body = {"currentPassword": DEFAULT_PASSWORD, "newPassword": "BrandNewPass1"}
        assert_ok(
            await portal.post("/security/password/change", body, token=mine["accessToken"]),
            code="2004",
        )
        assert_ok(await portal.get("/profile", token=mine["accessToken"]))
        assert_error(
            await portal.get("/profile", token=other["accessToken"]), 401, "ACCESS.TOKEN_INVALID"
        )
        await portal.login(account.email, "BrandNewPass1")

    async def test_wrong_current_password(self, portal: Portal, account: Any) -> None:
        tokens = await portal.login(account.email)
        body = {"currentPassword": "not-it-at-all", "newPassword": "BrandNewPass1"}
        assert_error(
            await portal.post("/security/password/change", body, token=tokens["accessToken"]),
            400,
            "AUTH.PASSWORD_INCORRECT",
        )

    async def test_bad_input_and_no_token(self, portal: Portal, account: Any) -> None:
        tokens = await portal.login(account.email)
        assert_error(
            await portal.post(
                "/security/password/change",
                {"currentPassword": DEFAULT_PASSWORD, "newPassword": "short"},
                token=tokens["accessToken"],
            ),
            400,
            "VALIDATION.INVALID_PARAMETER",
        )
        assert_error(
            await portal.post(
                "/security/password/change",
                {"currentPassword": DEFAULT_PASSWORD, "newPassword": "BrandNewPass1"},
            ),
            401,
            "ACCESS.TOKEN_MISSING",
        )
