"""One writer for SQLite that commits many updates' small writes together.

Every update wrote two small things in two transactions of its own: its claim (the
redelivery guard) and its conversation's next step. Through aiosqlite each transaction was
five to nine hand-offs between the event loop and aiosqlite's thread (cursor, execute,
fetch, close, commit, the pool's rollback), a GIL hand-over each way, and one fsync each:
14 of the 19 hand-offs an update cost on average (bench/roundtrips.py). Here those writes
queue in the process and one thread applies everything queued in one transaction, in
arrival order, with one hand-off and one commit for the lot: while one batch commits, the
next gathers, so the busier the bot, the more each commit carries.

A submission's rows go the same way (storage.repositories.case_write, inserted by
`insert` as the ORM would store them): through the engine they were eight statements, each
a trip to aiosqlite's thread and back to a busy event loop, while the transaction held the
write turn and every other update's conversation write waited behind it. The outbox's
claims and outcomes, single UPDATEs, go the same way (`execute`, storage.db.commit_statements):
as transactions of their own they took the turn about seven times a submission.

Nothing is acknowledged early: `run` returns only once the transaction holding that write
has committed, so whoever awaits it (a reporter's next question) sees its write durable,
exactly as before. Each write runs in a savepoint of its own, so one that fails (a
constraint) fails alone; a failed commit fails every write of the batch. Errors come back
as SQLAlchemy's, as from the engine, so the handlers' "try again" paths see them the same.

The writer takes the in-process write turn (storage.db) like every other writer, and its
own connection waits on SQLite's lock with the same busy timeout, so other processes (an
operator's sqlite3 shell, `lapor-netral purge`) are handled as before."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Column
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import UpdateBase

T = TypeVar("T")
# A write, applied in the writer's thread on its connection, inside the batch's transaction.
Write = Callable[[sqlite3.Connection], Any]


class SqliteWriter:
    def __init__(self, path: str, turn: Any, busy_timeout: float, dialect: Dialect) -> None:
        """`turn`: the engine's write turn (storage.db.write_turn), an async context manager
        factory that queues this writer with the engine's own writers; `dialect`: the
        engine's, whose conversions `stored` applies."""
        self._path = path
        self._dialect = dialect
        self._conversions: dict[Any, Callable[[Any], Any]] = {}
        self._inserts: dict[tuple[Column[Any], ...], str] = {}  # by the columns written
        self._turn = turn
        self._busy_timeout = busy_timeout
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        self._connection: sqlite3.Connection | None = None  # touched only in that thread
        self._pending: list[tuple[Write, asyncio.Future[Any]]] = []
        self._flushing: asyncio.Task[None] | None = None
        # How much each commit carried (bench/): writes and transactions so far.
        self.writes = 0
        self.commits = 0

    def stored(self, column: Column[Any], value: Any) -> Any:
        """`value` as the engine would store it in `column` (a moment's text on SQLite)."""
        if (convert := self._conversions.get(column)) is None:
            # The type as this dialect implements it, as a compiled statement uses it: the
            # bare type's processor (SQLModel's UTCDateTime) leaves a moment to sqlite3,
            # which writes it with "+00:00" where the engine writes none.
            implementation = column.type.dialect_impl(self._dialect)
            convert = implementation.bind_processor(self._dialect) or (lambda same: same)
            self._conversions[column] = convert
        return convert(value)

    def insert(self, connection: sqlite3.Connection, row: Any) -> int:
        """In a write: `row` (a table model) inserted as the ORM would store it, each value
        through its column's conversion, and its new id set on it and returned. A None
        primary key, or a None where the column has a server default, is left to SQLite."""
        table = type(row).__table__
        columns = tuple(
            column
            for column in table.columns
            if getattr(row, column.key) is not None
            or not (column.primary_key or column.server_default is not None)
        )
        statement = self._inserts.get(columns)
        if statement is None:
            quote = self._dialect.identifier_preparer.quote
            names = ", ".join(quote(column.name) for column in columns)
            marks = ", ".join("?" for _ in columns)
            statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"
            self._inserts[columns] = statement
        cursor = connection.execute(
            statement, [self.stored(column, getattr(row, column.key)) for column in columns]
        )
        new_id = cursor.lastrowid
        cursor.close()
        if new_id is None:  # every table of ours has a rowid: this would be a new kind
            raise RuntimeError(f"an insert into {table.name} gave no row id")
        if "id" in table.primary_key.columns and row.id is None:
            row.id = new_id
        return new_id

    def execute(self, connection: sqlite3.Connection, statement: UpdateBase) -> int:
        """In a write: a Core statement run as the engine would run it, each parameter
        through its type's conversion; returns how many rows it changed. An IN list is
        refused (ValueError), not sent to sqlite3 as one parameter."""
        compiled = statement.compile(dialect=self._dialect)
        if any(bind.expanding for bind in compiled.binds.values()):
            # Its list is rendered only at execution, which this path does not do.
            raise ValueError("SqliteWriter.execute takes no IN list: one statement per row")
        values = compiled.construct_params()
        parameters = []
        for name in compiled.positiontup or ():
            # Not cached here as `stored` is: a compiled statement's literals are new types
            # each time. The dialect keeps each type's implementation (weakly) itself.
            implementation = compiled.binds[name].type.dialect_impl(self._dialect)
            convert = implementation.bind_processor(self._dialect)
            parameters.append(convert(values[name]) if convert else values[name])
        cursor = connection.execute(compiled.string, parameters)
        changed = cursor.rowcount
        cursor.close()
        return changed

    async def run(self, write: Callable[[sqlite3.Connection], T]) -> T:
        """Apply `write` and return its result once its transaction has committed."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((write, future))
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush())
        result: T = await future
        return result

    async def close(self) -> None:
        """Let what is queued commit, then close the connection."""
        if self._flushing is not None:
            await asyncio.shield(self._flushing)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._disconnect)
        self._thread.shutdown(wait=True)

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                # A write whose caller gave up before its batch began is not applied.
                batch = [(write, future) for write, future in self._pending if not future.done()]
                self._pending = []
                if not batch:
                    continue
                writes = [write for write, _future in batch]
                try:
                    async with self._turn() as give_up_turn:
                        # Shielded: once the thread has the batch, it finishes it, and the
                        # turn is held until it has. The thread hands the turn back as soon
                        # as it has committed: waiting for this task to be resumed first
                        # cost a busy event loop's turn or two, during which every other
                        # writer of the process waited.
                        outcomes = await asyncio.shield(
                            loop.run_in_executor(
                                self._thread,
                                self._apply,
                                writes,
                                lambda: loop.call_soon_threadsafe(give_up_turn),
                            )
                        )
                except Exception as error:
                    for _write, future in batch:
                        if not future.done():
                            future.set_exception(_as_sqlalchemy(error))
                    continue
                self.writes += len(batch)
                self.commits += 1
                for (_write, future), (failed, value) in zip(batch, outcomes, strict=True):
                    if future.done():
                        continue
                    if failed:
                        future.set_exception(_as_sqlalchemy(value))
                    else:
                        future.set_result(value)
        finally:
            self._flushing = None

    def _apply(self, writes: list[Write], committed: Callable[[], Any]) -> list[tuple[bool, Any]]:
        """In the writer's thread: every write in one transaction, each in a savepoint;
        `committed` is called once the transaction has ended."""
        connection = self._connect()
        outcomes: list[tuple[bool, Any]] = []
        connection.execute("BEGIN IMMEDIATE")
        try:
            for write in writes:
                connection.execute("SAVEPOINT one_write")
                try:
                    outcomes.append((False, write(connection)))
                except Exception as error:
                    connection.execute("ROLLBACK TO one_write")
                    outcomes.append((True, error))
                connection.execute("RELEASE one_write")
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        finally:
            if not connection.in_transaction:
                committed()
        return outcomes

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(
                self._path, timeout=self._busy_timeout, isolation_level=None
            )
            # As the engine's connections (storage.db): WAL, the busy timeout, foreign keys,
            # erased content overwritten.
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(f"PRAGMA busy_timeout={int(self._busy_timeout * 1000)}")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA secure_delete=ON")
            self._connection = connection
        return self._connection

    def _disconnect(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _as_sqlalchemy(error: BaseException) -> BaseException:
    """sqlite3's errors as SQLAlchemy raises them (OperationalError for "database is
    locked", IntegrityError for a constraint), without parameters: they are what the
    reporter wrote."""
    if isinstance(error, sqlite3.Error):
        return DBAPIError.instance(
            "sqlite writer batch", None, error, sqlite3.Error, hide_parameters=True
        )
    return error
