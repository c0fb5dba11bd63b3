"""The pages' only way to the data: the portal API itself, called in-process over ASGI.

Every request a page makes goes through the same app, middleware, dependencies and services
as a request from any other client: the portal access code, the token and its session, the IP
whitelist (the browser's address is the caller's), MFA, session limits, permissions, rules and
errors are the API's own. The pages hold no rule of their own; they show what the API says.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.requests import Request

from portico.enums import AccountPortal
from portico.pages.state import PageState
from portico.runtime import runtime_of
from portico.web.context import PORTAL_PREFIXES, client_ip

INVALID_PARAMETER = "VALIDATION.INVALID_PARAMETER"
TOKEN_CODES = frozenset({"ACCESS.TOKEN_INVALID", "ACCESS.TOKEN_MISSING"})
# Refresh a little before the access token's end, so a page never fails on a stale one.
REFRESH_MARGIN_SECONDS = 30
FORWARDED_HEADERS = ("user-agent", "cf-ipcountry", "accept-language")


class SessionExpired(Exception):
    """The tokens are gone and cannot be refreshed: the browser goes back to sign-in."""


@dataclass
class ApiResult:
    status: int
    code: str
    message: str
    data: Any = None
    success: bool = False
    response: httpx.Response | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.success

    @property
    def fields(self) -> tuple[str, ...]:
        """The request fields an invalid-parameter answer names (`...: amount, currency`)."""
        if self.code != INVALID_PARAMETER or ": " not in self.message:
            return ()
        return tuple(f.strip() for f in self.message.split(": ", 1)[1].split(","))


class PortalApi:
    """One page request's client of the portal API, on behalf of the browser."""

    def __init__(
        self, request: Request, portal: AccountPortal, access_code: str, state: PageState
    ) -> None:
        self.request = request
        self.portal = portal
        self.access_code = access_code
        self.state = state
        ip = client_ip(request, runtime_of(request.app).settings)
        self._transport = httpx.ASGITransport(app=request.app, client=(ip, 0))
        self._prefix = PORTAL_PREFIXES[portal]

    def _headers(self, authenticated: bool) -> dict[str, str]:
        headers = {"X-PORTAL-ACCESS-CODE": self.access_code}
        for name in FORWARDED_HEADERS:
            value = self.request.headers.get(name)
            if value:
                headers[name] = value
        if authenticated and self.state.access:
            headers["Authorization"] = f"Bearer {self.state.access}"
            if self.state.workspace:
                headers["X-Workspace-Id"] = self.state.workspace
        return headers

    async def _send(
        self, method: str, path: str, *, authenticated: bool, **kwargs: Any
    ) -> httpx.Response:
        async with httpx.AsyncClient(
            transport=self._transport, base_url="http://portico.pages"
        ) as client:
            return await client.request(
                method, self._prefix + path, headers=self._headers(authenticated), **kwargs
            )

    @staticmethod
    def _result(response: httpx.Response) -> ApiResult:
        if not response.headers.get("content-type", "").startswith("application/json"):
            return ApiResult(
                response.status_code, "", "", success=response.is_success, response=response
            )
        body = response.json()
        if not isinstance(body, dict) or "code" not in body:
            return ApiResult(response.status_code, "", "", body, response.is_success, response)
        return ApiResult(
            status=response.status_code,
            code=str(body.get("code")),
            message=str(body.get("message") or ""),
            data=body.get("data"),
            success=bool(body.get("success")),
            response=response,
        )

    async def public(self, method: str, path: str, **kwargs: Any) -> ApiResult:
        """A call that needs no sign-in (register, sign-in, reset)."""
        return self._result(await self._send(method, path, authenticated=False, **kwargs))

    async def call(self, method: str, path: str, **kwargs: Any) -> ApiResult:
        """A signed-in call; the token pair is refreshed when the access token has ended, and
        when it cannot be, `SessionExpired`."""
        if not self.state.signed_in:
            raise SessionExpired()
        if self.state.access_expires - REFRESH_MARGIN_SECONDS < time.time():
            await self.refresh()
        result = self._result(await self._send(method, path, authenticated=True, **kwargs))
        if result.status == 401 and result.code in TOKEN_CODES:
            await self.refresh()
            result = self._result(await self._send(method, path, authenticated=True, **kwargs))
            if result.status == 401 and result.code in TOKEN_CODES:
                self.state.sign_out()
                raise SessionExpired()
        return result

    async def get(self, path: str, **params: Any) -> ApiResult:
        query = {k: v for k, v in params.items() if v not in (None, "")}
        return await self.call("GET", path, params=query)

    async def post(self, path: str, body: Any = None) -> ApiResult:
        return await self.call("POST", path, json=body if body is not None else {})

    async def refresh(self) -> None:
        if not self.state.refresh:
            self.state.sign_out()
            raise SessionExpired()
        result = await self.public(
            "POST", "/auth/token/refresh", json={"refreshToken": self.state.refresh}
        )
        if not result.ok:
            self.state.sign_out()
            raise SessionExpired()
        self.signed_in(result.data)

    def signed_in(self, tokens: dict[str, Any], email: str | None = None) -> None:
        """Keep a token pair from sign-in, sign-up or refresh."""
        self.state.access = tokens["accessToken"]
        self.state.refresh = tokens["refreshToken"]
        self.state.access_expires = time.time() + int(tokens.get("expiresIn") or 0)
        if email:
            self.state.email = email
        self.state.changed = True
