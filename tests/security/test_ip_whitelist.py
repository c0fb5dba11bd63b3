"""IP whitelist: replace, enable, disable, enforcement."""

from __future__ import annotations

from typing import Any

import httpx

from portico.enums import AccountPortal
from tests.support.portal import Portal, assert_error, assert_ok


def _key(portal: Portal) -> str:
    return "addresses" if portal.portal == AccountPortal.CONSUMER else "ips"


class TestWhitelist:
    async def test_default(self, portal: Portal, account: Any) -> None:
        tokens = await portal.login(account.email)
        assert assert_ok(
            await portal.get("/security/ip-whitelist", token=tokens["accessToken"])
        ) == {"enabled": False, "entries": []}

    async def test_replace_accepts_both_keys_and_normalises(
        self, portal: Portal, account: Any
    ) -> None:
        tokens = await portal.login(account.email)
        for key in ("addresses", "ips"):
            body = {
                key: [
                    "192.168.1.0/24",
                    " 203.0.113.10 ",
                    "2001:db8::/32",
                    "10.1.2.3/8",
                    "192.168.1.0/24",
                ]
            }
            data = assert_ok(
                await portal.post("/security/ip-whitelist", body, token=tokens["accessToken"])
            )
            assert data == {
                "enabled": False,
                "entries": ["192.168.1.0/24", "203.0.113.10", "2001:db8::/32", "10.0.0.0/8"],
            }

    async def test_invalid_entries(self, portal: Portal, account: Any) -> None:
        tokens = await portal.login(account.email)
        for entries in [
            ["not-an-ip"],
            ["300.1.1.1"],
            ["10.0.0.0/33"],
            [5],
            "10.0.0.1",
            ["1.2.3.4"] * 101,
        ]:
            response = await portal.post(
                "/security/ip-whitelist", {_key(portal): entries}, token=tokens["accessToken"]
            )
            assert_error(response, 400, "VALIDATION.INVALID_PARAMETER")
        assert_error(
            await portal.post("/security/ip-whitelist", {}, token=tokens["accessToken"]),
            400,
            "VALIDATION.INVALID_PARAMETER",
        )
        data = assert_ok(await portal.get("/security/ip-whitelist", token=tokens["accessToken"]))
        assert data["entries"] == []

    async def test_enabling_an_empty_list_restricts_nothing_yet(
        self, portal: Portal, account: Any, app: Any
    ) -> None:
        """As documented: enabling with no entries succeeds; an empty list admits every IP."""
        tokens = await portal.login(account.email)
        token = tokens["accessToken"]
        assert_ok(await portal.post("/security/ip-whitelist/enable", token=token), code="2004")
        data = assert_ok(await portal.get("/security/ip-whitelist", token=token))
        assert data == {"enabled": True, "entries": []}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("198.51.100.9", 1)), base_url="http://x"
        ) as elsewhere:
            assert_ok(
                await elsewhere.get(f"{portal.prefix}/profile", headers=portal.headers(token))
            )
        # while enabled, a list without the caller is still refused; one with it is kept
        assert_error(
            await portal.post(
                "/security/ip-whitelist", {_key(portal): ["198.51.100.0/24"]}, token=token
            ),
            400,
            "SECURITY.IP_WHITELIST_EXCLUDES_CALLER",
        )
        assert_ok(
            await portal.post(
                "/security/ip-whitelist", {_key(portal): ["203.0.113.10"]}, token=token
            )
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("198.51.100.9", 1)), base_url="http://x"
        ) as elsewhere:
            response = await elsewhere.get(
                f"{portal.prefix}/profile", headers=portal.headers(token)
            )
            assert_error(response, 403, "ACCESS.IP_NOT_ALLOWED")

    async def test_enable_refused_when_it_would_lock_out_the_caller(
        self, portal: Portal, account: Any
    ) -> None:
        tokens = await portal.login(account.email)
        token = tokens["accessToken"]
        assert_ok(
            await portal.post(
                "/security/ip-whitelist", {_key(portal): ["198.51.100.0/24"]}, token=token
            )
        )
        assert_error(
            await portal.post("/security/ip-whitelist/enable", token=token),
            400,
            "SECURITY.IP_WHITELIST_EXCLUDES_CALLER",
        )
        assert (
            assert_ok(await portal.get("/security/ip-whitelist", token=token))["enabled"] is False
        )

    async def test_enforced_when_enabled(self, portal: Portal, account: Any, app: Any) -> None:
        tokens = await portal.login(account.email)
        token = tokens["accessToken"]
        assert_ok(
            await portal.post(
                "/security/ip-whitelist", {_key(portal): ["203.0.113.0/24"]}, token=token
            )
        )
        assert_ok(await portal.post("/security/ip-whitelist/enable", token=token), code="2004")
        assert_ok(await portal.get("/profile", token=token))
        elsewhere = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("198.51.100.9", 1)), base_url="http://x"
        )
        async with elsewhere:
            response = await elsewhere.get(
                f"{portal.prefix}/profile", headers=portal.headers(token)
            )
            assert_error(response, 403, "ACCESS.IP_NOT_ALLOWED")
            response = await elsewhere.post(
                f"{portal.prefix}/security/ip-whitelist/disable", headers=portal.headers(token)
            )
            assert_error(response, 403, "ACCESS.IP_NOT_ALLOWED")
        # replacing with a list that excludes the caller is refused while enforced
        response = await portal.post(
            "/security/ip-whitelist", {_key(portal): ["198.51.100.0/24"]}, token=token
        )
        assert_error(response, 400, "SECURITY.IP_WHITELIST_EXCLUDES_CALLER")
        assert_ok(await portal.post("/security/ip-whitelist/disable", token=token), code="2004")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("198.51.100.9", 1)), base_url="http://x"
        ) as again:
            assert_ok(await again.get(f"{portal.prefix}/profile", headers=portal.headers(token)))

    async def test_requires_token(self, portal: Portal) -> None:
        assert_error(await portal.get("/security/ip-whitelist"), 401, "ACCESS.TOKEN_MISSING")
        for path in [
            "/security/ip-whitelist",
            "/security/ip-whitelist/enable",
            "/security/ip-whitelist/disable",
        ]:
            assert_error(await portal.post(path, {}), 401, "ACCESS.TOKEN_MISSING")
