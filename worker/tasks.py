"""Celery tasks and worker signals. The task body is `worker.run.execute`."""

import os
import signal
import threading
from typing import Any

from billiard.process import current_process
from celery import Task as CeleryTask
from celery.signals import worker_process_init, worker_ready, worker_shutting_down
from loguru import logger
from sqlmodel import col, select

from app.config import settings
from app.db import engine, read_scope
from app.logging import setup_logging
from app.redis_client import sync_redis
from app.streams import events
from app.system.presence import announce_forever
from app.tasks.models import Task, TaskStatus
from app.workspaces.sweep import sweep_forever
from worker import process, run
from worker.celery_app import RUN_TASK, celery_app
from worker.watchdog import RUN_IN_PROGRESS, SHUTDOWN, SHUTTING_DOWN


@celery_app.task(name=RUN_TASK, bind=True)
def run_task_message(self: CeleryTask, task_id: str) -> None:
    """A task's Celery message: run it on this pool process."""
    node = self.request.hostname or "worker"
    slot = f"{node}-{getattr(current_process(), 'index', os.getpid())}"
    _take_over_sigterm()
    run.execute(task_id, worker_id=f"{node}:{os.getpid()}", home_slot=slot)


_billiard_sigterm: Any = None


def _on_sigterm(signum: int, frame: Any) -> None:
    """A pool process told to terminate: stop the run it holds first, then exit."""
    if RUN_IN_PROGRESS.is_set():
        SHUTTING_DOWN.set()
    elif callable(_billiard_sigterm):
        _billiard_sigterm(signum, frame)
    else:
        raise SystemExit(128 + signum)


def _take_over_sigterm() -> None:
    """Billiard installs its own SIGTERM handler after worker_process_init, so ours goes in
    when the first task starts (tasks run on the pool process's main thread)."""
    global _billiard_sigterm
    if signal.getsignal(signal.SIGTERM) is not _on_sigterm:
        _billiard_sigterm = signal.signal(signal.SIGTERM, _on_sigterm)


@worker_process_init.connect
def _init_pool_process(**_: Any) -> None:
    setup_logging()
    # Connections opened before the fork belong to the parent; this process opens its own.
    engine.dispose(close=False)
    sync_redis.cache_clear()
    process.become_subreaper()


_presence_stop = threading.Event()


@worker_ready.connect
def _announce_presence(sender: Any = None, **_: Any) -> None:
    hostname = getattr(sender, "hostname", None) or "worker"
    threading.Thread(
        target=announce_forever, args=(sync_redis(), hostname, _presence_stop), daemon=True
    ).start()
    threading.Thread(  # this host's DATA_DIR, which an API elsewhere never sees
        target=sweep_forever, args=(settings, _presence_stop), name="sweep", daemon=True
    ).start()


@worker_shutting_down.connect
def _stop_running_tasks(sender: str | None = None, **_: Any) -> None:
    """Ask this worker's runs to stop, so shutdown ends every CLI and tool it started."""
    _presence_stop.set()
    try:
        with read_scope() as db:
            running = db.exec(
                select(Task.id).where(
                    Task.status == TaskStatus.RUNNING, col(Task.worker_id).startswith(f"{sender}:")
                )
            ).all()
        for task_id in running:
            sync_redis().set(events.stop_key(task_id), SHUTDOWN, ex=3600)
        if running:
            logger.info(
                "worker {} shutting down: stopping {} running task(s)", sender, len(running)
            )
    except Exception as error:
        logger.warning("could not stop running tasks at shutdown: {}", error)
