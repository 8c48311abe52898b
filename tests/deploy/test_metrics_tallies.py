"""The metrics' tallies: the upgrade to migration 0007 counts the tasks that ended before it, by
the same rule finish() counts each new one with; and a scrape reads the tasks table only for
the tasks still queued or running, so its cost does not grow with the history."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from prometheus_client import CollectorRegistry, generate_latest
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import event
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401  (every table)
from app.db import build_engine
from app.metrics import tallies
from app.metrics.collector import SystemCollector
from app.tasks.models import Task, TaskStatus
from tests.core.test_postgres import postgres_url  # noqa: F401  (the fixture)
from tests.support.processes import ROOT
from tests.support.redis_server import free_port

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _tasks() -> list[Task]:
    def at(seconds: float) -> datetime:
        return T0 + timedelta(seconds=seconds)

    ran = {"created_at": T0, "started_at": at(0.3)}
    return [
        Task(prompt="a", session_id="s", status=TaskStatus.COMPLETED, agent="planning",
             cost_usd=0.5, input_tokens=10, output_tokens=7, finished_at=at(4), **ran),
        Task(prompt="b", session_id="s", status=TaskStatus.COMPLETED, cost_usd=0.25,
             cache_read_tokens=3, finished_at=at(70), **ran),
        Task(prompt="c", session_id="s", status=TaskStatus.FAILED, created_at=T0,
             started_at=at(45), finished_at=at(3700), error="Timed out after 3600 s"),
        Task(prompt="d", session_id="s", status=TaskStatus.CANCELLED, created_at=T0,
             finished_at=at(2), error="Stopped by user"),  # never started
        Task(prompt="e", session_id="s", status=TaskStatus.RUNNING, **ran),  # not ended
    ]  # fmt: skip


def _config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    return config


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_upgrade_counts_the_tasks_already_ended_as_finish_does(
    dialect: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'upgrade.db'}"
    else:  # a scratch database, when a PostgreSQL server answers
        url = request.getfixturevalue("postgres_url")
    command.upgrade(_config(url), "0006")
    engine = build_engine(url)
    with Session(engine) as db:
        db.add_all(_tasks())
        db.commit()
    command.upgrade(_config(url), "head")
    expected: Counter[tuple[str, str]] = Counter()
    totals: dict[tuple[str, str], float] = {}
    for task in _tasks():
        if task.status in {TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED}:
            for row in tallies.rows_of(task):
                key = (row["metric"], row["label"])
                expected[key] += row["count"]
                totals[key] = totals.get(key, 0.0) + row["total"]
    with Session(engine) as db:
        counted = tallies.read(db)
    engine.dispose()
    assert {key: count for key, (count, _) in counted.items()} == dict(expected)
    for key, (_, total) in counted.items():
        assert abs(total - totals[key]) < 1e-6, key
    # what that amounts to, by hand: the four ended tasks, how each ended, their spend
    assert counted[("ended", "completed\tplanning")][0] == 1
    assert counted[("exit", "timeout")][0] == 1 and counted[("exit", "success")][0] == 2
    assert counted[("spend", "cost_usd")][1] == 0.75
    assert counted[("duration", "+Inf")] == (1, 3655.0)  # the task that timed out
    assert sum(count for (metric, _), (count, _) in counted.items() if metric == "queue") == 3


def test_a_scrape_reads_the_tasks_table_only_for_tasks_still_going(tmp_path: Path) -> None:
    engine = build_engine(f"sqlite:///{tmp_path / 'scrape.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as db:
        for task in _tasks():
            db.add(task)
            if task.status is not TaskStatus.RUNNING:
                tallies.record_ended(db, task)
        db.commit()
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", note)
    down = Redis(port=free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SystemCollector(engine, down, stream_subscriptions=None))
    text = generate_latest(registry).decode()
    reading_tasks = [s for s in statements if " FROM tasks" in s]
    assert reading_tasks, statements
    for statement in reading_tasks:
        assert "WHERE tasks.status IN" in statement, statement
    assert 'ccagent_tasks{agent="planning",status="completed"} 1.0' in text
    assert 'ccagent_running_tasks{worker=""} 1.0' in text
    assert "ccagent_task_queue_seconds_count 4.0" in text  # three ended, one running
    with Session(engine) as db:  # what /api/status answers, from the same rows
        ended = tallies.read(db)
        counts = tallies.counts_by_status(db, ended)
        assert counts == {"queued": 0, "running": 1, "completed": 2, "failed": 1, "cancelled": 1}
        assert tallies.spent(ended, "cost_usd") == 0.75
    engine.dispose()
