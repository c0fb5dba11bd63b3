"""Workspace API keys: list, create, available permissions, get, enable/disable, delete, and
key authentication for the token endpoint."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.api_keys import service
from portico.api_keys.models import ApiKey
from portico.enums import RoleType, WorkspaceKind
from portico.ids import new_biz_id
from portico.runtime import runtime_of
from portico.workspaces.models import Workspace, WorkspaceRole
from portico.workspaces.permissions import all_codes
from tests.factories.accounts import create_account
from tests.factories.workspaces import add_member, owned_workspace
from tests.support.portal import EMPTY_PAGE, Portal, assert_error, assert_ok

API_KEY_FIELDS = [
    "apiKeyId",
    "name",
    "status",
    "mode",
    "permissions",
    "ipWhitelist",
    "createdAt",
    "lastUsedAt",
    "createdBy",
]
CREATED_FIELDS = [
    "apiKeyId",
    "secret",
    "name",
    "status",
    "mode",
    "scopes",
    "ipWhitelist",
    "createdAt",
]
LIVE_ID = re.compile(r"^sk_live_[0-9a-f]{20}$")
TEST_ID = re.compile(r"^sk_test_[0-9a-f]{20}$")
SECRET = re.compile(r"^[0-9a-f]{64}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
UNKNOWN_ID = "sk_live_00000000000000000000"
INVALID = "VALIDATION.INVALID_PARAMETER"
DENIED = "ACCESS.PERMISSION_DENIED"
NOT_FOUND = "RESOURCE.NOT_FOUND"


# --- helpers ----------------------------------------------------------------------------------


async def token_of(portal: Portal, account: Account) -> str:
    return await portal.token(account)


async def create_key(
    portal: Portal,
    token: str,
    body: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await portal.post(
        "/api-keys",
        body or {"name": "Server", "scopes": ["wallet:read"]},
        token=token,
        headers=headers or {},
    )
    data: dict[str, Any] = assert_ok(response, code="2001", status=201)
    return data


async def new_account(
    session: AsyncSession, portal: Portal, institution: Any, email: str
) -> Account:
    created = await create_account(
        session, institution_id=institution.institution_id, portal=portal.portal, email=email
    )
    await session.commit()
    return created


async def member_of(
    session: AsyncSession,
    portal: Portal,
    institution: Any,
    *,
    owner: Account,
    codes: list[str],
    email: str = "bob@example.com",
) -> tuple[str, dict[str, str]]:
    """A second account, member of `owner`'s workspace with `codes`: its token and the header
    that switches to that workspace."""
    member = await new_account(session, portal, institution, email)
    workspace = await owned_workspace(session, owner=owner)
    await add_member(session, workspace=workspace, account=member, permission_codes=codes)
    await session.commit()
    return await token_of(portal, member), {"X-Workspace-Id": workspace.biz_id}


async def sandbox_workspace(session: AsyncSession, *, owner: Account) -> Workspace:
    """A SANDBOX workspace owned by `owner` (besides the LIVE one of registration)."""
    workspace = Workspace(
        biz_id=new_biz_id(),
        institution_id=owner.institution_id,
        name="Sandbox",
        kind=WorkspaceKind.SANDBOX,
    )
    session.add(workspace)
    await session.flush()
    role = WorkspaceRole(
        biz_id=new_biz_id(),
        workspace_id=workspace.id,
        name="Owner",
        role_type=RoleType.OWNER,
        description=None,
        is_builtin=True,
        permission_codes=[],
    )
    session.add(role)
    await session.flush()
    await add_member(session, workspace=workspace, account=owner, role=role)
    await session.commit()
    return workspace


async def stored(session: AsyncSession, key_id: str) -> ApiKey:
    """The key's row as the database holds it now."""
    await session.commit()
    return (
        await session.execute(
            select(ApiKey).where(ApiKey.key_id == key_id).execution_options(populate_existing=True)
        )
    ).scalar_one()


