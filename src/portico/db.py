"""Database plumbing: the declarative base, the engine, and the request's unit of work."""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import (
    BigInteger,
    DateTime,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    UniqueConstraint,
    event,
    make_url,
    select,
    update,
)
from sqlalchemy.engine import CursorResult, Dialect, Result
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from portico.config import get_settings
from portico.errors import AppError
from portico.tenancy import AppSession

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

AFTER_COMMIT_KEY = "portico.after_commit"
ON_ROLLBACK_KEY = "portico.on_rollback"
AfterCommit = Callable[[], Awaitable[None]]
T = TypeVar("T")
logger = logging.getLogger("portico.db")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


E = TypeVar("E", bound=StrEnum)


class EnumColumn(TypeDecorator[E]):
    """A `StrEnum` stored as its value in a VARCHAR(length): rows load as the enum, so no
    call site wraps a column's value again. Binds are not checked (a filter with an unknown
    value matches nothing rather than failing)."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identities.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class (for statements that skip the ORM's unit of work)."""
    return cast(Table, model.__table__)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


async def lock_row(session: AsyncSession, model: type[Base], row_id: int) -> None:
    """Make this transaction the only writer under one parent row (an account, a workspace).

    Rules checked before a write ("at most 100 pending invitations", "one TOTP enrolment per
    account") take this lock before they read, so parallel requests run them one at a time.
    PostgreSQL: `SELECT … FOR NO KEY UPDATE` (inserts that reference the row are not blocked).
    SQLite has one writer at a time and the first write of a transaction takes the database's
    write lock, so a no-op write of the row's `updated_at` (no foreign key refers to it, so no
    child table is checked) is the lock; the reads after it see every commit.
    """
    table = table_of(model)
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(table).where(table.c.id == row_id).values(updated_at=table.c.updated_at)
        )
    else:
        await session.execute(
            select(table.c.id).where(table.c.id == row_id).with_for_update(key_share=True)
        )


