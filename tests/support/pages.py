"""The browser tests' site (one `portico serve` on a database of its own) and their helpers:
blocking calls off Playwright's event loop, fresh addresses, screenshots."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portico.config import Settings
from portico.db import in_transaction
from tests.factories.institutions import InstitutionCodes

if TYPE_CHECKING:
    from playwright.sync_api import Page

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


def new_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
