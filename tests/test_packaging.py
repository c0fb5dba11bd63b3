"""The package is self-contained: a wheel built from the sources, installed with its
dependencies into a fresh virtual environment outside the checkout, migrates a database, seeds
the demo and serves, run from a directory outside the checkout.

It is about packaging, not the database backend: it always uses a SQLite file of its own,
whatever backend the rest of the suite runs on."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

# One xdist worker runs the module: its module-scoped fixtures are set up once.
pytestmark = pytest.mark.xdist_group("packaging")

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "src")


@dataclass
class Installed:
    venv: Path
    workdir: Path  # outside the checkout: every command runs here
    env: dict[str, str]

    def run(self, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - the installed entry point
            [str(self.venv / "bin" / argv[0]), *argv[1:]],
            cwd=self.workdir,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )


def _clean_env() -> dict[str, str]:
    """This process's environment without anything pointing at the checkout or its settings."""
    dropped = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    return {
        key: value
        for key, value in os.environ.items()
        if key not in dropped and not key.startswith("PORTICO_")
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """`pip wheel` of a copy of the sources, installed into a new venv with its dependencies."""
    work = tmp_path_factory.mktemp("packaging").resolve()
    assert not work.is_relative_to(ROOT)
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    env = _clean_env()
    # a copy, so the build's own `build/` and `*.egg-info` stay out of the checkout
    subprocess.run(  # noqa: S603 - this interpreter's pip
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), "."],
        cwd=source,
        env=env,
        check=True,
        timeout=300,
    )
    (wheel,) = (work / "dist").glob("portico-*.whl")
    venv = work / "venv"
    # No pip inside the venv (this interpreter's pip installs into it) and no byte-compiling of
    # every dependency at install time (what runs is compiled when first imported): about half
    # the time of a plain `venv` + `pip install`, the dependencies still fetched and installed.
    subprocess.run(  # noqa: S603 - this interpreter
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], env=env, check=True, timeout=60
    )
    into_venv = ["--python", str(venv / "bin" / "python"), "install", "-q", "--no-compile"]
    subprocess.run(  # noqa: S603 - this interpreter's pip, installing into the new venv
        [sys.executable, "-m", "pip", *into_venv, str(wheel)],
        cwd=work,
        env=env,
        check=True,
        timeout=600,
    )
    workdir = work / "run"
    workdir.mkdir()
    env |= {"PORTICO_VAR_DIR": str(workdir / "var"), "PORTICO_LOG_LEVEL": "WARNING"}
    return Installed(venv=venv, workdir=workdir, env=env)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_package_comes_from_the_new_venv(installed: Installed) -> None:
    where = installed.run("python", "-c", "import portico; print(portico.__file__)").stdout
    module = Path(where.strip()).resolve()
    assert module.is_relative_to(installed.venv.resolve())
    assert not module.is_relative_to(ROOT)
    # the migrations are package data of the wheel, not files of the checkout
    assert list((module.parent / "migrations" / "versions").glob("*.py"))


def test_migrate_seed_and_serve(installed: Installed) -> None:
    database = installed.workdir / "var" / "portico.db"
    upgraded = installed.run("portico", "db", "upgrade")
    assert upgraded.stdout == f"database is up to date (sqlite+aiosqlite:///{database})\n"
    assert database.is_file()
    seeded = installed.run("portico", "demo")
    assert "consumer          consumer@demo.portico / DemoPass123!" in seeded.stdout
    assert "portico" in installed.run("portico", "--help").stdout
    script = installed.run("portico", _PORTICO_COMPLETE="bash_source").stdout
    assert "_PORTICO_COMPLETE=bash_complete" in script

    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - the installed entry point
        [str(installed.venv / "bin" / "portico"), "serve", "--port", str(port)],
        cwd=installed.workdir,
        env=installed.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()[0]
            try:
                health = httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert health.json() == {"status": "ok"}
        countries = httpx.get(
            f"{base}/web/v1/consumer/constants/countries",
            headers={"X-PORTAL-ACCESS-CODE": "pac_demo_consumer"},
            timeout=10,
        )
        assert countries.status_code == 200, countries.text
        body = countries.json()
        assert body["success"] is True and any(c["code"] == "CN" for c in body["data"])
        # the web pages: templates, text and static files are package data too
        landing = httpx.get(f"{base}/", timeout=10)
        assert landing.status_code == 200 and "/consumer/" in landing.text
        sign_in = httpx.get(f"{base}/partner/sign-in", timeout=10)
        assert sign_in.status_code == 200 and "Sign in" in sign_in.text
        for asset in ("portico.css", "portico.js", "vendor/chart.js/chart.umd.min.js"):
            assert httpx.get(f"{base}/assets/{asset}", timeout=10).status_code == 200, asset
    finally:
        server.terminate()
        server.wait(timeout=30)
