"""Rules of the form "at most one X" hold under truly parallel requests.

Two real API processes serve the test database (SQLite or PostgreSQL); every batch is sent at
once, alternating between the processes, each request on a connection of its own. Each test
checks the answers (the winners, the losers' business error, never a 500) and then the rows.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.auth.sessions import open_session
from portico.caller import ClientInfo, PortalContext
from portico.config import Settings
from portico.db import Database, utcnow
from portico.enums import AccountPortal, JoinSource, RoleType, WorkspaceKind
from portico.ids import new_biz_id
from portico.invitations.models import Invitation
from portico.invitations.service import MAX_PENDING_PER_WORKSPACE
from portico.mail.sender import Mailer
from portico.security import mfa
from portico.security.kit import AuthKit
from portico.security.models import AuthSession, BackupCode, MfaEnrollment
from portico.withdrawals.models import WithdrawalChannel
from portico.withdrawals.service import MAX_CHANNELS
from portico.workspaces import service as workspace_service
from portico.workspaces.models import Workspace, WorkspaceMember, WorkspaceRole
from tests.factories.accounts import DEFAULT_PASSWORD, create_account
from tests.factories.institutions import InstitutionCodes
from tests.factories.workspaces import add_member, create_role, owned_workspace
from tests.support.db import make_settings
from tests.support.portal import assert_ok
from tests.support.servers import running_servers, server_env

# One xdist worker runs the module: its module-scoped fixtures are set up once.
pytestmark = pytest.mark.xdist_group("parallel_rules")

PARALLEL = 20
PREFIX = "/web/v1/consumer"
# the per-account limit of code attempts (and of registrations per email) in one window
CODE_ATTEMPTS = 5
Request = tuple[str, Any, dict[str, str]]


@pytest.fixture(scope="module")
def race_settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(database_url, tmp_path_factory.mktemp("race"))


@pytest.fixture(scope="module")
def race_urls(
    race_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[str]]:
    """One pair of server processes for the whole module (each test truncates the database)."""
    with running_servers(server_env(race_settings, tmp_path_factory.mktemp("race-var")), 2) as urls:
        yield urls


@dataclass
class Race:
    urls: list[str]
    settings: Settings
    database: Database
    session: AsyncSession
    institution: InstitutionCodes
    kit: AuthKit

    def headers(self, token: str | None = None, **extra: str) -> dict[str, str]:
        headers = {"X-PORTAL-ACCESS-CODE": self.institution.consumer, **extra}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    async def account(self, email_address: str = "alice@example.com") -> Account:
        account = await create_account(
            self.session,
            institution_id=self.institution.institution_id,
            portal=AccountPortal.CONSUMER,
            email=email_address,
        )
        await self.session.commit()
        return account

    async def sign_in(self, account: Account) -> str:
        """An access token of a new session of `account`."""
        ctx = PortalContext(
            AccountPortal.CONSUMER, self.institution.institution_id, self.institution.biz_id
        )
        async with self.database.sessionmaker() as s, s.begin():
            fresh = await s.get(Account, account.id)
            assert fresh is not None
            issued = await open_session(
                s,
                self.kit,
                account=fresh,
                ctx=ctx,
                client=ClientInfo("127.0.0.1", "race", *[None] * 3),
            )
        return issued.access_token

    async def post(self, path: str, body: Any = None, **headers: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.urls[0], timeout=60) as client:
            return await client.post(PREFIX + path, json=body, headers=self.headers(**headers))

    async def at_once(self, requests: list[Request]) -> list[httpx.Response]:
        """POST every request at the same moment, alternating between the two processes."""
        limits = httpx.Limits(
            max_connections=len(requests), max_keepalive_connections=len(requests)
        )
        clients = [httpx.AsyncClient(base_url=u, timeout=60, limits=limits) for u in self.urls]
        try:
            # every connection is opened first, so the batch itself starts together
            await asyncio.gather(
                *[clients[n % len(clients)].get("/healthz") for n in range(len(requests))]
            )
            gate = asyncio.Event()

            async def send(n: int, path: str, body: Any, headers: dict[str, str]) -> httpx.Response:
                await gate.wait()
                return await clients[n % len(clients)].post(
                    PREFIX + path, json=body, headers=self.headers(**headers)
                )

            tasks = [asyncio.create_task(send(n, *r)) for n, r in enumerate(requests)]
            await asyncio.sleep(0.05)
            gate.set()
            return list(await asyncio.gather(*tasks))
        finally:
            for client in clients:
                await client.aclose()

    async def count(self, statement: Any) -> int:
        await self.session.commit()  # a fresh read
        return int((await self.session.execute(statement)).scalar_one())

    def mails_to(self, to: str) -> list[email.message.EmailMessage]:
        outbox = self.settings.resolved_mail_outbox_dir
        messages = [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(outbox.glob("*.eml"))
        ]
        return [m for m in messages if m["To"] == to]  # type: ignore[misc]

    async def next_code(self, to: str, seen: int) -> str:
        """The code of the first mail to `to` after the `seen` ones already there."""
        for _ in range(200):
            mine = self.mails_to(to)
            if len(mine) > seen:
                match = re.search(r"code is (\d{6})", mine[seen].get_content())
                assert match
                return match.group(1)
            await asyncio.sleep(0.05)
        raise AssertionError(f"no code mailed to {to}")


@pytest.fixture
async def race(
    race_urls: list[str],
    race_settings: Settings,
    database: Database,
    session: AsyncSession,
    institution: InstitutionCodes,
) -> Race:
    kit = AuthKit.build(race_settings, database, Mailer(race_settings))
    return Race(race_urls, race_settings, database, session, institution, kit)


def outcome(responses: list[httpx.Response]) -> Counter[tuple[int, str]]:
    """How many answers of each (status, code)."""
    return Counter((r.status_code, str(r.json()["code"])) for r in responses)


def auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


async def _member_role(session: AsyncSession, workspace: Workspace) -> WorkspaceRole:
    return (
        await session.execute(
            select(WorkspaceRole).where(
                WorkspaceRole.workspace_id == workspace.id,
                WorkspaceRole.role_type == RoleType.CUSTOM,
                WorkspaceRole.is_builtin.is_(True),
            )
        )
    ).scalar_one()


class TestMfa:
    async def test_one_totp_enrolment_per_account(self, race: Race) -> None:
        alice = await race.account()
        token = await race.sign_in(alice)
        totp_rows = select(func.count(MfaEnrollment.id)).where(
            MfaEnrollment.account_id == alice.id, MfaEnrollment.method == "TOTP"
        )
        setups = await race.at_once([("/security/mfa/otp/setup", None, auth(token))] * PARALLEL)
        assert outcome(setups) == {(200, "2000"): PARALLEL}
        assert await race.count(totp_rows) == 1
        # dropping the pending setup: one drops it, the others find nothing to drop (5: the
        # account's limit of code attempts in flight)
        revokes = await race.at_once(
            [("/security/mfa/otp/revoke", {"code": "000000"}, auth(token))] * CODE_ATTEMPTS
        )
        assert outcome(revokes) == {
            (200, "2004"): 1,
            (400, "MFA.TOTP_NOT_SET_UP"): CODE_ATTEMPTS - 1,
        }
        assert await race.count(totp_rows) == 0
        # and the account's TOTP routes work as before
        setup = assert_ok(await race.post("/security/mfa/otp/setup", **auth(token)))
        code = pyotp.TOTP(setup["secret"]).now()
        assert_ok(await race.post("/security/mfa/otp/verify", {"code": code}, **auth(token)))
        assert await race.count(totp_rows) == 1

    async def test_one_batch_of_backup_codes(self, race: Race) -> None:
        alice = await race.account()
        token = await race.sign_in(alice)
        batches = await race.at_once(
            [("/security/mfa/backup-codes/generate", None, auth(token))] * PARALLEL
        )
        assert outcome(batches) == {(200, "2000"): PARALLEL}
        stored = select(func.count(BackupCode.id)).where(BackupCode.account_id == alice.id)
        assert await race.count(stored) == mfa.BACKUP_CODE_COUNT
        markers = select(func.count(MfaEnrollment.id)).where(
            MfaEnrollment.account_id == alice.id, MfaEnrollment.method == "BACKUP_CODE"
        )
        assert await race.count(markers) == 1
        # exactly one of the answers holds the codes in force (checked without spending them)
        in_force = []
        async with race.database.sessionmaker() as s:
            for batch in batches:
                codes = batch.json()["data"]["codes"]
                used = [
                    await mfa.use_backup_code(s, race.kit, account_id=alice.id, code=c)
                    for c in codes
                ]
                in_force.append(all(used))
            await s.rollback()
        assert in_force.count(True) == 1


class TestInvitations:
    async def test_one_pending_invitation_per_email(self, race: Race) -> None:
        alice = await race.account()
        token = await race.sign_in(alice)
        workspace = await owned_workspace(race.session, owner=alice)
        role = await _member_role(race.session, workspace)
        body = {"email": "bob@example.com", "roleId": role.biz_id}
        answers = await race.at_once([("/invitations", body, auth(token))] * PARALLEL)
        assert outcome(answers) == {
            (201, "2001"): 1,
            (400, "INVITATION.ALREADY_PENDING"): PARALLEL - 1,
        }
        pending = select(func.count(Invitation.id)).where(
            Invitation.workspace_id == workspace.id,
            Invitation.email == "bob@example.com",
            Invitation.status == "PENDING",
        )
        assert await race.count(pending) == 1

    async def test_pending_invitations_stay_bounded(self, race: Race) -> None:
        alice = await race.account()
        token = await race.sign_in(alice)
        workspace = await owned_workspace(race.session, owner=alice)
        role = await _member_role(race.session, workspace)
        now = utcnow()
        race.session.add_all(
            [
                Invitation(
                    biz_id=new_biz_id(),
                    workspace_id=workspace.id,
                    portal="CONSUMER",
                    email=f"guest{n}@example.com",
                    role_id=role.id,
                    invited_by=alice.biz_id,
                    status="PENDING",
                    expires_at=now + timedelta(days=1),
                    created_at=now,
                    updated_at=now,
                )
                for n in range(MAX_PENDING_PER_WORKSPACE - 1)
            ]
        )
        await race.session.commit()
        answers = await race.at_once(
            [
                (
                    "/invitations",
                    {"email": f"new{n}@example.com", "roleId": role.biz_id},
                    auth(token),
                )
                for n in range(PARALLEL)
            ]
        )
        assert outcome(answers) == {
            (201, "2001"): 1,
            (400, "INVITATION.LIMIT_REACHED"): PARALLEL - 1,
        }
        pending = select(func.count(Invitation.id)).where(
            Invitation.workspace_id == workspace.id, Invitation.status == "PENDING"
        )
        assert await race.count(pending) == MAX_PENDING_PER_WORKSPACE


class TestRoles:
    async def test_role_names_are_unique_in_a_workspace(self, race: Race) -> None:
        alice = await race.account()
        token = await race.sign_in(alice)
        workspace = await owned_workspace(race.session, owner=alice)
        names = ["Auditors", "AUDITORS", "auditors", "Auditors"]
        answers = await race.at_once(
            [("/roles", {"roleName": names[n % len(names)]}, auth(token)) for n in range(PARALLEL)]
        )
        assert outcome(answers) == {(201, "2001"): 1, (400, "ROLE.NAME_TAKEN"): PARALLEL - 1}
        named = select(func.count(WorkspaceRole.id)).where(
            WorkspaceRole.workspace_id == workspace.id,
            func.lower(WorkspaceRole.name) == "auditors",
        )
        assert await race.count(named) == 1
        # renaming many roles to one name at once: one of them gets it
        roles = [
            await create_role(race.session, workspace=workspace, permission_codes=[], name=f"R{n}")
            for n in range(PARALLEL)
        ]
        await race.session.commit()
        renames = await race.at_once(
            [
                ("/roles/update", {"roleId": role.biz_id, "roleName": "Payers"}, auth(token))
                for role in roles
            ]
        )
        assert outcome(renames) == {(200, "2000"): 1, (400, "ROLE.NAME_TAKEN"): PARALLEL - 1}
        payers = select(func.count(WorkspaceRole.id)).where(
            WorkspaceRole.workspace_id == workspace.id, WorkspaceRole.name == "Payers"
        )
        assert await race.count(payers) == 1


class TestWorkspaces:
    async def test_one_default_workspace_per_account(self, race: Race) -> None:
        alice = await race.account()
        token = await race.sign_in(alice)
        workspaces = [await owned_workspace(race.session, owner=alice)]
        for n in range(PARALLEL - 1):
            workspaces.append(
                await workspace_service.create_workspace(
                    race.session,
                    owner=alice,
                    name=f"W{n}",
                    kind=WorkspaceKind.LIVE,
                    join_source=JoinSource.CREATION,
                    is_default=False,
                )
            )
        await race.session.commit()
        answers = await race.at_once(
            [
                ("/workspaces/current/default", None, auth(token, **{"X-Workspace-Id": w.biz_id}))
                for w in workspaces
            ]
        )
        assert outcome(answers) == {(200, "2000"): PARALLEL}
        defaults = select(func.count(WorkspaceMember.id)).where(
            WorkspaceMember.account_id == alice.id, WorkspaceMember.is_default.is_(True)
        )
        assert await race.count(defaults) == 1

    async def test_leaving_and_choosing_at_once_leaves_one_default(self, race: Race) -> None:
        alice, bob = await race.account(), await race.account("bob@example.com")
        token = await race.sign_in(alice)
        theirs = []
        for n in range(PARALLEL):
            workspace = await workspace_service.create_workspace(
                race.session,
                owner=bob,
                name=f"Bob {n}",
                kind=WorkspaceKind.LIVE,
                join_source=JoinSource.CREATION,
                is_default=False,
            )
            await add_member(race.session, workspace=workspace, account=alice, permission_codes=[])
            theirs.append(workspace)
        await race.session.commit()
        there = auth(token, **{"X-Workspace-Id": theirs[0].biz_id})
        assert_ok(await race.post("/workspaces/current/default", **there))
        # she leaves half of them (the default first) while making each of the others default
        half = PARALLEL // 2
        answers = await race.at_once(
            [
                (
                    "/workspaces/current/leave" if n < half else "/workspaces/current/default",
                    None,
                    auth(token, **{"X-Workspace-Id": w.biz_id}),
                )
                for n, w in enumerate(theirs)
            ]
        )
        assert outcome(answers) == {(200, "2004"): half, (200, "2000"): PARALLEL - half}
        defaults = select(func.count(WorkspaceMember.id)).where(
            WorkspaceMember.account_id == alice.id, WorkspaceMember.is_default.is_(True)
        )
        assert await race.count(defaults) == 1


class TestSignIn:
    async def test_session_limit_holds_under_parallel_logins(self, race: Race) -> None:
        alice = await race.account()
        await race.session.execute(
            update(Account).where(Account.id == alice.id).values(max_sessions=2)
        )
        await race.session.commit()
        logins = CODE_ATTEMPTS
        requests: list[Request] = []
        seen = len(race.mails_to(alice.email))
        for n in range(logins):
            started = assert_ok(
                await race.post(
                    "/auth/login/initiate", {"email": alice.email, "password": DEFAULT_PASSWORD}
                )
            )
            code = await race.next_code(alice.email, seen + n)
            body = {"sessionId": started["sessionId"], "mfaMethod": "EMAIL", "code": code}
            requests.append(("/auth/login/verify", body, {}))
        answers = await race.at_once(requests)
        assert outcome(answers) == {(200, "2000"): logins}
        live = select(func.count(AuthSession.id)).where(
            AuthSession.account_id == alice.id, AuthSession.revoked_at.is_(None)
        )
        assert await race.count(live) == 2

    async def test_one_account_per_email_under_parallel_registrations(self, race: Race) -> None:
        to = "newcomer@example.com"
        requests: list[Request] = []
        attempts = CODE_ATTEMPTS
        seen = len(race.mails_to(to))
        for n in range(attempts):
            started = assert_ok(
                await race.post(
                    "/auth/register/initiate", {"email": to, "password": DEFAULT_PASSWORD}
                )
            )
            code = await race.next_code(to, seen + n)
            requests.append(
                ("/auth/register/verify", {"sessionId": started["sessionId"], "code": code}, {})
            )
        answers = await race.at_once(requests)
        assert outcome(answers) == {
            (200, "2000"): 1,
            (404, "AUTH.SESSION_NOT_FOUND"): attempts - 1,
        }
        accounts = select(func.count(Account.id)).where(Account.email == to)
        assert await race.count(accounts) == 1
        owned = (
            select(func.count(WorkspaceMember.id))
            .join(Account, Account.id == WorkspaceMember.account_id)
            .where(Account.email == to)
        )
        assert await race.count(owned) == 1


def _bank(n: int, *, is_default: bool) -> dict[str, Any]:
    return {
        "channelType": "BANK_TRANSFER",
        "channelName": f"Account {n}",
        "currency": "USD",
        "accountName": "Alice",
        "accountNumber": f"GB29NWBK6016133192{n:04d}",
        "isDefault": is_default,
    }


class TestWithdrawalChannels:
    async def test_one_default_channel_per_workspace(self, race: Race) -> None:
        alice = await race.account()
        token = await race.sign_in(alice)
        workspace = await owned_workspace(race.session, owner=alice)
        defaults = select(func.count(WithdrawalChannel.id)).where(
            WithdrawalChannel.workspace_id == workspace.id,
            WithdrawalChannel.is_default.is_(True),
        )
        # the first channel becomes the default: one of the parallel first ones does
        first = await race.at_once(
            [("/withdrawal-channels", _bank(n, is_default=False), auth(token)) for n in range(10)]
        )
        assert outcome(first) == {(201, "2001"): 10}
        assert await race.count(defaults) == 1
        made_default = await race.at_once(
            [
                ("/withdrawal-channels", _bank(n, is_default=True), auth(token))
                for n in range(10, 20)
            ]
        )
        assert outcome(made_default) == {(201, "2001"): 10}
        assert await race.count(defaults) == 1

    async def test_channels_stay_bounded(self, race: Race) -> None:
        alice = await race.account()
        token = await race.sign_in(alice)
        workspace = await owned_workspace(race.session, owner=alice)
        now = utcnow()
        race.session.add_all(
            [
                WithdrawalChannel(
                    biz_id=new_biz_id(),
                    workspace_id=workspace.id,
                    channel_type="BANK_TRANSFER",
                    channel_name=f"Seeded {n}",
                    currency="USD",
                    account_name="Alice",
                    account_number=f"0000{n:04d}",
                    is_default=n == 0,
                    created_at=now,
                    updated_at=now,
                )
                for n in range(MAX_CHANNELS - 1)
            ]
        )
        await race.session.commit()
        answers = await race.at_once(
            [("/withdrawal-channels", _bank(n, is_default=False), auth(token)) for n in range(10)]
        )
        assert outcome(answers) == {(201, "2001"): 1, (400, "VALIDATION.INVALID_PARAMETER"): 9}
        channels = select(func.count(WithdrawalChannel.id)).where(
            WithdrawalChannel.workspace_id == workspace.id
        )
        assert await race.count(channels) == MAX_CHANNELS
