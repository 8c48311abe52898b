"""The watchdog beside a run's reading loop: it beats, and stops the run on a stop request, at
the timeout, at the worker's shutdown, and when the task is no longer RUNNING in the database
(the sweeper took it for lost, say): such a run stops within one beat."""

import threading
import time
from dataclasses import dataclass, field
from subprocess import Popen
from typing import cast

from loguru import logger

from app.config import settings
from app.db import session_scope
from app.redis_client import sync_redis
from app.streams import events
from app.tasks import service
from worker import process

TICK_SECONDS = 0.1

# Set when this pool process is asked to terminate while it runs a task: the watchdog then
# stops the run (the CLI and its tools) and the task ends FAILED with the reason.
SHUTTING_DOWN = threading.Event()
# Set while this pool process runs a task (a SIGTERM then waits for the run to be recorded).
RUN_IN_PROGRESS = threading.Event()

# Why a run was stopped: the values a stop request in Redis holds, and the watchdog's own.
CANCEL = "cancel"
SHUTDOWN = "shutdown"
TIMEOUT = "timeout"
ENDED_ELSEWHERE = "ended"


@dataclass
class Watchdog:
    task_id: str
    proc: Popen[bytes]
    reason: str | None = None
    done: threading.Event = field(default_factory=threading.Event)
    warned: set[str] = field(default_factory=set)
    exited_at: float | None = None

    def run(self) -> None:
        deadline = time.monotonic() + settings.TASK_TIMEOUT_SECONDS
        next_beat = time.monotonic() + settings.HEARTBEAT_SECONDS
        while not self.done.wait(TICK_SECONDS):
            if time.monotonic() >= deadline:
                self.stop(TIMEOUT)
            elif SHUTTING_DOWN.is_set():
                self.stop(SHUTDOWN)
            # Redis and the database are checked apart: with Redis down the task still beats
            # (the sweeper must not take it for lost) and still obeys a stop recorded in the
            # database.
            try:
                if requested := cast(bytes | None, sync_redis().get(events.stop_key(self.task_id))):
                    self.stop(requested.decode())
                self.warned.discard("Redis")
            except Exception as error:
                self._warn_once("Redis", error)
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + settings.HEARTBEAT_SECONDS
                self._beat()
            self._end_what_holds_the_output()

    def _beat(self) -> None:
        try:
            with session_scope() as db:
                state = service.beat(db, self.task_id)
            self.warned.discard("the database")
        except Exception as error:
            self._warn_once("the database", error)
            return
        if state == "stop requested":
            self.stop(CANCEL)
        elif state == "ended":
            self.stop(ENDED_ELSEWHERE)

    def _end_what_holds_the_output(self) -> None:
        """The CLI has exited but its output has not ended: a process it left behind holds the
        pipe open. After the grace period, end the leftovers, or the task waits for them."""
        if self.exited_at is None:
            if self.proc.poll() is not None:
                self.exited_at = time.monotonic()
        elif time.monotonic() - self.exited_at > settings.STOP_GRACE_SECONDS:
            logger.info("task {}: the CLI exited; ending what it left running", self.task_id)
            process.reap_orphans()
            self.exited_at = float("inf")  # once

    def _warn_once(self, part: str, error: Exception) -> None:
        """Say it once per outage, not ten times a second: the run goes on, the checks retry."""
        if part not in self.warned:
            self.warned.add(part)
            logger.warning("watchdog of task {}: {} is unavailable: {}", self.task_id, part, error)

    def stop(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
            logger.info("stopping task {}: {}", self.task_id, reason)
            process.stop_process_tree(self.proc, settings.STOP_GRACE_SECONDS)
