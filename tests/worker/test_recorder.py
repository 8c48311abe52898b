"""The line recorder on a real SQLite database that another process holds locked: the run goes
on, no line is lost, and the lines are saved once the lock is gone."""

import sqlite3

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.tasks import output
from app.tasks.models import TaskStatus
from tests.tasks.database import add_task, database_file
from worker.recorder import LineRecorder


def _saved(engine: Engine, task_id: str) -> list[tuple[int, str]]:
    with Session(engine) as db:
        return [(chunk.seq, chunk.line) for chunk in output.read_chunks(db, task_id)]


def test_a_locked_database_keeps_the_lines_for_later(app_on_unit_db: Engine) -> None:
    task = add_task(app_on_unit_db, TaskStatus.RUNNING)
    recorder = LineRecorder(task)
    locker = sqlite3.connect(database_file(app_on_unit_db), isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # another writer holds the lock past the busy timeout
    try:
        recorder.line("first")
        recorder.flush()  # tried, and again, then given up for now: no exception
        assert recorder.database_failed
        assert _saved(app_on_unit_db, task.id) == []
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    recorder.line("second")
    recorder.flush()
    assert _saved(app_on_unit_db, task.id) == [(2, "first"), (3, "second")]
    assert not recorder.database_failed and recorder.close() == []


def test_saving_lines_again_is_harmless(unit_db: Engine) -> None:
    task = add_task(unit_db, TaskStatus.RUNNING)
    for _ in range(2):  # a save tried again after its commit got through
        with Session(unit_db) as db:
            output.save_chunks(db, task.id, [(2, "a"), (3, "b")])
    assert _saved(unit_db, task.id) == [(2, "a"), (3, "b")]
