"""Sending a task's Celery message: the task id only; the database holds the rest."""

from collections.abc import Sequence

from worker.celery_app import RUN_TASK, celery_app

# Fail fast when Redis is down: the sweeper sends the message again later.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}


def send(task_ids: Sequence[str]) -> None:
    """Send one message per task; Celery's id is the task's id, so the sweeper can find it."""
    for task_id in task_ids:
        celery_app.send_task(
            RUN_TASK, args=[task_id], task_id=task_id, retry=True, retry_policy=PUBLISH_RETRY_POLICY
        )
