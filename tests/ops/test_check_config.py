"""`portico check-config` and `PORTICO_ENV=production`: every setting with its source, one line
per production problem, and `portico serve` refusing to start on one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portico import cli
from portico.config import Settings
from portico.ops.config_check import problems

SAFE = {
    "PORTICO_SECRET_KEY": "k" * 48,
    "PORTICO_ENCRYPTION_KEY": "uVv5lB2C1oZbGx3tqD2-3sYvW8yJ1N0sP2XfC6e6zQk=",
    "PORTICO_MAIL_BACKEND": "smtp",
    "PORTICO_DATABASE_URL": "postgresql+asyncpg://portico:hunter2@db.internal/portico",
    "PORTICO_TRUSTED_PROXIES": '["10.0.0.0/8", "192.168.1.7"]',
}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("PORTICO_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.setenv("PORTICO_VAR_DIR", str(tmp_path / "var"))
    return monkeypatch


def run(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = cli.main(["check-config", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_safe_configuration_passes_and_shows_sources(
    environment: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in SAFE.items():
        environment.setenv(name, value)
    (tmp_path / ".env").write_text("PORTICO_SMTP_HOST=relay.internal\n")
    status, out, err = run("--workers", "4", capsys=capsys)
    assert (status, err) == (0, "")
    shown = dict(line.split(" = ", 1) for line in out.splitlines()[:-1])
    assert set(shown) == set(Settings.model_fields)
    assert shown["secret_key"] == "(set)  (environment PORTICO_SECRET_KEY)"
    assert shown["smtp_host"] == "'relay.internal'  (.env PORTICO_SMTP_HOST)"
    assert shown["smtp_port"] == "25  (default)"
    assert (
        "hunter2" not in out and "k" * 48 not in out and SAFE["PORTICO_ENCRYPTION_KEY"] not in out
    )
    assert shown["database_url"].startswith("postgresql+asyncpg://portico:***@db.internal")
    assert out.splitlines()[-1] == "no problem for production"


def test_every_problem_is_one_line(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.setenv("PORTICO_TRUSTED_PROXIES", '["10.0.0.0/8", "173.245.48.0/20", "0.0.0.0/0"]')
    status, _, err = run("--workers", "2", capsys=capsys)
    assert status == 1
    lines = err.splitlines()
    assert len(lines) == 5 and all(
        line.startswith("problem: PORTICO_") or "SQLite" in line for line in lines
    )
    text = "\n".join(lines)
    assert "PORTICO_SECRET_KEY is not set" in text
    assert "SQLite with --workers 2" in text
    assert "PORTICO_MAIL_BACKEND is file" in text
    assert "public ranges (173.245.48.0/20, 0.0.0.0/0)" in text and "10.0.0.0/8" not in text
    assert "PORTICO_ENCRYPTION_KEY is not set" in text


def test_one_worker_on_sqlite_and_a_short_key(tmp_path: Path) -> None:
    settings = Settings(
        var_dir=tmp_path,
        secret_key="short",
        encryption_key="x",
        mail_backend="smtp",
        trusted_proxies=["127.0.0.1", "::1", "fd00::/8"],
    )
    assert problems(settings, workers=1) == ["PORTICO_SECRET_KEY is shorter than 32 characters"]


def test_production_serve_refuses_to_start(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PORTICO_")},
        "PORTICO_ENV": "production",
        "PORTICO_VAR_DIR": str(tmp_path / "var"),
        "PORTICO_SECRET_KEY": "k" * 48,
        "PORTICO_ENCRYPTION_KEY": SAFE["PORTICO_ENCRYPTION_KEY"],
    }
    done = subprocess.run(
        [sys.executable, "-m", "portico.cli", "serve", "--port", "1"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"problem: PORTICO_MAIL_BACKEND is file: mail is written to {tmp_path / 'var' / 'mail'} "
        "and never delivered; use smtp",
        "refusing to start: PORTICO_ENV is production",
    ]
