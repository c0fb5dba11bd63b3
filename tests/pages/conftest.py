"""Browser tests of the web pages: one `portico serve` on a database of its own, one headless
Debian Chromium for the whole run (Playwright, never a downloaded browser), a new context (a
clean cookie jar) per test. Skipped only where /usr/bin/chromium is absent; CI installs it."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from portico.config import Settings
from portico.db import in_transaction
from portico.demo import seed_demo_money
from portico.migrate import upgrade_database
from tests.conftest import PG_URL, make_settings, running_servers, scratch_pg_database, server_env
from tests.factories.institutions import InstitutionCodes, create_institution

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "Browser-Pass-2026!"

if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True
    )

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402


def blocking(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run `function` in a thread of its own: Playwright's sync API keeps an event loop
    running in this one, so `asyncio.run` (the database, the migrations) must go elsewhere."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def run_async(coroutine: Any) -> Any:
    return blocking(asyncio.run, coroutine)


@dataclass
class Site:
    url: str
    database_url: str
    settings: Settings
    institution: InstitutionCodes
    mail_dir: Path

    def run(self, work: Any) -> Any:
        """`work(session)` in a transaction of its own on the site's database."""
        return run_async(in_transaction(self.database_url, work))

    def mail_code(self, to: str, after: float, timeout: float = 20) -> str:
        """The 6-digit code of the newest mail to `to` written after `after`."""
        return self._mail(to, after, timeout, r"\b(\d{6})\b")

    def mail_link(self, to: str, after: float, timeout: float = 20) -> str:
        return self._mail(to, after, timeout, r"(https?://\S+reset-password\?token=[\w-]+)")

    def _mail(self, to: str, after: float, timeout: float, pattern: str) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for path in sorted(
                self.mail_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True
            ):
                if path.stat().st_mtime < after - 1:
                    continue
                message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                if to.lower() not in str(message["To"]).lower():
                    continue
                body = message.get_body(preferencelist=("plain",))
                found = re.search(pattern, body.get_content() if body else "")
                if found:
                    path.unlink()  # read once: the next code is the next mail
                    return found.group(1)
            time.sleep(0.2)
        raise AssertionError(f"no mail to {to}")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("pages")

    def start(url: str) -> Iterator[Site]:
        settings = make_settings(url, tmp)
        blocking(upgrade_database, settings)

        async def arrange(session: Any) -> InstitutionCodes:
            codes = await create_institution(session, name="Browser Test Bank")
            await seed_demo_money(session, codes.institution_id)
            return codes

        institution = run_async(in_transaction(url, arrange))
        env = server_env(
            settings,
            tmp / "var",
            PORTICO_WEB_CONSUMER_ACCESS_CODE=institution.consumer,
            PORTICO_WEB_PARTNER_ACCESS_CODE=institution.partner,
            PORTICO_JOBS_IN_PROCESS="true",
            PORTICO_LOG_LEVEL="ERROR",
        )
        with running_servers(env, 1, cli=True) as urls:
            yield Site(urls[0], url, settings, institution, settings.resolved_mail_outbox_dir)

    if PG_URL:
        # entered and left in a thread: it runs its own event loop
        scratch = scratch_pg_database("portico_pages")
        url = blocking(scratch.__enter__)
        try:
            yield from start(url)
        finally:
            blocking(scratch.__exit__, None, None, None)
    else:
        yield from start(f"sqlite+aiosqlite:///{tmp / 'pages.db'}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Module scope: while Playwright's sync API is open its event loop runs in the main thread,
    # and any later test that starts a loop of its own there (asyncio.run, pytest-asyncio) fails;
    # closing it after each module keeps the order of the tests free.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    context = browser.new_context(base_url=site.url, accept_downloads=True)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


def new_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
