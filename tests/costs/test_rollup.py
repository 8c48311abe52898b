"""The cost rollup says what the tasks say: whatever way tasks end, the budget check and
GET /api/costs read the same totals as a sum over the tasks themselves would give."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.costs import service as costs
from app.db import build_engine
from app.tasks import service
from app.tasks.models import Task, TaskStatus
from tests.core.test_postgres import postgres_url  # noqa: F401 (a fixture)
from tests.support.processes import ROOT

NOW = datetime.now(UTC)
YESTERDAY = NOW - timedelta(days=1)


def sums_over_tasks(db: Session, since: datetime) -> dict[str, Any]:
    """What the rollup must match, summed from the tasks' own rows."""
    tasks = db.exec(select(Task).where(col(Task.finished_at) >= since)).all()
    groups: dict[str, dict[str, list[float]]] = {
        "by_day": {},
        "by_agent": {},
        "by_session": {},
        "by_source": {},
    }
    for task in tasks:
        assert task.finished_at is not None
        keys = {
            "by_day": task.finished_at.date().isoformat(),
            "by_agent": task.agent or "(default)",
            "by_session": task.session_id,
            "by_source": task.source,
        }
        for group, key in keys.items():
            groups[group].setdefault(key, []).append(task.cost_usd or 0.0)
    return {
        "total_cost_usd": sum(task.cost_usd or 0.0 for task in tasks),
        "tasks": len(tasks),
        **{
            group: [
                {"key": key, "cost_usd": pytest.approx(sum(v)), "tasks": len(v)}
                for key, v in sorted(keyed.items())
            ]
            for group, keyed in groups.items()
        },
    }


def assert_rollup_matches(db: Session) -> None:
    since = costs.day_start(YESTERDAY)
    summary = costs.summary(db, since)
    expected = sums_over_tasks(db, since)
    assert summary["tasks"] == expected["tasks"]
    assert summary["total_cost_usd"] == pytest.approx(expected["total_cost_usd"])
    for group in ("by_day", "by_agent", "by_session", "by_source"):
        assert summary[group] == expected[group], group
    today = [t.cost_usd or 0.0 for t in db.exec(select(Task)).all() if _today(t)]
    assert costs.spent_on(db, NOW.date()) == pytest.approx(sum(today))


def _today(task: Task) -> bool:
    return task.finished_at is not None and task.finished_at.date() == NOW.date()


def _queued(db: Session, **fields: Any) -> Task:
    return service.create_task(db, prompt="p", **fields)


def test_every_way_a_task_ends_is_counted_once(app_on_unit_db: Engine) -> None:
    with Session(app_on_unit_db, expire_on_commit=False) as db:
        done = _queued(db, session_id="a", agent="planning")
        service.claim(db, done.id, "w1")
        service.finish(db, done, TaskStatus.COMPLETED, 9, cost_usd=0.25, finished_at=NOW)
        # A finish tried again (a redelivered message, the sweeper racing the worker) ends
        # nothing, and so adds nothing.
        assert service.finish(db, done, TaskStatus.FAILED, 9, cost_usd=0.25) is None
        assert service.finish(db, done, TaskStatus.COMPLETED, 9, cost_usd=0.25) is None

        old = _queued(db, session_id="b", source="webhook")
        service.claim(db, old.id, "w1")
        service.finish(db, old, TaskStatus.FAILED, 9, cost_usd=0.125, finished_at=YESTERDAY)

        cancelled = _queued(db, session_id="a")
        service.request_stop(db, cancelled.id)  # no cost, still one task that ended

        unknown = _queued(db, session_id="b")
        service.claim(db, unknown.id, "w1")
        service.finish(db, unknown, TaskStatus.CANCELLED, 9, finished_at=NOW)

        still_running = _queued(db, session_id="a")
        service.claim(db, still_running.id, "w1")

        assert_rollup_matches(db)
        assert costs.summary(db, costs.day_start(YESTERDAY))["tasks"] == 4
        assert costs.spent_on(db, NOW.date()) == pytest.approx(0.25)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.db'}"
    else:
        yield request.getfixturevalue("postgres_url")  # a scratch database, dropped after


def test_the_migration_sums_the_tasks_already_finished(database_url: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    command.upgrade(config, "0005")
    engine = build_engine(database_url)
    finished = [(NOW, 0.5), (NOW, None), (YESTERDAY, 0.75), (None, None)]
    with engine.begin() as connection:
        for number, (finished_at, cost) in enumerate(finished):
            task = Task(
                id=f"t{number}",
                status=TaskStatus.COMPLETED if finished_at else TaskStatus.RUNNING,
                prompt="p",
                session_id=f"s{number % 2}",
                agent=None if number else "executor",
                cost_usd=cost,
                created_at=YESTERDAY,
                finished_at=finished_at,
            )
            connection.execute(insert(Task).values(task.model_dump(exclude_unset=False)))
    command.upgrade(config, "head")
    with Session(engine) as db:
        assert_rollup_matches(db)
        assert costs.summary(db, costs.day_start(YESTERDAY))["tasks"] == 3
    engine.dispose()
    command.downgrade(config, "base")
