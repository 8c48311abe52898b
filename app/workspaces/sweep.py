"""The sweep: workspaces (and private run directories) of tasks that ended are removed, so
nothing stays after a stop, a timeout or a worker killed with SIGKILL. A failed task's worktree
is kept FAILED_WORKSPACE_KEEP_SECONDS first. Called by the task sweeper (app/tasks/sweeper.py)
in the API, and by every worker for its own DATA_DIR (`sweep_forever`): a worker on a host of
its own, whose DATA_DIR no API process sees, cleans up after itself. Sweeps of one DATA_DIR
from several processes do not conflict: each removes only what ended tasks left."""

import shutil
import threading
import time
from datetime import UTC, timedelta

from loguru import logger
from sqlmodel import col, select

from app.config import Settings
from app.db import read_scope
from app.tasks.models import Task, TaskStatus, utcnow
from app.workspaces import worktrees

# A directory without a task row is a leftover, unless it is this young (a task is recorded
# before any worker makes its directories, so this only spares what is not ours to judge).
ORPHAN_AFTER_SECONDS = 60.0


def _directories(settings: Settings) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for kind in ("workspaces", "runs"):
        parent = settings.data_dir / kind
        if parent.is_dir():
            for entry in parent.iterdir():
                if entry.is_dir() and not entry.is_symlink():
                    found.setdefault(entry.name, []).append(kind)
    return found


def _keep(settings: Settings, task: Task | None, task_id: str) -> bool:
    if task is None:
        path = worktrees.workspace(settings, task_id)
        runs = settings.data_dir / "runs" / task_id
        ages = [time.time() - p.stat().st_mtime for p in (path, runs) if p.exists()]
        return bool(ages) and min(ages) < ORPHAN_AFTER_SECONDS
    if not task.status.is_terminal:
        return True
    if task.status is not TaskStatus.FAILED or task.finished_at is None:
        return False
    if worktrees.cache_of(settings, worktrees.workspace(settings, task_id)) is None:
        return False
    finished = task.finished_at
    if finished.tzinfo is None:
        finished = finished.replace(tzinfo=UTC)
    return utcnow() - finished < timedelta(seconds=settings.FAILED_WORKSPACE_KEEP_SECONDS)


def sweep(settings: Settings) -> list[str]:
    """Remove what ended tasks left; returns their ids."""
    found = _directories(settings)
    if not found:
        return []
    with read_scope() as db:
        rows = db.exec(select(Task).where(col(Task.id).in_(list(found)))).all()
        tasks = {task.id: task for task in rows}
    removed = []
    for task_id, kinds in found.items():
        if _keep(settings, tasks.get(task_id), task_id):
            continue
        shutil.rmtree(settings.data_dir / "runs" / task_id, ignore_errors=True)
        if "workspaces" in kinds:
            worktrees.remove(settings, task_id)
        removed.append(task_id)
    if removed:
        logger.info("workspaces: removed what {} ended task(s) left", len(removed))
    return removed


def sweep_forever(settings: Settings, stop: threading.Event) -> None:
    """Sweep now (what a killed worker of this host left), then every SWEEP_INTERVAL_SECONDS
    until `stop` is set."""
    while True:
        try:
            sweep(settings)
        except Exception as error:  # the next round tries again
            logger.warning("workspaces: the sweep failed: {}", error)
        if stop.wait(settings.SWEEP_INTERVAL_SECONDS):
            return
