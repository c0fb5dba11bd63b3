"""The `portico` command."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico import cli
from portico.accounts.models import Account
from portico.config import Settings, get_settings
from portico.db import Database
from portico.institutions.models import Institution, PortalAccessCode


class TestDemo:
    async def test_seeds_once_and_is_idempotent(
        self, settings: Settings, database: Database, session: AsyncSession
    ) -> None:
        first = await cli.seed_demo(settings)
        second = await cli.seed_demo(settings)
        assert first == second
        assert "consumer@demo.portico / DemoPass123!" in "\n".join(first)
        assert (
            await session.execute(select(func.count()).select_from(Institution))
        ).scalar_one() == 1
        codes = set((await session.execute(select(PortalAccessCode.code))).scalars())
        assert codes == {"pac_demo_consumer", "pac_demo_partner"}
        accounts = (
            await session.execute(select(Account.email, Account.portal, Account.pending_approval))
        ).all()
        assert sorted(accounts) == [
            ("consumer@demo.portico", "CONSUMER", False),
            ("partner@demo.portico", "PARTNER", False),
        ]


class TestCreateInstitution:
    async def test_creates_codes(
        self, settings: Settings, database: Database, session: AsyncSession
    ) -> None:
        lines = await cli.create_institution(settings, "Acme Bank", "pac_acme_c", None)
        text = "\n".join(lines)
        assert "pac_acme_c" in text and "partner code      pac_" in text
        name = (await session.execute(select(Institution.name))).scalar_one()
        assert name == "Acme Bank"

    def test_command_line(
        self,
        database_url: str,
        database: Database,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        monkeypatch.setenv("PORTICO_DATABASE_URL", database_url)
        get_settings.cache_clear()
        try:
            assert (
                cli.main(
                    [
                        "create-institution",
                        "--name",
                        "CLI Bank",
                        "--consumer-code",
                        "pac_cli_c",
                        "--partner-code",
                        "pac_cli_p",
                    ]
                )
                == 0
            )
            assert cli.main(["db", "upgrade"]) == 0
        finally:
            get_settings.cache_clear()
        out = capsys.readouterr().out
        assert "pac_cli_c" in out and "pac_cli_p" in out and "up to date" in out
