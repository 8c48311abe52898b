"""One run of the CLI for one task: claim, spawn, relay every line, record, end cleanly."""

import json
import os
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from loguru import logger

from app.config import settings
from app.db import session_scope
from app.redis_client import sync_redis
from app.streams import events
from app.tasks import service
from app.tasks.models import Task, TaskStatus
from worker import environment, process
from worker.cli import ResultLine, build_argv

CHUNK_FLUSH_SECONDS = 0.5
CHUNK_FLUSH_LINES = 500
WATCH_TICK_SECONDS = 0.1
STDERR_TAIL_BYTES = 2000

# Set when this pool process is asked to terminate while it runs a task: the watchdog then
# stops the run (the CLI and its tools) and the task ends FAILED with the reason.
SHUTTING_DOWN = threading.Event()
RUNNING = threading.Event()

STOP_REASONS = {
    "cancel": (TaskStatus.CANCELLED, "Stopped by user"),
    "shutdown": (TaskStatus.FAILED, "The worker shut down while the task was running"),
}


@dataclass
class Watchdog:
    """Beside the reading loop: beats, and stops the run on request, timeout or shutdown."""

    task_id: str
    proc: Any
    relay: "Relay"
    reason: str | None = None
    done: threading.Event = field(default_factory=threading.Event)
    warned: set[str] = field(default_factory=set)
    exited_at: float | None = None

    def run(self) -> None:
        deadline = time.monotonic() + settings.TASK_TIMEOUT_SECONDS
        next_beat = time.monotonic() + settings.HEARTBEAT_SECONDS
        while not self.done.wait(WATCH_TICK_SECONDS):
            if time.monotonic() >= deadline:
                self.stop("timeout")
            elif SHUTTING_DOWN.is_set():
                self.stop("shutdown")
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
                try:
                    # Lines wait for the next one to be saved in a batch; a CLI silent for long
                    # (a long tool) must not keep its last lines out of the database.
                    self.relay.flush(only_if_due=True)
                    with session_scope() as db:
                        service.beat(db, self.task_id)
                        if service.get_task(db, self.task_id).stop_requested:
                            self.stop("cancel")
                    self.warned.discard("the database")
                except Exception as error:
                    self._warn_once("the database", error)
            self._end_what_holds_the_output()

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


class Relay:
    """Numbers each line, publishes it at once, and saves it to the database in batches."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self.seq = events.SEQ_STARTED
        self.unsaved: list[tuple[int, str]] = []
        self.last_flush = time.monotonic()
        self.redis_failed = False
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
            self.flush()
        self.publish(events.encode_event(events.TASK_OUTPUT, self.task.id, self.seq, line=text))
        if len(self.unsaved) >= CHUNK_FLUSH_LINES:
            self.flush()
        else:
            self.flush(only_if_due=True)

    def flush(self, only_if_due: bool = False) -> None:
        """Save the lines not saved yet (`only_if_due`: if the last save is old enough)."""
        with self.lock:
            if only_if_due and time.monotonic() - self.last_flush < CHUNK_FLUSH_SECONDS:
                return
            if self.unsaved:
                with session_scope() as db:
                    service.save_chunks(db, self.task.id, self.unsaved)
                self.unsaved = []
            self.last_flush = time.monotonic()

    def take_unsaved(self) -> list[tuple[int, str]]:
        """The lines not saved yet, handed over to be saved with the task's end."""
        with self.lock:
            unsaved, self.unsaved = self.unsaved, []
            return unsaved


def worker_home(slot: str) -> str:
    home = Path(settings.CLI_HOME) / slot
    home.mkdir(parents=True, exist_ok=True)
    return str(home)


def run_task(task_id: str, worker_id: str, home_slot: str) -> None:
    """The body of the Celery task. A task that is not QUEUED is left alone (one run per task)."""
    RUNNING.set()
    try:
        with session_scope() as db:
            task = service.claim(db, task_id, worker_id)
        if task is None:
            logger.info("task {} is not queued any more; this delivery is a no-op", task_id)
            return
        _run_claimed(task, worker_id, home_slot)
    finally:
        RUNNING.clear()
    if SHUTTING_DOWN.is_set():
        raise SystemExit(0)  # the run is ended and recorded; now honour the SIGTERM


