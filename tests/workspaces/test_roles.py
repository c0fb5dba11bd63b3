"""Roles and permissions."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from portico.enums import AccountPortal
from portico.workspaces.permissions import all_codes
from tests.factories.accounts import create_account
from tests.factories.workspaces import add_member, owned_workspace
from tests.support.portal import Portal, assert_error, assert_ok

ROLE_KEYS = [
    "bizId",
    "workspaceBizId",
    "roleName",
    "roleType",
    "description",
    "permissionCodes",
    "createdAt",
    "updatedAt",
]


async def _token(portal: Portal, account: Any) -> str:
    return await portal.token(account)


class TestRoles:
    async def test_builtin_roles(self, portal: Portal, account: Any) -> None:
        token = await _token(portal, account)
        data = assert_ok(await portal.get("/roles", token=token))
        assert [list(r) for r in data] == [ROLE_KEYS, ROLE_KEYS]
        owner, member = data
        assert (owner["roleName"], owner["description"], owner["permissionCodes"]) == (
            "所有者",
            "空间所有者,拥有全部权限",
            [],
        )
        assert owner["roleType"] == {
            "code": "OWNER",
            "value": 10010901,
            "label": "Owner",
            "description": "Built-in owner role",
        }
        assert (member["roleName"], member["description"], member["roleType"]["code"]) == (
            "成员",
            "默认成员角色",
            "CUSTOM",
        )
        all_codes = assert_ok(await portal.get(f"/roles/{owner['bizId']}/permissions", token=token))
        assert "wallet:read" in all_codes and "apikey:write" in all_codes

    @pytest.mark.both_portals
    async def test_create_update_permissions_delete(self, portal: Portal, account: Any) -> None:
        token = await _token(portal, account)
        role = assert_ok(
            await portal.post(
                "/roles", {"roleName": "Auditors", "description": "Read only"}, token=token
            ),
            code="2001",
            status=201,
        )
        assert (role["roleType"]["code"], role["permissionCodes"]) == ("CUSTOM", [])
        got = assert_ok(await portal.get(f"/roles/{role['bizId']}", token=token))
        assert got == role
        updated = assert_ok(
            await portal.post(
                "/roles/update",
                {"roleId": role["bizId"], "roleName": "Auditors 2", "description": "Updated"},
                token=token,
            )
        )
        assert (updated["roleName"], updated["description"]) == ("Auditors 2", "Updated")
        with_perms = assert_ok(
            await portal.post(
                "/roles/permissions",
                {"roleId": role["bizId"], "permissionCodes": ["wallet:read", "transfer:read"]},
                token=token,
            )
        )
        assert with_perms["permissionCodes"] == ["wallet:read", "transfer:read"]
        assert with_perms["updatedAt"] >= updated["updatedAt"]
        assert assert_ok(await portal.get(f"/roles/{role['bizId']}/permissions", token=token)) == [
            "wallet:read",
            "transfer:read",
        ]
        deleted = await portal.post("/roles/delete", {"roleId": role["bizId"]}, token=token)
        if portal.portal == AccountPortal.PARTNER:
            assert deleted.status_code == 204 and deleted.content == b""
        else:
            assert_ok(deleted, code="2004")
        assert_error(
            await portal.post("/roles/delete", {"roleId": role["bizId"]}, token=token),
            404,
            "RESOURCE.NOT_FOUND",
        )
        assert_error(
            await portal.get(f"/roles/{role['bizId']}", token=token), 404, "RESOURCE.NOT_FOUND"
        )

    async def test_validation(self, portal: Portal, account: Any) -> None:
        token = await _token(portal, account)
        roles = assert_ok(await portal.get("/roles", token=token))
        owner_id, member_id = roles[0]["bizId"], roles[1]["bizId"]
        assert_error(
            await portal.post("/roles", {}, token=token), 400, "VALIDATION.INVALID_PARAMETER"
        )
        assert_error(
            await portal.post("/roles", {"roleName": "成员"}, token=token), 400, "ROLE.NAME_TAKEN"
        )
        assert_error(
            await portal.post(
                "/roles/update", {"roleId": owner_id, "roleName": "Boss"}, token=token
            ),
            400,
            "ROLE.BUILTIN_IMMUTABLE",
        )
        assert_error(
            await portal.post(
                "/roles/permissions", {"roleId": owner_id, "permissionCodes": []}, token=token
            ),
            400,
            "ROLE.BUILTIN_IMMUTABLE",
        )
        assert_error(
            await portal.post("/roles/delete", {"roleId": member_id}, token=token),
            400,
            "ROLE.BUILTIN_IMMUTABLE",
        )
        assert_error(
            await portal.post(
                "/roles/permissions",
                {"roleId": member_id, "permissionCodes": ["wallet:fly"]},
                token=token,
            ),
            400,
            "VALIDATION.INVALID_PARAMETER",
        )
        assert_error(
            await portal.post(
                "/roles/permissions",
                {"roleId": member_id, "permissionCodes": "wallet:read"},
                token=token,
            ),
            400,
            "VALIDATION.INVALID_PARAMETER",
        )
        # the built-in member role's permissions can be set
        assert assert_ok(
            await portal.post(
                "/roles/permissions",
                {"roleId": member_id, "permissionCodes": ["wallet:read"]},
                token=token,
            )
        )["permissionCodes"] == ["wallet:read"]
        for path in ["/roles/update", "/roles/permissions", "/roles/delete"]:
            assert_error(
                await portal.post(path, {"roleId": "nope", "permissionCodes": []}, token=token),
                404,
                "RESOURCE.NOT_FOUND",
            )

    async def test_role_in_use_and_member_role_change(
        self, portal: Portal, account: Any, session: AsyncSession, institution: Any
    ) -> None:
        bob = await create_account(
            session,
            institution_id=institution.institution_id,
            portal=portal.portal,
            email="bob@example.com",
        )
        workspace = await owned_workspace(session, owner=account)
        await add_member(session, workspace=workspace, account=bob, permission_codes=[])
        await session.commit()
        token = await _token(portal, account)
        role = assert_ok(
            await portal.post("/roles", {"roleName": "Payers"}, token=token),
            code="2001",
            status=201,
        )
        assert_ok(
            await portal.post(
                "/roles/permissions",
                {"roleId": role["bizId"], "permissionCodes": ["member:read"]},
                token=token,
            )
        )
        membership = assert_ok(
            await portal.post(
                "/roles/members/role/change",
                {"userBizId": bob.biz_id, "roleId": role["bizId"]},
                token=token,
            )
        )
        assert (
            membership["userBizId"],
            membership["workspaceRoleBizId"],
            membership["workspaceRoleName"],
        ) == (bob.biz_id, role["bizId"], "Payers")
        assert_error(
            await portal.post("/roles/delete", {"roleId": role["bizId"]}, token=token),
            400,
            "ROLE.IN_USE",
        )
        # bob's new permission takes effect on his next request
        bob_token = await _token(portal, bob)
        assert_ok(
            await portal.get(
                "/workspaces/current/members",
                token=bob_token,
                headers={"X-Workspace-Id": workspace.biz_id},
            )
        )
        owner_role = assert_ok(await portal.get("/roles", token=token))[0]["bizId"]
        assert_error(
            await portal.post(
                "/roles/members/role/change",
                {"userBizId": bob.biz_id, "roleId": owner_role},
                token=token,
            ),
            400,
            "WORKSPACE.OWNER_IMMUTABLE",
        )
        assert_error(
            await portal.post(
                "/roles/members/role/change",
                {"userBizId": account.biz_id, "roleId": role["bizId"]},
                token=token,
            ),
            400,
            "WORKSPACE.OWNER_IMMUTABLE",
        )
        assert_error(
            await portal.post(
                "/roles/members/role/change",
                {"userBizId": "nobody", "roleId": role["bizId"]},
                token=token,
            ),
            404,
            "RESOURCE.NOT_FOUND",
        )
        assert_error(
            await portal.post("/roles/members/role/change", {}, token=token),
            400,
            "VALIDATION.INVALID_PARAMETER",
        )

    async def test_other_workspace_role_is_404(
        self, portal: Portal, account: Any, session: AsyncSession, institution: Any
    ) -> None:
        bob = await create_account(
            session,
            institution_id=institution.institution_id,
            portal=portal.portal,
            email="bob@example.com",
        )
        await session.commit()
        bob_token = await _token(portal, bob)
        bobs_role = assert_ok(
            await portal.post("/roles", {"roleName": "Bob's"}, token=bob_token),
            code="2001",
            status=201,
        )
        token = await _token(portal, account)
        assert_error(
            await portal.get(f"/roles/{bobs_role['bizId']}", token=token), 404, "RESOURCE.NOT_FOUND"
        )
        assert_error(
            await portal.get(f"/roles/{bobs_role['bizId']}/permissions", token=token),
            404,
            "RESOURCE.NOT_FOUND",
        )
        assert_error(
            await portal.post(
                "/roles/update", {"roleId": bobs_role["bizId"], "roleName": "Mine"}, token=token
            ),
            404,
            "RESOURCE.NOT_FOUND",
        )
        assert_error(
            await portal.post("/roles/delete", {"roleId": bobs_role["bizId"]}, token=token),
            404,
            "RESOURCE.NOT_FOUND",
        )


class TestPermissionTree:
    async def test_roots_are_the_permissions_as_documented(
        self, portal: Portal, account: Any
    ) -> None:
        """The documents' tree: every root a permission (no group nodes), with its group."""
        token = await _token(portal, account)
        tree = assert_ok(await portal.get("/roles/permissions/tree", token=token))
        # the documents' first two nodes, exactly
        assert tree[:2] == [
            {
                "bizId": "64db79b4-af35-4101-8f76-a1096183df5a",
                "permissionCode": "apikey:read",
                "permissionName": "Apikey Read",
                "permissionDescription": None,
                "parentBizId": None,
                "permissionGroup": "apikey",
                "portalVisibility": None,
                "sortOrder": 1,
                "isEnabled": True,
                "children": [],
            },
            {
                "bizId": "09ef9df3-7434-4e2a-8e78-4b25cd64db34",
                "permissionCode": "apikey:write",
                "permissionName": "Apikey Write",
                "permissionDescription": None,
                "parentBizId": None,
                "permissionGroup": "apikey",
                "portalVisibility": None,
                "sortOrder": 2,
                "isEnabled": True,
                "children": [],
            },
        ]
        codes = [node["permissionCode"] for node in tree]
        assert codes == sorted(all_codes())
        assert all(node["children"] == [] and node["parentBizId"] is None for node in tree)
        assert all(node["permissionCode"].split(":")[0] == node["permissionGroup"] for node in tree)
        assert [node["sortOrder"] for node in tree] == list(range(1, len(tree) + 1))
        assert len({node["bizId"] for node in tree}) == len(tree)
        again = assert_ok(await portal.get("/roles/permissions/tree", token=token))
        assert again == tree