async def authenticate(
    app: Any, *, key_id: str, secret: str, client_ip: str = "198.51.100.7"
) -> ApiKey | None:
    """The token endpoint's lookup, in an app session (the scope guard is active)."""
    async with runtime_of(app).database.sessionmaker() as s:
        key = await service.authenticate(
            s, runtime_of(app).auth_kit, key_id=key_id, secret=secret, client_ip=client_ip
        )
        await s.commit()
        return key


# --- GET /api-keys ----------------------------------------------------------------------------


class TestList:
    async def test_empty(self, portal: Portal, account: Account) -> None:
        token = await token_of(portal, account)
        data = assert_ok(await portal.get("/api-keys", token=token))
        assert data == EMPTY_PAGE

    async def test_newest_first_with_the_exact_shape(
        self, portal: Portal, account: Account
    ) -> None:
        token = await token_of(portal, account)
        first = await create_key(
            portal,
            token,
            {"name": "First", "scopes": ["wallet:read"], "ipWhitelist": ["127.0.0.1"]},
        )
        second = await create_key(
            portal, token, {"name": "Second", "scopes": ["transfer:read", "wallet:read"]}
        )
        response = await portal.get("/api-keys", token=token)
        data = assert_ok(response)
        assert list(data) == ["items", "pagination"]
        assert [item["apiKeyId"] for item in data["items"]] == [
            second["apiKeyId"],
            first["apiKeyId"],
        ]
        assert all(list(item) == API_KEY_FIELDS for item in data["items"])
        assert data["items"][1] == {
            "apiKeyId": first["apiKeyId"],
            "name": "First",
            "status": "ACTIVE",
            "mode": "LIVE",
            "permissions": ["wallet:read"],
            "ipWhitelist": ["127.0.0.1"],
            "createdAt": first["createdAt"],
            "lastUsedAt": None,
            "createdBy": account.biz_id,
        }
        assert data["items"][0]["permissions"] == ["transfer:read", "wallet:read"]
        assert data["pagination"] == {
            "totalPages": 1,
            "totalRecords": 2,
            "currentPage": 1,
            "pageSize": 2,
            "hasNext": False,
            "empty": False,
            "paginated": False,
        }
        # the secrets are never shown again
        assert first["secret"] not in response.text and second["secret"] not in response.text
        assert "secret" not in response.text

    async def test_only_the_current_workspaces_keys(
        self, portal: Portal, account: Account, session: AsyncSession, institution: Any
    ) -> None:
        token = await token_of(portal, account)
        await create_key(portal, token)
        bob = await new_account(session, portal, institution, "bob@example.com")
        bobs_token = await token_of(portal, bob)
        assert assert_ok(await portal.get("/api-keys", token=bobs_token))["items"] == []
        sandbox = await sandbox_workspace(session, owner=account)
        in_sandbox = await portal.get(
            "/api-keys", token=token, headers={"X-Workspace-Id": sandbox.biz_id}
        )
        assert assert_ok(in_sandbox)["items"] == []

    async def test_member_with_apikey_read(
        self, portal: Portal, account: Account, session: AsyncSession, institution: Any
    ) -> None:
        key = await create_key(portal, await token_of(portal, account))
        token, headers = await member_of(
            session, portal, institution, owner=account, codes=["apikey:read"]
        )
        data = assert_ok(await portal.get("/api-keys", token=token, headers=headers))
        assert [item["apiKeyId"] for item in data["items"]] == [key["apiKeyId"]]


# --- POST /api-keys ---------------------------------------------------------------------------


