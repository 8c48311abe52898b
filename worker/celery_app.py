"""The Celery app and its configuration, shared by the worker and by the API that sends tasks."""

import click
from celery import Celery

from app.config import settings

RUN_TASK = "worker.run_task"

celery_app = Celery(
    "ccagent", broker=settings.REDIS_URL, include=["worker.preflight", "worker.tasks"]
)
celery_app.conf.update(
    task_default_queue=settings.CELERY_QUEUE,
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    # A task's message is acknowledged only when the run is over, and given back if the
    # worker process dies; the task body's conditional claim makes a redelivery a no-op.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    # Prefork only: each pool process runs one task at a time and reaps what its run leaves.
    worker_pool="prefork",
    worker_concurrency=settings.MAX_CONCURRENT_TASKS,
    # Our own watchdog stops a run at TASK_TIMEOUT_SECONDS; this is the backstop behind it.
    task_time_limit=settings.TASK_TIMEOUT_SECONDS + 120,
    broker_transport_options={
        "visibility_timeout": settings.TASK_TIMEOUT_SECONDS + 600,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    },
    broker_connection_retry_on_startup=True,
    # A Redis restart must not stop the runs in progress (Celery 6 will default to cancelling
    # them): they carry on, record their end in the database, and the worker reconnects.
    worker_cancel_long_running_tasks_on_connection_loss=False,
    # Flower shows a task from its worker's events on; the API sends no "task-sent" event of
    # its own: a second Redis publish on every submit, for a queue the database already shows.
    worker_send_task_events=True,
    worker_hijack_root_logger=False,
    worker_redirect_stdouts=False,
)


def _route_flower_logs() -> None:
    """Flower runs on this app (`celery -A worker.celery_app flower`) and leaves its logging
    to tornado, which prints its own format past our redaction: give it our sink instead. The
    app is loaded by the `celery` command before its subcommand runs, so this is in time."""
    command = click.get_current_context(silent=True)
    if command is None or command.invoked_subcommand != "flower":
        return
    from tornado.options import options

    from app.logging import setup_logging

    options.logging = "none"  # tornado adds no handler of its own when Flower parses options
    setup_logging()


_route_flower_logs()
