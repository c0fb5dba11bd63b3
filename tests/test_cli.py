"""The `portico` command."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portico import cli
from portico.accounts.models import Account
from portico.config import Settings, get_settings
from portico.db import Database
from portico.flows.demo import seed_demo
from portico.institutions.models import Institution, PortalAccessCode

PORTICO = Path(sys.executable).with_name("portico")  # the installed entry point


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`portico` commands run against the test database (truncated after the test)."""
    monkeypatch.setenv("PORTICO_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def command_paths(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command and group below `command`, as the words that name it."""
    yield path
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from command_paths(sub, (*path, name))


class TestDemo:
    async def test_seeds_once_and_is_idempotent(
        self, settings: Settings, database: Database, session: AsyncSession
    ) -> None:
        first = await seed_demo(settings)
        second = await seed_demo(settings)
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
    def test_generates_the_codes_not_given(
        self,
        cli_database: None,
        database: Database,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        argv = ["create-institution", "--name", "Acme Bank", "--consumer-code", "pac_acme_c"]
        assert cli.main(argv) == 0
        out = capsys.readouterr().out
        assert "consumer code     pac_acme_c\n" in out and "partner code      pac_" in out

    async def test_the_institution_is_stored(
        self, cli_database: None, database: Database, session: AsyncSession
    ) -> None:
        # the command runs its own event loop: give it a thread of its own
        assert await asyncio.to_thread(cli.main, ["create-institution", "--name", "Acme Bank"]) == 0
        name = (await session.execute(select(Institution.name))).scalar_one()
        assert name == "Acme Bank"

    def test_command_line(
        self, cli_database: None, database: Database, capsys: pytest.CaptureFixture[str]
    ) -> None:
        argv = ["create-institution", "--name", "CLI Bank", "--consumer-code", "pac_cli_c"]
        assert cli.main([*argv, "--partner-code", "pac_cli_p"]) == 0
        assert cli.main(["db", "upgrade"]) == 0
        out = capsys.readouterr().out
        assert "pac_cli_c" in out and "pac_cli_p" in out and "up to date" in out


class TestHelp:
    def test_every_command_has_help(self, capsys: pytest.CaptureFixture[str]) -> None:
        paths = list(command_paths(cli.root))
        assert ("recharge", "approve") in paths and ("secure-channel", "rotate-key") in paths
        for path in paths:
            assert cli.main([*path, "--help"]) == 0, path
            out = capsys.readouterr().out
            assert out.startswith(f"Usage: {' '.join(('portico', *path))} "), path
            for option in ("-h", "--help"):
                assert cli.main([*path, option]) == 0
            capsys.readouterr()

    def test_usage_errors_exit_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert cli.main(["nowhere"]) == 2
        assert "No such command 'nowhere'" in capsys.readouterr().err
        assert cli.main(["recharge", "approve"]) == 2
        assert "Missing argument 'BIZ_ID'" in capsys.readouterr().err
        assert cli.main(["serve", "--port", "eighty"]) == 2
        assert cli.main([]) == 2  # a group without a command shows its usage


class TestCompletion:
    def test_the_entry_point_prints_a_completion_script(self) -> None:
        for shell in ("bash", "zsh", "fish"):
            done = subprocess.run(  # noqa: S603 - our own entry point
                [str(PORTICO)],
                env={**os.environ, "_PORTICO_COMPLETE": f"{shell}_source"},
                capture_output=True,
                text=True,
                check=True,
            )
            assert "_PORTICO_COMPLETE" in done.stdout, shell

    @pytest.mark.parametrize(
        ("words", "expected"),
        [
            ("portico rech", {"recharge"}),
            ("portico recharge ", {"approve", "reject"}),
            ("portico secure-channel ", {"rotate-key"}),
            ("portico fx set --sp", {"--spread-bps"}),
        ],
    )
    def test_bash_completes_commands_and_options(
        self,
        words: str,
        expected: set[str],
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        monkeypatch.setenv("_PORTICO_COMPLETE", "bash_complete")
        monkeypatch.setenv("COMP_WORDS", words)
        monkeypatch.setenv("COMP_CWORD", str(len(words.split(" ")) - 1))
        assert cli.main([]) == 0
        offered = {line.split(",", 1)[1] for line in capsys.readouterr().out.splitlines()}
        assert offered == expected


def test_the_command_line_starts_without_importing_the_application() -> None:
    """The shell runs `portico` on every completion request: its modules import only Click,
    and each command imports what it runs when it runs (importing the app costs ~1 s)."""
    code = "import sys, portico.cli; print(' '.join(sorted(sys.modules)))"
    loaded = set(
        subprocess.run(  # noqa: S603 - this interpreter
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "portico.cli.issuer" in loaded
    heavy = {"sqlalchemy", "fastapi", "starlette", "pydantic", "alembic", "uvicorn", "portico.db"}
    assert heavy.isdisjoint(loaded)


class TestWorker:
    def test_on_sqlite_the_api_process_runs_the_jobs(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setenv("PORTICO_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
        get_settings.cache_clear()
        try:
            assert cli.main(["worker"]) == 1
        finally:
            get_settings.cache_clear()
        assert "`portico worker` needs PostgreSQL" in capsys.readouterr().err
        assert cli.main(["worker", "--concurrency", "0"]) == 2
