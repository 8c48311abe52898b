"""The webhook loop asks five times a second whether a reply is owed, and its sweep whether a
delivery was left unprocessed; mostly nothing is. Such a question takes no write lock: on SQLite
every other writer (a submit, the worker's claim, lines and end) would queue behind it."""

import sqlite3
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from app.webhooks import processing, replies
from tests.tasks.database import app_on_unit_db, database_file, unit_db  # noqa: F401 (fixtures)


@pytest.fixture
def another_writer(app_on_unit_db: Engine) -> Iterator[None]:  # noqa: F811
    """Another connection holds the database's write lock meanwhile."""
    holder = sqlite3.connect(database_file(app_on_unit_db), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield
    holder.execute("ROLLBACK")
    holder.close()


@pytest.mark.usefixtures("another_writer")
def test_a_poll_that_finds_no_reply_owed_takes_no_write_lock() -> None:
    assert replies.post_due() == 0  # answered, not "database is locked" after the busy wait


@pytest.mark.usefixtures("another_writer")
def test_a_sweep_that_finds_no_delivery_left_takes_no_write_lock() -> None:
    assert processing.unfinished() == []
