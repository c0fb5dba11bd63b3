"""Invitations: the workspace sends (`/invitations`), the invitee answers (`/profile/invitations`)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.db import utcnow
from portico.enums import AccountPortal, RoleType
from portico.ids import new_biz_id
from portico.invitations.models import Invitation
from portico.invitations.service import MAX_PENDING_PER_WORKSPACE
from portico.workspaces.models import Workspace, WorkspaceMember, WorkspaceRole
from tests.factories.accounts import create_account
from tests.factories.institutions import InstitutionCodes, create_institution
from tests.factories.workspaces import add_member, create_role, owned_workspace
from tests.support.portal import Portal, assert_error, assert_ok

INVITATION_KEYS = [
    "bizId",
    "workspaceBizId",
    "workspaceName",
    "inviteeEmail",
    "roleBizId",
    "roleName",
    "invitedBy",
    "invitationStatus",
    "expiresAt",
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
STATUS_VALUES = {
    "PENDING": 10050301,
    "ACCEPTED": 10050302,
    "DECLINED": 10050303,
    "CANCELLED": 10050304,
    "EXPIRED": 10050305,
}
BOB = "bob@example.com"
CAROL = "carol@example.com"


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _other(kind: AccountPortal) -> AccountPortal:
    return AccountPortal.PARTNER if kind == AccountPortal.CONSUMER else AccountPortal.CONSUMER


class World:
    """Alice owns workspace W; bob and carol exist in the same institution and portal."""

    def __init__(
        self,
        portal: Portal,
        session: AsyncSession,
        institution: InstitutionCodes,
        workspace: Workspace,
        member_role: WorkspaceRole,
        reader_role: WorkspaceRole,
        owner_role: WorkspaceRole,
        accounts: dict[str, Account],
        tokens: dict[str, str],
    ) -> None:
        self.portal = portal
        self.session = session
        self.institution = institution
        self.workspace = workspace
        self.member_role = member_role
        self.reader_role = reader_role
        self.owner_role = owner_role
        self.accounts = accounts
        self.tokens = tokens

    async def invite(
        self, email: str = BOB, role: str | None = None, *, who: str = "alice"
    ) -> httpx.Response:
        return await self.portal.post(
            "/invitations",
            {"email": email, "roleId": role or self.reader_role.biz_id},
            token=self.tokens[who],
        )

    async def invited(self, email: str = BOB, role: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = assert_ok(await self.invite(email, role), "2001", 201)
        return data

    async def sent(self, *, who: str = "alice", **headers: str) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = assert_ok(
            await self.portal.get("/invitations", token=self.tokens[who], headers=headers)
        )
        return data

    async def received(self, who: str = "bob") -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = assert_ok(
            await self.portal.get("/profile/invitations", token=self.tokens[who])
        )
        return data

    async def accept(self, biz_id: str, who: str = "bob") -> httpx.Response:
        return await self.portal.post(
            "/profile/invitations/accept", {"invitationBizId": biz_id}, token=self.tokens[who]
        )

    async def decline(self, biz_id: str, who: str = "bob", **extra: Any) -> httpx.Response:
        return await self.portal.post(
            "/profile/invitations/decline",
            {"invitationBizId": biz_id, **extra},
            token=self.tokens[who],
        )

    async def cancel(self, biz_id: str, who: str = "alice") -> httpx.Response:
        return await self.portal.post(
            "/invitations/cancel", {"invitationBizId": biz_id}, token=self.tokens[who]
        )

    async def invitation_mails(self, to: str) -> list[Any]:
        messages = await self.portal.outbox.messages(to)
        return [m for m in messages if m["Subject"].startswith("You are invited")]

    async def expire(self, biz_id: str) -> None:
        await self.session.execute(
            update(Invitation)
            .where(Invitation.biz_id == biz_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await self.session.commit()

    async def row(self, biz_id: str) -> Invitation:
        return (
            await self.session.execute(
                select(Invitation)
                .where(Invitation.biz_id == biz_id)
                .execution_options(populate_existing=True)
            )
        ).scalar_one()

    async def memberships(self, account: str = "bob") -> int:
        count = (
            await self.session.execute(
                select(func.count(WorkspaceMember.id)).where(
                    WorkspaceMember.workspace_id == self.workspace.id,
                    WorkspaceMember.account_id == self.accounts[account].id,
                )
            )
        ).scalar_one()
        return int(count)


async def _roles(session: AsyncSession, workspace: Workspace) -> dict[str, WorkspaceRole]:
    rows = (
        (
            await session.execute(
                select(WorkspaceRole).where(WorkspaceRole.workspace_id == workspace.id)
            )
        )
        .scalars()
        .all()
    )
    return {
        "owner": next(r for r in rows if r.role_type == RoleType.OWNER),
        "member": next(r for r in rows if r.role_type != RoleType.OWNER and r.is_builtin),
    }


@pytest.fixture
async def world(
    portal: Portal, session: AsyncSession, institution: InstitutionCodes, account: Account
) -> World:
    accounts = {"alice": account}
    for name in ("bob", "carol"):
        accounts[name] = await create_account(
            session,
            institution_id=institution.institution_id,
            portal=portal.portal,
            email=f"{name}@example.com",
            name=name.capitalize(),
        )
    workspace = await owned_workspace(session, owner=account)
    roles = await _roles(session, workspace)
    reader = await create_role(
        session, workspace=workspace, permission_codes=["member:read"], name="Reader"
    )
    await session.commit()
    tokens = {name: await portal.token(acct) for name, acct in accounts.items()}
    return World(
        portal,
        session,
        institution,
        workspace,
        roles["member"],
        reader,
        roles["owner"],
        accounts,
        tokens,
    )


async def _member_with(world: World, codes: list[str], name: str = "dave") -> str:
    """A member of alice's workspace holding `codes`; returns its access token."""
    dave = await create_account(
        world.session,
        institution_id=world.institution.institution_id,
        portal=world.portal.portal,
        email=f"{name}@example.com",
    )
    await add_member(world.session, workspace=world.workspace, account=dave, permission_codes=codes)
    await world.session.commit()
    return await world.portal.token(dave)


