"""Test fixtures (the helpers are in tests/support): a real database (SQLite, or PostgreSQL via
PORTICO_TEST_DATABASE_URL) built by the Alembic migrations, the app driven in-process over ASGI,
a mail outbox per test, one portal per test unless the portals differ, and the OAuth clients.

Under pytest-xdist each worker is a process of its own with its own session fixtures: its own
database (a SQLite file in its own temporary directory, or a PostgreSQL database of its own),
its own moto S3 server; every port is the kernel's pick and every file goes under `tmp_path`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiobotocore.session import get_session
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portico.accounts.models import Account
from portico.config import Settings, get_settings
from portico.db import Database
from portico.enums import AccountPortal
from portico.institutions.models import Institution
from portico.main import create_app
from portico.migrate import upgrade_database
from portico.runtime import runtime_of
from tests.factories.accounts import create_account
from tests.factories.institutions import InstitutionCodes, create_institution
from tests.factories.oauth import IssuerCredentials, create_issuer_client, mint_token
from tests.support.conformance import check_response
from tests.support.db import PG_URL, make_settings, scratch_pg_database, truncate
from tests.support.mail import Outbox
from tests.support.money import Money, alice_and_bob
from tests.support.oauth import IssuerApi, KeyCredentials, Realm, partner_key
from tests.support.portal import TEST_CLIENT_IP, Portal
from tests.support.servers import running_servers, server_env
from tests.support.storage import moto_server

# --- the portals ---------------------------------------------------------------------------
# A route is written once for both portals, so a test runs on one portal (the consumer's) by
# default; a test where the portals differ is marked `@pytest.mark.both_portals` (or its
# module `pytestmark = pytest.mark.both_portals`) and runs on each. Every portal route is also
# called on each portal by tests/web/test_every_route.py.
BOTH_PORTALS = (AccountPortal.CONSUMER, AccountPortal.PARTNER)
DEFAULT_PORTALS = (AccountPortal.CONSUMER,)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_portals: run on the consumer and the partner portal (they differ here)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "portal_kind" not in metafunc.fixturenames:
        return
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0] if marker.args else marker.kwargs.get("argnames", "")
        if isinstance(names, str):
            names = [name.strip() for name in names.split(",")]
        if {"portal", "portal_kind"} & set(names):
            return  # the test chose its portal(s) itself
    both = metafunc.definition.get_closest_marker("both_portals") is not None
    kinds = BOTH_PORTALS if both else DEFAULT_PORTALS
    metafunc.parametrize("portal_kind", kinds, ids=[k.value.lower() for k in kinds])


@pytest.fixture
def portal_kind() -> AccountPortal:
    """The portal of the test (parametrised by `pytest_generate_tests` above)."""
    return AccountPortal.CONSUMER


# --- the database, the app -----------------------------------------------------------------


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database for the whole run (of each xdist worker).

    On PostgreSQL each run creates its own database next to the configured one and drops it
    afterwards, so parallel runs on one server never see each other's data.
    """
    if not PG_URL:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        upgrade_database(Settings(database_url=url))
        yield url
        return
    with scratch_pg_database("portico_test") as url:
        upgrade_database(Settings(database_url=url))
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database.from_url(settings.resolved_database_url, pool_size=settings.database_pool_size)
    yield db
    await truncate(db)
    await db.dispose()


@pytest.fixture
async def session(database: Database) -> AsyncIterator[AsyncSession]:
    """A session for arranging and inspecting data (without the app's workspace scope guard);
    commit what the app must see."""
    async with async_sessionmaker(database.engine, expire_on_commit=False)() as s:
        yield s