class TestCreate:
    async def test_live_key_with_the_exact_shape(self, portal: Portal, account: Account) -> None:
        token = await token_of(portal, account)
        data = await create_key(
            portal,
            token,
            {
                "name": "  Billing server  ",
                "scopes": ["wallet:read", "transfer:write"],
                "ipWhitelist": ["127.0.0.1", "10.1.2.3/8"],
            },
        )
        assert list(data) == CREATED_FIELDS
        assert LIVE_ID.match(data["apiKeyId"]), data["apiKeyId"]
        assert SECRET.match(data["secret"]), data["secret"]
        assert TIMESTAMP.match(data["createdAt"]), data["createdAt"]
        assert {k: v for k, v in data.items() if k not in ("apiKeyId", "secret", "createdAt")} == {
            "name": "Billing server",
            "status": "ACTIVE",
            "mode": "LIVE",
            "scopes": ["wallet:read", "transfer:write"],
            "ipWhitelist": ["127.0.0.1", "10.0.0.0/8"],
        }
        again = await create_key(portal, token)
        assert again["apiKeyId"] != data["apiKeyId"] and again["secret"] != data["secret"]

    async def test_secret_is_stored_only_as_a_digest(
        self, portal: Portal, account: Account, session: AsyncSession, app: Any
    ) -> None:
        data = await create_key(portal, await token_of(portal, account))
        row = await stored(session, data["apiKeyId"])
        assert row.secret_hash == runtime_of(app).auth_kit.tokens.digest(data["secret"])
        assert row.secret_hash != data["secret"]
        columns = [getattr(row, c.key) for c in ApiKey.__table__.columns]
        assert not any(data["secret"] in str(value) for value in columns)
        workspace = await owned_workspace(session, owner=account)
        assert (row.workspace_id, row.created_by, row.deleted_at) == (
            workspace.id,
            account.biz_id,
            None,
        )

    async def test_ip_whitelist_is_optional_and_normalised(
        self, portal: Portal, account: Account
    ) -> None:
        token = await token_of(portal, account)
        absent = await create_key(portal, token, {"name": "a", "scopes": ["wallet:read"]})
        null = await create_key(
            portal, token, {"name": "b", "scopes": ["wallet:read"], "ipWhitelist": None}
        )
        empty = await create_key(
            portal, token, {"name": "c", "scopes": ["wallet:read"], "ipWhitelist": []}
        )
        assert absent["ipWhitelist"] == null["ipWhitelist"] == empty["ipWhitelist"] == []
        messy = await create_key(
            portal,
            token,
            {
                "name": "d",
                "scopes": ["wallet:read"],
                "ipWhitelist": [" 192.168.1.9/24", "192.168.1.0/24", "2001:db8::1", "::1"],
            },
        )
        assert messy["ipWhitelist"] == ["192.168.1.0/24", "2001:db8::1", "::1"]
        fifty = [f"10.0.0.{n}" for n in range(50)]
        full = await create_key(
            portal, token, {"name": "e" * 100, "scopes": ["wallet:read"], "ipWhitelist": fifty}
        )
        assert full["ipWhitelist"] == fifty and full["name"] == "e" * 100

    async def test_repeated_scopes_are_kept_once(self, portal: Portal, account: Account) -> None:
        data = await create_key(
            portal,
            await token_of(portal, account),
            {"name": "k", "scopes": ["wallet:read", "wallet:read", "transfer:read"]},
        )
        assert data["scopes"] == ["wallet:read", "transfer:read"]

    async def test_sandbox_workspace_gets_a_test_key(
        self, portal: Portal, account: Account, session: AsyncSession
    ) -> None:
        token = await token_of(portal, account)
        sandbox = await sandbox_workspace(session, owner=account)
        headers = {"X-Workspace-Id": sandbox.biz_id}
        data = await create_key(portal, token, headers=headers)
        assert TEST_ID.match(data["apiKeyId"]), data["apiKeyId"]
        assert data["mode"] == "SANDBOX"
        listed = assert_ok(await portal.get("/api-keys", token=token, headers=headers))
        assert [(i["apiKeyId"], i["mode"]) for i in listed["items"]] == [
            (data["apiKeyId"], "SANDBOX")
        ]
        # the LIVE workspace does not see it
        assert assert_ok(await portal.get("/api-keys", token=token))["items"] == []

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"scopes": ["wallet:read"]},
            {"name": "k"},
            {"name": "", "scopes": ["wallet:read"]},
            {"name": "   ", "scopes": ["wallet:read"]},
            {"name": "x" * 101, "scopes": ["wallet:read"]},
            {"name": 123, "scopes": ["wallet:read"]},
            {"name": None, "scopes": ["wallet:read"]},
            {"name": "k", "scopes": []},
            {"name": "k", "scopes": None},
            {"name": "k", "scopes": "wallet:read"},
            {"name": "k", "scopes": [1]},
            {"name": "k", "scopes": [""]},
            {"name": "k", "scopes": ["wallet"]},
            {"name": "k", "scopes": ["wallet:delete"]},
            {"name": "k", "scopes": ["wallet:read", "nope:read"]},
            {"name": "k", "scopes": ["WALLET:READ"]},
            {"name": "k", "scopes": ["wallet:read"], "ipWhitelist": ["not-an-ip"]},
            {"name": "k", "scopes": ["wallet:read"], "ipWhitelist": ["10.0.0.0/33"]},
            {"name": "k", "scopes": ["wallet:read"], "ipWhitelist": "127.0.0.1"},
            {"name": "k", "scopes": ["wallet:read"], "ipWhitelist": [5]},
            {"name": "k", "scopes": ["wallet:read"], "ipWhitelist": [""]},
            {
                "name": "k",
                "scopes": ["wallet:read"],
                "ipWhitelist": [f"10.0.0.{n}" for n in range(51)],
            },
            [],
            "name",
        ],
        ids=lambda body: str(body)[:60],
    )
    async def test_bad_bodies(self, portal: Portal, account: Account, body: Any) -> None:
        token = await token_of(portal, account)
        assert_error(await portal.post("/api-keys", body, token=token), 400, INVALID)
        assert assert_ok(await portal.get("/api-keys", token=token))["items"] == []

    async def test_no_body(self, portal: Portal, account: Account) -> None:
        token = await token_of(portal, account)
        assert_error(await portal.post("/api-keys", token=token), 400, INVALID)

    async def test_scopes_limited_to_the_callers_permissions(
        self, portal: Portal, account: Account, session: AsyncSession, institution: Any
    ) -> None:
        token, headers = await member_of(
            session,
            portal,
            institution,
            owner=account,
            codes=["apikey:read", "apikey:write", "wallet:read"],
        )
        granted = await create_key(
            portal, token, {"name": "k", "scopes": ["wallet:read"]}, headers=headers
        )
        assert granted["scopes"] == ["wallet:read"]
        listed = assert_ok(await portal.get("/api-keys", token=token, headers=headers))
        assert listed["items"][0]["createdBy"] != account.biz_id
        # a code the caller does not hold is refused (403), like every grant beyond one's own
        for scopes in (["transfer:write"], ["wallet:read", "transfer:write"], ["role:write"]):
            response = await portal.post(
                "/api-keys", {"name": "k", "scopes": scopes}, token=token, headers=headers
            )
            assert_error(response, 403, "ACCESS.PERMISSION_DENIED")
        # the owner holds everything
        owner = await create_key(
            portal, await token_of(portal, account), {"name": "o", "scopes": list(all_codes())}
        )
        assert owner["scopes"] == list(all_codes())