class TestFullFlow:
    async def test_invite_mail_see_accept_and_use_the_workspace(self, world: World) -> None:
        portal, outbox = world.portal, world.portal.outbox
        invitation = await world.invited(BOB)
        assert list(invitation) == INVITATION_KEYS

        # the mail reaches bob, with the workspace, the inviter and where to answer
        mail = await outbox.last(BOB)
        body = mail.get_content()
        assert world.workspace.name in mail["Subject"]
        assert f'"{world.workspace.name}"' in body
        assert "Alice" in body and world.accounts["alice"].email in body
        assert "Reader" in body
        assert portal.portal.info.label in body

        received = await world.received("bob")
        assert received == [invitation]

        membership = assert_ok(await world.accept(invitation["bizId"]))
        assert list(membership) == MEMBERSHIP_KEYS
        assert membership["userBizId"] == world.accounts["bob"].biz_id
        assert membership["workspaceBizId"] == world.workspace.biz_id
        assert membership["workspaceName"] == world.workspace.name
        assert membership["institutionBizId"] == world.institution.biz_id
        assert membership["workspaceRoleBizId"] == world.reader_role.biz_id
        assert membership["workspaceRoleName"] == "Reader"
        assert membership["joinSource"] == {
            "code": "INVITATION",
            "value": 10050202,
            "label": "Invitation",
            "description": "Joined by accepting an invitation",
        }
        assert membership["workspaceKind"]["code"] == "LIVE"
        assert (membership["isOwner"], membership["isDefault"]) == (False, False)
        assert (membership["enterable"], membership["defaultEligible"]) == (True, True)
        assert membership["policyConfig"] is None

        # used up: gone from bob's list, ACCEPTED for the workspace
        assert await world.received("bob") == []
        (sent,) = await world.sent()
        assert sent["invitationStatus"]["code"] == "ACCEPTED"
        assert sent["invitationStatus"]["value"] == STATUS_VALUES["ACCEPTED"]
        assert _when(sent["updatedAt"]) >= _when(sent["createdAt"])

        # bob works in the workspace through X-Workspace-Id; his default is unchanged
        as_bob = await world.sent(who="bob", **{"X-Workspace-Id": world.workspace.biz_id})
        assert [i["bizId"] for i in as_bob] == [invitation["bizId"]]
        current = assert_ok(await portal.get("/workspaces/current", token=world.tokens["bob"]))
        assert current["bizId"] != world.workspace.biz_id
        mine = assert_ok(await portal.get("/workspaces/mine", token=world.tokens["bob"]))
        assert world.workspace.biz_id in {m["workspaceBizId"] for m in mine}

    async def test_role_without_member_read_gets_403_in_the_workspace(self, world: World) -> None:
        invitation = await world.invited(BOB, world.member_role.biz_id)
        membership = assert_ok(await world.accept(invitation["bizId"]))
        assert membership["workspaceRoleBizId"] == world.member_role.biz_id
        assert membership["workspaceRoleName"] == "成员"
        headers = world.portal.headers(
            world.tokens["bob"], **{"X-Workspace-Id": world.workspace.biz_id}
        )
        response = await world.portal.http.get(
            world.portal.prefix + "/invitations", headers=headers
        )
        assert_error(response, 403, "ACCESS.PERMISSION_DENIED")
        # but he is a member: the workspace is enterable
        assert_ok(
            await world.portal.http.get(
                world.portal.prefix + "/workspaces/current", headers=headers
            )
        )


