"""Engine and session factory."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DisconnectionError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.sql.expression import UpdateBase
from sqlalchemy.util import await_
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.sqlite_writer import SqliteWriter

# A writer waits this long for another to finish; beyond it the reporter is asked to try
# again rather than left staring at a silent chat.
SQLITE_BUSY_TIMEOUT_MS = 3_000
# A pooled PostgreSQL connection idle this long is pinged before it is used again: at a
# quiet hour every checkout, under load (when a round trip more costs most) almost none.
PING_AFTER_IDLE_SECONDS = 1.0


def dialect_insert(dialect: str) -> Any:
    """The INSERT of `dialect` ("sqlite" or "postgresql"), which can say ON CONFLICT."""
    if dialect == "postgresql":
        # Imported only here: SQLAlchemy's PostgreSQL dialect costs a process 2 MB, for
        # nothing on SQLite.
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def ensure_sqlite_directory(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


# What a purge erases (a reporter's name, phone, chat id) is overwritten with zeros in the
# file, not only unlinked: otherwise a copy of the database still holds it in free space.
# Some builds of SQLite do this by default, others do not.
SECURE_DELETE = "PRAGMA secure_delete=ON"
_LOG_TRUNCATE_TRIES = 25


async def empty_sqlite_log(sessions: SessionFactory, *, wait: bool = True) -> bool:
    """On SQLite, copy the write-ahead log into the database and empty it: the log keeps
    whole pages as they were before each change, a purged name among them, until it is
    overwritten. False if readers kept it busy for every try (a few seconds).

    `wait=False`: one try, without SQLite's busy wait. A checkpoint waiting for readers holds
    the write lock meanwhile, and every writer (a reporter's next step) waits with it: a
    job that can try again later should not."""
    async with sessions() as session:
        if session.bind.dialect.name != "sqlite":
            return True
        connection = await session.connection()
        if not wait:
            await connection.exec_driver_sql("PRAGMA busy_timeout=0")
        try:
            for _ in range(_LOG_TRUNCATE_TRIES if wait else 1):
                checkpoint = await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                if not checkpoint.one()[0]:  # not busy
                    return True
                if wait:
                    await asyncio.sleep(0.2)
        finally:
            if not wait:
                await connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    return False


def create_engine(url: str) -> AsyncEngine:
    """Every engine of the bot, its migrations and bench/ is made here.

    hide_parameters: a failed statement's exception text would otherwise carry its
    parameters (a reporter's name, phone, chat id, the report's words), and that text
    reaches the operator's log."""
    ensure_sqlite_directory(url)
    if not is_sqlite(url):
        engine = create_async_engine(url, hide_parameters=True)
        _ping_when_idle(engine)
        return engine
    engine = create_async_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, hide_parameters=True
    )
    queue = _SqliteWriteQueue(SQLITE_BUSY_TIMEOUT_MS / 1000)
    queue.attach(engine)
    _write_queues[engine.sync_engine] = queue

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # WAL lets readers proceed while a report is being written; the busy timeout makes a
        # writer wait for the lock instead of failing at once.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(SECURE_DELETE)
        cursor.close()

    return engine


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Check a pooled connection before use only if it sat idle in the pool for a while.

    A server restart or a firewall's idle timeout leaves pooled connections dead; a ping
    on checkout finds them before a reporter's statement does. SQLAlchemy's pool_pre_ping
    pings on every checkout: a round trip more for each of the two or three an update
    makes, 5% of a webhook instance's time (bench/RESULTS.md). The price: a restart
    within the second a connection was last used is found by a statement instead, which
    fails (its user is asked to try again) and invalidates the whole pool, so the next
    ones connect afresh."""
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool discards this connection and connects afresh (up to three times).
            raise DisconnectionError() from error

    event.listen(pool, "checkin", checked_in)
    event.listen(pool, "checkout", checked_out)


class _SqliteWriteQueue:
    """Writers of this process take turns in arrival order.

    SQLite lets one writer at a time, and a writer finding the lock taken polls for it with
    growing sleeps, so with a hundred reporters writing at once some keep missing their
    turn until the busy timeout fails them (seen in bench/: "database is locked" after 3 s
    while the database was doing a few hundred writes a second). Here a connection queues
    on an asyncio lock before its first write statement and leaves it at commit or
    rollback; SQLite's own lock and busy timeout still govern other processes."""

    _WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")

    def __init__(self, timeout: float) -> None:
        self._lock = asyncio.Lock()
        self._timeout = timeout
        self._holder: Any = None  # the DBAPI connection in its turn

    def attach(self, engine: AsyncEngine) -> None:
        sync_engine = engine.sync_engine
        event.listen(sync_engine, "before_cursor_execute", self._before_execute)
        event.listen(sync_engine, "commit", self._transaction_ended)
        event.listen(sync_engine, "rollback", self._transaction_ended)
        event.listen(sync_engine.pool, "checkin", self._checked_in)
        event.listen(sync_engine.pool, "invalidate", self._checked_in)

    def _before_execute(
        self, connection: Connection, _cursor: Any, statement: str, *_args: Any
    ) -> None:
        dbapi_connection = connection.connection.dbapi_connection
        if self._holder is dbapi_connection or not statement.lstrip().upper().startswith(
            self._WRITES
        ):
            return
        try:
            await_(self._acquire())
        except TimeoutError:
            raise OperationalError(
                statement, None, sqlite3.OperationalError("database is locked")
            ) from None
        self._holder = dbapi_connection

    async def _acquire(self) -> None:
        # Not wait_for: on 3.11 it swallows a cancel that arrives as the lock is granted.
        async with asyncio.timeout(self._timeout):
            await self._lock.acquire()

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[Callable[[], None]]:
        """The turn for a writer that is not one of the engine's connections. It yields a
        function that gives the turn up before the block ends, for a writer whose commit
        is over before the event loop gets round to leaving the block (the SQLite writer's
        thread); the block's end gives it up otherwise."""
        try:
            await self._acquire()
        except TimeoutError:
            raise OperationalError(
                "write turn", None, sqlite3.OperationalError("database is locked")
            ) from None
        holder = object()  # this turn: an early release must not end a later one
        self._holder = holder
        try:
            yield lambda: self._release(holder)
        finally:
            self._release(holder)

    def _transaction_ended(self, connection: Connection) -> None:
        if connection.invalidated:
            return  # its DBAPI connection is gone; the pool's checkin releases the turn
        self._release(connection.connection.dbapi_connection)

    def _checked_in(self, dbapi_connection: Any, *_details: Any) -> None:
        # Returned to the pool, or invalidated, without a commit or rollback event.
        self._release(dbapi_connection)

    def _release(self, dbapi_connection: Any) -> None:
        if dbapi_connection is not None and self._holder is dbapi_connection:
            self._holder = None
            self._lock.release()