@pytest.fixture
async def app(settings: Settings, database: Database) -> AsyncIterator[Any]:
    application = create_app(settings, database=database)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI; every portal answer is checked against `/openapi.json`."""
    transport = httpx.ASGITransport(app=app, client=(TEST_CLIENT_IP, 40000))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://portico.test",
        event_hooks={"response": [check_response]},
    ) as client:
        yield client


@pytest.fixture
async def institution(session: AsyncSession) -> InstitutionCodes:
    codes = await create_institution(session)
    await session.commit()
    return codes


@pytest.fixture
def outbox(settings: Settings, app: Any) -> Outbox:
    return Outbox(directory=settings.resolved_mail_outbox_dir, app=app)


@pytest.fixture
def portal(
    portal_kind: AccountPortal,
    app: Any,
    http: httpx.AsyncClient,
    session: AsyncSession,
    institution: InstitutionCodes,
    outbox: Outbox,
) -> Portal:
    """The test's portal (the consumer's, or each one for a `both_portals` test)."""
    return Portal(
        http,
        portal_kind,
        institution.code(portal_kind),
        outbox,
        app=app,
        session=session,
        institution=institution,
    )


@pytest.fixture
async def account(session: AsyncSession, institution: InstitutionCodes, portal: Portal) -> Any:
    created = await create_account(
        session, institution_id=institution.institution_id, portal=portal.portal
    )
    await session.commit()
    return created


@pytest.fixture
async def money(portal: Portal, session: AsyncSession, institution: InstitutionCodes) -> Money:
    """On the test's portal, Alice and Bob, each owning a LIVE workspace and signed in."""
    return await alice_and_bob(portal, session, institution)


# --- server processes, the command line, S3 ------------------------------------------------


@pytest.fixture
def servers(settings: Settings, database: Any, tmp_path: Path) -> Iterator[list[str]]:
    """Two `uvicorn` processes serving the test database with the same secret."""
    with running_servers(server_env(settings, tmp_path / "var"), 2) as urls:
        yield urls


@pytest.fixture
def cli_env(
    database_url: str,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[None]:
    """`portico` commands against the test database (truncated after the test), with the
    app's secret key (secrets the commands digest must match the app's)."""
    monkeypatch.setenv("PORTICO_DATABASE_URL", database_url)
    monkeypatch.setenv("PORTICO_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("PORTICO_SECRET_KEY", settings.secret_key)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-compatible server over HTTP: moto's server mode, in a process of its own."""
    with moto_server() as url:
        yield url


@pytest.fixture
async def s3_bucket(s3_endpoint: str) -> str:
    """A fresh bucket on the test S3 server."""
    name = f"portico-{uuid.uuid4().hex[:12]}"
    async with get_session().create_client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ) as client:
        await client.create_bucket(Bucket=name)
    return name


# --- OAuth: the token endpoint, the issuer API ---------------------------------------------


@pytest.fixture
async def realm(session: AsyncSession, institution: InstitutionCodes) -> Realm:
    row = await session.get(Institution, institution.institution_id)
    assert row is not None
    return Realm(row.realm, row.issuer_id, row.id)


@pytest.fixture
async def issuer_client(app: Any, session: AsyncSession, realm: Realm) -> IssuerCredentials:
    credentials = await create_issuer_client(
        session, runtime_of(app).auth_kit, institution_id=realm.institution_id
    )
    await session.commit()
    return credentials


@pytest.fixture
async def api_key(app: Any, session: AsyncSession, realm: Realm) -> KeyCredentials:
    return await partner_key(app, session, realm)


@pytest.fixture
async def issuer_api(
    app: Any,
    http: httpx.AsyncClient,
    session: AsyncSession,
    realm: Realm,
    issuer_client: IssuerCredentials,
) -> IssuerApi:
    tokens = await mint_token(
        session, app, institution_id=realm.institution_id, issuer_client=issuer_client.client
    )
    await session.commit()
    return IssuerApi(http, realm.issuer_id, tokens.access_token, issuer_client)


@pytest.fixture
async def consumer(session: AsyncSession, realm: Realm) -> Account:
    account = await create_account(
        session,
        institution_id=realm.institution_id,
        portal=AccountPortal.CONSUMER,
        email="carol@example.com",
        name="Carol Danvers",
    )
    account.phone = "+14155550123"
    await session.commit()
    return account
