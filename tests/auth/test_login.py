"""Two-step login: password, then the mailed code."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.auth.models import LoginChallenge
from portico.db import utcnow
from portico.enums import AccountPortal
from portico.security.models import AuthSession, LoginHistory
from tests.factories.accounts import (
    DEFAULT_PASSWORD,
    TEST_ARGON2_MEMORY_KIB,
    TEST_ARGON2_TIME_COST,
)
from tests.support.portal import Portal, assert_error, assert_ok

EMAIL_METHOD = {
    "code": "EMAIL",
    "value": 10011001,
    "label": "Email",
    "description": "Email verification code",
}


async def _initiate(portal: Portal, email: str, password: str = DEFAULT_PASSWORD) -> str:
    data = assert_ok(
        await portal.post("/auth/login/initiate", {"email": email, "password": password})
    )
    return str(data["sessionId"])


class TestLoginInitiate:
    async def test_returns_challenge_and_mails_code(self, portal: Portal, account: Any) -> None:
        data = assert_ok(
            await portal.post(
                "/auth/login/initiate", {"email": account.email, "password": DEFAULT_PASSWORD}
            )
        )
        assert list(data) == [
            "sessionId",
            "mfaMethods",
            "expiresIn",
            "accountStatus",
            "pendingApproval",
        ]
        assert data["mfaMethods"] == [EMAIL_METHOD]
        assert data["expiresIn"] == 300  # as both documents show
        assert data["accountStatus"] is None
        assert data["pendingApproval"] is False
        code = await portal.outbox.last_code(account.email)
        assert len(code) == 6 and code.isdigit()

    async def test_email_is_case_insensitive(self, portal: Portal, account: Any) -> None:
        await _initiate(portal, account.email.upper())

    async def test_wrong_password(self, portal: Portal, account: Any) -> None:
        response = await portal.post(
            "/auth/login/initiate", {"email": account.email, "password": "nope-nope"}
        )
        assert_error(response, 401, "AUTH.INVALID_CREDENTIALS")
        assert await portal.outbox.messages(account.email) == []

    async def test_unknown_email_answers_like_wrong_password(
        self, portal: Portal, account: Any
    ) -> None:
        wrong = await portal.post(
            "/auth/login/initiate", {"email": account.email, "password": "nope-nope"}
        )
        unknown = await portal.post(
            "/auth/login/initiate", {"email": "ghost@example.com", "password": "nope-nope"}
        )
        assert wrong.status_code == unknown.status_code == 401
        strip = lambda r: {k: v for k, v in r.json().items() if k != "timestamp"}  # noqa: E731
        assert strip(wrong) == strip(unknown)

    async def test_failure_is_recorded_in_history(
        self, portal: Portal, account: Any, session: AsyncSession
    ) -> None:
        await portal.post("/auth/login/initiate", {"email": account.email, "password": "nope-nope"})
        rows = (
            (
                await session.execute(
                    select(LoginHistory).where(LoginHistory.account_id == account.id)
                )
            )
            .scalars()
            .all()
        )
        assert [(r.login_result, r.failure_reason) for r in rows] == [(2, "INVALID_CREDENTIALS")]
        assert rows[0].biz_id.startswith("lh-")

    async def test_account_of_other_portal_is_unknown(
        self, portal: Portal, account: Any, institution: Any
    ) -> None:
        other = Portal(
            portal.http,
            _other(portal.portal),
            institution.code(_other(portal.portal)),
            portal.outbox,
        )
        response = await other.post(
            "/auth/login/initiate", {"email": account.email, "password": DEFAULT_PASSWORD}
        )
        assert_error(response, 401, "AUTH.INVALID_CREDENTIALS")

    @pytest.mark.both_portals
    async def test_pending_partner_is_reported(
        self, portal: Portal, account: Any, session: AsyncSession
    ) -> None:
        account.pending_approval = True
        session.add(account)
        await session.commit()
        data = assert_ok(
            await portal.post(
                "/auth/login/initiate", {"email": account.email, "password": DEFAULT_PASSWORD}
            )
        )
        assert data["pendingApproval"] is True

    async def test_suspended_account_cannot_complete(
        self, portal: Portal, account: Any, session: AsyncSession
    ) -> None:
        account.status = "SUSPENDED"
        session.add(account)
        await session.commit()
        data = assert_ok(
            await portal.post(
                "/auth/login/initiate", {"email": account.email, "password": DEFAULT_PASSWORD}
            )
        )
        assert data["accountStatus"]["code"] == "SUSPENDED"
        assert data["mfaMethods"] == []
        response = await portal.post(
            "/auth/login/verify",
            {"sessionId": data["sessionId"], "mfaMethod": "EMAIL", "code": "000000"},
        )
        assert_error(response, 403, "ACCESS.PERMISSION_DENIED")

    async def test_bad_bodies(self, portal: Portal) -> None:
        for body in [
            None,
            {},
            {"email": "a@b.co"},
            {"email": 5, "password": "x"},
            {"email": "not-an-email", "password": "x"},
            {"email": "a@b.co", "password": ""},
            {"email": "a@b.co", "password": "x" * 300},
            [1, 2],
        ]:
            assert_error(
                await portal.post("/auth/login/initiate", body), 400, "VALIDATION.INVALID_PARAMETER"
            )

    async def test_rehashes_when_parameters_change(
        self, portal: Portal, account: Any, session: AsyncSession
    ) -> None:

        weak = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(DEFAULT_PASSWORD)
        account.password_hash = weak
        session.add(account)
        await session.commit()
        await _initiate(portal, account.email)
        await session.refresh(account)
        assert account.password_hash != weak
        assert f"m={TEST_ARGON2_MEMORY_KIB},t={TEST_ARGON2_TIME_COST},p=1" in account.password_hash


def _other(kind: AccountPortal) -> AccountPortal:
    return AccountPortal.PARTNER if kind == AccountPortal.CONSUMER else AccountPortal.CONSUMER


class TestLoginVerify:
    @pytest.mark.both_portals
    async def test_returns_tokens_and_opens_session(
        self, portal: Portal, account: Any, session: AsyncSession
    ) -> None:
        session_id = await _initiate(portal, account.email)
        code = await portal.outbox.last_code(account.email)
        data = assert_ok(
            await portal.post(
                "/auth/login/verify", {"sessionId": session_id, "mfaMethod": "EMAIL", "code": code}
            )
        )
        assert list(data) == ["accessToken", "refreshToken", "expiresIn", "tokenType"]
        assert data["tokenType"] == "Bearer" and data["expiresIn"] == 3600
        assert data["accessToken"].count(".") == 2
        sessions = (
            (await session.execute(select(AuthSession).where(AuthSession.account_id == account.id)))
            .scalars()
            .all()
        )
        assert len(sessions) == 1 and sessions[0].client_ip == "203.0.113.10"
        history = (await session.execute(select(LoginHistory.login_result))).scalars().all()
        assert history == [1]
        await session.refresh(account)
        assert account.last_login_ip == "203.0.113.10"

    async def test_code_is_single_use(self, portal: Portal, account: Any) -> None:
        session_id = await _initiate(portal, account.email)
        code = await portal.outbox.last_code(account.email)
        body = {"sessionId": session_id, "mfaMethod": "EMAIL", "code": code}
        assert_ok(await portal.post("/auth/login/verify", body))
        assert_error(await portal.post("/auth/login/verify", body), 404, "AUTH.SESSION_NOT_FOUND")

    async def test_wrong_code(self, portal: Portal, account: Any) -> None:
        session_id = await _initiate(portal, account.email)
        code = await portal.outbox.last_code(account.email)
        wrong = "000000" if code != "000000" else "111111"
        response = await portal.post(
            "/auth/login/verify", {"sessionId": session_id, "mfaMethod": "EMAIL", "code": wrong}
        )
        assert_error(response, 401, "AUTH.MFA_CODE_INVALID")
        # a wrong try does not burn the right code
        assert_ok(
            await portal.post(
                "/auth/login/verify", {"sessionId": session_id, "mfaMethod": "EMAIL", "code": code}
            )
        )

    async def test_five_wrong_codes_end_the_login_session(
        self, portal: Portal, account: Any
    ) -> None:
        session_id = await _initiate(portal, account.email)
        code = await portal.outbox.last_code(account.email)
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(5):
            response = await portal.post(
                "/auth/login/verify", {"sessionId": session_id, "mfaMethod": "EMAIL", "code": wrong}
            )
            assert_error(response, 401, "AUTH.MFA_CODE_INVALID")
        response = await portal.post(
            "/auth/login/verify", {"sessionId": session_id, "mfaMethod": "EMAIL", "code": code}
        )
        assert_error(response, 404, "AUTH.SESSION_NOT_FOUND")

    async def test_parallel_wrong_codes_get_at_most_five_tries(
        self, portal: Portal, account: Any
    ) -> None:
        session_id = await _initiate(portal, account.email)
        code = await portal.outbox.last_code(account.email)
        guesses = [f"{n:06d}" for n in range(20) if f"{n:06d}" != code][:12]
        responses = await asyncio.gather(
            *[
                portal.post(
                    "/auth/login/verify", {"sessionId": session_id, "mfaMethod": "EMAIL", "code": g}
                )
                for g in guesses
            ]
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(401) <= 5
        assert set(statuses) <= {401, 404, 429}

    @pytest.mark.parametrize(
        ("column", "status", "code"),
        [
            ("code_expires_at", 401, "AUTH.MFA_CODE_INVALID"),
            ("expires_at", 404, "AUTH.SESSION_NOT_FOUND"),
        ],
        ids=["expired-code", "expired-login-session"],
    )
    async def test_expiry(
        self,
        portal: Portal,
        account: Any,
        session: AsyncSession,
        column: str,
        status: int,
        code: str,
    ) -> None:
        session_id = await _initiate(portal, account.email)
        mailed = await portal.outbox.last_code(account.email)
        await session.execute(
            update(LoginChallenge)
            .where(LoginChallenge.id == session_id)
            .values({column: utcnow() - timedelta(seconds=1)})
        )
        await session.commit()
        response = await portal.post(
            "/auth/login/verify", {"sessionId": session_id, "mfaMethod": "EMAIL", "code": mailed}
        )
        assert_error(response, status, code)

    async def test_unknown_session_and_other_portal(
        self, portal: Portal, account: Any, institution: Any
    ) -> None:
        assert_error(
            await portal.post(
                "/auth/login/verify", {"sessionId": "nope", "mfaMethod": "EMAIL", "code": "123456"}
            ),
            404,
            "AUTH.SESSION_NOT_FOUND",
        )
        session_id = await _initiate(portal, account.email)
        code = await portal.outbox.last_code(account.email)
        other = Portal(
            portal.http,
            _other(portal.portal),
            institution.code(_other(portal.portal)),
            portal.outbox,
        )
        response = await other.post(
            "/auth/login/verify", {"sessionId": session_id, "mfaMethod": "EMAIL", "code": code}
        )
        assert_error(response, 404, "AUTH.SESSION_NOT_FOUND")

    async def test_method_not_enabled(self, portal: Portal, account: Any) -> None:
        session_id = await _initiate(portal, account.email)
        response = await portal.post(
            "/auth/login/verify", {"sessionId": session_id, "mfaMethod": "TOTP", "code": "123456"}
        )
        assert_error(response, 401, "AUTH.MFA_CODE_INVALID")

    async def test_bad_bodies(self, portal: Portal) -> None:
        for body in [
            None,
            {},
            {"sessionId": "x"},
            {"sessionId": 1, "code": "123456"},
            {"sessionId": "x", "code": 123456},
        ]:
            assert_error(
                await portal.post("/auth/login/verify", body), 400, "VALIDATION.INVALID_PARAMETER"
            )

    async def test_session_limit_evicts_oldest(
        self, portal: Portal, account: Any, session: AsyncSession
    ) -> None:
        first = await portal.login(account.email)
        for _ in range(3):
            await portal.login(account.email)
        assert_error(
            await portal.get("/profile", token=first["accessToken"]), 401, "ACCESS.TOKEN_INVALID"
        )
        live = (
            (
                await session.execute(
                    select(AuthSession).where(
                        AuthSession.account_id == account.id, AuthSession.revoked_at.is_(None)
                    )
                )
            )
            .scalars()
            .all()
        )
        assert len(live) == 3


class TestResend:
    async def test_resend_replaces_the_code(self, portal: Portal, account: Any) -> None:
        session_id = await _initiate(portal, account.email)
        old = await portal.outbox.last_code(account.email)
        data = assert_ok(
            await portal.post("/auth/login/resend", {"sessionId": session_id}), code="2004"
        )
        assert data is None
        new = await portal.outbox.last_code(account.email)
        assert len(await portal.outbox.messages(account.email)) == 2
        if old != new:
            response = await portal.post(
                "/auth/login/verify", {"sessionId": session_id, "mfaMethod": "EMAIL", "code": old}
            )
            assert_error(response, 401, "AUTH.MFA_CODE_INVALID")
        assert_ok(
            await portal.post(
                "/auth/login/verify", {"sessionId": session_id, "mfaMethod": "EMAIL", "code": new}
            )
        )

    async def test_resend_is_limited(self, portal: Portal, account: Any) -> None:
        session_id = await _initiate(portal, account.email)
        for _ in range(5):
            assert_ok(
                await portal.post("/auth/login/resend", {"sessionId": session_id}), code="2004"
            )
        assert_error(
            await portal.post("/auth/login/resend", {"sessionId": session_id}),
            429,
            "AUTH.TOO_MANY_ATTEMPTS",
        )

    async def test_unknown_session(self, portal: Portal) -> None:
        assert_error(
            await portal.post("/auth/login/resend", {"sessionId": "nope"}),
            404,
            "AUTH.SESSION_NOT_FOUND",
        )
        assert_error(
            await portal.post("/auth/login/resend", {}), 400, "VALIDATION.INVALID_PARAMETER"
        )


class TestClientDetails:
    """`User-Agent`, `X-Client-Hash`, `cf-ipcountry` and `X-LOCALE` are kept with the session
    and the login history (clipped to their columns); `CF-Connecting-IP` only from a trusted
    proxy."""

    async def test_headers_are_recorded_on_the_session_and_history(
        self, portal: Portal, account: Any, session: AsyncSession
    ) -> None:
        headers = {
            "User-Agent": "PorticoApp/2.1 (iPhone)",
            "X-Client-Hash": "h" * 300,
            "cf-ipcountry": "JP",
            "X-LOCALE": "ja-JP",
            "CF-Connecting-IP": "198.51.100.7",  # the test client is no trusted proxy
        }
        started = assert_ok(
            await portal.post(
                "/auth/login/initiate",
                {"email": account.email, "password": DEFAULT_PASSWORD},
                headers=headers,
            )
        )
        code = await portal.outbox.last_code(account.email)
        assert_ok(
            await portal.post(
                "/auth/login/verify",
                {"sessionId": started["sessionId"], "mfaMethod": "EMAIL", "code": code},
                headers=headers,
            )
        )
        stored = (
            await session.execute(select(AuthSession).where(AuthSession.account_id == account.id))
        ).scalar_one()
        assert stored.user_agent == "PorticoApp/2.1 (iPhone)"
        assert stored.client_hash == "h" * 256
        assert stored.client_country == "JP"
        assert stored.locale == "ja-JP"
        assert stored.client_ip == "203.0.113.10"
        history = (
            (
                await session.execute(
                    select(LoginHistory).where(LoginHistory.account_id == account.id)
                )
            )
            .scalars()
            .all()
        )
        assert history
        assert {(h.user_agent, h.client_country, h.client_ip) for h in history} == {
            ("PorticoApp/2.1 (iPhone)", "JP", "203.0.113.10")
        }

    async def test_absent_headers_are_null(
        self, portal: Portal, account: Any, session: AsyncSession
    ) -> None:
        await portal.login(account.email)
        stored = (
            await session.execute(select(AuthSession).where(AuthSession.account_id == account.id))
        ).scalar_one()
        assert (stored.client_hash, stored.client_country, stored.locale) == (None, None, None)
