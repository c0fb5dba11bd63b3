"""Brute-force limits hold under parallel requests."""

from __future__ import annotations

import asyncio
from typing import Any

from portico.config import Settings
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.support.portal import Portal, assert_error, assert_ok


class TestAccountLimit:
    async def test_fifty_parallel_wrong_passwords_accept_at_most_five(
        self, portal: Portal, account: Any, settings: Settings
    ) -> None:
        body = {"email": account.email, "password": "wrong-password"}
        responses = await asyncio.gather(
            *[portal.post("/auth/login/initiate", body) for _ in range(50)]
        )
        statuses = [r.status_code for r in responses]
        assert statuses.count(401) == settings.login_account_max_failures
        assert statuses.count(429) == 50 - settings.login_account_max_failures
        for response in responses:
            if response.status_code == 429:
                assert_error(response, 429, "AUTH.TOO_MANY_ATTEMPTS")
        # locked: even the right password is refused until the window passes
        locked = await portal.post(
            "/auth/login/initiate", {"email": account.email, "password": DEFAULT_PASSWORD}
        )
        assert_error(locked, 429, "AUTH.TOO_MANY_ATTEMPTS")

    async def test_unknown_email_locks_the_same_way(
        self, portal: Portal, settings: Settings
    ) -> None:
        body = {"email": "ghost@example.com", "password": "wrong-password"}
        responses = await asyncio.gather(
            *[portal.post("/auth/login/initiate", body) for _ in range(12)]
        )
        statuses = [r.status_code for r in responses]
        assert statuses.count(401) == settings.login_account_max_failures
        assert statuses.count(429) == 12 - settings.login_account_max_failures

    async def test_success_resets_the_counter(self, portal: Portal, account: Any) -> None:
        for _ in range(4):
            await portal.post(
                "/auth/login/initiate", {"email": account.email, "password": "wrong-password"}
            )
        assert_ok(
            await portal.post(
                "/auth/login/initiate", {"email": account.email, "password": DEFAULT_PASSWORD}
            )
        )
        for _ in range(4):
            response = await portal.post(
                "/auth/login/initiate", {"email": account.email, "password": "wrong-password"}
            )
            assert_error(response, 401, "AUTH.INVALID_CREDENTIALS")

    async def test_wrong_codes_count_toward_the_lock(self, portal: Portal, account: Any) -> None:
        for _ in range(5):
            started = assert_ok(
                await portal.post(
                    "/auth/login/initiate", {"email": account.email, "password": DEFAULT_PASSWORD}
                )
            )
            code = await portal.outbox.last_code(account.email)
            wrong = "000000" if code != "000000" else "111111"
            response = await portal.post(
                "/auth/login/verify",
                {"sessionId": started["sessionId"], "mfaMethod": "EMAIL", "code": wrong},
            )
            assert_error(response, 401, "AUTH.MFA_CODE_INVALID")
        locked = await portal.post(
            "/auth/login/initiate", {"email": account.email, "password": DEFAULT_PASSWORD}
        )
        assert_error(locked, 429, "AUTH.TOO_MANY_ATTEMPTS")


class TestIpLimit:
    async def test_many_emails_from_one_ip_are_limited(
        self, portal: Portal, account: Any, settings: Settings
    ) -> None:
        limit = settings.login_ip_max_failures
        bodies = [
            {"email": f"user{i}@example.com", "password": "wrong-password"}
            for i in range(limit + 10)
        ]
        responses = await asyncio.gather(*[portal.post("/auth/login/initiate", b) for b in bodies])
        statuses = [r.status_code for r in responses]
        assert statuses.count(401) == limit
        assert statuses.count(429) == 10

    async def test_other_ip_is_not_affected(
        self, portal: Portal, account: Any, settings: Settings
    ) -> None:
        bodies = [
            {"email": f"user{i}@example.com", "password": "wrong-password"}
            for i in range(settings.login_ip_max_failures)
        ]
        await asyncio.gather(*[portal.post("/auth/login/initiate", b) for b in bodies])
        # the test client's peer (203.0.113.10) is not a trusted proxy, so CF-Connecting-IP is ignored
        spoofed = await portal.post(
            "/auth/login/initiate",
            {"email": account.email, "password": DEFAULT_PASSWORD},
            headers={"CF-Connecting-IP": "198.51.100.7"},
        )
        assert_error(spoofed, 429, "AUTH.TOO_MANY_ATTEMPTS")
