"""A write that finds the database locked past the busy timeout fails at its BEGIN IMMEDIATE (run
on the driver's connection, app/db.py) with the error SQLAlchemy gives any statement, so
`when_locked` knows it and tries again until the lock is released."""

import sqlite3
import threading

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import is_locked, when_locked, writer
from app.tasks import service
from app.tasks.models import TaskStatus
from tests.tasks.database import add_task, database_file, status_of


def _claim(engine: Engine, task_id: str) -> object:
    with Session(writer(engine)) as db:
        claimed = service.claim(db, task_id, "w:1")
        db.commit()
        return claimed


def test_a_locked_begin_is_known_as_locked(unit_db: Engine) -> None:
    task = add_task(unit_db)
    holder = sqlite3.connect(database_file(unit_db), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Exception) as refused:
            _claim(unit_db, task.id)
        assert is_locked(refused.value), refused.value
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert status_of(unit_db, task.id) is TaskStatus.QUEUED


def test_a_claim_waits_out_a_lock_held_past_the_busy_timeout(unit_db: Engine) -> None:
    task = add_task(unit_db)
    holder = sqlite3.connect(database_file(unit_db), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.6, lambda: holder.execute("ROLLBACK"))  # three busy timeouts
    release.start()
    try:
        claimed = when_locked(10)(_claim, unit_db, task.id)
    finally:
        release.join()
        holder.close()
    assert isinstance(claimed, service.Claim)
    assert status_of(unit_db, task.id) is TaskStatus.RUNNING