def affected_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched (one spelling for every conditional write)."""
    return int(cast("CursorResult[Any]", result).rowcount)


def unique_violation(exc: IntegrityError, rule: Index | UniqueConstraint) -> bool:
    """Whether `exc` is a breach of the unique index or constraint `rule` (PostgreSQL names
    it; SQLite names its table and columns)."""
    name = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
    if name is not None:
        return bool(name == rule.name)
    table = cast(Table, rule.table)
    columns = ", ".join(f"{table.name}.{column.name}" for column in rule.columns)
    return str(exc.orig) == f"UNIQUE constraint failed: {columns}"


async def flush_unique(
    session: AsyncSession, rule: Index | UniqueConstraint, error: AppError
) -> None:
    """Flush; a breach of `rule` (a parallel request won the race) becomes `error`, the rule's
    business error. Nothing of the request is kept: the unit of work rolls back."""
    try:
        await session.flush()
    except IntegrityError as exc:
        if unique_violation(exc, rule):
            raise error from exc
        raise


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the single writer; writers wait instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _discard_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection whose socket the server has closed (a database restart, an
    ended backend): the pool then opens a fresh one. A local check, no round trip."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    is_closed = getattr(driver, "is_closed", None)
    if callable(is_closed) and is_closed():
        raise DisconnectionError()


READS_ONLY = "portico_reads_only"
PGBOUNCER = "portico.pgbouncer"
_LOCKING = re.compile(r"\bFOR\s+(UPDATE|NO\s+KEY\s+UPDATE|SHARE|KEY\s+SHARE)\b", re.IGNORECASE)


class WriteInARead(RuntimeError):
    """A GET/HEAD request tried to write or lock (its statements run without a transaction)."""


def _reads_only(
    connection: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any, _many: bool
) -> None:
    if not connection.get_execution_options().get(READS_ONLY):
        return
    if not statement.lstrip()[:6].upper() == "SELECT" or _LOCKING.search(statement):
        raise WriteInARead(f"a read request may only SELECT: {statement[:200]}")


def _statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"


def create_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 20,
    null_pool: bool = False,
    pgbouncer: bool | None = None,
) -> AsyncEngine:
    """An async engine for `sqlite+aiosqlite://` or `postgresql+asyncpg://` URLs.

    `pgbouncer`: the URL is PgBouncer in transaction-pooling mode, where consecutive
    transactions of one client connection may run on different server connections. asyncpg's
    statement cache is off and SQLAlchemy's too (a statement prepared in one transaction is
    unknown to the next one's server connection), and each prepared statement gets a unique
    name (two clients' `__asyncpg_stmt_1__` would collide on one server connection): what the
    SQLAlchemy asyncpg dialect's documentation prescribes for PgBouncer. None: as the process's
    settings say (`PORTICO_DATABASE_POOLING`), for commands and jobs."""
    kwargs: dict[str, Any] = {"echo": echo}
    if pgbouncer is None:
        pgbouncer = get_settings().database_pooling == "pgbouncer"
    if pgbouncer and url.startswith("postgresql"):
        kwargs["connect_args"] = {
            "statement_cache_size": 0,
            "prepared_statement_name_func": _statement_name,
        }
        kwargs["execution_options"] = {PGBOUNCER: True}
        url = (
            make_url(url)
            .update_query_dict({"prepared_statement_cache_size": "0"})
            .render_as_string(hide_password=False)
        )
    if null_pool:
        kwargs["poolclass"] = NullPool
    else:
        # No `pool_pre_ping` (a round trip per request): a connection the server closed is
        # discarded at checkout without one (`_discard_closed`), and connections are renewed
        # every half hour against idle timeouts on the way. Up to half again as many connections
        # as `pool_size` open under load, and every one opened is kept: as overflow, each burst
        # past `pool_size` opened connections and closed them on return (asyncpg's connect, its
        # type introspection and each statement's prepare again: milliseconds of CPU each,
        # dozens a second under a read benchmark's load).
        kwargs.update(pool_size=pool_size + pool_size // 2, max_overflow=0, pool_recycle=1800)
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "checkout", _discard_closed)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        event.listen(engine.sync_engine, "before_cursor_execute", _reads_only)
    return engine


class Database:
    """The engines and session factories of one process, and its transactions.

    A request's work runs in the request's unit of work (`request_session`); a command's or a
    job's in `transaction()`; `side_transaction()` is the one way to write beside a unit of
    work (see there). Services never commit.
    """

    def __init__(self, engine: AsyncEngine, side_engine: AsyncEngine | None = None) -> None:
        self.engine = engine
        self.side_engine = side_engine or engine
        self.sessionmaker = async_sessionmaker(
            engine, expire_on_commit=False, autoflush=True, sync_session_class=AppSession
        )
        self._side_sessionmaker = async_sessionmaker(self.side_engine, expire_on_commit=False)
        # Reads (GET/HEAD) on PostgreSQL: no BEGIN and COMMIT round trips around their SELECTs.
        # At READ COMMITTED every statement has a snapshot of its own inside a transaction too,
        # so a read sees nothing different; anything but a plain SELECT is refused (`_reads_only`).
        self.read_sessionmaker = self.sessionmaker
        # Whether reads run their statements outside a transaction (PostgreSQL, not PgBouncer):
        # then `web.fast_reads` may run them straight on a pooled driver connection.
        self.reads_without_transaction = False
        # Not through PgBouncer: outside a transaction, a statement's prepare and its execution
        # could reach different server connections.
        if (
            engine.dialect.name == "postgresql"
            and not engine.sync_engine.get_execution_options().get(PGBOUNCER)
        ):
            self.read_sessionmaker = async_sessionmaker(
                engine.execution_options(isolation_level="AUTOCOMMIT", **{READS_ONLY: True}),
                expire_on_commit=False,
                autoflush=True,
                sync_session_class=AppSession,
            )
            self.reads_without_transaction = True

    @classmethod
    def from_url(
        cls, url: str, *, echo: bool = False, pool_size: int = 20, pgbouncer: bool | None = None
    ) -> Database:
        return cls(
            create_engine(url, echo=echo, pool_size=pool_size, pgbouncer=pgbouncer),
            create_engine(url, echo=echo, pool_size=4, pgbouncer=pgbouncer),
        )

    @classmethod
    def for_command(cls, url: str) -> Database:
        """A database for one command or test: no pool, a connection per transaction."""
        return cls(create_engine(url, null_pool=True))

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work for a command or a job, as `request_session` is for a request: commit
        on success, then run its `after_commit` actions; roll back on any error, then run its
        `on_rollback` actions."""
        async with self.sessionmaker() as session:
            try:
                yield session
            except BaseException:
                await _rolled_back(session)
                raise
            await _commit(session)

    @contextlib.asynccontextmanager
    async def side_transaction(self) -> AsyncIterator[AsyncSession]:
        """A short transaction of its own, committed at once, on a pool of its own.

        Why it exists: some writes must not share the fate or the connection of the unit of
        work that is running. Sign-in attempt counters must count even when the request is
        refused (its unit of work rolls back); session activity and the lease of a running
        export are bookkeeping that must not hold the request's write lock or wait for a
        connection from the pool the request or job already drains; signing keys and
        secure-channel keys and sessions are read and created while a request holds its own
        connection. Nothing else uses it: everything else is the request's unit of work or a
        command's or job's `transaction()`."""
        async with self._side_sessionmaker() as session, session.begin():
            yield session

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.side_engine is not self.engine:
            await self.side_engine.dispose()


async def stream_batches(
    database: Database, statement: Select[*tuple[Any, ...]], size: int
) -> AsyncGenerator[Sequence[Any]]:
    """The rows of a Core `statement`, `size` at a time, from a server-side cursor in a
    read-only transaction of its own (memory stays flat whatever the row count).

    On PostgreSQL the compiled statement runs on asyncpg's own cursor, so the rows come as
    asyncpg records with no SQLAlchemy row object (or result processing) per row: for a
    100,000-row export that was about a third of the time. Bind values go to asyncpg as they
    are, so the statement must not need bind processing beyond what asyncpg does itself (plain
    numbers, strings and aware datetimes)."""
    engine = database.engine
    async with engine.connect() as connection:
        if engine.dialect.name != "postgresql":
            result = await connection.stream(statement.execution_options(yield_per=size))
            async for batch in result.partitions(size):
                yield batch
            return
        compiled = statement.compile(dialect=engine.dialect)
        arguments = [compiled.params[name] for name in compiled.positiontup or ()]
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        async with driver.transaction(readonly=True):
            cursor = await driver.cursor(str(compiled), *arguments)
            while batch := await cursor.fetch(size):
                yield batch


def after_commit(session: AsyncSession, action: AfterCommit) -> None:
    """Run `action` once the request's transaction has committed (mail, notifications)."""
    session.info.setdefault(AFTER_COMMIT_KEY, []).append(action)


async def _run_after_commit(session: AsyncSession) -> None:
    session.info.pop(ON_ROLLBACK_KEY, None)
    actions: list[AfterCommit] = session.info.pop(AFTER_COMMIT_KEY, [])
    for action in actions:
        await action()


def on_rollback(session: AsyncSession, action: AfterCommit) -> None:
    """Run `action` if the request's transaction does not commit (undo what lives outside the
    database, such as stored bytes)."""
    session.info.setdefault(ON_ROLLBACK_KEY, []).append(action)


async def roll_back(session: AsyncSession) -> None:
    """Roll the request's transaction back now and run its `on_rollback` actions (a route
    that answers a refusal as a normal response, after writing)."""
    await _rolled_back(session)


async def _rolled_back(session: AsyncSession) -> None:
    await session.rollback()
    actions: list[AfterCommit] = session.info.pop(ON_ROLLBACK_KEY, [])
    for action in actions:
        try:
            await action()
        except Exception:
            logger.exception("undoing after a rollback failed")


async def _commit(session: AsyncSession) -> None:
    try:
        await session.commit()
    except BaseException:
        await _rolled_back(session)
        raise
    await _run_after_commit(session)


SINGLE_STATEMENT = "__portico_single_statement__"


def single_statement(endpoint: T) -> T:
    """Mark a write route whose work is, as a rule, one statement that is atomic by itself (a
    database function): on PostgreSQL its session starts like a read's (no BEGIN, SELECTs only,
    each its own transaction), and the route calls `in_a_transaction` before any other write.
    Its row locks then last while that statement runs, not until a later COMMIT."""
    setattr(endpoint, SINGLE_STATEMENT, True)
    return endpoint


async def in_a_transaction(session: AsyncSession) -> None:
    """From here on, the session's statements run in one transaction (committed or rolled back
    with the request): a no-op unless the session started as a single statement's."""
    if not session.info.pop(SINGLE_STATEMENT, False):
        return
    await session.commit()  # the SELECTs so far committed on their own: nothing to send
    await session.connection(
        execution_options={"isolation_level": "READ COMMITTED", READS_ONLY: False}
    )


@contextlib.asynccontextmanager
async def request_session(
    database: Database, method: str, endpoint: object
) -> AsyncIterator[AsyncSession]:
    """A request's unit of work (`portico.deps.SessionDep`): commit on success, roll back on
    any error.

    An `AppError` raised with `commit_changes=True` still commits (a failed login attempt is
    recorded) before the error is answered. Services never commit.
    """
    maker, info = database.sessionmaker, {}
    if method in ("GET", "HEAD"):
        maker = database.read_sessionmaker
    elif getattr(endpoint, SINGLE_STATEMENT, False):
        maker = database.read_sessionmaker
        # (where reads run in a transaction too, through PgBouncer, so does this route)
        info = {SINGLE_STATEMENT: maker is not database.sessionmaker}
    async with maker(info=info) as session:
        try:
            yield session
        except AppError as exc:
            if exc.commit_changes:
                await _commit(session)
            else:
                await _rolled_back(session)
            raise
        except BaseException:
            await _rolled_back(session)
            raise
        else:
            await _commit(session)


@contextlib.asynccontextmanager
async def command_database(url: str) -> AsyncIterator[Database]:
    """The database of one command (`Database.for_command`), disposed of afterwards."""
    database = Database.for_command(url)
    try:
        yield database
    finally:
        await database.dispose()


async def in_transaction(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one `Database.transaction()` on the database at `url` (a command)."""
    async with command_database(url) as database, database.transaction() as session:
        return await work(session)
