"""A task's output: the lines its CLI printed, numbered by seq and kept for good."""

from collections.abc import Sequence
from functools import cache

from sqlalchemy import Insert, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from app.tasks.models import TaskChunk


def save_chunks(db: Session, task_id: str, chunks: Sequence[tuple[int, str]]) -> None:
    """Save output lines and commit. A line already saved is left as it is, so a save that is
    tried again (the database was locked) never fails on the lines that did get in."""
    insert_chunks(db, task_id, chunks)
    db.commit()


def insert_chunks(db: Session, task_id: str, chunks: Sequence[tuple[int, str]]) -> None:
    if chunks:
        rows = [{"task_id": task_id, "seq": seq, "line": line} for seq, line in chunks]
        db.connection().execute(_insert_statement(db.get_bind().dialect.name), rows)


@cache
def _insert_statement(dialect: str) -> Insert:
    """Built once per database kind, the rows given apart (executemany): building a statement
    anew, and one per row count, costs more than SQLite takes to run it."""
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    return insert(TaskChunk.__table__).on_conflict_do_nothing()  # type: ignore[attr-defined]


def read_chunks(
    db: Session, task_id: str, after_seq: int = -1, limit: int | None = None
) -> Sequence[TaskChunk]:
    """The task's saved lines after `after_seq`, in order, at most `limit` of them."""
    query = (
        select(TaskChunk)
        .where(TaskChunk.task_id == task_id, col(TaskChunk.seq) > after_seq)
        .order_by(col(TaskChunk.seq))
        .limit(limit)
    )
    return db.exec(query).all()


def last_chunk_seq(db: Session, task_id: str) -> int | None:
    return db.exec(select(func.max(TaskChunk.seq)).where(TaskChunk.task_id == task_id)).one()
