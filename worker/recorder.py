"""The line recorder: numbers each line the CLI prints, publishes it at once, and saves it to the
database in batches, from a thread of its own.

Reading the CLI never waits for the database: a CLI whose output pipe stays full may lose its
last lines when it exits. A database that is locked or away never ends a run either: the lines
wait in memory, the next save tries again, and whatever is still unsaved goes in with the
task's end.
"""

import threading
import time

from loguru import logger

from app.db import session_scope, when_locked
from app.redis_client import sync_redis
from app.streams import events
from app.tasks import output
from app.tasks.models import Task
from worker import helpers

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
        self.lock = threading.Lock()  # guards `unsaved`; never held while the database works
        self._one_flush_at_a_time = threading.Lock()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._saver: helpers.Job | None = None
        self._announcing: helpers.Job | None = None

    def start(self) -> None:
        """Save in the background from now on."""
        self._saver = helpers.start(self._save_forever, name=f"save-{self.task.id}")

    def announce(self, encoded: str) -> None:
        """Publish an event from a helper thread, off the caller's path (the start, while the
        CLI is being spawned: ~0.3 ms of waiting on Redis). Every later publish waits for it,
        so viewers still see the events in order."""
        self._announced()
        self._announcing = helpers.start(self._publish, encoded, name=f"announce-{self.task.id}")

    def _announced(self) -> None:
        if self._announcing is not None:
            self._announcing.join()
            self._announcing = None

    def close(self) -> list[tuple[int, str]]:
        """Stop saving in the background; the lines not saved yet, to go in with the task's end."""
        self._announced()  # the end is announced after this
        self._closed.set()
        self._wake.set()
        if self._saver is not None:
            self._saver.join()
        with self.lock:
            unsaved, self.unsaved = self.unsaved, []
            return unsaved

    def publish(self, *encoded: str) -> None:
        self._announced()
        self._publish(*encoded)

    def _publish(self, *encoded: str) -> None:
        try:
            events.publish_events(sync_redis(), self.task.id, self.task.session_id, list(encoded))
            self.redis_failed = False
        except Exception as error:
            if not self.redis_failed:  # say it once per outage, not once per line
                logger.warning("task {}: cannot publish output: {}", self.task.id, error)
            self.redis_failed = True

    def line(self, text: str) -> None:
        self.lines([text])

    def lines(self, texts: list[str]) -> None:
        """Number the lines one read brought, and publish them together (one round trip)."""
        self._announced()  # its outcome says whether Redis is failing
        first = self.seq + 1
        self.seq += len(texts)
        numbered = list(enumerate(texts, start=first))
        with self.lock:
            self.unsaved.extend(numbered)
            many = len(self.unsaved) >= FLUSH_LINES
        if self.redis_failed:
            # Lines that missed Redis are saved before the next one is announced: a client
            # that sees the gap fills it from the database.
            self.flush(only_if_due=self.database_failed)
        output = events.TASK_OUTPUT
        self.publish(*(events.encode_event(output, self.task.id, n, line=t) for n, t in numbered))
        if many:
            self._wake.set()

    def flush(self, only_if_due: bool = False) -> None:
        """Save the lines not saved yet (`only_if_due`: if the last save is old enough)."""
        with self._one_flush_at_a_time:
            if only_if_due and time.monotonic() - self.last_flush < FLUSH_SECONDS:
                return
            with self.lock:
                batch = list(self.unsaved)
            if batch:
                try:
                    when_locked(FLUSH_RETRY_SECONDS)(self._save, batch)
                except Exception as error:
                    if not self.database_failed:
                        logger.warning(
                            "task {}: output not saved yet, kept to save later: {}",
                            self.task.id,
                            error,
                        )
                    self.database_failed = True
                else:
                    with self.lock:  # only appended to meanwhile
                        del self.unsaved[: len(batch)]
                    if self.database_failed:
                        logger.info("task {}: output saved again", self.task.id)
                    self.database_failed = False
            self.last_flush = time.monotonic()

    def _save_forever(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(FLUSH_SECONDS)
            self._wake.clear()
            if not self._closed.is_set():
                self.flush()

    def _save(self, lines: list[tuple[int, str]]) -> None:
        with session_scope() as db:
            output.save_chunks(db, self.task.id, lines)
