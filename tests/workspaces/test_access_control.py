"""Every workspace route in the OpenAPI document, as owner, member without the permission,
member of another workspace, and anonymous. New routes are picked up automatically: any
operation with `x-permission` (declared through `RequirePermission`) is walked."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from portico.api_keys.models import ApiKey
from portico.ids import new_biz_id
from portico.workspaces.permissions import MEMBERSHIP
from tests.factories.accounts import create_account
from tests.factories.money import create_withdrawal_channel, fund_wallet
from tests.factories.workspaces import add_member, create_role, owned_workspace
from tests.support.portal import Portal, assert_error

# Ids in paths and bodies that name workspace-owned objects, and how to find one in workspace A.
ID_FIELDS = (
    "roleBizId",
    "roleId",
    "keyBizId",
    "apiKeyId",
    "invitationBizId",
    "userBizId",
    "walletBizId",
    "fromWalletBizId",
    "bizId",
    "transferBizId",
    "withdrawalChannelBizId",
)
# Documented to answer 200 for any id: `completed` is false and the wallet's orders are an
# empty page; from another workspace they must show nothing of workspace A.
EMPTY_FOR_FOREIGN_IDS = ("/completed", "/query/orders/wallet/")
# Valid values for the other required body fields, so the id is what gets checked.
BODY_DEFAULTS = {
    "permissionCodes": [],
    "email": "someone@example.com",
    "amount": "1.00",
    "fileBizId": "some-file",
    "channelBizId": "unknown-channel",
    "quoteId": "unknown-quote",
    "toAccountEmail": "someone@example.com",
}


def workspace_operations(
    spec: dict[str, Any], prefix: str
) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in spec["paths"].items():
        if not path.startswith(prefix + "/"):
            continue
        for method, operation in item.items():
            if "x-permission" in operation:
                found.append((method.upper(), path, operation))
    # leaving a workspace changes membership: walk it last
    return sorted(found, key=lambda op: op[1].endswith("/leave"))


def body_fields(spec: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    schema = (
        operation.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("schema", {})
    )
    ref = schema.get("$ref")
    if ref:
        schema = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return set(schema.get("properties", {}))


class World:
    """Owner A of workspace WA; B, a member of WA without permissions; C, owner of WC only."""

    def __init__(
        self, portal: Portal, tokens: dict[str, str], wa: str, wc: str, ids: dict[str, str]
    ) -> None:
        self.portal, self.tokens, self.wa, self.wc, self.ids = portal, tokens, wa, wc, ids

    async def call(
        self, method: str, path: str, *, who: str | None, workspace: str | None, body: Any
    ) -> httpx.Response:
        headers = self.portal.headers(self.tokens[who] if who else None)
        if workspace:
            headers["X-Workspace-Id"] = workspace
        return await self.portal.http.request(
            method, path, headers=headers, json=body if method == "POST" else None
        )


@pytest.fixture
async def world(portal: Portal, session: AsyncSession, institution: Any) -> World:
    accounts = {
        name: await create_account(
            session,
            institution_id=institution.institution_id,
            portal=portal.portal,
            email=f"{name}@example.com",
        )
        for name in ("a", "b", "c")
    }
    wa = await owned_workspace(session, owner=accounts["a"])
    wc = await owned_workspace(session, owner=accounts["c"])
    no_permissions = await create_role(session, workspace=wa, permission_codes=[])
    await add_member(session, workspace=wa, account=accounts["b"], role=no_permissions)
    key = ApiKey(
        key_id=f"sk_live_{new_biz_id(20).lower()}",
        workspace_id=wa.id,
        name="k",
        secret_hash="0" * 64,
        status="ACTIVE",
        mode="LIVE",
        scopes=[],
        ip_whitelist=[],
        created_by=accounts["a"].biz_id,
    )
    session.add(key)
    wallet = await fund_wallet(session, workspace=wa, currency="USD", amount="10")
    channel = await create_withdrawal_channel(session, workspace=wa)
    await session.commit()
    ids = {
        "roleBizId": no_permissions.biz_id,
        "roleId": no_permissions.biz_id,
        "keyBizId": key.key_id,
        "apiKeyId": key.key_id,
        "invitationBizId": new_biz_id(),
        "userBizId": accounts["b"].biz_id,
        "walletBizId": wallet.biz_id,
        "fromWalletBizId": wallet.biz_id,
        "bizId": wallet.biz_id,
        "transferBizId": new_biz_id(),
        "withdrawalChannelBizId": channel.biz_id,
    }
    tokens = {name: await portal.token(acct) for name, acct in accounts.items()}
    return World(portal, tokens, wa.biz_id, wc.biz_id, ids)


def _fill(path: str, ids: dict[str, str], default: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), default), path)


@pytest.mark.both_portals
async def test_every_workspace_route_is_guarded(world: World, app: Any) -> None:
    portal = world.portal
    spec = app.openapi()
    operations = workspace_operations(spec, portal.prefix)
    assert len(operations) >= 15, "the walk found too few workspace routes"
    seen_permissions = set()
    for method, template, operation in operations:
        permission = operation["x-permission"]
        seen_permissions.add(permission)
        unknown_path = _fill(template, {}, "unknown-id")
        fields = body_fields(spec, operation)
        label = f"{method} {template}"

        anonymous = await world.call(method, unknown_path, who=None, workspace=world.wa, body={})
        assert_error(anonymous, 401, "ACCESS.TOKEN_MISSING")

        outsider = await world.call(method, unknown_path, who="c", workspace=world.wa, body={})
        assert outsider.status_code == 403, label
        assert_error(outsider, 403, "ACCESS.PERMISSION_DENIED")

        member = await world.call(method, unknown_path, who="b", workspace=world.wa, body={})
        if permission == MEMBERSHIP:
            assert member.status_code not in (401, 403, 500), (label, member.text)
        else:
            assert member.status_code == 403, (label, member.text)
            assert_error(member, 403, "ACCESS.PERMISSION_DENIED")

        owner = await world.call(method, unknown_path, who="a", workspace=world.wa, body={})
        if template.endswith("/sandbox/reset"):
            # documented: the owner of a LIVE workspace is refused
            assert_error(owner, 403, "ACCESS.PERMISSION_DENIED")
        else:
            assert owner.status_code not in (401, 403, 500), (label, owner.text)

        # ids of workspace A's objects, used from workspace C, are unknown there
        if "{" in template or fields & set(ID_FIELDS):
            body = {field: world.ids[field] for field in fields if field in world.ids}
            body.update({k: v for k, v in BODY_DEFAULTS.items() if k not in body})
            foreign = await world.call(
                method,
                _fill(template, world.ids, "unknown-id"),
                who="c",
                workspace=world.wc,
                body=body,
            )
            if any(marker in template for marker in EMPTY_FOR_FOREIGN_IDS):
                data = foreign.json()["data"]
                assert data is False or data["items"] == [], (label, foreign.text)
            else:
                assert_error(foreign, 404, "RESOURCE.NOT_FOUND")
    assert {
        "role:read",
        "role:write",
        "member:read",
        "member:write",
        MEMBERSHIP,
    } <= seen_permissions


async def test_partner_and_consumer_expose_the_same_workspace_routes(app: Any) -> None:
    spec = app.openapi()
    consumer = {
        (m, p.removeprefix("/web/v1/consumer"))
        for m, p, _ in workspace_operations(spec, "/web/v1/consumer")
    }
    partner = {
        (m, p.removeprefix("/web/v1/partner"))
        for m, p, _ in workspace_operations(spec, "/web/v1/partner")
    }
    assert consumer & partner, "no shared workspace routes"
    # the documented differences only: consumer sandbox and transfer/transfers, partner referrals
    only = consumer ^ partner
    assert all("/sandbox/" in p or "/referral" in p or "/transfer" in p for _, p in only), only


# Routes that act on the caller's own account (or are public), not on a workspace.
ACCOUNT_SCOPED = (
    "/auth/",
    "/security/",
    "/secure-channel/",
    "/constants/",
    "/profile",
    "/workspaces/mine",
)


async def test_every_workspace_route_declares_a_permission(app: Any) -> None:
    """A new workspace route that forgets `RequirePermission` fails here, not silently (the
    portal routes: the token endpoint and the issuer API authorise their own clients)."""
    spec = app.openapi()
    undeclared = []
    for path, item in spec["paths"].items():
        if not path.startswith("/web/v1/"):
            continue
        tail = path.split("/", 4)[-1]
        route = "/" + tail
        for method, operation in item.items():
            if "x-permission" in operation or route.startswith(ACCOUNT_SCOPED):
                continue
            if (method, route) == ("post", "/workspaces"):
                continue  # creating a workspace needs only an account
            undeclared.append(f"{method.upper()} {path}")
    assert undeclared == []