class TestCreate:
    async def test_creates_a_pending_invitation(self, world: World) -> None:
        before = utcnow()
        data = await world.invited(BOB)
        assert list(data) == INVITATION_KEYS
        assert len(data["bizId"]) == 16
        assert data["workspaceBizId"] == world.workspace.biz_id
        assert data["workspaceName"] == world.workspace.name
        assert data["inviteeEmail"] == BOB
        assert (data["roleBizId"], data["roleName"]) == (world.reader_role.biz_id, "Reader")
        assert data["invitedBy"] == world.accounts["alice"].biz_id
        assert data["invitationStatus"] == {
            "code": "PENDING",
            "value": 10050301,
            "label": "Pending",
            "description": "Invitation is waiting for an answer",
        }
        created = _when(data["createdAt"])
        assert before - timedelta(seconds=1) <= created <= utcnow()
        assert _when(data["expiresAt"]) - created == timedelta(days=7)
        assert data["updatedAt"] == data["createdAt"]
        row = await world.row(data["bizId"])
        assert row.portal == world.portal.portal.value
        assert row.status == "PENDING" and row.decline_reason is None

    async def test_email_is_normalised(self, world: World) -> None:
        data = await world.invited("Bob@Example.COM")
        assert data["inviteeEmail"] == BOB
        assert [i["bizId"] for i in await world.received("bob")] == [data["bizId"]]
        assert await world.invitation_mails(BOB)

    async def test_anyone_may_be_invited_by_email(self, world: World) -> None:
        data = await world.invited("newcomer@example.com")
        assert data["inviteeEmail"] == "newcomer@example.com"
        assert len(await world.invitation_mails("newcomer@example.com")) == 1

    async def test_owner_role_is_refused(self, world: World) -> None:
        response = await world.invite(BOB, world.owner_role.biz_id)
        assert_error(response, 400, "VALIDATION.INVALID_PARAMETER")
        assert await world.invitation_mails(BOB) == []

    async def test_unknown_and_foreign_roles_are_not_found(
        self, world: World, session: AsyncSession
    ) -> None:
        assert_error(await world.invite(BOB, "unknown-role"), 404, "RESOURCE.NOT_FOUND")
        carols = await owned_workspace(session, owner=world.accounts["carol"])
        foreign = await create_role(session, workspace=carols, permission_codes=[])
        await session.commit()
        assert_error(await world.invite(BOB, foreign.biz_id), 404, "RESOURCE.NOT_FOUND")
        assert await world.sent() == []

    async def test_members_cannot_be_invited(self, world: World, session: AsyncSession) -> None:
        alice = world.accounts["alice"].email
        assert_error(await world.invite(alice), 400, "INVITATION.ALREADY_MEMBER")
        await add_member(
            session, workspace=world.workspace, account=world.accounts["bob"], permission_codes=[]
        )
        await session.commit()
        assert_error(await world.invite(BOB), 400, "INVITATION.ALREADY_MEMBER")
        assert_error(await world.invite("BOB@example.com"), 400, "INVITATION.ALREADY_MEMBER")
        assert await world.invitation_mails(BOB) == []

    async def test_one_pending_invitation_per_email(self, world: World) -> None:
        first = await world.invited(BOB)
        again = await world.invite(BOB, world.member_role.biz_id)
        assert_error(again, 400, "INVITATION.ALREADY_PENDING")
        assert len(await world.invitation_mails(BOB)) == 1
        # once the first is no longer live, a new one may be sent
        assert_ok(await world.cancel(first["bizId"]), "2004")
        second = await world.invited(BOB)
        await world.expire(second["bizId"])
        third = await world.invited(BOB)
        assert len({first["bizId"], second["bizId"], third["bizId"]}) == 3
        # another workspace may invite the same email
        carol_invites = await world.portal.post(
            "/invitations",
            {
                "email": BOB,
                "roleId": (
                    await _roles(
                        world.session,
                        await owned_workspace(world.session, owner=world.accounts["carol"]),
                    )
                )["member"].biz_id,
            },
            token=world.tokens["carol"],
        )
        assert_ok(carol_invites, "2001", 201)
        assert len(await world.received("bob")) == 2

    async def test_pending_invitations_are_bounded(
        self, world: World, session: AsyncSession
    ) -> None:
        now = utcnow()
        session.add_all(
            [
                Invitation(
                    biz_id=new_biz_id(),
                    workspace_id=world.workspace.id,
                    portal=world.portal.portal.value,
                    email=f"guest{n}@example.com",
                    role_id=world.member_role.id,
                    invited_by=world.accounts["alice"].biz_id,
                    status="PENDING",
                    expires_at=now + timedelta(days=1),
                    created_at=now,
                    updated_at=now,
                )
                for n in range(MAX_PENDING_PER_WORKSPACE)
            ]
        )
        await session.commit()
        assert_error(await world.invite(BOB), 400, "INVITATION.LIMIT_REACHED")
        await session.execute(
            update(Invitation)
            .where(Invitation.email == "guest0@example.com")
            .values(status="CANCELLED")
        )
        await session.commit()
        await world.invited(BOB)

    async def test_invites_into_the_workspace_named_by_the_header(self, world: World) -> None:
        second = assert_ok(
            await world.portal.post(
                "/workspaces",
                {"workspaceName": "Second", "workspaceTimezone": "UTC"},
                token=world.tokens["alice"],
            ),
            "2001",
            201,
        )
        workspace = (
            await world.session.execute(
                select(Workspace).where(Workspace.biz_id == second["bizId"])
            )
        ).scalar_one()
        member_role = (await _roles(world.session, workspace))["member"]
        created = assert_ok(
            await world.portal.post(
                "/invitations",
                {"email": BOB, "roleId": member_role.biz_id},
                token=world.tokens["alice"],
                headers={"X-Workspace-Id": second["bizId"]},
            ),
            "2001",
            201,
        )
        assert (created["workspaceBizId"], created["workspaceName"]) == (second["bizId"], "Second")
        # the default workspace's role is foreign there
        wrong = await world.portal.post(
            "/invitations",
            {"email": CAROL, "roleId": world.reader_role.biz_id},
            token=world.tokens["alice"],
            headers={"X-Workspace-Id": second["bizId"]},
        )
        assert_error(wrong, 404, "RESOURCE.NOT_FOUND")
        assert await world.sent() == []

    @pytest.mark.parametrize(
        "body",
        [
            {},
            None,
            [],
            {"email": BOB},
            {"roleId": "x"},
            {"email": "not-an-email", "roleId": "x"},
            {"email": 5, "roleId": "x"},
            {"email": BOB, "roleId": 5},
            {"email": BOB, "roleId": ""},
            {"email": BOB, "roleId": "r" * 65},
            {"email": f"{'b' * 320}@example.com", "roleId": "x"},
            {"email": BOB, "roleBizId": "x"},
        ],
    )
    async def test_bad_bodies(self, world: World, body: Any) -> None:
        response = await world.portal.post("/invitations", body, token=world.tokens["alice"])
        assert_error(response, 400, "VALIDATION.INVALID_PARAMETER")

    async def test_needs_member_write(self, world: World) -> None:
        body = {"email": BOB, "roleId": world.reader_role.biz_id}
        there = {"X-Workspace-Id": world.workspace.biz_id}
        reader = await _member_with(world, ["member:read"])
        response = await world.portal.post("/invitations", body, token=reader, headers=there)
        assert_error(response, 403, "ACCESS.PERMISSION_DENIED")
        # (the invited role's permission, member:read, must be the inviter's too)
        writer = await _member_with(world, ["member:write", "member:read"], name="erin")
        response = await world.portal.post("/invitations", body, token=writer, headers=there)
        data = assert_ok(response, "2001", 201)
        assert data["invitedBy"] != world.accounts["alice"].biz_id

    async def test_needs_a_token_and_a_membership(self, world: World) -> None:
        body = {"email": BOB, "roleId": world.reader_role.biz_id}
        assert_error(await world.portal.post("/invitations", body), 401, "ACCESS.TOKEN_MISSING")
        outsider = await world.portal.post(
            "/invitations",
            body,
            token=world.tokens["carol"],
            headers={"X-Workspace-Id": world.workspace.biz_id},
        )
        assert_error(outsider, 403, "ACCESS.PERMISSION_DENIED")


