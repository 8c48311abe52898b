"""Rules of the task service, on a real SQLite database (and a real Redis where it speaks)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.errors import Conflict
from app.tasks import service, sweeper
from app.tasks.models import Task, TaskStatus
from tests.tasks.database import add_task


def _task(engine: Engine, task_id: str) -> Task:
    with Session(engine) as db:
        task = db.get(Task, task_id)
        assert task is not None
        return task


def test_a_stop_never_marks_an_ended_task(
    app_on_unit_db: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The task ends between the stop's read and its write: the write must not land."""
    task = add_task(app_on_unit_db, TaskStatus.COMPLETED)
    stale = Task.model_validate({**task.model_dump(), "status": TaskStatus.RUNNING})
    monkeypatch.setattr(service, "get_task", lambda db, task_id: stale)
    with Session(app_on_unit_db) as db, pytest.raises(Conflict, match="already ended"):
        service.request_stop(db, task.id)
    assert _task(app_on_unit_db, task.id).stop_requested is False


def test_a_beat_says_when_the_task_ended_elsewhere(unit_db: Engine) -> None:
    running = add_task(unit_db, TaskStatus.RUNNING)
    with Session(unit_db) as db:
        assert service.beat(db, running.id) == "running"
    ended = add_task(unit_db, TaskStatus.FAILED)
    asked = add_task(unit_db, TaskStatus.RUNNING, stop_requested=True)
    with Session(unit_db) as db:
        assert service.beat(db, ended.id) == "ended"
        assert service.beat(db, asked.id) == "stop requested"
    assert _task(unit_db, ended.id).heartbeat_at is None  # an ended task is not touched


def test_beats_and_the_sweeper_read_one_clock(
    app_on_unit_db: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker whose own clock is an hour slow beats; the sweeper must not take its task for
    lost: the beat is stamped by the database, not by the worker."""
    task = add_task(app_on_unit_db, TaskStatus.RUNNING)
    slow_clock = datetime.now(UTC) - timedelta(hours=1)
    with monkeypatch.context() as patched:
        patched.setattr(service, "utcnow", lambda: slow_clock)
        with Session(app_on_unit_db) as db:
            service.beat(db, task.id)
    assert sweeper.sweep_once().failed == []
    assert _task(app_on_unit_db, task.id).status is TaskStatus.RUNNING
    beaten = _task(app_on_unit_db, task.id).heartbeat_at
    assert beaten is not None and abs(beaten - datetime.now(UTC)) < timedelta(minutes=5)


def test_the_sweeper_fails_a_task_whose_beats_stopped(app_on_unit_db: Engine) -> None:
    quiet = add_task(
        app_on_unit_db, TaskStatus.RUNNING, heartbeat_at=datetime.now(UTC) - timedelta(hours=1)
    )
    assert sweeper.sweep_once().failed == [quiet.id]
    ended = _task(app_on_unit_db, quiet.id)
    assert ended.status is TaskStatus.FAILED and "stopped responding" in (ended.error or "")


def test_a_submit_refused_for_redis_never_runs_later(
    app_on_unit_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ping precedes a submit: the announcement is the check. With Redis down the caller is
    refused (503) and the recorded task is ended at once, so the sweeper never sends it."""
    from app.config import settings
    from app.db import session_scope
    from app.errors import ServiceUnavailable
    from app.redis_client import sync_redis
    from tests.support.redis_server import free_port

    monkeypatch.setattr(settings, "REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    sync_redis.cache_clear()
    with pytest.raises(ServiceUnavailable, match="Redis is unavailable"), session_scope() as db:
        service.submit(db, prompt="during the outage", session_id="s")
    with Session(app_on_unit_db) as db:
        (task,) = db.exec(select(Task)).all()
    assert task.status is TaskStatus.FAILED and task.error == service.NOT_SENT
