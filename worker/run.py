"""One run of the CLI for one task: claim, spawn, record every line, end cleanly.

The pieces: `recorder` (numbering, publishing and saving the lines), `watchdog` (beats, stops),
`outcome` (what the end means for the task), `process` (spawn and the stop sequence).
"""

import os
import tempfile
from pathlib import Path
from typing import Any

from loguru import logger

from app.config import settings
from app.db import session_scope, when_locked
from app.streams import events
from app.tasks import service
from app.tasks.models import Task, TaskStatus
from app.workspaces import service as workspaces
from app.workspaces.errors import WorkspaceError
from worker import environment, helpers, process
from worker.cli import ResultLine, build_argv
from worker.drain import read_lines
from worker.outcome import Run, UsageTally, outcome, parse_result
from worker.recorder import LineRecorder
from worker.watchdog import RUN_IN_PROGRESS, SHUTTING_DOWN, Watchdog

STDERR_TAIL_BYTES = 2000
# The claim and the end wait this long for a locked database; a run is never failed for it.
CLAIM_RETRY_SECONDS = 60.0
FINISH_RETRY_SECONDS = 600.0


def worker_home(slot: str) -> str:
    home = Path(settings.CLI_HOME) / slot
    if not home.is_dir():  # made once per slot; a stat is cheaper than mkdir's EEXIST
        home.mkdir(parents=True, exist_ok=True)
    return str(home)


def execute(task_id: str, worker_id: str, home_slot: str) -> None:
    """The body of the Celery task. A task that is not QUEUED is left alone (one run per task)."""
    RUN_IN_PROGRESS.set()
    # Every line logged for this task carries its id (a field with LOG_JSON, a prefix otherwise)
    with logger.contextualize(task_id=task_id):
        try:
            claimed = when_locked(CLAIM_RETRY_SECONDS)(_claim, task_id, worker_id)
            if isinstance(claimed, service.Claim):
                with logger.contextualize(agent=claimed.task.agent):
                    _run_claimed(claimed, worker_id, home_slot)
            elif isinstance(claimed, Task):
                logger.info("task {} refused at its start: {}", task_id, claimed.error)
            else:
                logger.info("task {} is not queued any more; this delivery is a no-op", task_id)
        finally:
            RUN_IN_PROGRESS.clear()
    if SHUTTING_DOWN.is_set():
        raise SystemExit(0)  # the run is ended and recorded; now honour the SIGTERM


def _claim(task_id: str, worker_id: str) -> service.Claim | Task | None:
    with session_scope() as db:
        return service.claim(db, task_id, worker_id)


def _run_claimed(claimed: service.Claim, worker_id: str, home_slot: str) -> None:
    task = claimed.task
    recorder = LineRecorder(task)
    recorder.announce(events.started_event(task.id, worker_id))
    recorder.start()
    try:
        try:
            status, values = _run_cli(
                task, claimed.max_budget_usd, recorder, worker_home(home_slot)
            )
        except Exception as error:
            logger.exception("task {} failed in the worker", task.id)
            status, values = TaskStatus.FAILED, {"error": f"Internal worker error: {error}"}
        status, values = workspaces.conclude(settings, task, status, values)  # a worktree's end
        seq = events.terminal_seq(recorder.seq)
        unsaved = recorder.close()
        when_locked(FINISH_RETRY_SECONDS)(_finish, task, status, seq, unsaved, values)
    finally:
        # After the end is recorded and announced, off the path a watcher waits on: removing
        # the token file and the empty workspace costs ~0.5 ms of file system work, and the
        # token is refused from the task's end on anyway (app/auth.py).
        environment.cleanup(settings, task.id)
    logger.info("task {} ended {}", task.id, status.value)


def _finish(
    task: Task, status: TaskStatus, seq: int, unsaved: list[tuple[int, str]], values: dict[str, Any]
) -> None:
    with session_scope() as db:  # the last lines and the end: one transaction
        service.finish(db, task, status, seq=seq, chunks=unsaved, **values)


def _run_cli(
    task: Task, max_budget_usd: float | None, recorder: LineRecorder, home: str
) -> tuple[TaskStatus, dict[str, Any]]:
    if not os.access(settings.CLAUDE_CLI_PATH, os.X_OK):
        return TaskStatus.FAILED, {
            "error": f"Claude Code CLI not found or not executable at {settings.CLAUDE_CLI_PATH}"
            " (install it with `just setup`, or set CLAUDE_CLI_PATH)"
        }
    if not Path(settings.BRAIN_DIR).is_dir():
        return TaskStatus.FAILED, {"error": f"BRAIN_DIR {settings.BRAIN_DIR} does not exist"}
    result: ResultLine | None = None
    usage = UsageTally()
    try:
        setup = environment.prepare(settings, task, home)
    except WorkspaceError as error:  # refused or failed checkout: said as it is, no traceback
        logger.warning("task {}: no workspace: {}", task.id, error)
        return TaskStatus.FAILED, {"error": str(error)}
    argv = build_argv(settings, task, max_budget_usd)
    with tempfile.TemporaryFile() as stderr:
        proc = process.spawn(argv, setup.cwd, setup.env, stderr, stdin_text=task.prompt)
        watchdog = Watchdog(task.id, proc)
        watcher = helpers.start(watchdog.run, name=f"watch-{task.id}")
        try:
            assert proc.stdout is not None
            for batch in read_lines(proc.stdout):  # never leaves the CLI blocked on a full pipe
                texts = [raw.decode("utf-8", errors="replace").rstrip("\r\n") for raw in batch]
                recorder.lines(texts)
                for text in texts:
                    usage.observe(text)
                    if '"type":"result"' in text:  # parse only candidates: lines can be huge
                        result = parse_result(text) or result
            exit_code = proc.wait()
        finally:
            watchdog.done.set()
            watcher.join()
            process.stop_process_tree(proc, settings.STOP_GRACE_SECONDS)
            process.reap_orphans()
        stderr.seek(max(0, stderr.seek(0, os.SEEK_END) - STDERR_TAIL_BYTES))
        stderr_tail = stderr.read().decode("utf-8", errors="replace").strip()
    return outcome(
        Run(
            stop_reason=watchdog.reason,
            result=result,
            exit_code=exit_code,
            stderr_tail=stderr_tail,
            printed=recorder.seq > events.SEQ_STARTED,
            timeout_seconds=settings.TASK_TIMEOUT_SECONDS,
            max_budget_usd=max_budget_usd,
            usage=usage.totals(),
        )
    )