class TestListSent:
    async def test_newest_first_with_computed_status(self, world: World) -> None:
        assert await world.sent() == []
        first = await world.invited(BOB)
        second = await world.invited(CAROL)
        third = await world.invited("dan@example.com")
        await world.expire(first["bizId"])
        assert_ok(await world.cancel(second["bizId"]), "2004")
        listed = await world.sent()
        assert [i["bizId"] for i in listed] == [third["bizId"], second["bizId"], first["bizId"]]
        assert all(list(i) == INVITATION_KEYS for i in listed)
        assert [i["invitationStatus"]["code"] for i in listed] == [
            "PENDING",
            "CANCELLED",
            "EXPIRED",
        ]
        assert listed[2]["invitationStatus"]["value"] == STATUS_VALUES["EXPIRED"]
        # the stored row stays PENDING; only the wire shows EXPIRED
        assert (await world.row(first["bizId"])).status == "PENDING"

    async def test_only_the_current_workspace(self, world: World) -> None:
        await world.invited(BOB)
        # carol's own workspace sent nothing
        assert await world.sent(who="carol") == []

    async def test_needs_member_read(self, world: World) -> None:
        await world.invited(BOB)
        nobody = await _member_with(world, [])
        assert_error(
            await world.portal.get(
                "/invitations", token=nobody, headers={"X-Workspace-Id": world.workspace.biz_id}
            ),
            403,
            "ACCESS.PERMISSION_DENIED",
        )
        reader = await _member_with(world, ["member:read"], name="erin")
        listed = assert_ok(
            await world.portal.get(
                "/invitations", token=reader, headers={"X-Workspace-Id": world.workspace.biz_id}
            )
        )
        assert len(listed) == 1

    async def test_needs_a_token(self, world: World) -> None:
        assert_error(await world.portal.get("/invitations"), 401, "ACCESS.TOKEN_MISSING")


