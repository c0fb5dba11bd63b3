"""Partner approval (issue 10 §3): a pending partner sets up its account and workspace but moves
no money and holds no API keys, nor do the members of its workspaces; the issuer approves or
rejects it with `portico partner approve|reject`, and the partner is mailed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico import cli
from portico.accounts.models import Account
from portico.api_keys.models import ApiKey
from portico.config import Settings, get_settings
from portico.db import Database
from portico.enums import AccountPortal
from portico.exchanges.models import ExchangeQuote
from portico.recharges.models import Recharge, RechargeChannel
from portico.transfers.models import TransferOrder
from portico.wallets.models import Wallet
from portico.withdrawals.models import Withdrawal, WithdrawalChannel
from portico.workspaces.models import Workspace
from portico.workspaces.permissions import all_codes
from tests.factories.accounts import DEFAULT_PASSWORD, create_account
from tests.factories.institutions import InstitutionCodes
from tests.factories.money import (
    create_recharge_channel,
    create_withdrawal_channel,
    fund_wallet,
    set_rate,
)
from tests.factories.workspaces import add_member, owned_workspace
from tests.support.mail import Outbox
from tests.support.portal import Portal, assert_error, assert_ok

PENDING = "ACCOUNT.PENDING_APPROVAL"
NOT_ACTIVE = "ACCOUNT.NOT_ACTIVE"


@dataclass
class World:
    """Pia, a partner awaiting approval, owns workspace W (100.00 USD, a payout channel); Mel is
    a member of W holding every permission; Quinn is an approved partner."""

    partner: Portal
    session: AsyncSession
    pia: Account
    mel: Account
    quinn: Account
    workspace: Workspace
    wallet: Wallet
    payout: WithdrawalChannel
    recharge_channel: RechargeChannel

    async def token(self, account: Account) -> str:
        return str((await self.partner.login(account.email))["accessToken"])

    def money_moves(self) -> list[tuple[str, dict[str, Any]]]:
        """Every route that moves money or makes a credential, with a body that would work."""
        return [
            (
                "/transfers/command/create",
                {
                    "fromWalletBizId": self.wallet.biz_id,
                    "toAccountEmail": self.quinn.email,
                    "amount": "1.00",
                },
            ),
            ("/exchanges/quote", {"fromCurrency": "USD", "toCurrency": "EUR", "amount": "1"}),
            ("/exchanges", {"quoteId": "q"}),
            ("/recharges/quote", {"channelBizId": self.recharge_channel.biz_id, "amount": "10"}),
            ("/recharges", {"channelBizId": self.recharge_channel.biz_id, "amount": "10"}),
            (
                "/withdrawal-channels",
                {
                    "channelType": "BANK_TRANSFER",
                    "channelName": "Other",
                    "currency": "USD",
                    "accountName": "Pia",
                    "accountNumber": "GB00999988887777",
                },
            ),
            (
                "/withdrawals",
                {
                    "walletBizId": self.wallet.biz_id,
                    "withdrawalChannelBizId": self.payout.biz_id,
                    "amount": "1.00",
                },
            ),
            ("/api-keys", {"name": "server", "scopes": ["wallet:read"]}),
        ]

    async def try_every_money_move(self, token: str) -> list[httpx.Response]:
        there = {"X-Workspace-Id": self.workspace.biz_id}
        return [
            await self.partner.post(path, body, token=token, headers=there)
            for path, body in self.money_moves()
        ]

    async def nothing_moved(self) -> None:
        for model in (TransferOrder, ExchangeQuote, Recharge, Withdrawal, ApiKey):
            count = (
                select(func.count())
                .select_from(model)
                .where(
                    model.workspace_id == self.workspace.id  # type: ignore[attr-defined]
                )
            )
            assert (await self.session.execute(count)).scalar_one() == 0, model
        channels = select(func.count(WithdrawalChannel.id)).where(
            WithdrawalChannel.workspace_id == self.workspace.id
        )
        assert (await self.session.execute(channels)).scalar_one() == 1
        balance = select(Wallet.available).where(Wallet.id == self.wallet.id)
        assert (await self.session.execute(balance)).scalar_one() == 10000
        await self.session.commit()


@pytest.fixture
async def world(
    http: httpx.AsyncClient, session: AsyncSession, institution: InstitutionCodes, outbox: Outbox
) -> World:
    accounts = {}
    for name, pending in (("pia", True), ("mel", False), ("quinn", False)):
        accounts[name] = await create_account(
            session,
            institution_id=institution.institution_id,
            portal=AccountPortal.PARTNER,
            email=f"{name}@example.com",
            name=name.capitalize(),
            pending_approval=pending,
        )
    workspace = await owned_workspace(session, owner=accounts["pia"])
    await add_member(
        session, workspace=workspace, account=accounts["mel"], permission_codes=list(all_codes())
    )
    wallet = await fund_wallet(session, workspace=workspace, currency="USD", amount="100")
    payout = await create_withdrawal_channel(session, workspace=workspace)
    channel = await create_recharge_channel(session, institution_id=institution.institution_id)
    await set_rate(session, institution_id=institution.institution_id)
    await session.commit()
    portal = Portal(http, AccountPortal.PARTNER, institution.partner, outbox)
    return World(portal, session, *accounts.values(), workspace, wallet, payout, channel)


@pytest.fixture
def cli_env(
    database_url: str, database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """`portico` commands against the test database, mailing into the test's outbox."""
    monkeypatch.setenv("PORTICO_DATABASE_URL", database_url)
    monkeypatch.setenv("PORTICO_MAIL_OUTBOX_DIR", str(settings.resolved_mail_outbox_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def portico(*argv: str) -> int:
    return await asyncio.to_thread(cli.main, list(argv))


async def _mails(outbox: Outbox, to: str, subject: str) -> list[Any]:
    return [m for m in await outbox.messages(to) if m["Subject"] == subject]


class TestPending:
    async def test_signs_in_and_sets_up_security_and_workspace(self, world: World) -> None:
        started = assert_ok(
            await world.partner.post(
                "/auth/login/initiate", {"email": world.pia.email, "password": DEFAULT_PASSWORD}
            )
        )
        assert started["pendingApproval"] is True
        token = await world.token(world.pia)
        assert_ok(await world.partner.post("/security/mfa/otp/setup", token=token))
        assert_ok(await world.partner.post("/security/mfa/backup-codes/generate", token=token))
        assert_ok(
            await world.partner.post(
                "/security/sessions/config", {"maxConcurrentSessions": 5}, token=token
            )
        )
        assert_ok(
            await world.partner.post(
                "/security/ip-whitelist", {"ips": ["203.0.113.0/24"]}, token=token
            )
        )
        role = assert_ok(
            await world.partner.post("/roles", {"roleName": "Readers"}, token=token), "2001", 201
        )
        assert_ok(
            await world.partner.post(
                "/roles/permissions",
                {"roleId": role["bizId"], "permissionCodes": ["wallet:read"]},
                token=token,
            )
        )
        assert_ok(
            await world.partner.post(
                "/invitations", {"email": "new@example.com", "roleId": role["bizId"]}, token=token
            ),
            "2001",
            201,
        )
        assert_ok(await world.partner.get("/workspaces/current/members", token=token))
        assert_ok(
            await world.partner.post(
                "/workspaces/current/update", {"workspaceName": "P"}, token=token
            )
        )
        # and reads its wallets
        wallets = assert_ok(await world.partner.get("/wallets", token=token))
        assert [w["bizId"] for w in wallets] == [world.wallet.biz_id]
        assert_ok(await world.partner.get(f"/wallets/{world.wallet.biz_id}/flows", token=token))
        assert_ok(await world.partner.get("/api-keys", token=token))

    async def test_moves_no_money_and_makes_no_api_key(self, world: World) -> None:
        for response in await world.try_every_money_move(await world.token(world.pia)):
            assert_error(response, 403, PENDING)
        await world.nothing_moved()

    async def test_members_of_its_workspace_are_held_back_too(self, world: World) -> None:
        for response in await world.try_every_money_move(await world.token(world.mel)):
            assert_error(response, 403, PENDING)
        await world.nothing_moved()
        # in Mel's own workspace (Mel is approved) nothing is held back
        key = await world.partner.post(
            "/api-keys",
            {"name": "mine", "scopes": ["wallet:read"]},
            token=await world.token(world.mel),
        )
        assert_ok(key, "2001", 201)

    async def test_nor_in_an_approved_workspace_it_belongs_to(
        self, world: World, session: AsyncSession
    ) -> None:
        quinns = await owned_workspace(session, owner=world.quinn)
        await add_member(
            session, workspace=quinns, account=world.pia, permission_codes=list(all_codes())
        )
        await session.commit()
        there = {"X-Workspace-Id": quinns.biz_id}
        key = await world.partner.post(
            "/api-keys",
            {"name": "k", "scopes": ["wallet:read"]},
            token=await world.token(world.pia),
            headers=there,
        )
        assert_error(key, 403, PENDING)
        keys = select(func.count(ApiKey.id)).where(ApiKey.workspace_id == quinns.id)
        assert (await session.execute(keys)).scalar_one() == 0

    async def test_a_route_without_the_permission_is_still_permission_denied(
        self, world: World, session: AsyncSession
    ) -> None:
        reader = await create_account(
            session,
            institution_id=world.pia.institution_id,
            portal=AccountPortal.PARTNER,
            email="reader@example.com",
        )
        await add_member(
            session, workspace=world.workspace, account=reader, permission_codes=["wallet:read"]
        )
        await session.commit()
        for response in await world.try_every_money_move(await world.token(reader)):
            assert_error(response, 403, "ACCESS.PERMISSION_DENIED")


class TestApprove:
    async def test_approved_partner_moves_money(
        self, world: World, cli_env: None, outbox: Outbox
    ) -> None:
        token = await world.token(world.pia)
        assert await portico("partner", "approve", "PIA@example.com") == 0
        assert await _mails(outbox, world.pia.email, "Your Portico partner account is approved")
        there = {"X-Workspace-Id": world.workspace.biz_id}
        # the same session, at once: the decision applies on the next request
        moved = await world.partner.post(*world.money_moves()[0], token=token, headers=there)
        assert assert_ok(moved, "2001", 201)["transferStatus"]["code"] == "COMPLETED"
        key = await world.partner.post(*world.money_moves()[-1], token=token, headers=there)
        assert_ok(key, "2001", 201)
        mel = await world.partner.post(
            *world.money_moves()[4], token=await world.token(world.mel), headers=there
        )
        assert_ok(mel, "2001", 201)
        started = assert_ok(
            await world.partner.post(
                "/auth/login/initiate", {"email": world.pia.email, "password": DEFAULT_PASSWORD}
            )
        )
        assert started["pendingApproval"] is False

    async def test_approving_twice_or_an_unknown_partner_exits_1(
        self, world: World, cli_env: None, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert await portico("partner", "approve", world.pia.email) == 0
        assert "approved" in capsys.readouterr().out
        assert await portico("partner", "approve", world.pia.email) == 1
        assert "PARTNER.NOT_PENDING" in capsys.readouterr().err
        assert await portico("partner", "approve", world.quinn.email) == 1
        assert await portico("partner", "reject", world.quinn.email) == 1
        assert await portico("partner", "approve", "nobody@example.com") == 1
        assert "no partner account nobody@example.com" in capsys.readouterr().err


class TestReject:
    async def test_rejected_partner_cannot_sign_in_and_is_told_why(
        self, world: World, cli_env: None, outbox: Outbox, session: AsyncSession
    ) -> None:
        token = await world.token(world.pia)
        code = await portico("partner", "reject", world.pia.email, "--reason", "No licence")
        assert code == 0
        mails = await _mails(
            outbox, world.pia.email, "Your Portico partner account was not approved"
        )
        assert len(mails) == 1 and "No licence" in mails[0].get_content()
        # the session ends at once, and signing in stops at the first step
        assert_error(await world.partner.get("/profile", token=token), 401, "ACCESS.TOKEN_INVALID")
        started = assert_ok(
            await world.partner.post(
                "/auth/login/initiate", {"email": world.pia.email, "password": DEFAULT_PASSWORD}
            )
        )
        assert started["mfaMethods"] == [] and started["pendingApproval"] is False
        assert started["accountStatus"]["code"] == "REJECTED"
        assert started["accountStatus"]["value"] == 10010205
        verify = await world.partner.post(
            "/auth/login/verify",
            {"sessionId": started["sessionId"], "mfaMethod": "EMAIL", "code": "000000"},
        )
        assert_error(verify, 403, "ACCESS.PERMISSION_DENIED")
        stored = (
            await session.execute(
                select(Account.status, Account.rejection_reason).where(Account.id == world.pia.id)
            )
        ).one()
        assert tuple(stored) == ("REJECTED", "No licence")
        # members keep their own accounts, but the rejected partner's workspace moves nothing
        for response in await world.try_every_money_move(await world.token(world.mel)):
            assert_error(response, 403, NOT_ACTIVE)
        await world.nothing_moved()
        # rejecting again is refused; approving later lets the partner back in
        assert await portico("partner", "reject", world.pia.email) == 1
        assert await portico("partner", "approve", world.pia.email) == 0
        assert_ok(
            await world.partner.post(
                *world.money_moves()[0],
                token=await world.token(world.pia),
                headers={"X-Workspace-Id": world.workspace.biz_id},
            ),
            "2001",
            201,
        )


class TestRegistration:
    async def test_a_registered_partner_waits_for_approval(
        self, world: World, outbox: Outbox
    ) -> None:
        started = assert_ok(
            await world.partner.post(
                "/auth/register/initiate",
                {"email": "nova@example.com", "password": DEFAULT_PASSWORD},
            )
        )
        assert started["pendingApproval"] is True
        code = await outbox.last_code("nova@example.com")
        tokens = assert_ok(
            await world.partner.post(
                "/auth/register/verify", {"sessionId": started["sessionId"], "code": code}
            )
        )
        key = await world.partner.post(
            "/api-keys", {"name": "k", "scopes": ["wallet:read"]}, token=tokens["accessToken"]
        )
        assert_error(key, 403, PENDING)
