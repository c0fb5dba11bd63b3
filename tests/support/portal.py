"""A portal's front end (the access code, a bearer token, the portal's prefix), signing in over
HTTP or through the session service, and the envelope assertions."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.auth.sessions import open_session
from portico.caller import ClientInfo, PortalContext
from portico.enums import AccountPortal
from portico.runtime import runtime_of
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.factories.institutions import InstitutionCodes
from tests.support.mail import Outbox

# The address and user agent the suite's `http` client sends from (tests/conftest.py).
TEST_CLIENT_IP = "203.0.113.10"
TEST_CLIENT = ClientInfo(TEST_CLIENT_IP, f"python-httpx/{httpx.__version__}", None, None, None)


async def mint_session(
    app: Any,
    session: AsyncSession,
    account: Account,
    institution: InstitutionCodes,
    client: ClientInfo = TEST_CLIENT,
) -> dict[str, Any]:
    """A signed-in session of `account` opened by the session service, as a login's verify
    step opens it (the session limit, the login history), without the two HTTP steps and the
    mailed code: for tests where the sign-in itself is not under test. Answers the tokens
    under the names the login answer uses (`accessToken`, `refreshToken`, `expiresIn`)."""
    portal = AccountPortal(account.portal)
    issued = await open_session(
        session,
        runtime_of(app).auth_kit,
        account=account,
        ctx=PortalContext(portal, institution.institution_id, institution.biz_id),
        client=client,
    )
    await session.commit()
    return {
        "accessToken": issued.access_token,
        "refreshToken": issued.refresh_token,
        "expiresIn": issued.expires_in,
    }


class Portal:
    """A front end of one portal: sends the access code, and optionally a bearer token."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        portal: AccountPortal,
        code: str,
        outbox: Outbox,
        *,
        app: Any = None,
        session: AsyncSession | None = None,
        institution: InstitutionCodes | None = None,
    ) -> None:
        self.http = http
        self.portal = portal
        self.code = code
        self.outbox = outbox
        self.prefix = f"/web/v1/{portal.value.lower()}"
        self.app = app
        self.session = session
        self.institution = institution

    def headers(self, token: str | None = None, **extra: str) -> dict[str, str]:
        headers = {"X-PORTAL-ACCESS-CODE": self.code}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        headers.update(extra)
        return headers

    async def post(
        self, path: str, body: Any = None, *, token: str | None = None, **kw: Any
    ) -> httpx.Response:
        return await self.http.post(
            self.prefix + path,
            json=body,
            headers=self.headers(token, **kw.pop("headers", {})),
            **kw,
        )

    async def get(self, path: str, *, token: str | None = None, **kw: Any) -> httpx.Response:
        return await self.http.get(
            self.prefix + path, headers=self.headers(token, **kw.pop("headers", {})), **kw
        )

    async def login(self, email_address: str, password: str = DEFAULT_PASSWORD) -> dict[str, Any]:
        """Sign in over HTTP: the password step, the mailed code, the verify step."""
        started = await self.post(
            "/auth/login/initiate", {"email": email_address, "password": password}
        )
        assert started.status_code == 200, started.text
        session_id = started.json()["data"]["sessionId"]
        code = await self.outbox.last_code(email_address)
        done = await self.post(
            "/auth/login/verify", {"sessionId": session_id, "mfaMethod": "EMAIL", "code": code}
        )
        assert done.status_code == 200, done.text
        data: dict[str, Any] = done.json()["data"]
        return data

    async def sign_in(self, account: Account) -> dict[str, Any]:
        """A session of `account` on this portal opened by the session service (`mint_session`):
        for tests where the sign-in itself is not under test."""
        assert self.app is not None and self.session is not None and self.institution is not None
        assert AccountPortal(account.portal) == self.portal, "an account of another portal"
        return await mint_session(self.app, self.session, account, self.institution)

    async def token(self, account: Account) -> str:
        """The access token of a new session of `account` (`sign_in`)."""
        return str((await self.sign_in(account))["accessToken"])


# The documented answer of a paged list with no records (portal-api.md §1.5).
EMPTY_PAGE = {
    "items": [],
    "pagination": {
        "totalPages": 0,
        "totalRecords": 0,
        "currentPage": 1,
        "pageSize": 0,
        "hasNext": False,
        "empty": True,
        "paginated": False,
    },
}


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    """The documented error envelope, exactly."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["version", "timestamp", "success", "code", "message", "data"]
    assert body["success"] is False
    assert body["code"] == code
    assert body["data"] is None


def assert_ok(response: httpx.Response, code: str = "2000", status: int = 200) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["version", "timestamp", "success", "code", "message", "data"]
    assert body["success"] is True
    assert body["code"] == code
    return body["data"]
