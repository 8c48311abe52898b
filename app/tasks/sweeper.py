"""The sweeper: the database is the truth, Redis is transport, and this reconciles the two.

- A QUEUED task whose Celery message is in neither the queue nor a live worker's hands (lost
  with a Redis restart, or a send that failed) is sent again. A redelivery is harmless: the
  worker's conditional claim makes any second run a no-op.
- A RUNNING task whose worker stopped beating ends FAILED, with the reason. Beats and this check
  read one clock, the database's. The run, if it is still alive somewhere, sees at its next beat
  that its task is no longer RUNNING and stops.
One API process sweeps at a time (a Redis lock); it runs in the API's lifespan.
"""

import asyncio
import json
import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import cast

from loguru import logger
from redis import Redis
from sqlmodel import col, select

from app.config import settings
from app.db import read_scope, session_scope
from app.redis_client import sync_redis
from app.streams.events import PREFIX
from app.tasks import dispatch, service
from app.tasks.models import Task, TaskStatus, utcnow
from app.workspaces.sweep import sweep as sweep_workspaces

LOCK_KEY = f"{PREFIX}:sweeper-lock"
UNACKED_HASH = "unacked"  # kombu's Redis transport keeps delivered, unacknowledged messages here
UNACKED_INDEX = "unacked_index"


@dataclass
class SweepReport:
    resent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _message_id(raw: bytes | str) -> str | None:
    try:
        message = json.loads(raw)
        if isinstance(message, list):  # unacked entries are [message, exchange, routing_key]
            message = message[0]
        return str(message["headers"]["id"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def messages_in_flight(redis: Redis) -> set[str]:
    """Ids of tasks whose message waits in the queue or was delivered only recently."""
    queued = cast(list[bytes], redis.lrange(settings.CELERY_QUEUE, 0, -1))
    ids = {_message_id(raw) for raw in queued}
    fresh_after = utcnow().timestamp() - settings.REQUEUE_AFTER_SECONDS
    fresh_tags = cast(list[bytes], redis.zrangebyscore(UNACKED_INDEX, fresh_after, "+inf"))
    if fresh_tags:
        delivered = cast(list[bytes | None], redis.hmget(UNACKED_HASH, fresh_tags))
        ids |= {_message_id(raw) for raw in delivered if raw}
    ids.discard(None)
    return ids  # type: ignore[return-value]


def sweep_once() -> SweepReport:
    report = SweepReport()
    redis = sync_redis()
    now = utcnow()
    with read_scope() as db:  # most sweeps find nothing: they take no write lock
        silent = service.silent_tasks(db)
        stale = db.exec(
            select(Task.id).where(
                Task.status == TaskStatus.QUEUED,
                col(Task.dispatched_at) < now - timedelta(seconds=settings.REQUEUE_AFTER_SECONDS),
            )
        ).all()
    for task in silent:
        reason = (
            f"Worker {task.worker_id} stopped responding (no heartbeat for more than "
            f"{settings.HEARTBEAT_TIMEOUT_SECONDS:g} s); the run was lost"
        )
        with session_scope() as db:
            seq = service.next_seq_after_crash(db, task)
            ended = service.finish(
                db, task, TaskStatus.FAILED, seq, expected=TaskStatus.RUNNING, error=reason
            )
            if ended is not None:
                report.failed.append(task.id)
    if stale:
        in_flight = messages_in_flight(redis)
        report.resent = [task_id for task_id in stale if task_id not in in_flight]
    if report.resent:
        dispatch.send(report.resent)
        with session_scope() as db:
            service.mark_dispatched(db, report.resent)
    for task_id in report.failed:
        logger.warning("sweeper: task {} failed, its worker stopped beating", task_id)
    if report.resent:
        logger.info("sweeper: sent {} queued task(s) again", len(report.resent))
    sweep_workspaces(settings)  # what ended tasks left on disk (app/workspaces/sweep.py)
    return report


def _take_lock(redis: Redis) -> bool:
    ttl_ms = int(settings.SWEEP_INTERVAL_SECONDS * 900)
    return bool(redis.set(LOCK_KEY, f"{os.getpid()}", nx=True, px=max(ttl_ms, 100)))


async def sweep_forever() -> None:
    while True:
        await asyncio.sleep(settings.SWEEP_INTERVAL_SECONDS)
        try:
            if await asyncio.to_thread(_take_lock, sync_redis()):
                await asyncio.to_thread(sweep_once)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.warning("sweeper: {}", error)
