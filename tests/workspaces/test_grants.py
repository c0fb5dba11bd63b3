"""Nobody grants a permission they do not hold (issue 10 §2).

Every route that hands permissions out (a role's permissions, a member's role, an invitation's
role, an API key's scopes, re-enabling a key) is tried by a caller holding the route's own
permission without the one being granted (refused, nothing changes) and with it (done). Nobody
changes their own role or the permissions of the role they hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.api_keys.models import ApiKey
from portico.invitations.models import Invitation
from portico.workspaces.models import Workspace, WorkspaceMember, WorkspaceRole
from portico.workspaces.permissions import all_codes
from tests.factories.accounts import create_account
from tests.factories.institutions import InstitutionCodes
from tests.factories.workspaces import add_member, create_role, owned_workspace
from tests.support.portal import Portal, assert_error, assert_ok

GRANTED = "transfer:write"  # the permission being handed out in every case
DENIED = "ACCESS.PERMISSION_DENIED"


@dataclass
class World:
    """Alice owns W; role Payers holds GRANTED; bob is a member with no permissions."""

    portal: Portal
    session: AsyncSession
    institution: InstitutionCodes
    workspace: Workspace
    payers: WorkspaceRole
    empty: WorkspaceRole
    alice: Account
    bob: Account
    members: int = 0

    async def caller(self, codes: list[str]) -> tuple[str, dict[str, str], WorkspaceMember]:
        """A new member of W holding `codes`: its token, the workspace header, its membership."""
        self.members += 1
        account = await create_account(
            self.session,
            institution_id=self.institution.institution_id,
            portal=self.portal.portal,
            email=f"caller{self.members}@example.com",
        )
        member = await add_member(
            self.session, workspace=self.workspace, account=account, permission_codes=codes
        )
        await self.session.commit()
        token = await self.portal.token(account)
        return token, {"X-Workspace-Id": self.workspace.biz_id}, member

    async def post(self, path: str, body: Any, token: str, headers: dict[str, str]) -> Any:
        return await self.portal.post(path, body, token=token, headers=headers)

    async def fresh(self, model: Any, row_id: int) -> Any:
        row = (
            await self.session.execute(
                select(model).where(model.id == row_id).execution_options(populate_existing=True)
            )
        ).scalar_one()
        await self.session.commit()
        return row

    async def count(self, statement: Any) -> int:
        value = int((await self.session.execute(statement)).scalar_one())
        await self.session.commit()
        return value


@pytest.fixture
async def world(
    portal: Portal, session: AsyncSession, institution: InstitutionCodes, account: Account
) -> World:
    workspace = await owned_workspace(session, owner=account)
    payers = await create_role(
        session, workspace=workspace, permission_codes=[GRANTED], name="Payers"
    )
    empty = await create_role(session, workspace=workspace, permission_codes=[], name="Empty")
    bob = await create_account(
        session,
        institution_id=institution.institution_id,
        portal=portal.portal,
        email="bob@example.com",
    )
    await add_member(session, workspace=workspace, account=bob, role=empty)
    await session.commit()
    return World(portal, session, institution, workspace, payers, empty, account, bob)


def _codes(route_permission: str, holds_it: bool) -> list[str]:
    return [route_permission, GRANTED] if holds_it else [route_permission]


@pytest.mark.parametrize("holds_it", [False, True], ids=["without", "holding"])
class TestGrantMatrix:
    async def test_role_permissions(self, world: World, holds_it: bool) -> None:
        token, there, _ = await world.caller(_codes("role:write", holds_it))
        body = {"roleId": world.empty.biz_id, "permissionCodes": [GRANTED]}
        response = await world.post("/roles/permissions", body, token, there)
        if holds_it:
            assert assert_ok(response)["permissionCodes"] == [GRANTED]
        else:
            assert_error(response, 403, DENIED)
        role = await world.fresh(WorkspaceRole, world.empty.id)
        assert role.permission_codes == ([GRANTED] if holds_it else [])

    async def test_member_role_change(self, world: World, holds_it: bool) -> None:
        token, there, _ = await world.caller(_codes("member:write", holds_it))
        body = {"userBizId": world.bob.biz_id, "roleId": world.payers.biz_id}
        response = await world.post("/roles/members/role/change", body, token, there)
        if holds_it:
            assert assert_ok(response)["workspaceRoleBizId"] == world.payers.biz_id
        else:
            assert_error(response, 403, DENIED)
        bob = (
            await world.session.execute(
                select(WorkspaceMember.role_id).where(
                    WorkspaceMember.workspace_id == world.workspace.id,
                    WorkspaceMember.account_id == world.bob.id,
                )
            )
        ).scalar_one()
        assert bob == (world.payers.id if holds_it else world.empty.id)

    async def test_invitation_with_a_role(self, world: World, holds_it: bool) -> None:
        token, there, _ = await world.caller(_codes("member:write", holds_it))
        body = {"email": "erin@example.com", "roleId": world.payers.biz_id}
        response = await world.post("/invitations", body, token, there)
        if holds_it:
            assert assert_ok(response, "2001", 201)["roleBizId"] == world.payers.biz_id
        else:
            assert_error(response, 403, DENIED)
        sent = select(func.count(Invitation.id)).where(
            Invitation.workspace_id == world.workspace.id
        )
        assert await world.count(sent) == (1 if holds_it else 0)

    async def test_api_key_scopes(self, world: World, holds_it: bool) -> None:
        token, there, _ = await world.caller(_codes("apikey:write", holds_it))
        body = {"name": "k", "scopes": [GRANTED]}
        response = await world.post("/api-keys", body, token, there)
        if holds_it:
            assert assert_ok(response, "2001", 201)["scopes"] == [GRANTED]
        else:
            assert_error(response, 403, DENIED)
        keys = select(func.count(ApiKey.id)).where(ApiKey.workspace_id == world.workspace.id)
        assert await world.count(keys) == (1 if holds_it else 0)

    async def test_api_key_enable(self, world: World, holds_it: bool) -> None:
        owner = await world.portal.token(world.alice)
        key = assert_ok(
            await world.portal.post("/api-keys", {"name": "k", "scopes": [GRANTED]}, token=owner),
            "2001",
            201,
        )
        ref = {"apiKeyId": key["apiKeyId"]}
        assert_ok(await world.portal.post("/api-keys/disable", ref, token=owner))
        token, there, _ = await world.caller(_codes("apikey:write", holds_it))
        response = await world.post("/api-keys/enable", ref, token, there)
        if holds_it:
            assert assert_ok(response)["status"] == "ACTIVE"
        else:
            assert_error(response, 403, DENIED)
        status = (
            await world.session.execute(
                select(ApiKey.status).where(ApiKey.key_id == ref["apiKeyId"])
            )
        ).scalar_one()
        assert status == ("ACTIVE" if holds_it else "DISABLED")


class TestRoutesThatGrantNothing:
    async def test_role_create_and_update_ignore_permission_codes(self, world: World) -> None:
        token, there, _ = await world.caller(["role:write"])
        created = assert_ok(
            await world.post(
                "/roles", {"roleName": "Sneaky", "permissionCodes": [GRANTED]}, token, there
            ),
            "2001",
            201,
        )
        assert created["permissionCodes"] == []
        updated = assert_ok(
            await world.post(
                "/roles/update",
                {"roleId": created["bizId"], "roleName": "Sneaky 2", "permissionCodes": [GRANTED]},
                token,
                there,
            )
        )
        assert updated["permissionCodes"] == []

    async def test_taking_a_permission_away_is_not_granting(self, world: World) -> None:
        # a role:write holder may remove a code it does not hold, as a member:write holder may
        # remove a member
        token, there, _ = await world.caller(["role:write"])
        body = {"roleId": world.payers.biz_id, "permissionCodes": []}
        assert (
            assert_ok(await world.post("/roles/permissions", body, token, there))["permissionCodes"]
            == []
        )


class TestNoSelfService:
    async def test_member_write_cannot_change_its_own_role(self, world: World) -> None:
        everything = await create_role(
            world.session, workspace=world.workspace, permission_codes=list(all_codes())
        )
        await world.session.commit()
        token, there, member = await world.caller(["member:write"])
        me = await world.fresh(Account, member.account_id)
        for role in (everything, world.empty):  # not even to a role within its permissions
            body = {"userBizId": me.biz_id, "roleId": role.biz_id}
            response = await world.post("/roles/members/role/change", body, token, there)
            assert_error(response, 403, DENIED)
        assert (await world.fresh(WorkspaceMember, member.id)).role_id == member.role_id
        # and it still cannot see the wallets
        assert_error(await world.portal.get("/wallets", token=token, headers=there), 403, DENIED)

    async def test_role_write_cannot_edit_its_own_role(self, world: World) -> None:
        token, there, member = await world.caller(["role:write"])
        own = await world.fresh(WorkspaceRole, member.role_id)
        for codes in (list(all_codes()), ["role:write", "role:read"]):
            body = {"roleId": own.biz_id, "permissionCodes": codes}
            assert_error(await world.post("/roles/permissions", body, token, there), 403, DENIED)
        assert (await world.fresh(WorkspaceRole, own.id)).permission_codes == ["role:write"]

    async def test_the_owner_may_grant_anything_but_the_owner_role(self, world: World) -> None:
        owner = await world.portal.token(world.alice)
        body = {"roleId": world.empty.biz_id, "permissionCodes": list(all_codes())}
        assert assert_ok(await world.portal.post("/roles/permissions", body, token=owner))[
            "permissionCodes"
        ] == list(all_codes())
        owner_role = (
            await world.session.execute(
                select(WorkspaceRole).where(
                    WorkspaceRole.workspace_id == world.workspace.id,
                    WorkspaceRole.role_type == "OWNER",
                )
            )
        ).scalar_one()
        body = {"userBizId": world.bob.biz_id, "roleId": owner_role.biz_id}
        assert_error(
            await world.portal.post("/roles/members/role/change", body, token=owner),
            400,
            "WORKSPACE.OWNER_IMMUTABLE",
        )
        body = {"roleId": owner_role.biz_id, "permissionCodes": []}
        assert_error(
            await world.portal.post("/roles/permissions", body, token=owner),
            400,
            "ROLE.BUILTIN_IMMUTABLE",
        )
