"""Browser tests of the web pages: one `portico serve` on a database of its own, one headless
Debian Chromium for the package's tests (Playwright, never a downloaded browser), a new context
(a clean cookie jar) per test. Skipped only where /usr/bin/chromium is absent; CI installs it.

The site is package-scoped and the browser module-scoped: while Playwright's sync API is open it
keeps an event loop running in this thread, and every async test after it in the same process
would fail ("Runner.run() cannot be called from a running event loop")."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from portico.db import in_transaction
from portico.flows.demo import seed_demo_money
from portico.migrate import upgrade_database
from tests.factories.institutions import InstitutionCodes, create_institution
from tests.support.db import PG_URL, make_settings, scratch_pg_database
from tests.support.pages import CHROMIUM, CHROMIUM_ARGS, Site, blocking, run_async
from tests.support.servers import running_servers, server_env

if not CHROMIUM.exists():
    # CI installs it and sets PORTICO_REQUIRE_BROWSER=1: there a missing browser is a failure.
    if os.environ.get("PORTICO_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium")
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True
    )

from playwright.sync_api import Browser, Page, sync_playwright


@pytest.fixture(scope="package")
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
