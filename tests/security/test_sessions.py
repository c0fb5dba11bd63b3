"""Session list, terminate, terminate-all, config and login history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.db import utcnow
from portico.security.models import AuthSession
from tests.factories.accounts import create_account
from tests.support.portal import Portal, assert_error, assert_ok


class TestSessionList:
    async def test_lists_live_sessions_current_first(self, portal: Portal, account: Any) -> None:
        first = await portal.login(account.email)
        second = await portal.login(account.email)
        data = assert_ok(await portal.get("/security/sessions", token=first["accessToken"]))
        assert len(data) == 2
        assert list(data[0]) == [
            "sessionId",
            "clientIp",
            "userAgent",
            "loginTime",
            "lastActivityTime",
            "isCurrent",
        ]
        assert [s["isCurrent"] for s in data] == [True, False]
        assert data[0]["clientIp"] == "203.0.113.10"
        other = assert_ok(await portal.get("/security/sessions", token=second["accessToken"]))
        assert other[0]["sessionId"] == data[1]["sessionId"]

    async def test_last_activity_is_coalesced(
        self, portal: Portal, account: Any, session: AsyncSession
    ) -> None:
        tokens = await portal.login(account.email)
        long_ago = utcnow() - timedelta(minutes=5)
        await session.execute(update(AuthSession).values(last_activity_time=long_ago))
        await session.commit()
        assert_ok(await portal.get("/profile", token=tokens["accessToken"]))
        touched = (await session.execute(select(AuthSession.last_activity_time))).scalar_one()
        assert touched > long_ago + timedelta(minutes=4)
        # within the resolution no further write happens
        await session.execute(
            update(AuthSession).values(last_activity_time=touched - timedelta(seconds=10))
        )
        await session.commit()
        assert_ok(await portal.get("/profile", token=tokens["accessToken"]))
        unchanged = (await session.execute(select(AuthSession.last_activity_time))).scalar_one()
        assert unchanged == touched - timedelta(seconds=10)


class TestTerminate:
    async def test_terminate_other_session(self, portal: Portal, account: Any) -> None:
        mine = await portal.login(account.email)
        other = await portal.login(account.email)
        sessions = assert_ok(await portal.get("/security/sessions", token=mine["accessToken"]))
        target = next(s["sessionId"] for s in sessions if not s["isCurrent"])
        assert (
            assert_ok(
                await portal.post(
                    "/security/sessions/terminate", {"sessionId": target}, token=mine["accessToken"]
                )
            )
            is None
        )
        assert_error(
            await portal.get("/profile", token=other["accessToken"]), 401, "ACCESS.TOKEN_INVALID"
        )
        assert_error(
            await portal.post("/auth/token/refresh", {"refreshToken": other["refreshToken"]}),
            404,
            "AUTH.SESSION_NOT_FOUND",
        )
        assert_ok(await portal.get("/profile", token=mine["accessToken"]))

    async def test_unknown_or_other_accounts_session(
        self, portal: Portal, account: Any, session: AsyncSession, institution: Any
    ) -> None:
        mine = await portal.login(account.email)
        stranger = await create_account(
            session,
            institution_id=institution.institution_id,
            portal=portal.portal,
            email="bob@example.com",
        )
        await session.commit()
        theirs = await portal.login(stranger.email)
        their_id = assert_ok(await portal.get("/security/sessions", token=theirs["accessToken"]))[
            0
        ]["sessionId"]
        for body in [{"sessionId": their_id}, {"sessionId": "nope"}, {}, {"sessionId": 5}]:
            response = await portal.post(
                "/security/sessions/terminate", body, token=mine["accessToken"]
            )
            assert_error(response, 400, "VALIDATION.INVALID_PARAMETER")
        assert_ok(await portal.get("/profile", token=theirs["accessToken"]))

    async def test_terminate_all_keeps_the_caller(self, portal: Portal, account: Any) -> None:
        a = await portal.login(account.email)
        b = await portal.login(account.email)
        mine = await portal.login(account.email)
        data = assert_ok(
            await portal.post("/security/sessions/terminate-all", token=mine["accessToken"])
        )
        assert data == {"success": True, "terminatedSessions": 2}
        for other in (a, b):
            assert_error(
                await portal.get("/profile", token=other["accessToken"]),
                401,
                "ACCESS.TOKEN_INVALID",
            )
        assert_ok(await portal.get("/profile", token=mine["accessToken"]))

    async def test_requires_token(self, portal: Portal) -> None:
        assert_error(
            await portal.post("/security/sessions/terminate-all"), 401, "ACCESS.TOKEN_MISSING"
        )
        assert_error(await portal.get("/security/sessions"), 401, "ACCESS.TOKEN_MISSING")


class TestConfig:
    async def test_get(self, portal: Portal, account: Any) -> None:
        tokens = await portal.login(account.email)
        data = assert_ok(await portal.get("/security/sessions/config", token=tokens["accessToken"]))
        assert list(data) == [
            "accountBizId",
            "ssoEnabled",
            "maxSessions",
            "passwordChangedAt",
            "lastLoginAt",
            "lastLoginIp",
        ]
        assert (data["accountBizId"], data["ssoEnabled"], data["maxSessions"]) == (
            account.biz_id,
            True,
            3,
        )
        assert data["lastLoginIp"] == "203.0.113.10" and data["lastLoginAt"].endswith("Z")
        assert data["passwordChangedAt"] is None

    async def test_set_limit_evicts_oldest_but_never_the_caller(
        self, portal: Portal, account: Any
    ) -> None:
        oldest = await portal.login(account.email)
        middle = await portal.login(account.email)
        mine = await portal.login(account.email)
        data = assert_ok(
            await portal.post(
                "/security/sessions/config",
                {"maxConcurrentSessions": 2},
                token=oldest["accessToken"],
            )
        )
        assert data["maxSessions"] == 2
        # the caller (the oldest) stays; the oldest of the others goes
        assert_ok(await portal.get("/profile", token=oldest["accessToken"]))
        assert_ok(await portal.get("/profile", token=mine["accessToken"]))
        assert_error(
            await portal.get("/profile", token=middle["accessToken"]), 401, "ACCESS.TOKEN_INVALID"
        )
        # the new limit applies to new logins
        await portal.login(account.email)
        sessions = assert_ok(await portal.get("/security/sessions", token=mine["accessToken"]))
        assert len(sessions) == 2

    async def test_limit_range(self, portal: Portal, account: Any) -> None:
        tokens = await portal.login(account.email)
        for body in [
            {"maxConcurrentSessions": 0},
            {"maxConcurrentSessions": 11},
            {"maxConcurrentSessions": "5"},
            {},
            {"maxConcurrentSessions": 2.5},
        ]:
            response = await portal.post(
                "/security/sessions/config", body, token=tokens["accessToken"]
            )
            assert_error(response, 400, "VALIDATION.INVALID_PARAMETER")
        data = assert_ok(
            await portal.post(
                "/security/sessions/config",
                {"maxConcurrentSessions": 10},
                token=tokens["accessToken"],
            )
        )
        assert data["maxSessions"] == 10


class TestHistory:
    async def test_paged_with_failures(self, portal: Portal, account: Any) -> None:
        await portal.post(
            "/auth/login/initiate", {"email": account.email, "password": "wrong-password"}
        )
        tokens = await portal.login(account.email)
        data = assert_ok(
            await portal.get("/security/sessions/history", token=tokens["accessToken"])
        )
        assert list(data) == ["items", "pagination"]
        assert data["pagination"] == {
            "totalPages": 1,
            "totalRecords": 2,
            "currentPage": 1,
            "pageSize": 20,
            "hasNext": False,
            "empty": False,
            "paginated": True,
        }
        newest, oldest = data["items"]
        assert list(newest) == [
            "bizId",
            "loginTime",
            "clientIp",
            "userAgent",
            "loginResult",
            "failureReason",
        ]
        assert (newest["loginResult"], newest["failureReason"]) == (1, None)
        assert (oldest["loginResult"], oldest["failureReason"]) == (2, "INVALID_CREDENTIALS")
        assert newest["bizId"].startswith("lh-")

    async def test_page_size_and_pages(self, portal: Portal, account: Any) -> None:
        for _ in range(3):
            await portal.post(
                "/auth/login/initiate", {"email": account.email, "password": "wrong-password"}
            )
        tokens = await portal.login(account.email)
        page = assert_ok(
            await portal.get(
                "/security/sessions/history?page=2&pageSize=3", token=tokens["accessToken"]
            )
        )
        assert page["pagination"] == {
            "totalPages": 2,
            "totalRecords": 4,
            "currentPage": 2,
            "pageSize": 3,
            "hasNext": False,
            "empty": False,
            "paginated": True,
        }
        assert len(page["items"]) == 1
        alias = assert_ok(
            await portal.get("/security/sessions/history?size=2", token=tokens["accessToken"])
        )
        assert alias["pagination"]["pageSize"] == 2 and alias["pagination"]["hasNext"] is True
        for query in ["page=0", "pageSize=0", "pageSize=101", "page=x"]:
            response = await portal.get(
                f"/security/sessions/history?{query}", token=tokens["accessToken"]
            )
            assert_error(response, 400, "VALIDATION.INVALID_PARAMETER")

    async def test_only_own_history(
        self, portal: Portal, account: Any, session: AsyncSession, institution: Any
    ) -> None:
        stranger = await create_account(
            session,
            institution_id=institution.institution_id,
            portal=portal.portal,
            email="bob@example.com",
        )
        await session.commit()
        await portal.login(stranger.email)
        tokens = await portal.login(account.email)
        data = assert_ok(
            await portal.get("/security/sessions/history", token=tokens["accessToken"])
        )
        assert data["pagination"]["totalRecords"] == 1