# --- GET /api-keys/available-permissions ------------------------------------------------------


class TestAvailablePermissions:
    async def test_owner_may_grant_the_whole_catalogue_in_the_documents_order(
        self, portal: Portal, account: Account
    ) -> None:
        token = await token_of(portal, account)
        data = assert_ok(await portal.get("/api-keys/available-permissions", token=token))
        assert data[:2] == ["wallet:read", "transfer:read"]  # as the documents list them
        assert sorted(data) == sorted(all_codes())
        reads = [code for code in data if code.endswith(":read")]
        assert data[: len(reads)] == reads  # every read before the writes
        assert [c.split(":")[0] for c in data[len(reads) :]] == [c.split(":")[0] for c in reads]

    async def test_member_may_grant_its_own_codes_in_the_documents_order(
        self, portal: Portal, account: Account, session: AsyncSession, institution: Any
    ) -> None:
        token, headers = await member_of(
            session,
            portal,
            institution,
            owner=account,
            codes=["wallet:read", "transfer:read", "apikey:read", "bogus:code"],
        )
        response = await portal.get("/api-keys/available-permissions", token=token, headers=headers)
        assert assert_ok(response) == ["wallet:read", "transfer:read", "apikey:read"]


# --- GET /api-keys/{keyBizId} -----------------------------------------------------------------


