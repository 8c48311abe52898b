"""The database engine and sessions.

SQLite runs in WAL mode with a busy timeout. Reads begin deferred: they take no lock, and in WAL
mode a reader never blocks a writer. A unit of work that writes begins IMMEDIATE, taking the
write lock up front: a deferred transaction that reads and then writes fails at once ("database
is locked", no busy wait) when another writer committed in between.
"""

import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar

from loguru import logger
from sqlalchemy import DateTime, Select, event, literal_column
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, create_engine, func, select
from sqlmodel.sql.expression import SelectOfScalar
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_random_exponential

from app.config import settings

WRITES = "ccagent_writes"  # an execution option: this connection's transactions will write


def build_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    database = make_url(url).database or ":memory:"
    in_a_file = database != ":memory:"
    if in_a_file:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    busy_seconds = settings.SQLITE_BUSY_TIMEOUT_SECONDS
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_seconds})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions, so the BEGIN below is used.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # No commit copies the log into the database (SQLite's default, every 1,000 pages: that
        # commit then waited ~12 ms for the copy and its fsync, 1 task in 50); a thread of
        # this process does it instead (_Checkpoints).
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()
        if in_a_file:
            _checkpoints.watch(engine)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        writes = connection.get_execution_options().get(WRITES, False)
        begin = "BEGIN IMMEDIATE" if writes else "BEGIN DEFERRED"
        try:  # on the driver's connection: SQLAlchemy's execution path cost more than BEGIN
            connection.connection.driver_connection.execute(begin)
        except sqlite3.Error as error:  # "database is locked" and the like, as SQLAlchemy says it
            raise DBAPIError.instance(begin, None, error, sqlite3.Error) from error

    return engine


CHECKPOINT_SECONDS = 1.0


class _Checkpoints:
    """Copies SQLite's write-ahead log into the database file every CHECKPOINT_SECONDS, for
    each engine on a file that this process has connected with, from one daemon thread (a
    forked process starts its own). PASSIVE: it waits for no reader or writer, and the log
    starts over once all of it is copied; two processes' checkpoints at once are one no-op."""

    def __init__(self) -> None:
        self.engines: weakref.WeakSet[Engine] = weakref.WeakSet()  # an engine let go is dropped
        self.pid: int | None = None
        self.lock = threading.Lock()

    def watch(self, engine: Engine) -> None:
        with self.lock:
            self.engines.add(engine)
            if self.pid != os.getpid():
                self.pid = os.getpid()
                thread = threading.Thread(target=self._forever, name="sqlite-checkpoints")
                thread.daemon = True
                thread.start()

    def _forever(self) -> None:
        while True:
            time.sleep(CHECKPOINT_SECONDS)
            with self.lock:
                engines = list(self.engines)
            for engine in engines:
                if os.path.exists(str(engine.url.database)):  # never makes a removed one anew
                    self._checkpoint(engine)

    @staticmethod
    def _checkpoint(engine: Engine) -> None:
        try:
            connection = engine.raw_connection()
            try:  # the driver's connection commits by itself: no transaction is open
                connection.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                connection.close()
        except Exception as error:  # the next one tries again; the log only grows meanwhile
            logger.debug("SQLite checkpoint skipped: {}", error)


_checkpoints = _Checkpoints()


engine = build_engine(settings.DATABASE_URL)


def writer(bind: Engine) -> Engine:
    """The same engine, for units of work that write."""
    return bind.execution_options(**{WRITES: True})


write_engine = writer(engine)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A short unit of work that writes: commit on success, roll back on error."""
    with Session(write_engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_scope() -> Iterator[Session]:
    """A read: no lock taken, nothing to commit."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def database_now(db: Session, offset_seconds: float = 0.0) -> ColumnElement[datetime]:
    """The database's own clock (UTC), plus an offset: heartbeats and their check read one clock
    however many hosts write. On SQLite it is written as SQLAlchemy stores datetimes, so the two
    compare as text."""
    return database_clock(db.get_bind().dialect.name, offset_seconds)


def database_clock(dialect: str, offset_seconds: float = 0.0) -> ColumnElement[datetime]:
    """database_now() for a database kind ("sqlite", "postgresql"), for statements built once."""
    if dialect == "sqlite":
        return func.strftime(
            "%Y-%m-%d %H:%M:%f", "now", f"{offset_seconds:+.3f} seconds", type_=DateTime
        )
    now = func.now(type_=DateTime(timezone=True))
    return now + timedelta(seconds=offset_seconds) if offset_seconds else now


def is_locked(error: BaseException) -> bool:
    """SQLite's answer when another writer held the lock past the busy timeout."""
    return isinstance(error, OperationalError) and "locked" in str(error.orig)


def when_locked(give_up_after: float) -> Retrying:
    """Call again while the database is locked, for up to `give_up_after` seconds; then raise.
    `when_locked(60)(save, db, rows)`. Each try is a transaction of its own."""
    return Retrying(
        retry=retry_if_exception(is_locked),
        wait=wait_random_exponential(multiplier=0.05, max=2),
        stop=stop_after_delay(give_up_after),
        reraise=True,
    )


Row = TypeVar("Row")


# A list's total is counted this far past the page's end, no further: counting every row a
# filter matches made each page cost as much as the whole history (the task list's did).
TOTAL_LOOKAHEAD = 1000


class Page(NamedTuple, Generic[Row]):
    items: Sequence[Row]
    total: int  # the rows the query matches, counted up to TOTAL_LOOKAHEAD past the page
    total_exact: bool  # whether `total` is every row (false: there may be more)


def paginate(
    db: Session,
    query: SelectOfScalar[Row],
    order_by: Sequence[Any],
    limit: int,
    offset: int,
    count_all: bool = False,
) -> Page[Row]:
    """One page of a query's rows, in order, and how many rows the query has: up to a bound,
    or every one (`count_all`, for a query whose rows do not grow with the history)."""
    bound = offset + limit + TOTAL_LOOKAHEAD
    matching: Select[Any] = query.with_only_columns(literal_column("1"), maintain_column_froms=True)
    if not count_all:
        matching = matching.limit(bound)
    total: int = db.exec(select(func.count()).select_from(matching.subquery())).one()
    items = db.exec(query.order_by(*order_by).offset(offset).limit(limit)).all()
    return Page(items, total, count_all or total < bound)