class TestCancel:
    async def test_cancel(self, world: World) -> None:
        invitation = await world.invited(BOB)
        assert_ok(await world.cancel(invitation["bizId"]), "2004")
        assert (await world.row(invitation["bizId"])).status == "CANCELLED"
        assert await world.received("bob") == []
        assert_error(await world.accept(invitation["bizId"]), 400, "VALIDATION.INVALID_PARAMETER")
        assert await world.memberships() == 0

    async def test_only_pending_invitations(self, world: World) -> None:
        cancelled = await world.invited(BOB)
        assert_ok(await world.cancel(cancelled["bizId"]), "2004")
        assert_error(await world.cancel(cancelled["bizId"]), 400, "INVITATION.NOT_PENDING")

        accepted = await world.invited(BOB)
        assert_ok(await world.accept(accepted["bizId"]))
        assert_error(await world.cancel(accepted["bizId"]), 400, "INVITATION.NOT_PENDING")

        declined = await world.invited(CAROL)
        assert_ok(await world.decline(declined["bizId"], who="carol"), "2004")
        assert_error(await world.cancel(declined["bizId"]), 400, "INVITATION.NOT_PENDING")

        expired = await world.invited("dan@example.com")
        await world.expire(expired["bizId"])
        assert_error(await world.cancel(expired["bizId"]), 400, "INVITATION.NOT_PENDING")
        assert (await world.row(expired["bizId"])).status == "PENDING"

    async def test_unknown_and_foreign_ids_are_not_found(self, world: World) -> None:
        invitation = await world.invited(BOB)
        # carol, owner of her own workspace, names alice's invitation
        foreign = await world.cancel(invitation["bizId"], who="carol")
        assert_error(foreign, 404, "RESOURCE.NOT_FOUND")
        assert (await world.row(invitation["bizId"])).status == "PENDING"
        assert_error(await world.cancel(new_biz_id()), 404, "RESOURCE.NOT_FOUND")

    async def test_needs_member_write(self, world: World) -> None:
        invitation = await world.invited(BOB)
        reader = await _member_with(world, ["member:read"])
        response = await world.portal.post(
            "/invitations/cancel",
            {"invitationBizId": invitation["bizId"]},
            token=reader,
            headers={"X-Workspace-Id": world.workspace.biz_id},
        )
        assert_error(response, 403, "ACCESS.PERMISSION_DENIED")
        assert (await world.row(invitation["bizId"])).status == "PENDING"

    @pytest.mark.parametrize(
        "body", [{}, None, {"invitationBizId": 5}, {"invitationBizId": ""}, {"bizId": "x"}]
    )
    async def test_bad_bodies(self, world: World, body: Any) -> None:
        response = await world.portal.post("/invitations/cancel", body, token=world.tokens["alice"])
        assert_error(response, 400, "VALIDATION.INVALID_PARAMETER")

    async def test_needs_a_token(self, world: World) -> None:
        response = await world.portal.post("/invitations/cancel", {"invitationBizId": "x"})
        assert_error(response, 401, "ACCESS.TOKEN_MISSING")


