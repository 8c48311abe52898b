"""The database engine and sessions. SQLite runs in WAL mode with a busy timeout, and every
transaction takes the write lock up front (BEGIN IMMEDIATE), so several workers can write at
once without "database is locked"."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine, func, select
from sqlmodel.sql.expression import SelectOfScalar

from app.config import settings

SQLITE_BUSY_TIMEOUT_SECONDS = 30


def build_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions, so BEGIN IMMEDIATE below is used.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


engine = build_engine(settings.DATABASE_URL)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A short unit of work: commit on success, roll back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def get_session() -> Iterator[Session]:
    """FastAPI dependency: one session per request."""
    with session_scope() as session:
        yield session


Row = TypeVar("Row")


def paginate(
    db: Session, query: SelectOfScalar[Row], order_by: Sequence[Any], limit: int, offset: int
) -> tuple[Sequence[Row], int]:
    """One page of a query's rows, in order, and how many rows the whole query has."""
    total = db.exec(select(func.count()).select_from(query.subquery())).one()
    return db.exec(query.order_by(*order_by).offset(offset).limit(limit)).all(), total
