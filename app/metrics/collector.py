"""The metrics, read at scrape time from the database (the truth) and Redis (the queue, the
workers' presence), so every API process answers the same numbers. Only the stream
subscriptions belong to the process that answers.

Ended tasks are read from their running totals (app/metrics/tallies.py), tasks still queued or
running live, in one snapshot: a scrape costs the same however long the history. Counters and
histograms only grow, as Prometheus expects of them, so `rate()` works on them.
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
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.config import settings
from app.metrics import tallies
from app.metrics.tallies import (
    DURATION_BUCKETS,
    LIVE_STATUSES,
    QUEUE_BUCKETS,
    TOKEN_KINDS,
    Tallies,
)
from app.system.presence import live_workers
from app.tasks.models import Task, TaskStatus
from app.webhooks.models import Delivery

PREFIX = "ccagent"
# What a scrape reads of each task still queued or running.
LIVE_COLUMNS = [
    col(Task.status),
    col(Task.agent),
    col(Task.worker_id),
    col(Task.created_at),
    col(Task.started_at),
]


class SystemCollector:
    """A prometheus_client collector: every metric is computed when `collect()` is called."""

    def __init__(self, engine: Engine, redis: Redis, stream_subscriptions: int | None) -> None:
        self.engine = engine
        self.redis = redis
        self.stream_subscriptions = stream_subscriptions

    def collect(self) -> Iterator[Metric]:
        with self._snapshot() as db:
            ended = tallies.read(db)
            live = db.execute(
                sa_select(*LIVE_COLUMNS).where(col(Task.status).in_(LIVE_STATUSES))
            ).all()
            deliveries = self._deliveries(db)
        yield self._tasks(ended, live)
        yield self._running(live)
        yield from self._spend(ended)
        yield self._exits(ended)
        yield deliveries
        yield self._histogram(
            "task_duration_seconds",
            "Time from a task's start to its end, finished tasks.",
            ended,
            tallies.DURATION,
            DURATION_BUCKETS,
            [],
        )
        running_waits = [tallies.seconds_between(row[3], row[4]) for row in live]
        yield self._histogram(
            "task_queue_seconds",
            "Time a task waited in the queue before a worker started it.",
            ended,
            tallies.QUEUE,
            QUEUE_BUCKETS,
            [waited for waited in running_waits if waited is not None],
        )
        yield from self._redis()
        if self.stream_subscriptions is not None:
            yield GaugeMetricFamily(
                f"{PREFIX}_stream_subscriptions",
                "WebSocket subscriptions (a client per session or task it watches) held by the"
                " API process that answered this scrape.",
                value=self.stream_subscriptions,
            )

    def _snapshot(self) -> Session:
        """One view of the database for the whole scrape: a task that ends meanwhile is counted
        live or in the tallies, never both (SQLite's read transaction is one snapshot already)."""
        if self.engine.dialect.name == "postgresql":
            return Session(self.engine.execution_options(isolation_level="REPEATABLE READ"))
        return Session(self.engine)

    def _tasks(self, ended: Tallies, live: Sequence[Any]) -> Metric:
        family = GaugeMetricFamily(
            f"{PREFIX}_tasks",
            "Tasks in the database by status and agent.",
            labels=["status", "agent"],
        )
        counts: dict[tuple[str, str], int] = {}
        for status, agent, *_ in live:
            key = (str(status), agent or "")
            counts[key] = counts.get(key, 0) + 1
        for (metric, label), (count, _) in ended.items():
            if metric == tallies.ENDED:
                counts[tallies.status_and_agent(label)] = count
        for status in TaskStatus:  # every status is always there, 0 when none has it
            if not any(key[0] == status.value for key in counts):
                counts[(status.value, "")] = 0
        for (status, agent), count in counts.items():
            family.add_metric([status, agent], count)
        return family

    def _running(self, live: Sequence[Any]) -> Metric:
        family = GaugeMetricFamily(
            f"{PREFIX}_running_tasks",
            "Tasks RUNNING, by the worker (Celery node name) that claimed them.",
            labels=["worker"],
        )
        per_worker: dict[str, int] = {}
        for status, _, worker_id, *_ in live:
            if status == TaskStatus.RUNNING:
                node = (worker_id or "").rsplit(":", 1)[0]  # worker_id is "<node>:<pool pid>"
                per_worker[node] = per_worker.get(node, 0) + 1
        for node, count in sorted(per_worker.items()):
            family.add_metric([node], count)
        return family

    def _spend(self, ended: Tallies) -> Iterable[Metric]:
        tokens_family = CounterMetricFamily(
            f"{PREFIX}_tokens", "Tokens the CLI reported, by kind.", labels=["kind"]
        )
        for kind in TOKEN_KINDS:
            tokens_family.add_metric([kind], tallies.spent(ended, kind))
        return [
            CounterMetricFamily(
                f"{PREFIX}_cost_usd",
                "Spend the CLI reported, in USD.",
                value=tallies.spent(ended, "cost_usd"),
            ),
            tokens_family,
        ]

    def _exits(self, ended: Tallies) -> Metric:
        family = CounterMetricFamily(
            f"{PREFIX}_cli_exits",
            "Finished tasks by how their run ended (see app/metrics/exits.py).",
            labels=["kind"],
        )
        for (metric, kind), (count, _) in sorted(ended.items()):
            if metric == tallies.EXIT:
                family.add_metric([kind], count)
        return family

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
        name: str,
        documentation: str,
        ended: Tallies,
        metric: str,
        bounds: Sequence[float],
        also: Sequence[float],
    ) -> Metric:
        """The ended tasks' buckets from their tallies, and `also` (seconds of live tasks)."""
        counts = {label: count for (m, label), (count, _) in ended.items() if m == metric}
        seconds = sum(total for (m, _), (_, total) in ended.items() if m == metric) + sum(also)
        for value in also:
            label = tallies.bucket(value, bounds)
            counts[label] = counts.get(label, 0) + 1
        cumulative, buckets = 0, []
        for label in [*map(tallies.bound_label, bounds), tallies.INF]:
            cumulative += counts.get(label, 0)
            buckets.append((label, cumulative))
        family = HistogramMetricFamily(f"{PREFIX}_{name}", documentation)
        family.add_metric([], buckets=buckets, sum_value=float(seconds))
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