_write_queues: weakref.WeakKeyDictionary[Any, _SqliteWriteQueue] = weakref.WeakKeyDictionary()


def write_turn(
    engine: AsyncEngine,
) -> Callable[[], AbstractAsyncContextManager[Callable[[], None]]]:
    """The engine's write turn, for a writer outside the engine (storage/sqlite_writer.py):
    entered, this process's other writers wait until it is left."""
    return _write_queues[engine.sync_engine].turn


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite URL; None for another engine or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database


def create_sqlite_writer(engine: AsyncEngine, url: str) -> SqliteWriter | None:
    """The writer that commits this process's small writes to a SQLite file together
    (storage/sqlite_writer.py), queued with the engine's own writers; None for another
    engine."""
    if (path := sqlite_path(url)) is None:
        return None
    return SqliteWriter(path, write_turn(engine), SQLITE_BUSY_TIMEOUT_MS / 1000, engine.dialect)


SessionFactory = async_sessionmaker[AsyncSession]

# What a database that is down, locked or restarting raises: SQLAlchemy's errors, and the
# driver's own OSError when a connection cannot even be opened (asyncpg, connection refused).
DATABASE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, OSError)


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def commit_statements(
    session_factory: SessionFactory, writer: SqliteWriter | None, statements: list[UpdateBase]
) -> list[int]:
    """UPDATEs or DELETEs committed together, on their own; returns how many rows each
    changed. Through the SQLite writer where there is one: they are then applied with the
    other updates' writes in one batch, instead of an engine transaction taking SQLite's
    write turn and holding it across its statements' trips to a busy event loop while every
    update's conversation write waited (bench/RESULTS.md, eighth pass)."""
    if writer is not None:
        return await writer.run(
            lambda connection: [writer.execute(connection, one) for one in statements]
        )
    async with session_factory() as session, session.begin():
        changed = []
        for statement in statements:
            result = await session.exec(statement)  # type: ignore[call-overload]
            changed.append(int(result.rowcount))
        return changed


async def commit_statement(
    session_factory: SessionFactory, writer: SqliteWriter | None, statement: UpdateBase
) -> int:
    """One UPDATE or DELETE committed on its own (commit_statements)."""
    (changed,) = await commit_statements(session_factory, writer, [statement])
    return changed