class TestReceived:
    async def test_pending_invitations_to_the_caller(self, world: World) -> None:
        assert await world.received("bob") == []
        first = await world.invited(BOB)
        await world.invited(CAROL)
        carol_ws = await owned_workspace(world.session, owner=world.accounts["carol"])
        carol_member = (await _roles(world.session, carol_ws))["member"]
        second = assert_ok(
            await world.portal.post(
                "/invitations",
                {"email": BOB, "roleId": carol_member.biz_id},
                token=world.tokens["carol"],
            ),
            "2001",
            201,
        )
        received = await world.received("bob")
        assert [i["bizId"] for i in received] == [second["bizId"], first["bizId"]]
        assert all(list(i) == INVITATION_KEYS for i in received)
        assert received[0]["workspaceName"] == carol_ws.name
        assert received[0]["roleName"] == "成员"
        assert all(i["inviteeEmail"] == BOB for i in received)
        # the inviter sees nothing addressed to her
        assert await world.received("alice") == []

    async def test_expired_and_answered_are_not_listed(self, world: World) -> None:
        expired = await world.invited(BOB)
        await world.expire(expired["bizId"])
        assert await world.received("bob") == []
        declined = await world.invited(BOB)
        assert_ok(await world.decline(declined["bizId"]), "2004")
        assert await world.received("bob") == []

    async def test_other_portal_with_the_same_email_sees_nothing(
        self, world: World, session: AsyncSession
    ) -> None:
        invitation = await world.invited(BOB)
        other_kind = _other(world.portal.portal)
        await create_account(
            session,
            institution_id=world.institution.institution_id,
            portal=other_kind,
            email=BOB,
        )
        await session.commit()
        other = Portal(
            world.portal.http,
            other_kind,
            world.institution.code(other_kind),
            world.portal.outbox,
        )
        token = str((await other.login(BOB))["accessToken"])
        assert assert_ok(await other.get("/profile/invitations", token=token)) == []
        accept = await other.post(
            "/profile/invitations/accept", {"invitationBizId": invitation["bizId"]}, token=token
        )
        assert_error(accept, 400, "VALIDATION.INVALID_PARAMETER")
        decline = await other.post(
            "/profile/invitations/decline", {"invitationBizId": invitation["bizId"]}, token=token
        )
        assert_error(decline, 400, "VALIDATION.INVALID_PARAMETER")
        assert (await world.row(invitation["bizId"])).status == "PENDING"

    async def test_other_institution_with_the_same_email_sees_nothing(
        self, world: World, session: AsyncSession
    ) -> None:
        invitation = await world.invited(BOB)
        elsewhere = await create_institution(session)
        await create_account(
            session,
            institution_id=elsewhere.institution_id,
            portal=world.portal.portal,
            email=BOB,
        )
        await session.commit()
        other = Portal(
            world.portal.http,
            world.portal.portal,
            elsewhere.code(world.portal.portal),
            world.portal.outbox,
        )
        token = str((await other.login(BOB))["accessToken"])
        assert assert_ok(await other.get("/profile/invitations", token=token)) == []
        accept = await other.post(
            "/profile/invitations/accept", {"invitationBizId": invitation["bizId"]}, token=token
        )
        assert_error(accept, 400, "VALIDATION.INVALID_PARAMETER")
        assert (await world.row(invitation["bizId"])).status == "PENDING"

    async def test_needs_a_token(self, world: World) -> None:
        assert_error(await world.portal.get("/profile/invitations"), 401, "ACCESS.TOKEN_MISSING")