class TestGet:
    async def test_reads_one_key(self, portal: Portal, account: Account) -> None:
        token = await token_of(portal, account)
        key = await create_key(portal, token, {"name": "k", "scopes": ["wallet:read"]})
        response = await portal.get(f"/api-keys/{key['apiKeyId']}", token=token)
        data = assert_ok(response)
        assert list(data) == API_KEY_FIELDS
        listed = assert_ok(await portal.get("/api-keys", token=token))["items"]
        assert data == listed[0]
        assert key["secret"] not in response.text

    @pytest.mark.parametrize(
        "key_id", [UNKNOWN_ID, "nope", "sk_live_" + "0" * 60], ids=["unknown", "junk", "long"]
    )
    async def test_unknown_key(self, portal: Portal, account: Account, key_id: str) -> None:
        token = await token_of(portal, account)
        assert_error(await portal.get(f"/api-keys/{key_id}", token=token), 404, NOT_FOUND)

    async def test_another_workspaces_key(
        self, portal: Portal, account: Account, session: AsyncSession, institution: Any
    ) -> None:
        key = await create_key(portal, await token_of(portal, account))
        bob = await new_account(session, portal, institution, "bob@example.com")
        response = await portal.get(
            f"/api-keys/{key['apiKeyId']}", token=await token_of(portal, bob)
        )
        assert_error(response, 404, NOT_FOUND)

    async def test_deleted_key(self, portal: Portal, account: Account) -> None:
        token = await token_of(portal, account)
        key = await create_key(portal, token)
        assert_ok(
            await portal.post("/api-keys/delete", {"apiKeyId": key["apiKeyId"]}, token=token),
            code="2004",
        )
        assert_error(await portal.get(f"/api-keys/{key['apiKeyId']}", token=token), 404, NOT_FOUND)


# --- POST /api-keys/enable, /api-keys/disable -------------------------------------------------


class TestEnableDisable:
    async def test_round_trip(self, portal: Portal, account: Account) -> None:
        token = await token_of(portal, account)
        key = await create_key(portal, token)
        body = {"apiKeyId": key["apiKeyId"]}
        disabled = assert_ok(await portal.post("/api-keys/disable", body, token=token))
        assert list(disabled) == API_KEY_FIELDS
        assert (disabled["apiKeyId"], disabled["status"]) == (key["apiKeyId"], "DISABLED")
        read = assert_ok(await portal.get(f"/api-keys/{key['apiKeyId']}", token=token))
        assert read == disabled
        # disabling twice is harmless
        assert assert_ok(await portal.post("/api-keys/disable", body, token=token)) == disabled
        enabled = assert_ok(await portal.post("/api-keys/enable", body, token=token))
        assert list(enabled) == API_KEY_FIELDS
        assert enabled == {**disabled, "status": "ACTIVE"}
        assert assert_ok(await portal.post("/api-keys/enable", body, token=token)) == enabled
        listed = assert_ok(await portal.get("/api-keys", token=token))["items"]
        assert listed == [enabled]

    @pytest.mark.parametrize("action", ["enable", "disable"])
    async def test_unknown_foreign_or_deleted_key(
        self,
        portal: Portal,
        account: Account,
        session: AsyncSession,
        institution: Any,
        action: str,
    ) -> None:
        token = await token_of(portal, account)
        deleted = await create_key(portal, token, {"name": "gone", "scopes": ["wallet:read"]})
        assert_ok(
            await portal.post("/api-keys/delete", {"apiKeyId": deleted["apiKeyId"]}, token=token),
            code="2004",
        )
        for key_id in (UNKNOWN_ID, deleted["apiKeyId"], "x" * 64):
            response = await portal.post(f"/api-keys/{action}", {"apiKeyId": key_id}, token=token)
            assert_error(response, 404, NOT_FOUND)
        mine = await create_key(portal, token)
        bob = await new_account(session, portal, institution, "bob@example.com")
        response = await portal.post(
            f"/api-keys/{action}", {"apiKeyId": mine["apiKeyId"]}, token=await token_of(portal, bob)
        )
        assert_error(response, 404, NOT_FOUND)
        # the key is untouched
        read = assert_ok(await portal.get(f"/api-keys/{mine['apiKeyId']}", token=token))
        assert read["status"] == "ACTIVE"

    @pytest.mark.parametrize("action", ["enable", "disable"])
    async def test_bad_bodies(self, portal: Portal, account: Account, action: str) -> None:
        token = await token_of(portal, account)
        for body in (
            {},
            {"apiKeyId": None},
            {"apiKeyId": 5},
            {"apiKeyId": ""},
            {"apiKeyId": ["sk_live_x"]},
            {"apiKeyId": "x" * 65},
            {"keyBizId": UNKNOWN_ID},
            [],
            None,
        ):
            response = await portal.post(f"/api-keys/{action}", body, token=token)
            assert_error(response, 400, INVALID)


