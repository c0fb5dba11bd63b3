"""Deleting a consumer erases its personal data everywhere and ends everything it could use,
while the books still verify.

The personal-data columns are read from the models (`info=pii(...)`, see `portico.pii`), and
the consumer's rows are found through the foreign keys (to its account, its workspaces, its
sessions) and its email: a new personal column is checked here without editing this test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import JSON, Column, Date, Integer, String, Table, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.api_keys import service as api_key_service
from portico.auth import throttle
from portico.auth.models import LoginChallenge, PasswordResetToken, ThrottleCounter
from portico.db import utcnow
from portico.enums import JoinSource, WorkspaceKind
from portico.files.models import StoredFile
from portico.flows import workspaces as workspace_flows
from portico.idempotency.models import IdempotencyRecord
from portico.invitations.models import Invitation
from portico.issuer import service as issuer_service
from portico.issuer.audit import cli_actor
from portico.jobs import tasks
from portico.ledger import service as ledger
from portico.ledger.models import LedgerEntry
from portico.models import Base
from portico.oauth.models import TokenFamily
from portico.onboarding.models import KycProfile
from portico.pii import ERASED_EMAIL, PII_KEY, is_pii
from portico.recharges import service as recharge_service
from portico.recharges.models import Recharge
from portico.rel import service as rel_service
from portico.runtime import runtime_of
from portico.sandbox import service as sandbox_service
from portico.security.models import AuthSession, BackupCode, MfaEnrollment, RefreshToken
from portico.transfers import service as transfer_service
from portico.transfers.models import TransferOrder
from portico.wallets.models import Wallet
from portico.withdrawals import service as withdrawal_service
from portico.workspaces import permissions
from portico.workspaces.models import Workspace, WorkspaceMember
from tests.factories.accounts import create_account
from tests.factories.institutions import InstitutionCodes
from tests.factories.money import create_recharge_channel, create_withdrawal_channel, fund_wallet
from tests.factories.oauth import mint_token
from tests.factories.workspaces import add_member, owned_workspace
from tests.support.mail import Outbox
from tests.support.oauth import IssuerApi, Realm, portal_session

# A column whose name has one of these words must be marked, pii(...) or NOT_PII.
PERSONAL_WORDS = {"email", "name", "phone", "ip", "agent", "address", "remark", "number"}
MARKED_EMAIL = "zq.marker@example.com"


def pii_columns() -> list[tuple[Table, Column[Any]]]:
    return [
        (table, column)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if is_pii(column.info)
    ]


def test_every_personal_looking_column_is_marked() -> None:
    unmarked = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if set(column.name.split("_")) & PERSONAL_WORDS and PII_KEY not in column.info
    ]
    assert unmarked == [], "mark these columns info=pii(...) or info=NOT_PII"
    assert len(pii_columns()) >= 20


# --- the consumer's rows, found through the schema -------------------------------------------


def _owner_clause(table: Table, ids: dict[str, Any]) -> Any:
    """Rows of `table` that belong to the consumer: its account, rows pointing at its account,
    its workspaces or its sessions, rows with its `workspace_id`, rows with its email."""
    clauses = []
    if table.name == "accounts":
        clauses.append(table.c.id == ids["account"])
    if table.name == "workspaces":
        clauses.append(table.c.id.in_(ids["workspaces"]))
    for column in table.columns:
        targets = {fk.column.table.name for fk in column.foreign_keys}
        if "accounts" in targets:
            clauses.append(column == ids["account"])
        if "workspaces" in targets or (column.name == "workspace_id" and not targets):
            clauses.append(column.in_(ids["workspaces"]))
        if "auth_sessions" in targets:
            clauses.append(column.in_(ids["sessions"]))
        if column.info.get("erased") == ERASED_EMAIL:
            clauses.append(column == ids["email"])
    return or_(*clauses) if clauses else None


async def _ids(session: AsyncSession, account_id: int, email: str) -> dict[str, Any]:
    workspaces = list(
        (
            await session.execute(
                select(WorkspaceMember.workspace_id).where(
                    WorkspaceMember.account_id == account_id, WorkspaceMember.is_owner.is_(True)
                )
            )
        ).scalars()
    )
    sessions = list(
        (
            await session.execute(
                select(AuthSession.id).where(AuthSession.account_id == account_id)
            )
        ).scalars()
    )
    return {"account": account_id, "workspaces": workspaces, "sessions": sessions, "email": email}


def _marker(index: int, column: Column[Any]) -> Any:
    if column.info.get("erased") == ERASED_EMAIL:
        return MARKED_EMAIL
    text = f"Z{index:03d}Q"
    if isinstance(column.type, Date):
        return date(1901, 1 + index % 12, 1 + index % 28)
    if isinstance(column.type, Integer):
        return 7_000_000 + index
    if isinstance(column.type, JSON):
        return [text]
    length = getattr(column.type, "length", None)
    return text if length is None or length >= len(text) else "ZQ"[:length]


async def plant_markers(session: AsyncSession, account: Account) -> dict[str, Any]:
    """Overwrite every personal-data column of the consumer's rows with a marker (so every
    one holds something to erase), first making sure each such table has a row of it."""
    ids = await _ids(session, account.id, account.email)
    markers: dict[str, Any] = {}
    updates = []
    for index, (table, column) in enumerate(pii_columns()):
        where = _owner_clause(table, ids)
        assert where is not None, f"no way to find the consumer's rows of {table.name}"
        count = (
            await session.execute(select(func.count()).select_from(table).where(where))
        ).scalar_one()
        assert count, f"the scenario has no row of {table.name}: add one"
        markers[f"{table.name}.{column.name}"] = _marker(index, column)
        updates.append((table, column, where))
    for table, column, where in updates:
        value = markers[f"{table.name}.{column.name}"]
        await session.execute(table.update().where(where).values({column.name: value}))
    await session.commit()
    return markers


async def assert_no_marker_left(session: AsyncSession, markers: dict[str, Any]) -> None:
    needles = {json.dumps(v) if isinstance(v, list) else str(v) for v in markers.values()}
    needles |= {"Carol Danvers", "carol@example.com", "+14155550123", "zq.marker"}
    left = []
    for table, column in pii_columns():
        as_text = (
            func.cast(column, String) if isinstance(column.type, JSON | Integer | Date) else column
        )
        for needle in needles:
            clause = (
                as_text == needle if len(needle) <= 2 else as_text.contains(needle.strip('[]"'))
            )
            count = (
                await session.execute(select(func.count()).select_from(table).where(clause))
            ).scalar_one()
            if count:
                left.append(f"{table.name}.{column.name} still holds {needle!r}")
    assert left == []


# --- the scenario ----------------------------------------------------------------------------


@dataclass
class Scenario:
    carol: Account
    carol_id: int
    carol_biz_id: str
    live_id: int
    sandbox_id: int
    key_id: str
    transfer_biz_id: str
    recharge_biz_id: str
    portal_tokens: tuple[str, str]


async def build(
    app: Any, session: AsyncSession, institution: InstitutionCodes, realm: Realm
) -> Scenario:
    """Carol uses everything once: sessions, MFA, keys, a sandbox, money in and out, a
    transfer to Bob, invitations both ways, a membership of Bob's workspace. Her LIVE
    balance ends at zero (her withdrawal was paid out)."""
    kit = runtime_of(app).auth_kit
    carol = await create_account(
        session,
        institution_id=realm.institution_id,
        email="carol@example.com",
        name="Carol Danvers",
    )
    carol.phone, carol.remark, carol.last_login_ip = "+14155550123", "vip", "198.51.100.7"
    carol.ip_whitelist = ["198.51.100.7"]
    bob = await create_account(
        session, institution_id=realm.institution_id, email="bob@example.com"
    )
    live = await owned_workspace(session, owner=carol)
    bob_space = await owned_workspace(session, owner=bob)
    sandbox = await workspace_flows.create_workspace(
        session,
        owner=carol,
        name="Carol's tests",
        kind=WorkspaceKind.SANDBOX,
        join_source=JoinSource.CREATION,
        is_default=False,
    )
    await sandbox_service.seed(session, workspace=sandbox)
    await add_member(session, workspace=bob_space, account=carol, permission_codes=["wallet:read"])
    key, _ = await api_key_service.create_key(
        session,
        kit,
        workspace=live,
        held=frozenset(permissions.all_codes()),
        created_by=carol.biz_id,
        name="Carol's server",
        scopes=["wallet:read"],
        ip_whitelist=["198.51.100.7"],
    )
    await session.commit()
    await mint_token(session, app, institution_id=realm.institution_id, api_key=key)
    wallet = await fund_wallet(session, workspace=live, amount="10")
    transfer = await transfer_service.create_transfer(
        session,
        actor=carol,
        workspace=live,
        payment=transfer_service.Payment(
            from_wallet_biz_id=wallet.biz_id,
            to_wallet_biz_id=None,
            to_account_email="bob@example.com",
            amount=Decimal(3),
            remark="for Carol's rent",
        ),
    )
    channel = await create_withdrawal_channel(session, workspace=live)
    withdrawal = await withdrawal_service.create_withdrawal(
        session,
        actor=carol,
        workspace=live,
        wallet_biz_id=wallet.biz_id,
        withdrawal_channel_biz_id=channel.biz_id,
        amount=Decimal(7),
        remark="to Carol's bank",
    )
    await issuer_service.complete_withdrawal(
        session, withdrawal_biz_id=withdrawal.biz_id, actor=cli_actor()
    )
    sandbox_wallet = (
        await session.execute(
            select(Wallet).where(Wallet.workspace_id == sandbox.id, Wallet.currency == "USD")
        )
    ).scalar_one()
    sandbox_channel = await create_withdrawal_channel(session, workspace=sandbox)
    await withdrawal_service.create_withdrawal(
        session,
        actor=carol,
        workspace=sandbox,
        wallet_biz_id=sandbox_wallet.biz_id,
        withdrawal_channel_biz_id=sandbox_channel.biz_id,
        amount=Decimal(1),
    )
    recharge_channel = await create_recharge_channel(session, institution_id=realm.institution_id)
    recharge = await recharge_service.create_recharge(
        session,
        actor=carol,
        workspace=live,
        channel_biz_id=recharge_channel.biz_id,
        amount=Decimal(5),
        remark="Carol pays in",
    )
    now = utcnow()
    roles = await session.execute(
        select(WorkspaceMember.role_id).where(WorkspaceMember.workspace_id == bob_space.id).limit(1)
    )
    role_id = roles.scalar_one()
    own_role = (
        await session.execute(
            select(WorkspaceMember.role_id).where(WorkspaceMember.workspace_id == live.id).limit(1)
        )
    ).scalar_one()
    session.add_all(
        [
            Invitation(
                biz_id="invtocarol000001",
                workspace_id=bob_space.id,
                portal="CONSUMER",
                email="carol@example.com",
                role_id=role_id,
                invited_by=bob.biz_id,
                status="DECLINED",
                decline_reason="Carol is busy",
                expires_at=now + timedelta(days=7),
            ),
            Invitation(
                biz_id="invfromcarol0001",
                workspace_id=live.id,
                portal="CONSUMER",
                email="dave@example.com",
                role_id=own_role,
                invited_by=carol.biz_id,
                status="PENDING",
                expires_at=now + timedelta(days=7),
            ),
            LoginChallenge(
                id="challenge-of-carol",
                purpose="LOGIN",
                institution_id=realm.institution_id,
                portal="CONSUMER",
                account_id=carol.id,
                email="carol@example.com",
                expires_at=now + timedelta(minutes=10),
            ),
            StoredFile(
                biz_id="filofcarol000001",
                workspace_id=live.id,
                purpose="ATTACHMENT",
                file_name="passport_carol_danvers.png",
                content_type="image/png",
                file_size=8,
                sha256="3" * 64,
                storage_key=f"files/{live.biz_id}/carol-passport",
                uploaded_by=carol.biz_id,
            ),
            BackupCode(account_id=carol.id, code_hash="0" * 64),
            PasswordResetToken(
                token_hash="1" * 64, account_id=carol.id, expires_at=now + timedelta(minutes=30)
            ),
            IdempotencyRecord(
                workspace_id=live.id,
                account_id=carol.id,
                idempotency_key="k1",
                request_hash="2" * 64,
                status_code=201,
                response_body=b'{"remark":"Carol"}',
                expires_at=now + timedelta(days=7),
            ),
        ]
    )
    # Her KYC profile, as a partner's onboarding writes it.
    session.add(
        KycProfile(
            institution_id=realm.institution_id,
            account_id=carol.id,
            given_name="Carol",
            middle_name="Susan",
            family_name="Danvers",
            birth_date=date(1968, 3, 1),
            gender="FEMALE",
            nationality="US",
            id_type="PASSPORT",
            id_country="US",
            id_number_sealed=kit.box.seal(b"P1234567"),
            id_blind_index="a" * 64,
            id_issue_date=date(2020, 1, 1),
            id_expiry_date=date(2030, 1, 1),
            kyc_level="STANDARD",
            screening_status="CLEAR",
            partner_kyc_reference="KYC-1",
            extra_data={"note": "Carol"},
            compliance_status="BLOCKED",
            compliance_reason="Carol matched a list",
        )
    )
    # Her record in the customer data store, as onboarding writes it.
    await rel_service.upsert_customer_contact(
        session,
        institution_id=realm.institution_id,
        email="carol@example.com",
        given_name="Carol",
        family_name="Danvers",
        phone_e164="+14155550123",
        address={"country_code": "US", "locality": "Boston", "address_line_1": "1 Main St"},
        account_id=carol.id,
    )
    await session.commit()
    tokens = await portal_session(app, session, carol, institution)
    return Scenario(
        carol,
        carol.id,
        carol.biz_id,
        live.id,
        sandbox.id,
        key.key_id,
        transfer.biz_id,
        recharge.biz_id,
        tokens,
    )


async def test_deletion_cascades_and_erases_every_personal_column(
    app: Any,
    http: httpx.AsyncClient,
    session: AsyncSession,
    institution: InstitutionCodes,
    realm: Realm,
    issuer_api: IssuerApi,
    outbox: Outbox,
) -> None:
    s = await build(app, session, institution, realm)
    carol_id, carol_biz_id = s.carol_id, s.carol_biz_id
    storage = runtime_of(app).storage
    passport_key = (
        await session.execute(
            select(StoredFile.storage_key).where(StoredFile.biz_id == "filofcarol000001")
        )
    ).scalar_one()
    for key in (passport_key, "files/someone-else/kept"):
        writer = storage.writer(key)
        await writer.write(b"\x89PNG....")
        await writer.commit()
    entries_before = (await session.execute(select(func.count(LedgerEntry.id)))).scalar_one()
    markers = await plant_markers(session, s.carol)
    session.add(
        ThrottleCounter(
            key=throttle.account_key(realm.institution_id, "CONSUMER", MARKED_EMAIL),
            count=2,
            window_expires_at=utcnow() + timedelta(minutes=5),
        )
    )
    await session.commit()

    response = await issuer_api.post(f"/consumers/{carol_biz_id}/operations:delete", {})
    assert response.json()["status"] == "SUCCESSFUL", response.text
    session.expire_all()

    await assert_no_marker_left(session, markers)
    # the file's bytes: not found at once, gone from the store after the maintenance sweep
    passport = (
        await session.execute(select(StoredFile).where(StoredFile.storage_key == passport_key))
    ).scalar_one()
    assert passport.erased_at is not None
    passport_id = passport.id
    runtime = runtime_of(app).for_jobs()
    # The app's in-process maintenance job runs the same sweep at each minute's start: when the
    # test crosses one, the bytes are gone already.
    swept = 0 if passport.purged_at is not None else 1
    assert await tasks.purge_erased_files(runtime) == swept
    assert await storage.list_keys() == ["files/someone-else/kept"]
    session.expire_all()
    purged = await session.get(StoredFile, passport_id)
    assert purged is not None and purged.purged_at is not None
    assert await tasks.purge_erased_files(runtime) == 0
    # access: every session and refresh token ended, keys deleted and their grants revoked
    portal = {"X-PORTAL-ACCESS-CODE": institution.consumer}
    access, refresh = s.portal_tokens
    profile = await http.get(
        "/web/v1/consumer/profile", headers={**portal, "Authorization": f"Bearer {access}"}
    )
    assert profile.status_code == 401
    refreshed = await http.post(
        "/web/v1/consumer/auth/token/refresh", json={"refreshToken": refresh}, headers=portal
    )
    assert refreshed.status_code == 404
    sessions = (
        (await session.execute(select(AuthSession).where(AuthSession.account_id == carol_id)))
        .scalars()
        .all()
    )
    assert sessions and all(row.revoked_at is not None for row in sessions)
    session_ids = [row.id for row in sessions]
    assert (
        await session.execute(select(RefreshToken).where(RefreshToken.session_id.in_(session_ids)))
    ).first() is None
    for model in (MfaEnrollment, BackupCode, PasswordResetToken):
        assert (
            await session.execute(select(model).where(model.account_id == carol_id))
        ).first() is None
    assert (
        await session.execute(select(LoginChallenge).where(LoginChallenge.account_id == carol_id))
    ).first() is None
    assert (
        await session.execute(
            select(IdempotencyRecord).where(IdempotencyRecord.account_id == carol_id)
        )
    ).first() is None
    assert (await session.execute(select(ThrottleCounter))).scalars().all() == []
    key = (
        await session.execute(
            select(api_key_service.ApiKey).where(api_key_service.ApiKey.key_id == s.key_id)
        )
    ).scalar_one()
    assert key.deleted_at is not None
    family = (
        await session.execute(select(TokenFamily).where(TokenFamily.client_id == s.key_id))
    ).scalar_one()
    assert family.revoked_at is not None
    # memberships removed, workspaces and wallets closed, pending orders cancelled
    assert (
        await session.execute(select(WorkspaceMember).where(WorkspaceMember.account_id == carol_id))
    ).first() is None
    for workspace_id in (s.live_id, s.sandbox_id):
        workspace = await session.get(Workspace, workspace_id)
        assert workspace is not None and workspace.status == "CLOSED"
    wallets = (
        (
            await session.execute(
                select(Wallet).where(Wallet.workspace_id.in_([s.live_id, s.sandbox_id]))
            )
        )
        .scalars()
        .all()
    )
    assert wallets and all(
        w.status == "CLOSED" and w.available == 0 and w.frozen == 0 for w in wallets
    )
    recharge = (
        await session.execute(select(Recharge).where(Recharge.biz_id == s.recharge_biz_id))
    ).scalar_one()
    assert recharge.status == "CANCELLED"
    invitation = (
        await session.execute(select(Invitation).where(Invitation.biz_id == "invfromcarol0001"))
    ).scalar_one()
    assert invitation.status == "CANCELLED"
    # the account keeps only its id; the books are kept and still verify
    account = await session.get(Account, carol_id)
    assert account is not None
    assert account.status == "DELETED" and account.biz_id == carol_biz_id
    assert account.email == f"deleted-{carol_biz_id}@deleted.invalid"
    assert account.name is None and account.phone is None and account.ip_whitelist == []
    order = (
        await session.execute(
            select(TransferOrder).where(TransferOrder.biz_id == s.transfer_biz_id)
        )
    ).scalar_one()
    assert order.amount == 300 and order.remark is None
    entries_after = (await session.execute(select(func.count(LedgerEntry.id)))).scalar_one()
    assert entries_after > entries_before  # sandbox money went back through the ledger
    assert await ledger.verify(session) == []
    details = response.json()
    operation = (
        await issuer_api.get(f"/consumers/{carol_biz_id}/operations/{details['operationId']}")
    ).json()
    assert operation["details"] == {
        "walletsClosed": len(wallets),
        "sessionsRevoked": 1,
        "apiKeysDeleted": 1,
        "withdrawalsCancelled": 1,
        "rechargesCancelled": 1,
        "membershipsRemoved": 3,
        "invitationsCancelled": 1,
    }

    # a closed wallet receives nothing
    bob = (
        await session.execute(select(Account).where(Account.email == "bob@example.com"))
    ).scalar_one()
    bob_wallet = await fund_wallet(session, workspace=await owned_workspace(session, owner=bob))
    bob_wallet_biz_id = bob_wallet.biz_id
    await session.commit()
    bob_access, _ = await portal_session(app, session, bob, institution)
    closed = next(w for w in wallets if w.workspace_id == s.live_id and w.currency == "USD")
    refused = await http.post(
        "/web/v1/consumer/transfer/command/create",
        json={"fromWalletBizId": bob_wallet_biz_id, "toWalletBizId": closed.biz_id, "amount": "1"},
        headers={**portal, "Authorization": f"Bearer {bob_access}"},
    )
    assert refused.status_code == 400 and refused.json()["code"] == "WALLET.CLOSED"

    # the same address registers again, as a new consumer
    started = await http.post(
        "/web/v1/consumer/auth/register/initiate",
        json={"email": MARKED_EMAIL, "password": "Another9Password!"},
        headers=portal,
    )
    code = await outbox.last_code(MARKED_EMAIL)
    done = await http.post(
        "/web/v1/consumer/auth/register/verify",
        json={"sessionId": started.json()["data"]["sessionId"], "code": code},
        headers=portal,
    )
    assert done.status_code == 200, done.text
    fresh = (
        await session.execute(select(Account).where(Account.email == MARKED_EMAIL))
    ).scalar_one()
    assert fresh.biz_id != carol_biz_id and fresh.status == "ACTIVE"