class TestAccept:
    async def test_single_use(self, world: World) -> None:
        invitation = await world.invited(BOB)
        assert_ok(await world.accept(invitation["bizId"]))
        assert_error(await world.accept(invitation["bizId"]), 400, "VALIDATION.INVALID_PARAMETER")
        assert_error(await world.decline(invitation["bizId"]), 400, "VALIDATION.INVALID_PARAMETER")
        assert await world.memberships() == 1
        assert (await world.row(invitation["bizId"])).status == "ACCEPTED"

    async def test_only_the_invited_email(self, world: World) -> None:
        invitation = await world.invited(BOB)
        for who in ("carol", "alice"):
            response = await world.accept(invitation["bizId"], who=who)
            assert_error(response, 400, "VALIDATION.INVALID_PARAMETER")
        assert await world.memberships("carol") == 0
        assert (await world.row(invitation["bizId"])).status == "PENDING"
        assert_ok(await world.accept(invitation["bizId"]))

    async def test_expired(self, world: World) -> None:
        invitation = await world.invited(BOB)
        await world.expire(invitation["bizId"])
        assert_error(await world.accept(invitation["bizId"]), 400, "VALIDATION.INVALID_PARAMETER")
        assert await world.memberships() == 0
        (sent,) = await world.sent()
        assert sent["invitationStatus"]["code"] == "EXPIRED"

    async def test_unknown_id(self, world: World) -> None:
        response = await world.accept("non-existent-invitation-id")
        assert_error(response, 400, "VALIDATION.INVALID_PARAMETER")

    async def test_already_a_member(self, world: World, session: AsyncSession) -> None:
        invitation = await world.invited(BOB)
        await add_member(
            session, workspace=world.workspace, account=world.accounts["bob"], permission_codes=[]
        )
        await session.commit()
        assert_error(await world.accept(invitation["bizId"]), 400, "VALIDATION.INVALID_PARAMETER")
        assert await world.memberships() == 1
        assert (await world.row(invitation["bizId"])).status == "PENDING"

    async def test_concurrent_accepts_create_one_membership(self, world: World) -> None:
        invitation = await world.invited(BOB)
        responses = await asyncio.gather(*[world.accept(invitation["bizId"]) for _ in range(5)])
        assert sorted(r.status_code for r in responses) == [200, 400, 400, 400, 400], [
            r.text for r in responses
        ]
        for response in responses:
            if response.status_code == 400:
                assert_error(response, 400, "VALIDATION.INVALID_PARAMETER")
        assert await world.memberships() == 1
        assert (await world.row(invitation["bizId"])).status == "ACCEPTED"

    @pytest.mark.parametrize(
        "body", [{}, None, {"invitationBizId": 5}, {"invitationBizId": ""}, {"bizId": "x"}]
    )
    async def test_bad_bodies(self, world: World, body: Any) -> None:
        response = await world.portal.post(
            "/profile/invitations/accept", body, token=world.tokens["bob"]
        )
        assert_error(response, 400, "VALIDATION.INVALID_PARAMETER")

    async def test_needs_a_token(self, world: World) -> None:
        response = await world.portal.post("/profile/invitations/accept", {"invitationBizId": "x"})
        assert_error(response, 401, "ACCESS.TOKEN_MISSING")


