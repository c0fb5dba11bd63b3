"""Workspaces: create, current, mine, default, leave, update, members."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories.accounts import create_account
from tests.factories.workspaces import add_member, owned_workspace
from tests.support.portal import Portal, assert_error, assert_ok

WORKSPACE_KEYS = [
    "bizId",
    "institutionBizId",
    "entityBizId",
    "workspaceName",
    "workspaceTimezone",
    "workspaceStatus",
    "workspaceKind",
    "extraData",
    "createdAt",
    "updatedAt",
]
MEMBERSHIP_KEYS = [
    "userBizId",
    "workspaceBizId",
    "workspaceName",
    "workspaceKind",
    "institutionBizId",
    "workspaceRoleBizId",
    "workspaceRoleName",
    "joinSource",
    "isOwner",
    "isDefault",
    "enterable",
    "defaultEligible",
    "policyConfig",
    "createdAt",
    "updatedAt",
]


class TestCurrentAndMine:
    async def test_current_is_the_default(
        self, portal: Portal, account: Any, institution: Any
    ) -> None:
        tokens = await portal.sign_in(account)
        data = assert_ok(await portal.get("/workspaces/current", token=tokens["accessToken"]))
        assert list(data) == WORKSPACE_KEYS
        assert data["workspaceKind"] == {
            "code": "LIVE",
            "value": 10050101,
            "label": "Live",
            "description": "Primary workspace for production business operations",
        }
        assert data["workspaceStatus"]["value"] == 10010304
        assert data["institutionBizId"] == institution.biz_id
        assert data["entityBizId"] is None and data["extraData"] is None

    async def test_mine(self, portal: Portal, account: Any) -> None:
        tokens = await portal.sign_in(account)
        data = assert_ok(await portal.get("/workspaces/mine", token=tokens["accessToken"]))
        assert len(data) == 1 and list(data[0]) == MEMBERSHIP_KEYS
        m = data[0]
        assert (
            m["userBizId"],
            m["workspaceRoleName"],
            m["isOwner"],
            m["isDefault"],
            m["enterable"],
            m["defaultEligible"],
        ) == (account.biz_id, "所有者", True, True, True, True)
        assert m["joinSource"] == {
            "code": "REGISTRATION",
            "value": 10050201,
            "label": "Registration",
            "description": "Joined through self-registration",
        }

    async def test_header_selects_and_non_member_is_denied(
        self, portal: Portal, account: Any, session: AsyncSession, institution: Any
    ) -> None:
        bob = await create_account(
            session,
            institution_id=institution.institution_id,
            portal=portal.portal,
            email="bob@example.com",
        )
        await session.commit()
        bobs = await owned_workspace(session, owner=bob)
        tokens = await portal.sign_in(account)
        for workspace_id in [bobs.biz_id, "no-such-workspace"]:
            response = await portal.get(
                "/workspaces/current",
                token=tokens["accessToken"],
                headers={"X-Workspace-Id": workspace_id},
            )
            assert_error(response, 403, "ACCESS.PERMISSION_DENIED")
        assert_error(await portal.get("/workspaces/current"), 401, "ACCESS.TOKEN_MISSING")


class TestCreate:
    async def test_create_sandbox_and_switch(self, portal: Portal, account: Any) -> None:
        token = await portal.token(account)
        body = {
            "workspaceName": "Test lab",
            "workspaceTimezone": "Asia/Shanghai",
            "workspaceKind": "SANDBOX",
        }
        data = assert_ok(
            await portal.post("/workspaces", body, token=token), code="2001", status=201
        )
        assert (
            data["workspaceKind"]["code"] == "SANDBOX"
            and data["workspaceKind"]["value"] == 10050102
        )
        assert (data["workspaceName"], data["workspaceTimezone"]) == ("Test lab", "Asia/Shanghai")
        mine = assert_ok(await portal.get("/workspaces/mine", token=token))
        assert [m["isDefault"] for m in mine] == [True, False]
        created = mine[1]
        assert created["isOwner"] is True and created["joinSource"]["code"] == "CREATION"
        roles = assert_ok(
            await portal.get("/roles", token=token, headers={"X-Workspace-Id": data["bizId"]})
        )
        assert [r["roleName"] for r in roles] == ["所有者", "成员"]
        default = assert_ok(
            await portal.post(
                "/workspaces/current/default",
                token=token,
                headers={"X-Workspace-Id": data["bizId"]},
            )
        )
        assert default["isDefault"] is True and default["workspaceBizId"] == data["bizId"]
        current = assert_ok(await portal.get("/workspaces/current", token=token))
        assert current["bizId"] == data["bizId"]

    async def test_bad_bodies(self, portal: Portal, account: Any) -> None:
        token = await portal.token(account)
        for body in [
            {},
            {"workspaceName": ""},
            {"workspaceName": 5},
            {"workspaceName": "x", "workspaceKind": "PROD"},
            {"workspaceName": "x", "workspaceTimezone": "Mars/Base"},
            None,
        ]:
            assert_error(
                await portal.post("/workspaces", body, token=token),
                400,
                "VALIDATION.INVALID_PARAMETER",
            )
        assert_error(
            await portal.post("/workspaces", {"workspaceName": "x"}), 401, "ACCESS.TOKEN_MISSING"
        )


class TestUpdate:
    async def test_partial_update(self, portal: Portal, account: Any) -> None:
        token = await portal.token(account)
        data = assert_ok(
            await portal.post(
                "/workspaces/current/update",
                {"workspaceName": "Partner Test Workspace", "workspaceTimezone": "UTC"},
                token=token,
            )
        )
        assert data["workspaceName"] == "Partner Test Workspace"
        same = assert_ok(await portal.post("/workspaces/current/update", {}, token=token))
        assert same["workspaceName"] == "Partner Test Workspace"
        for body in [{"workspaceTimezone": "Nowhere"}, {"workspaceName": ""}, {"workspaceName": 1}]:
            assert_error(
                await portal.post("/workspaces/current/update", body, token=token),
                400,
                "VALIDATION.INVALID_PARAMETER",
            )

    async def test_needs_workspace_write(
        self, portal: Portal, account: Any, session: AsyncSession, institution: Any
    ) -> None:
        bob = await create_account(
            session,
            institution_id=institution.institution_id,
            portal=portal.portal,
            email="bob@example.com",
        )
        workspace = await owned_workspace(session, owner=account)
        await add_member(
            session, workspace=workspace, account=bob, permission_codes=["member:read"]
        )
        await session.commit()
        token = await portal.token(bob)
        response = await portal.post(
            "/workspaces/current/update",
            {"workspaceName": "mine now"},
            token=token,
            headers={"X-Workspace-Id": workspace.biz_id},
        )
        assert_error(response, 403, "ACCESS.PERMISSION_DENIED")


class TestMembersAndLeave:
    async def _with_bob(
        self,
        session: AsyncSession,
        institution: Any,
        portal: Portal,
        account: Any,
        codes: list[str],
    ) -> tuple[Any, Any]:
        bob = await create_account(
            session,
            institution_id=institution.institution_id,
            portal=portal.portal,
            email="bob@example.com",
        )
        workspace = await owned_workspace(session, owner=account)
        await add_member(session, workspace=workspace, account=bob, permission_codes=codes)
        await session.commit()
        return bob, workspace

    async def test_members_list(
        self, portal: Portal, account: Any, session: AsyncSession, institution: Any
    ) -> None:
        bob, workspace = await self._with_bob(session, institution, portal, account, [])
        token = await portal.token(account)
        data = assert_ok(await portal.get("/workspaces/current/members", token=token))
        assert [(m["userBizId"], m["isOwner"], m["accountEmail"]) for m in data] == [
            (account.biz_id, True, account.email),
            (bob.biz_id, False, bob.email),
        ]
        bob_token = await portal.token(bob)
        denied = await portal.get(
            "/workspaces/current/members",
            token=bob_token,
            headers={"X-Workspace-Id": workspace.biz_id},
        )
        assert_error(denied, 403, "ACCESS.PERMISSION_DENIED")

    async def test_remove_member(
        self, portal: Portal, account: Any, session: AsyncSession, institution: Any
    ) -> None:
        bob, workspace = await self._with_bob(
            session, institution, portal, account, ["wallet:read"]
        )
        token = await portal.token(account)
        bob_token = await portal.token(bob)
        assert_ok(
            await portal.get(
                "/workspaces/current", token=bob_token, headers={"X-Workspace-Id": workspace.biz_id}
            )
        )
        assert_error(
            await portal.post(
                "/workspaces/current/members/remove", {"userBizId": account.biz_id}, token=token
            ),
            400,
            "WORKSPACE.OWNER_IMMUTABLE",
        )
        assert_error(
            await portal.post(
                "/workspaces/current/members/remove", {"userBizId": "nobody"}, token=token
            ),
            404,
            "RESOURCE.NOT_FOUND",
        )
        assert_ok(
            await portal.post(
                "/workspaces/current/members/remove", {"userBizId": bob.biz_id}, token=token
            ),
            code="2004",
        )
        response = await portal.get(
            "/workspaces/current", token=bob_token, headers={"X-Workspace-Id": workspace.biz_id}
        )
        assert_error(response, 403, "ACCESS.PERMISSION_DENIED")

    async def test_leave(
        self, portal: Portal, account: Any, session: AsyncSession, institution: Any
    ) -> None:
        bob, workspace = await self._with_bob(session, institution, portal, account, [])
        owner_token = await portal.token(account)
        assert_error(
            await portal.post("/workspaces/current/leave", token=owner_token),
            400,
            "WORKSPACE.OWNER_CANNOT_LEAVE",
        )
        bob_token = await portal.token(bob)
        headers = {"X-Workspace-Id": workspace.biz_id}
        assert_ok(
            await portal.post("/workspaces/current/default", token=bob_token, headers=headers)
        )
        assert_ok(
            await portal.post("/workspaces/current/leave", token=bob_token, headers=headers),
            code="2004",
        )
        mine = assert_ok(await portal.get("/workspaces/mine", token=bob_token))
        assert len(mine) == 1 and mine[0]["isOwner"] is True and mine[0]["isDefault"] is True
        assert_error(
            await portal.get("/workspaces/current", token=bob_token, headers=headers),
            403,
            "ACCESS.PERMISSION_DENIED",
        )


class TestDefaultPassesOn:
    """A departing default membership passes to exactly one other (issue 10 §7: removal left
    every workspace the member owned marked default)."""

    async def _bob_owning_two_with_alices_as_default(
        self, session: AsyncSession, institution: Any, portal: Portal, account: Any
    ) -> tuple[Any, Any, str, str]:
        bob = await create_account(
            session,
            institution_id=institution.institution_id,
            portal=portal.portal,
            email="bob@example.com",
        )
        alices = await owned_workspace(session, owner=account)
        await add_member(session, workspace=alices, account=bob, permission_codes=[])
        await session.commit()
        bob_token = await portal.token(bob)
        second = assert_ok(
            await portal.post("/workspaces", {"workspaceName": "Bob's second"}, token=bob_token),
            "2001",
            201,
        )
        there = {"X-Workspace-Id": alices.biz_id}
        assert_ok(await portal.post("/workspaces/current/default", token=bob_token, headers=there))
        return bob, alices, bob_token, second["bizId"]

    async def _defaults(self, portal: Portal, token: str) -> list[tuple[str, bool]]:
        mine = assert_ok(await portal.get("/workspaces/mine", token=token))
        return [(m["workspaceBizId"], m["isDefault"]) for m in mine]

    async def test_removal(
        self, portal: Portal, account: Any, session: AsyncSession, institution: Any
    ) -> None:
        bob, _, bob_token, second = await self._bob_owning_two_with_alices_as_default(
            session, institution, portal, account
        )
        first = (await owned_workspace(session, owner=bob)).biz_id
        owner_token = await portal.token(account)
        assert_ok(
            await portal.post(
                "/workspaces/current/members/remove", {"userBizId": bob.biz_id}, token=owner_token
            ),
            code="2004",
        )
        # his oldest owned workspace is the default, and only it
        assert await self._defaults(portal, bob_token) == [(first, True), (second, False)]
        assert_ok(await portal.get("/workspaces/current", token=bob_token))

    async def test_leave(
        self, portal: Portal, account: Any, session: AsyncSession, institution: Any
    ) -> None:
        bob, alices, bob_token, second = await self._bob_owning_two_with_alices_as_default(
            session, institution, portal, account
        )
        first = (await owned_workspace(session, owner=bob)).biz_id
        there = {"X-Workspace-Id": alices.biz_id}
        assert_ok(
            await portal.post("/workspaces/current/leave", token=bob_token, headers=there), "2004"
        )
        assert await self._defaults(portal, bob_token) == [(first, True), (second, False)]
