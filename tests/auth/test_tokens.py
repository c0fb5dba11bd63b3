"""Access tokens bound to sessions; refresh rotation and reuse; logout."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta
from typing import Any

import jwt
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.config import Settings
from portico.db import utcnow
from portico.security.models import AuthSession, RefreshToken
from tests.support.portal import Portal, assert_error, assert_ok


class TestAccessToken:
    async def test_missing_token(self, portal: Portal) -> None:
        assert_error(await portal.get("/profile"), 401, "ACCESS.TOKEN_MISSING")
        assert_error(
            await portal.get("/profile", headers={"Authorization": "Basic abc"}),
            401,
            "ACCESS.TOKEN_MISSING",
        )
        assert_error(
            await portal.get("/profile", headers={"Authorization": "Bearer "}),
            401,
            "ACCESS.TOKEN_MISSING",
        )

    async def test_garbage_and_forged_tokens(
        self, portal: Portal, account: Any, settings: Settings
    ) -> None:
        tokens = await portal.login(account.email)
        claims = jwt.decode(tokens["accessToken"], options={"verify_signature": False})
        forged = jwt.encode(claims, "not-the-secret-key-but-long-enough-0123", algorithm="HS256")
        tampered = tokens["accessToken"][:-4] + "AAAA"
        header = '{"alg":"none","typ":"JWT"}'
        unsigned = ".".join(
            [
                base64.urlsafe_b64encode(header.encode()).decode().rstrip("="),
                tokens["accessToken"].split(".")[1],
                "",
            ]
        )
        for token in ["garbage", "a.b.c", forged, tampered, unsigned]:
            assert_error(await portal.get("/profile", token=token), 401, "ACCESS.TOKEN_INVALID")

    async def test_expired_token(self, portal: Portal, account: Any, settings: Settings) -> None:
        tokens = await portal.login(account.email)
        claims = jwt.decode(tokens["accessToken"], options={"verify_signature": False})
        claims["exp"] = int((utcnow() - timedelta(seconds=5)).timestamp())
        expired = jwt.encode(claims, settings.secret_key, algorithm="HS256")
        assert_error(await portal.get("/profile", token=expired), 401, "ACCESS.TOKEN_INVALID")

    async def test_token_of_other_portal_is_refused(
        self, portal: Portal, account: Any, institution: Any
    ) -> None:
        tokens = await portal.login(account.email)
        other_kind = [k for k in type(portal.portal) if k != portal.portal][0]
        other = Portal(portal.http, other_kind, institution.code(other_kind), portal.outbox)
        assert_error(
            await other.get("/profile", token=tokens["accessToken"]), 401, "ACCESS.TOKEN_INVALID"
        )

    async def test_ended_session_fails_on_next_request(
        self, portal: Portal, account: Any, session: AsyncSession
    ) -> None:
        tokens = await portal.login(account.email)
        assert_ok(await portal.get("/profile", token=tokens["accessToken"]))
        await session.execute(update(AuthSession).values(revoked_at=utcnow()))
        await session.commit()
        assert_error(
            await portal.get("/profile", token=tokens["accessToken"]), 401, "ACCESS.TOKEN_INVALID"
        )


class TestRefresh:
    async def test_rotates(self, portal: Portal, account: Any) -> None:
        tokens = await portal.login(account.email)
        data = assert_ok(
            await portal.post("/auth/token/refresh", {"refreshToken": tokens["refreshToken"]})
        )
        assert list(data) == ["accessToken", "refreshToken", "expiresIn"]
        assert data["refreshToken"] != tokens["refreshToken"]
        assert data["expiresIn"] == 3600
        assert_ok(await portal.get("/profile", token=data["accessToken"]))
        again = assert_ok(
            await portal.post("/auth/token/refresh", {"refreshToken": data["refreshToken"]})
        )
        assert_ok(await portal.get("/profile", token=again["accessToken"]))

    async def test_reuse_revokes_the_session(self, portal: Portal, account: Any) -> None:
        tokens = await portal.login(account.email)
        fresh = assert_ok(
            await portal.post("/auth/token/refresh", {"refreshToken": tokens["refreshToken"]})
        )
        replay = await portal.post("/auth/token/refresh", {"refreshToken": tokens["refreshToken"]})
        assert_error(replay, 404, "AUTH.SESSION_NOT_FOUND")
        # the thief's replay ended the session for everyone holding its tokens
        assert_error(
            await portal.post("/auth/token/refresh", {"refreshToken": fresh["refreshToken"]}),
            404,
            "AUTH.SESSION_NOT_FOUND",
        )
        assert_error(
            await portal.get("/profile", token=fresh["accessToken"]), 401, "ACCESS.TOKEN_INVALID"
        )

    async def test_parallel_refresh_yields_one_winner(self, portal: Portal, account: Any) -> None:
        tokens = await portal.login(account.email)
        responses = await asyncio.gather(
            *[
                portal.post("/auth/token/refresh", {"refreshToken": tokens["refreshToken"]})
                for _ in range(5)
            ]
        )
        assert sum(r.status_code == 200 for r in responses) <= 1
        assert all(r.status_code in (200, 404) for r in responses)

    async def test_stored_hashed(self, portal: Portal, account: Any, session: AsyncSession) -> None:
        tokens = await portal.login(account.email)
        stored = (await session.execute(select(RefreshToken.token_hash))).scalars().all()
        assert tokens["refreshToken"] not in stored
        assert all(len(h) == 64 for h in stored)

    async def test_unknown_and_bad(self, portal: Portal) -> None:
        assert_error(
            await portal.post("/auth/token/refresh", {"refreshToken": "nope"}),
            404,
            "AUTH.SESSION_NOT_FOUND",
        )
        assert_error(
            await portal.post("/auth/token/refresh", {}), 400, "VALIDATION.INVALID_PARAMETER"
        )
        assert_error(
            await portal.post("/auth/token/refresh", {"refreshToken": 5}),
            400,
            "VALIDATION.INVALID_PARAMETER",
        )

    async def test_expired_session(
        self, portal: Portal, account: Any, session: AsyncSession
    ) -> None:
        tokens = await portal.login(account.email)
        await session.execute(
            update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
        assert_error(
            await portal.post("/auth/token/refresh", {"refreshToken": tokens["refreshToken"]}),
            404,
            "AUTH.SESSION_NOT_FOUND",
        )

    async def test_other_portal(self, portal: Portal, account: Any, institution: Any) -> None:
        tokens = await portal.login(account.email)
        other_kind = [k for k in type(portal.portal) if k != portal.portal][0]
        other = Portal(portal.http, other_kind, institution.code(other_kind), portal.outbox)
        assert_error(
            await other.post("/auth/token/refresh", {"refreshToken": tokens["refreshToken"]}),
            404,
            "AUTH.SESSION_NOT_FOUND",
        )


class TestLogout:
    async def test_ends_only_this_session(self, portal: Portal, account: Any) -> None:
        first = await portal.login(account.email)
        second = await portal.login(account.email)
        data = assert_ok(await portal.post("/auth/logout", token=first["accessToken"]))
        assert data == {"success": True, "terminatedSessions": 1}
        assert_error(
            await portal.get("/profile", token=first["accessToken"]), 401, "ACCESS.TOKEN_INVALID"
        )
        assert_error(
            await portal.post("/auth/token/refresh", {"refreshToken": first["refreshToken"]}),
            404,
            "AUTH.SESSION_NOT_FOUND",
        )
        assert_ok(await portal.get("/profile", token=second["accessToken"]))

    async def test_requires_token(self, portal: Portal) -> None:
        assert_error(await portal.post("/auth/logout"), 401, "ACCESS.TOKEN_MISSING")
