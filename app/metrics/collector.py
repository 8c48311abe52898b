"""The metrics, read at scrape time from the database (the truth) and Redis (the queue, the
workers' presence), so every API process answers the same numbers. Only the stream
subscriptions belong to the process that answers.

Histograms are counted over every task the database holds (one aggregate query each), so they
only grow, as Prometheus expects of a histogram, and `rate()` works on them.
"""

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from redis import Redis
from sqlalchemy import case, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.config import settings
from app.metrics.exits import exit_kind_column
from app.system.presence import live_workers
from app.tasks.models import TERMINAL_STATUSES, Task, TaskStatus
from app.webhooks.models import Delivery

PREFIX = "ccagent"
DURATION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
QUEUE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
TOKEN_COLUMNS = {
    "input": Task.input_tokens,
    "output": Task.output_tokens,
    "cache_creation": Task.cache_creation_tokens,
    "cache_read": Task.cache_read_tokens,
}


def seconds_between(engine: Engine, start: Any, end: Any) -> Any:
    """`end - start` in seconds, in the database's own SQL."""
    if engine.dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


class SystemCollector:
    """A prometheus_client collector: every metric is computed when `collect()` is called."""

    def __init__(self, engine: Engine, redis: Redis, stream_subscriptions: int | None) -> None:
        self.engine = engine
        self.redis = redis
        self.stream_subscriptions = stream_subscriptions

    def collect(self) -> Iterator[Metric]:
        with Session(self.engine) as db:
            yield from self._tasks(db)
            yield from self._running(db)
            yield from self._spend(db)
            yield from self._exits(db)
            yield self._deliveries(db)
            yield self._histogram(
                db,
                "task_duration_seconds",
                "Time from a task's start to its end, finished tasks.",
                col(Task.started_at),
                col(Task.finished_at),
                DURATION_BUCKETS,
            )
            yield self._histogram(
                db,
                "task_queue_seconds",
                "Time a task waited in the queue before a worker started it.",
                col(Task.created_at),
                col(Task.started_at),
                QUEUE_BUCKETS,
            )
        yield from self._redis()
        if self.stream_subscriptions is not None:
            yield GaugeMetricFamily(
                f"{PREFIX}_stream_subscriptions",
                "WebSocket subscriptions (a client per session or task it watches) held by the"
                " API process that answered this scrape.",
                value=self.stream_subscriptions,
            )

    def _tasks(self, db: Session) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            f"{PREFIX}_tasks",
            "Tasks in the database by status and agent.",
            labels=["status", "agent"],
        )
        rows = db.exec(
            select(Task.status, Task.agent, func.count()).group_by(
                col(Task.status), col(Task.agent)
            )
        ).all()
        seen = set()
        for status, agent, count in rows:
            family.add_metric([str(status), agent or ""], count)
            seen.add(str(status))
        for status in TaskStatus:  # every status is always there, 0 when none has it
            if status.value not in seen:
                family.add_metric([status.value, ""], 0)
        return [family]

    def _running(self, db: Session) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            f"{PREFIX}_running_tasks",
            "Tasks RUNNING, by the worker (Celery node name) that claimed them.",
            labels=["worker"],
        )
        per_worker: dict[str, int] = {}
        rows = db.exec(
            select(Task.worker_id, func.count())
            .where(col(Task.status) == TaskStatus.RUNNING)
            .group_by(Task.worker_id)
        ).all()
        for worker_id, count in rows:
            node = (worker_id or "").rsplit(":", 1)[0]  # worker_id is "<node>:<pool pid>"
            per_worker[node] = per_worker.get(node, 0) + count
        for node, count in sorted(per_worker.items()):
            family.add_metric([node], count)
        return [family]

    def _spend(self, db: Session) -> Iterable[Metric]:
        sums = [func.coalesce(func.sum(column), 0) for column in TOKEN_COLUMNS.values()]
        row: Sequence[Any] = cast(
            Sequence[Any], db.exec(select(func.coalesce(func.sum(Task.cost_usd), 0.0), *sums)).one()
        )
        cost, *tokens = row
        tokens_family = CounterMetricFamily(
            f"{PREFIX}_tokens", "Tokens the CLI reported, by kind.", labels=["kind"]
        )
        for kind, value in zip(TOKEN_COLUMNS, tokens, strict=True):
            tokens_family.add_metric([kind], float(value))
        return [
            CounterMetricFamily(
                f"{PREFIX}_cost_usd", "Spend the CLI reported, in USD.", value=float(cost)
            ),
            tokens_family,
        ]

    def _exits(self, db: Session) -> Iterable[Metric]:
        family = CounterMetricFamily(
            f"{PREFIX}_cli_exits",
            "Finished tasks by how their run ended (see app/metrics/exits.py).",
            labels=["kind"],
        )
        kind = exit_kind_column()
        rows = db.exec(
            select(kind, func.count())
            .where(col(Task.status).in_(list(TERMINAL_STATUSES)))
            .group_by(kind)
        ).all()
        for name, count in rows:
            family.add_metric([str(name)], count)
        return [family]

    def _deliveries(self, db: Session) -> Metric:
        family = GaugeMetricFamily(
            f"{PREFIX}_webhook_deliveries",
            "Webhook deliveries recorded, by provider and where each stands now.",
            labels=["provider", "outcome"],
        )
        rows = db.exec(
            select(Delivery.provider, Delivery.outcome, func.count()).group_by(
                col(Delivery.provider), col(Delivery.outcome)
            )
        ).all()
        for provider, outcome, count in rows:
            family.add_metric([provider, str(outcome)], count)
        return family

    def _histogram(
        self,
        db: Session,
        name: str,
        documentation: str,
        start: Any,
        end: Any,
        buckets: Sequence[float],
    ) -> Metric:
        seconds = seconds_between(self.engine, start, end)
        counts = [
            func.coalesce(func.sum(case((seconds <= bound, 1), else_=0)), 0) for bound in buckets
        ]
        query = select(func.count(), func.coalesce(func.sum(seconds), 0.0), *counts).where(
            start.is_not(None), end.is_not(None)
        )
        row: Sequence[Any] = db.exec(query).one()
        total, seconds_sum, *cumulative = row
        family = HistogramMetricFamily(f"{PREFIX}_{name}", documentation)
        family.add_metric(
            [],
            buckets=[
                *(
                    (f"{bound:g}", int(count))
                    for bound, count in zip(buckets, cumulative, strict=True)
                ),
                ("+Inf", int(total)),
            ],
            sum_value=float(seconds_sum),
        )
        return family

    def _redis(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(f"{PREFIX}_redis_up", "1 when Redis answered this scrape.")
        try:
            queue_length = cast(int, self.redis.llen(settings.CELERY_QUEUE))
            workers = live_workers(self.redis)
        except Exception:
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        concurrency = GaugeMetricFamily(
            f"{PREFIX}_worker_concurrency",
            "Live workers (they beat in Redis) and the runs each may hold at once.",
            labels=["worker"],
        )
        for worker in sorted(workers, key=lambda w: str(w.get("hostname"))):
            concurrency.add_metric([str(worker.get("hostname"))], worker.get("concurrency", 0))
        return [
            up,
            GaugeMetricFamily(
                f"{PREFIX}_queue_length",
                f"Messages waiting in the Celery queue ({settings.CELERY_QUEUE}).",
                value=queue_length,
            ),
            concurrency,
        ]