def _run_claimed(task: Task, worker_id: str, home_slot: str) -> None:
    relay = Relay(task)
    relay.publish(
        events.encode_event(events.TASK_STARTED, task.id, events.SEQ_STARTED, worker_id=worker_id)
    )
    try:
        status, values = _run_cli(task, relay, worker_home(home_slot))
    except Exception as error:
        logger.exception("task {} failed in the worker", task.id)
        status, values = TaskStatus.FAILED, {"error": f"Internal worker error: {error}"}
    with session_scope() as db:  # the last lines and the end: one transaction
        service.finish(db, task, status, seq=relay.seq + 1, chunks=relay.take_unsaved(), **values)
    logger.info("task {} ended {}", task.id, status.value)


def _run_cli(task: Task, relay: Relay, home: str) -> tuple[TaskStatus, dict[str, Any]]:
    if not os.access(settings.CLAUDE_CLI_PATH, os.X_OK):
        return TaskStatus.FAILED, {
            "error": f"Claude Code CLI not found or not executable at {settings.CLAUDE_CLI_PATH}"
            " (install it with `just setup`, or set CLAUDE_CLI_PATH)"
        }
    if not Path(settings.BRAIN_DIR).is_dir():
        return TaskStatus.FAILED, {"error": f"BRAIN_DIR {settings.BRAIN_DIR} does not exist"}
    result: ResultLine | None = None
    setup = environment.prepare(settings, task, home)
    with tempfile.TemporaryFile() as stderr:
        proc = process.spawn(
            build_argv(settings, task), setup.cwd, setup.env, stderr, stdin_text=task.prompt
        )
        watchdog = Watchdog(task.id, proc, relay)
        watcher = threading.Thread(target=watchdog.run, name=f"watch-{task.id}", daemon=True)
        watcher.start()
        try:
            assert proc.stdout is not None
            for raw in iter(proc.stdout.readline, b""):
                text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                relay.line(text)
                if '"type":"result"' in text:  # parse only candidates: lines can be huge
                    result = _parse_result(text) or result
            exit_code = proc.wait()
        finally:
            watchdog.done.set()
            watcher.join()
            process.stop_process_tree(proc, settings.STOP_GRACE_SECONDS)
            process.reap_orphans()
            environment.cleanup(settings, task.id)
        stderr.seek(max(0, stderr.seek(0, os.SEEK_END) - STDERR_TAIL_BYTES))
        stderr_tail = stderr.read().decode("utf-8", errors="replace").strip()
    printed = relay.seq > events.SEQ_STARTED
    return _outcome(watchdog.reason, result, exit_code, stderr_tail, printed)


def _parse_result(text: str) -> ResultLine | None:
    try:
        line = json.loads(text)
    except ValueError:
        return None
    if isinstance(line, dict) and line.get("type") == "result":
        return ResultLine.parse(line)
    return None


def _outcome(
    stop_reason: str | None,
    result: ResultLine | None,
    exit_code: int,
    stderr_tail: str,
    printed: bool,
) -> tuple[TaskStatus, dict[str, Any]]:
    values: dict[str, Any] = result.task_fields() if result else {}
    if stop_reason == "timeout":
        limit = f"{settings.TASK_TIMEOUT_SECONDS:g}"
        return TaskStatus.FAILED, {
            **values,
            "error": f"Timed out after {limit} s; the run was stopped",
        }
    if stop_reason is not None:
        status, message = STOP_REASONS.get(stop_reason, STOP_REASONS["cancel"])
        return status, {**values, "error": message}
    if result is not None and not result.is_error:
        return TaskStatus.COMPLETED, {**values, "result": result.text}
    if result is not None:
        return TaskStatus.FAILED, {
            **values,
            "error": result.text or "Claude Code reported an error",
        }
    detail = f": {stderr_tail}" if stderr_tail else ""
    if not printed:
        return TaskStatus.FAILED, {
            "error": f"Claude Code CLI {_exit(exit_code)} without printing anything{detail}"
        }
    if exit_code != 0:
        message = f"Claude Code CLI {_exit(exit_code)} before reporting a result"
        return TaskStatus.FAILED, {"error": message + detail}
    return TaskStatus.FAILED, {"error": f"Claude Code CLI ended without a result line{detail}"}


def _exit(exit_code: int) -> str:
    """How the CLI ended, in words: Popen gives -N for a process killed by signal N."""
    if exit_code < 0:
        try:
            return f"was killed by signal {signal.Signals(-exit_code).name}"
        except ValueError:
            return f"was killed by signal {-exit_code}"
    return f"exited with code {exit_code}"