class TestDecline:
    async def test_decline_with_a_reason(self, world: World) -> None:
        invitation = await world.invited(BOB)
        response = await world.decline(invitation["bizId"], reason="  Not now, thanks  ")
        assert_ok(response, "2004")
        assert response.json()["data"] is None
        row = await world.row(invitation["bizId"])
        assert (row.status, row.decline_reason) == ("DECLINED", "Not now, thanks")
        (sent,) = await world.sent()
        assert sent["invitationStatus"]["code"] == "DECLINED"
        assert await world.received("bob") == []
        assert_error(await world.accept(invitation["bizId"]), 400, "VALIDATION.INVALID_PARAMETER")
        assert_error(await world.decline(invitation["bizId"]), 400, "VALIDATION.INVALID_PARAMETER")
        assert await world.memberships() == 0

    async def test_reason_is_optional(self, world: World) -> None:
        invitation = await world.invited(BOB)
        assert_ok(await world.decline(invitation["bizId"]), "2004")
        assert (await world.row(invitation["bizId"])).decline_reason is None

    async def test_reason_of_500_characters(self, world: World) -> None:
        invitation = await world.invited(BOB)
        too_long = await world.decline(invitation["bizId"], reason="x" * 501)
        assert_error(too_long, 400, "VALIDATION.INVALID_PARAMETER")
        assert (await world.row(invitation["bizId"])).status == "PENDING"
        assert_ok(await world.decline(invitation["bizId"], reason="y" * 500), "2004")
        assert (await world.row(invitation["bizId"])).decline_reason == "y" * 500

    async def test_same_refusals_as_accept(self, world: World) -> None:
        invitation = await world.invited(BOB)
        assert_error(
            await world.decline(invitation["bizId"], who="carol"),
            400,
            "VALIDATION.INVALID_PARAMETER",
        )
        assert_error(
            await world.decline("non-existent-invitation-id", reason="Doc verification"),
            400,
            "VALIDATION.INVALID_PARAMETER",
        )
        await world.expire(invitation["bizId"])
        assert_error(await world.decline(invitation["bizId"]), 400, "VALIDATION.INVALID_PARAMETER")
        row = await world.row(invitation["bizId"])
        assert (row.status, row.decline_reason) == ("PENDING", None)

    async def test_a_member_may_still_decline(self, world: World, session: AsyncSession) -> None:
        invitation = await world.invited(BOB)
        await add_member(
            session, workspace=world.workspace, account=world.accounts["bob"], permission_codes=[]
        )
        await session.commit()
        assert_ok(await world.decline(invitation["bizId"]), "2004")
        assert (await world.row(invitation["bizId"])).status == "DECLINED"
        assert await world.memberships() == 1

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"reason": "no"},
            {"invitationBizId": 5},
            {"invitationBizId": "x", "reason": 5},
        ],
    )
    async def test_bad_bodies(self, world: World, body: Any) -> None:
        response = await world.portal.post(
            "/profile/invitations/decline", body, token=world.tokens["bob"]
        )
        assert_error(response, 400, "VALIDATION.INVALID_PARAMETER")

    async def test_needs_a_token(self, world: World) -> None:
        response = await world.portal.post("/profile/invitations/decline", {"invitationBizId": "x"})
        assert_error(response, 401, "ACCESS.TOKEN_MISSING")
