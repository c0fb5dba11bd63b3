"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, select

import portico
from portico.accounts.models import Account
from portico.config import Settings
from portico.db import Database, create_engine, table_of, utcnow
from portico.institutions.models import Institution
from portico.invitations.models import Invitation
from portico.migrate import SCRIPT_LOCATION, upgrade_database
from portico.models import Base
from portico.security.models import MfaEnrollment
from portico.withdrawals.models import WithdrawalChannel
from portico.workspaces.models import Workspace, WorkspaceMember, WorkspaceRole
from tests.support.db import PG_URL, scratch_pg_database

ROOT = Path(__file__).resolve().parents[1]


async def test_models_match_migrations(database: Database) -> None:
    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with database.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


def test_the_checkout_and_the_package_use_the_same_migrations() -> None:
    """`alembic` run from the checkout (alembic.ini) and `portico db upgrade` (the package)
    read the one copy inside the package, which has a single head."""
    checkout = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini")))
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    package = ScriptDirectory.from_config(config)
    inside = Path(portico.__file__).parent / "migrations"
    assert Path(checkout.dir).resolve() == Path(package.dir).resolve() == inside.resolve()
    assert len(package.get_heads()) == 1
    assert (inside / "versions").is_dir() and list((inside / "versions").glob("*.py"))


BEFORE_UNIQUE_RULES = "67906b5de2ce"


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (not the run's migrated one)."""
    if not PG_URL:
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    with scratch_pg_database("portico_old") as url:
        yield url


def _insert(model: Any, **values: Any) -> Any:
    return insert(table_of(model)).values(**values).returning(table_of(model).c.id)


async def _old_rows_that_break_the_rules(url: str) -> dict[str, int]:
    """What parallel requests could leave behind before the rules were enforced."""
    engine = create_engine(url, null_pool=True)
    ids: dict[str, int] = {}
    try:
        async with engine.begin() as c:

            async def add(label: str, model: Any, **values: Any) -> int:
                ids[label] = int((await c.execute(_insert(model, **values))).scalar_one())
                return ids[label]

            institution = await add("institution", Institution, biz_id="I", issuer_id="I", name="I")
            for who in ("alice", "bob"):
                await add(
                    who,
                    Account,
                    biz_id=who,
                    institution_id=institution,
                    portal="CONSUMER",
                    email=f"{who}@example.com",
                    password_hash="x",
                )
            for n in (1, 2):
                workspace = await add(
                    f"w{n}", Workspace, biz_id=f"w{n}", institution_id=institution, name="W"
                )
                await add(
                    f"role{n}",
                    WorkspaceRole,
                    biz_id=f"r{n}",
                    workspace_id=workspace,
                    name="Owner",
                    role_type="OWNER",
                )
                await add(
                    f"alice_in_w{n}",
                    WorkspaceMember,
                    workspace_id=workspace,
                    account_id=ids["alice"],
                    role_id=ids[f"role{n}"],
                    join_source="CREATION",
                    is_owner=True,
                    is_default=True,  # both default: the bug of issue 10 §7
                )
            # bob: a member of w1 with no default at all
            await add(
                "bob_in_w1",
                WorkspaceMember,
                workspace_id=ids["w1"],
                account_id=ids["bob"],
                role_id=ids["role1"],
                join_source="INVITATION",
            )
            for name in ("Auditors", "AUDITORS", "auditors"):
                await add(
                    name,
                    WorkspaceRole,
                    biz_id=name[:6] + str(len(ids)),
                    workspace_id=ids["w1"],
                    name=name,
                    role_type="CUSTOM",
                )
            await add(
                "totp_enabled",
                MfaEnrollment,
                account_id=ids["alice"],
                method="TOTP",
                is_enabled=True,
            )
            await add(
                "totp_pending",
                MfaEnrollment,
                account_id=ids["alice"],
                method="TOTP",
                is_enabled=False,
            )
            for n in (1, 2):
                await add(
                    f"invitation{n}",
                    Invitation,
                    biz_id=f"inv{n}",
                    workspace_id=ids["w1"],
                    portal="CONSUMER",
                    email="carol@example.com",
                    role_id=ids["role1"],
                    invited_by="alice",
                    status="PENDING",
                    expires_at=utcnow() + timedelta(days=7),
                )
                await add(
                    f"channel{n}",
                    WithdrawalChannel,
                    biz_id=f"ch{n}",
                    workspace_id=ids["w1"],
                    channel_type="BANK_TRANSFER",
                    channel_name="Bank",
                    currency="USD",
                    is_default=True,
                )
    finally:
        await engine.dispose()
    return ids


async def test_unique_rules_migration_puts_old_rows_right(fresh_database_url: str) -> None:
    settings = Settings(database_url=fresh_database_url)
    await asyncio.to_thread(upgrade_database, settings, BEFORE_UNIQUE_RULES)
    ids = await _old_rows_that_break_the_rules(fresh_database_url)
    await asyncio.to_thread(upgrade_database, settings)

    engine = create_engine(fresh_database_url, null_pool=True)
    try:
        async with engine.connect() as c:

            async def rows(statement: Any) -> list[Any]:
                return list((await c.execute(statement)).all())

            assert await rows(select(MfaEnrollment.id)) == [(ids["totp_enabled"],)]
            assert await rows(select(Invitation.id, Invitation.status).order_by(Invitation.id)) == [
                (ids["invitation1"], "CANCELLED"),
                (ids["invitation2"], "PENDING"),
            ]
            defaults = select(WorkspaceMember.id).where(WorkspaceMember.is_default.is_(True))
            assert sorted(await rows(defaults.order_by(WorkspaceMember.id))) == [
                (ids["alice_in_w1"],),
                (ids["bob_in_w1"],),
            ]
            channels = select(WithdrawalChannel.id).where(WithdrawalChannel.is_default.is_(True))
            assert await rows(channels) == [(ids["channel1"],)]
            names = select(WorkspaceRole.name, WorkspaceRole.name_key).where(
                WorkspaceRole.workspace_id == ids["w1"], WorkspaceRole.role_type == "CUSTOM"
            )
            assert await rows(names.order_by(WorkspaceRole.id)) == [
                ("Auditors", "auditors"),
                ("AUDITORS (2)", "auditors (2)"),
                ("auditors (3)", "auditors (3)"),
            ]
    finally:
        await engine.dispose()


BEFORE_REALMS = "c42d0fa97021"


async def test_the_realm_migration_keeps_institutions_and_what_hangs_off_them(
    fresh_database_url: str,
) -> None:
    settings = Settings(database_url=fresh_database_url)
    await asyncio.to_thread(upgrade_database, settings, BEFORE_REALMS)
    engine = create_engine(fresh_database_url, null_pool=True)
    try:
        async with engine.begin() as c:
            institution = (
                await c.execute(_insert(Institution, biz_id="I", issuer_id="ISSUER0001", name="I"))
            ).scalar_one()
            await c.execute(
                _insert(
                    Account,
                    biz_id="alice",
                    institution_id=institution,
                    portal="CONSUMER",
                    email="alice@example.com",
                    password_hash="x",
                )
            )
        await asyncio.to_thread(upgrade_database, settings)
        async with engine.connect() as c:
            assert (await c.execute(select(Institution.realm))).all() == [("ISSUER0001",)]
            assert (await c.execute(select(Account.biz_id))).all() == [("alice",)]
    finally:
        await engine.dispose()