# --- POST /api-keys/delete --------------------------------------------------------------------


class TestDelete:
    async def test_soft_deletes(
        self, portal: Portal, account: Account, session: AsyncSession
    ) -> None:
        token = await token_of(portal, account)
        kept = await create_key(portal, token, {"name": "kept", "scopes": ["wallet:read"]})
        key = await create_key(portal, token, {"name": "gone", "scopes": ["wallet:read"]})
        body = {"apiKeyId": key["apiKeyId"]}
        assert assert_ok(await portal.post("/api-keys/delete", body, token=token), "2004") is None
        assert_error(await portal.get(f"/api-keys/{key['apiKeyId']}", token=token), 404, NOT_FOUND)
        listed = assert_ok(await portal.get("/api-keys", token=token))
        assert [item["apiKeyId"] for item in listed["items"]] == [kept["apiKeyId"]]
        assert listed["pagination"]["totalRecords"] == 1
        row = await stored(session, key["apiKeyId"])
        assert row.deleted_at is not None
        # once deleted, it is gone for every action
        assert_error(await portal.post("/api-keys/delete", body, token=token), 404, NOT_FOUND)
        assert_error(await portal.post("/api-keys/enable", body, token=token), 404, NOT_FOUND)

    async def test_unknown_or_foreign_key(
        self, portal: Portal, account: Account, session: AsyncSession, institution: Any
    ) -> None:
        token = await token_of(portal, account)
        for key_id in (UNKNOWN_ID, "nope"):
            response = await portal.post("/api-keys/delete", {"apiKeyId": key_id}, token=token)
            assert_error(response, 404, NOT_FOUND)
        mine = await create_key(portal, token)
        bob = await new_account(session, portal, institution, "bob@example.com")
        response = await portal.post(
            "/api-keys/delete", {"apiKeyId": mine["apiKeyId"]}, token=await token_of(portal, bob)
        )
        assert_error(response, 404, NOT_FOUND)
        assert assert_ok(await portal.get(f"/api-keys/{mine['apiKeyId']}", token=token))

    async def test_bad_bodies(self, portal: Portal, account: Account) -> None:
        token = await token_of(portal, account)
        for body in ({}, {"apiKeyId": 5}, {"apiKeyId": ""}, {"apiKeyId": None}, [], None):
            response = await portal.post("/api-keys/delete", body, token=token)
            assert_error(response, 400, INVALID)


# --- permissions and workspace membership, for every route ------------------------------------

