"""The metrics collector on a database with known rows and a Redis that is down: the running
runs add up per worker across its pool processes, the histograms' buckets hold exactly the
tasks they should (the ended ones from their tallies, the running ones live), webhook
deliveries count by provider and outcome, and a Redis outage is a metric, not an error."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401  (every table)
from app.db import build_engine
from app.metrics import tallies
from app.metrics.collector import SystemCollector
from app.tasks.models import Task, TaskStatus
from app.webhooks.models import Delivery, Outcome
from tests.core.test_postgres import ADMIN_URL
from tests.support.parts import absent
from tests.support.redis_server import free_port

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _task(status: TaskStatus, queued: float, ran: float | None, worker: str | None) -> Task:
    started = T0 + timedelta(seconds=queued)
    return Task(
        prompt="p",
        session_id="s",
        status=status,
        created_at=T0,
        started_at=started,
        finished_at=started + timedelta(seconds=ran) if ran is not None else None,
        worker_id=worker,
        cost_usd=0.25 if ran is not None else None,
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Each database's own SQL computes the seconds: SQLite, and PostgreSQL when one answers."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('metrics') / 'metrics.db'}"
        return
    import psycopg

    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        absent(f"no PostgreSQL server answers at {ADMIN_URL}: {error}")
    name = f"ccagent_metrics_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{base}/{name}"
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="module")
def samples(database_url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    engine = build_engine(database_url)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as db:
        for ended in (
            _task(TaskStatus.COMPLETED, queued=0.2, ran=3, worker="w1@h:11"),
            _task(TaskStatus.FAILED, queued=40, ran=100, worker="w2@h:21"),
        ):
            db.add(ended)
            tallies.record_ended(db, ended)  # as finish() does, in the same transaction
        for pid in (11, 12):  # two pool processes of one worker
            db.add(_task(TaskStatus.RUNNING, queued=1, ran=None, worker=f"w1@h:{pid}"))
        db.add(_task(TaskStatus.RUNNING, queued=1, ran=None, worker="w2@h:21"))
        db.add(Delivery(provider="github", outcome=Outcome.PROCESSED))
        db.add(Delivery(provider="github", outcome=Outcome.PROCESSED))
        db.add(Delivery(provider="slack", outcome=Outcome.REJECTED))
        db.commit()
    down = Redis(port=free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SystemCollector(engine, down, stream_subscriptions=None))
    text = generate_latest(registry).decode()
    engine.dispose()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_running_runs_add_up_per_worker(samples: dict) -> None:  # type: ignore[type-arg]
    assert samples[("ccagent_running_tasks", (("worker", "w1@h"),))] == 2
    assert samples[("ccagent_running_tasks", (("worker", "w2@h"),))] == 1


def test_histograms_count_each_task_in_its_buckets(samples: dict) -> None:  # type: ignore[type-arg]
    def bucket(name: str, bound: str) -> float:
        return samples[(f"ccagent_{name}_bucket", (("le", bound),))]

    # finished tasks ran 3 s and 100 s
    assert [bucket("task_duration_seconds", b) for b in ("1", "5", "60", "120", "+Inf")] == [
        0,
        1,
        1,
        2,
        2,
    ]
    assert samples[("ccagent_task_duration_seconds_sum", ())] == pytest.approx(103, abs=1e-3)
    # all five started, after 0.2 s, 40 s and three times 1 s in the queue
    assert [bucket("task_queue_seconds", b) for b in ("0.1", "0.25", "1", "30", "60")] == [
        0,
        1,
        4,
        4,
        5,
    ]
    assert samples[("ccagent_task_queue_seconds_count", ())] == 5
    assert samples[("ccagent_cost_usd_total", ())] == pytest.approx(0.5)


def test_deliveries_by_provider_and_outcome(samples: dict) -> None:  # type: ignore[type-arg]
    github = ("ccagent_webhook_deliveries", (("outcome", "processed"), ("provider", "github")))
    slack = ("ccagent_webhook_deliveries", (("outcome", "rejected"), ("provider", "slack")))
    assert samples[github] == 2 and samples[slack] == 1


def test_redis_down_is_reported_not_raised(samples: dict) -> None:  # type: ignore[type-arg]
    assert samples[("ccagent_redis_up", ())] == 0
    assert not [key for key in samples if key[0] == "ccagent_queue_length"]
    assert ("ccagent_stream_subscriptions", ()) not in samples
