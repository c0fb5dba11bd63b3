"""The process's runtime: everything a request, a page or a job takes from the process, built
once by the app factory and held in one typed object (`app.state.runtime`).

Routes take what they need through the `Annotated` dependencies in `portico.deps`
(`RuntimeDep`, `SettingsDep`, `AuthKitDep`, ...); code holding only the ASGI scope or the app
(the short paths, the pages, the tests) calls `runtime_of(app)`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from starlette.applications import Starlette

from portico.config import Settings
from portico.crypto import BlindIndex
from portico.db import Database
from portico.enums import AccountPortal
from portico.institutions.service import AccessCode
from portico.jobs.app import build_jobs
from portico.jobs.queue import JobQueue
from portico.jobs.runtime import JobRuntime
from portico.mail.sender import Mailer
from portico.oauth.keys import Keyring
from portico.security.kit import AuthKit
from portico.storage import Storage, build_storage

if TYPE_CHECKING:  # (the pages import this module: the app factory builds their jar)
    from portico.pages.state import CookieJar

# A validated portal access code and until when (monotonic) it is taken as valid.
PortalCode = tuple[float, AccessCode]


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    database: Database
    auth_kit: AuthKit  # what sign-in and the sessions need (hasher, tokens, box, mailer)
    keyring: Keyring  # the OAuth2 signing keys
    storage: Storage
    blind_index: BlindIndex
    jobs: JobQueue
    pages_cookie_jar: CookieJar
    # The short path's bookings in flight at once (`Settings.database_booking_concurrency`).
    booking_slots: asyncio.Semaphore | None
    # Caches of this process, filled on first use.
    portal_codes: dict[str, PortalCode] = field(default_factory=dict)
    pages_access_codes: dict[AccountPortal, str] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, database: Database, pages_cookie_jar: CookieJar) -> Runtime:
        kit = AuthKit.build(settings, database, Mailer(settings))
        return cls(
            settings=settings,
            database=database,
            auth_kit=kit,
            keyring=Keyring(database, kit.box),
            storage=build_storage(settings),
            blind_index=BlindIndex(settings),
            jobs=build_jobs(settings),
            pages_cookie_jar=pages_cookie_jar,
            booking_slots=(
                asyncio.Semaphore(settings.database_booking_concurrency)
                if settings.database_booking_concurrency
                else None
            ),
        )

    @property
    def mailer(self) -> Mailer:
        return self.auth_kit.mailer

    def for_jobs(self) -> JobRuntime:
        """What a job runs with (in this process or in `portico worker`)."""
        return JobRuntime(self.settings, self.database, self.storage)

    async def open(self) -> None:
        await self.auth_kit.hasher.dummy_hash()  # so the first unknown-email login costs the same
        await self.keyring.jwks()  # the signing key exists before any request needs it
        await self.storage.open()
        if self.settings.runs_jobs_in_process:
            await self.jobs.start_worker(self.for_jobs())

    async def close(self) -> None:
        await self.jobs.close()
        await self.mailer.drain()
        await self.storage.close()
        self.auth_kit.hasher.close()
        await self.database.dispose()


def runtime_of(app: Starlette) -> Runtime:
    """The runtime of a Portico app (`create_app`)."""
    return cast(Runtime, app.state.runtime)