ROUTES: list[tuple[str, str, str, Any]] = [
    ("GET", "/api-keys", "apikey:read", None),
    ("POST", "/api-keys", "apikey:write", {"name": "k", "scopes": ["wallet:read"]}),
    ("GET", "/api-keys/available-permissions", "apikey:read", None),
    ("GET", "/api-keys/{key}", "apikey:read", None),
    ("POST", "/api-keys/enable", "apikey:write", {"apiKeyId": "{key}"}),
    ("POST", "/api-keys/disable", "apikey:write", {"apiKeyId": "{key}"}),
    ("POST", "/api-keys/delete", "apikey:write", {"apiKeyId": "{key}"}),
]
OTHER = {"apikey:read": "apikey:write", "apikey:write": "apikey:read"}


def _request(route: tuple[str, str, str, Any], key_id: str) -> tuple[str, str, Any]:
    method, path, _, body = route
    if isinstance(body, dict):
        body = {k: v.replace("{key}", key_id) if isinstance(v, str) else v for k, v in body.items()}
    return method, path.replace("{key}", key_id), body


async def _call(
    portal: Portal, method: str, path: str, body: Any, *, token: str | None, **headers: str
) -> Any:
    if method == "GET":
        return await portal.get(path, token=token, headers=headers)
    return await portal.post(path, body, token=token, headers=headers)


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES])
class TestAccess:
    async def test_requires_a_token(
        self, portal: Portal, account: Account, route: tuple[str, str, str, Any]
    ) -> None:
        key = await create_key(portal, await token_of(portal, account))
        method, path, body = _request(route, key["apiKeyId"])
        assert_error(
            await _call(portal, method, path, body, token=None), 401, "ACCESS.TOKEN_MISSING"
        )
        assert_error(
            await _call(portal, method, path, body, token="not-a-token"),
            401,
            "ACCESS.TOKEN_INVALID",
        )

    async def test_member_without_the_permission_is_denied(
        self,
        portal: Portal,
        account: Account,
        session: AsyncSession,
        institution: Any,
        route: tuple[str, str, str, Any],
    ) -> None:
        key = await create_key(portal, await token_of(portal, account))
        permission = route[2]
        # holding the other apikey permission (and more) is not enough
        token, headers = await member_of(
            session,
            portal,
            institution,
            owner=account,
            codes=[OTHER[permission], "wallet:read", "workspace:write"],
        )
        method, path, body = _request(route, key["apiKeyId"])
        assert_error(await _call(portal, method, path, body, token=token, **headers), 403, DENIED)
        # with it, the same call goes through
        holder, holder_headers = await member_of(
            session,
            portal,
            institution,
            owner=account,
            codes=[permission, "wallet:read"],
            email="carol@example.com",
        )
        allowed = await _call(portal, method, path, body, token=holder, **holder_headers)
        assert allowed.status_code in (200, 201), allowed.text

    async def test_workspace_of_which_the_caller_is_not_a_member(
        self,
        portal: Portal,
        account: Account,
        session: AsyncSession,
        institution: Any,
        route: tuple[str, str, str, Any],
    ) -> None:
        key = await create_key(portal, await token_of(portal, account))
        workspace = await owned_workspace(session, owner=account)
        bob = await new_account(session, portal, institution, "bob@example.com")
        bobs = await token_of(portal, bob)
        method, path, body = _request(route, key["apiKeyId"])
        for workspace_id in (workspace.biz_id, "no-such-workspace"):
            response = await _call(
                portal, method, path, body, token=bobs, **{"X-Workspace-Id": workspace_id}
            )
            assert_error(response, 403, DENIED)
        # the key is untouched
        read = assert_ok(
            await portal.get(f"/api-keys/{key['apiKeyId']}", token=await token_of(portal, account))
        )
        assert read["status"] == "ACTIVE"


# --- service.authenticate (for the OAuth token endpoint) --------------------------------------


