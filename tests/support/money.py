"""The money tests' users: on a portal, Alice (owner of a LIVE workspace, signed in) and Bob, a
second account of the institution; helpers to fund wallets and call the workspace's routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from portico.accounts.models import Account
from portico.workspaces.models import Workspace
from tests.factories.accounts import create_account
from tests.factories.institutions import InstitutionCodes
from tests.factories.money import fund_wallet
from tests.factories.workspaces import owned_workspace
from tests.support.portal import Portal


@dataclass
class User:
    account: Account
    workspace: Workspace
    token: str
    portal: Portal

    async def post(
        self, path: str, body: Any = None, *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.portal.post(path, body, token=self.token, headers=headers or {})

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.portal.get(path, token=self.token, params=params)

    @property
    def transfers(self) -> str:
        """`/transfer` on the consumer portal, `/transfers` on the partner portal."""
        return "/transfer" if self.portal.prefix.endswith("consumer") else "/transfers"


@dataclass
class Money:
    session: AsyncSession
    institution: InstitutionCodes
    alice: User
    bob: User

    async def fund(self, user: User, currency: str = "USD", amount: str = "100") -> str:
        """Credit `amount` to the user's wallet of `currency`; returns the wallet bizId."""
        wallet = await fund_wallet(
            self.session, workspace=user.workspace, currency=currency, amount=amount
        )
        await self.session.commit()
        return wallet.biz_id


async def alice_and_bob(
    portal: Portal, session: AsyncSession, institution: InstitutionCodes
) -> Money:
    """Alice and Bob on `portal`, each owning a LIVE workspace and signed in (sessions opened
    by the session service: the sign-in is tested in tests/auth)."""
    users = {}
    for name in ("alice", "bob"):
        account = await create_account(
            session,
            institution_id=institution.institution_id,
            portal=portal.portal,
            email=f"{name}@example.com",
            name=name.capitalize(),
        )
        workspace = await owned_workspace(session, owner=account)
        users[name] = (account, workspace)
    await session.commit()
    made = {}
    for name, (account, workspace) in users.items():
        token = await portal.token(account)
        made[name] = User(account=account, workspace=workspace, token=token, portal=portal)
    return Money(session=session, institution=institution, alice=made["alice"], bob=made["bob"])
