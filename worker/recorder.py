"""The line recorder: numbers each line the CLI prints, publishes it at once, and saves it to the
database in batches.

A database that is locked or away never ends a run: the lines wait in memory, the next save
tries again, and whatever is still unsaved goes in with the task's end.
"""

import threading
import time

from loguru import logger

from app.db import session_scope, when_locked
from app.redis_client import sync_redis
from app.streams import events
from app.tasks import service
from app.tasks.models import Task

FLUSH_SECONDS = 0.5
FLUSH_LINES = 500
FLUSH_RETRY_SECONDS = 2.0  # then the lines wait for the next save


class LineRecorder:
    def __init__(self, task: Task) -> None:
        self.task = task
        self.seq = events.SEQ_STARTED
        self.unsaved: list[tuple[int, str]] = []
        self.last_flush = time.monotonic()
        self.redis_failed = False
        self.database_failed = False
        self.lock = threading.Lock()  # the watchdog flushes too

    def publish(self, event: str) -> None:
        try:
            events.publish_events(sync_redis(), self.task.id, self.task.session_id, [event])
            self.redis_failed = False
        except Exception as error:
            if not self.redis_failed:  # say it once per outage, not once per line
                logger.warning("task {}: cannot publish output: {}", self.task.id, error)
            self.redis_failed = True

    def line(self, text: str) -> None:
        self.seq += 1
        with self.lock:
            self.unsaved.append((self.seq, text))
        if self.redis_failed:
            # Lines that missed Redis are saved before the next one is announced: a client
            # that sees the gap fills it from the database.
            self.flush(only_if_due=self.database_failed)
        self.publish(events.encode_event(events.TASK_OUTPUT, self.task.id, self.seq, line=text))
        # While the database fails, saves wait their turn: reading the CLI must go on.
        many = len(self.unsaved) >= FLUSH_LINES and not self.database_failed
        self.flush(only_if_due=not many)

    def flush(self, only_if_due: bool = False) -> None:
        """Save the lines not saved yet (`only_if_due`: if the last save is old enough)."""
        with self.lock:
            if only_if_due and time.monotonic() - self.last_flush < FLUSH_SECONDS:
                return
            if self.unsaved:
                try:
                    when_locked(FLUSH_RETRY_SECONDS)(self._save, self.unsaved)
                    self.unsaved = []
                    if self.database_failed:
                        logger.info("task {}: output saved again", self.task.id)
                    self.database_failed = False
                except Exception as error:
                    if not self.database_failed:
                        logger.warning(
                            "task {}: output not saved yet, kept to save later: {}",
                            self.task.id,
                            error,
                        )
                    self.database_failed = True
            self.last_flush = time.monotonic()

    def _save(self, lines: list[tuple[int, str]]) -> None:
        with session_scope() as db:
            service.save_chunks(db, self.task.id, lines)

    def take_unsaved(self) -> list[tuple[int, str]]:
        """The lines not saved yet, handed over to be saved with the task's end."""
        with self.lock:
            unsaved, self.unsaved = self.unsaved, []
            return unsaved