class TestAuthenticate:
    async def test_right_secret_returns_the_key_and_records_use(
        self, portal: Portal, account: Account, app: Any
    ) -> None:
        token = await token_of(portal, account)
        key = await create_key(portal, token)
        found = await authenticate(app, key_id=key["apiKeyId"], secret=key["secret"])
        assert found is not None
        assert (found.key_id, found.scopes, found.mode) == (
            key["apiKeyId"],
            ["wallet:read"],
            "LIVE",
        )
        assert found.last_used_at is not None
        data = assert_ok(await portal.get(f"/api-keys/{key['apiKeyId']}", token=token))
        assert data["lastUsedAt"] is not None and TIMESTAMP.match(data["lastUsedAt"])
        assert data["lastUsedAt"] >= data["createdAt"]

    async def test_wrong_secret_or_unknown_key(
        self, portal: Portal, account: Account, app: Any, session: AsyncSession
    ) -> None:
        token = await token_of(portal, account)
        key = await create_key(portal, token)
        other = await create_key(portal, token)
        for key_id, secret in (
            (key["apiKeyId"], "0" * 64),
            (key["apiKeyId"], other["secret"]),
            (key["apiKeyId"], ""),
            (key["apiKeyId"], key["secret"].upper()),
            (key["apiKeyId"], runtime_of(app).auth_kit.tokens.digest(key["secret"])),
            (UNKNOWN_ID, key["secret"]),
            ("", key["secret"]),
            (key["apiKeyId"] + "0" * 40, key["secret"]),
        ):
            assert await authenticate(app, key_id=key_id, secret=secret) is None
        assert (await stored(session, key["apiKeyId"])).last_used_at is None

    async def test_disabled_key_is_refused_until_enabled(
        self, portal: Portal, account: Account, app: Any, session: AsyncSession
    ) -> None:
        token = await token_of(portal, account)
        key = await create_key(portal, token)
        body = {"apiKeyId": key["apiKeyId"]}
        assert_ok(await portal.post("/api-keys/disable", body, token=token))
        assert await authenticate(app, key_id=key["apiKeyId"], secret=key["secret"]) is None
        assert (await stored(session, key["apiKeyId"])).last_used_at is None
        assert_ok(await portal.post("/api-keys/enable", body, token=token))
        assert await authenticate(app, key_id=key["apiKeyId"], secret=key["secret"]) is not None

    async def test_deleted_key_is_refused(self, portal: Portal, account: Account, app: Any) -> None:
        token = await token_of(portal, account)
        key = await create_key(portal, token)
        assert_ok(
            await portal.post("/api-keys/delete", {"apiKeyId": key["apiKeyId"]}, token=token),
            code="2004",
        )
        assert await authenticate(app, key_id=key["apiKeyId"], secret=key["secret"]) is None

    async def test_ip_whitelist(self, portal: Portal, account: Account, app: Any) -> None:
        token = await token_of(portal, account)
        key = await create_key(
            portal,
            token,
            {
                "name": "k",
                "scopes": ["wallet:read"],
                "ipWhitelist": ["192.0.2.7", "10.0.0.0/8", "2001:db8::/32"],
            },
        )
        for ip in ("192.0.2.7", "10.200.3.4", "2001:db8::42"):
            found = await authenticate(
                app, key_id=key["apiKeyId"], secret=key["secret"], client_ip=ip
            )
            assert found is not None, ip
        for ip in ("192.0.2.8", "11.0.0.1", "2001:db9::1", "not-an-ip", ""):
            found = await authenticate(
                app, key_id=key["apiKeyId"], secret=key["secret"], client_ip=ip
            )
            assert found is None, ip

    async def test_empty_whitelist_allows_any_ip(
        self, portal: Portal, account: Account, app: Any, session: AsyncSession
    ) -> None:
        token = await token_of(portal, account)
        sandbox = await sandbox_workspace(session, owner=account)
        key = await create_key(portal, token, headers={"X-Workspace-Id": sandbox.biz_id})
        for ip in ("203.0.113.99", "::1"):
            found = await authenticate(
                app, key_id=key["apiKeyId"], secret=key["secret"], client_ip=ip
            )
            assert found is not None and found.mode == "SANDBOX"
