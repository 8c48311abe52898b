"""SQLite's log is copied into the database file by a thread of the process, never by a commit:
a commit that did it waited for the copy and its fsync (~12 ms, one task in fifty)."""

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

import app.db
from app.db import build_engine, writer
from tests.support.processes import wait_until

PAGE = 4096
ROWS = 1200  # past SQLite's own checkpoint at 1,000 pages of log


class _NoCheckpoints(app.db._Checkpoints):
    def watch(self, engine: Engine) -> None:
        pass


def _write_pages(database: Path) -> Engine:
    engine = build_engine(f"sqlite:///{database}")
    with writer(engine).begin() as connection:
        connection.execute(text("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)"))
    for _ in range(ROWS):  # a transaction each, as the system writes
        with writer(engine).begin() as connection:
            connection.execute(
                text("INSERT INTO blobs (data) VALUES (randomblob(:n))"), {"n": PAGE}
            )
    return engine


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def test_commits_leave_the_log_to_the_checkpoint_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.db, "_checkpoints", _NoCheckpoints())
    database = tmp_path / "quiet.db"
    engine = _write_pages(database)
    log = database.with_name("quiet.db-wal")
    assert _size(log) > ROWS * PAGE, "every page is still in the log"
    assert _size(database) < ROWS * PAGE / 4, "no commit copied the log into the database"
    engine.dispose()


def test_the_thread_copies_the_log_into_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.db, "_checkpoints", app.db._Checkpoints())  # a thread of its own
    database = tmp_path / "copied.db"
    engine = _write_pages(database)
    wait_until(lambda: _size(database) > ROWS * PAGE, 30, what="the log copied into the file")
    engine.dispose()
