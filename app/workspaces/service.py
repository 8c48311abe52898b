"""The end of a run in a worktree, between the CLI's exit and the task's end (one call in
worker/run.py): publish what a `fix` or `approve` changed, then remove the worktree, or keep it
FAILED_WORKSPACE_KEEP_SECONDS when the task failed (for inspection; the sweep removes it)."""

from typing import TYPE_CHECKING, Any

from loguru import logger

from app.config import Settings
from app.db import read_scope
from app.tasks.models import Task, TaskStatus
from app.webhooks.models import Thread, ThreadRun
from app.workspaces import repos, worktrees
from app.workspaces.errors import WorkspaceError

if TYPE_CHECKING:  # publishing is rare: an idle worker loads neither it nor its HTTP client
    from app.workspaces import publish


def conclude(
    settings: Settings, task: Task, status: TaskStatus, values: dict[str, Any]
) -> tuple[TaskStatus, dict[str, Any]]:
    path = worktrees.workspace(settings, task.id)
    cache = worktrees.cache_of(settings, path)
    if cache is None:
        return status, values  # no worktree: environment.cleanup() removed the workspace
    if status is TaskStatus.COMPLETED:
        try:
            status, values = _publish(settings, task, cache, values)
        except Exception as error:  # the task still ends, and says why nothing was published
            from app.webhooks.outbound import ProviderError

            if isinstance(error, WorkspaceError | ProviderError):
                logger.warning("task {}: its changes were not published: {}", task.id, error)
            else:
                logger.exception("task {}: publishing its changes failed", task.id)
            status = TaskStatus.FAILED
            message = f"The run ended, but its changes were not published: {error}"
            values = {**values, "error": message}
    if status is not TaskStatus.FAILED:
        try:
            worktrees.remove(settings, task.id)
        except OSError as error:  # the sweep tries again
            logger.warning("task {}: its worktree was not removed: {}", task.id, error)
    return status, values


class NotPublished(Exception):
    """A `fix` on a pull request that is not the agent's own: its branch is not ours to push."""


def _target(settings: Settings, task: Task, cache: Any) -> "publish.Target | None":
    from app.workspaces import publish

    """The issue a `fix` or `approve` answers, for a task started on a GitHub issue."""
    with read_scope() as db:
        run = db.get(ThreadRun, task.id)
        thread = db.get(Thread, run.thread_id) if run and run.thread_id else None
    if run is None or thread is None or run.verb not in publish.PUBLISHING_VERBS:
        return None
    context = thread.context or {}
    number = context.get("number")
    if thread.provider != "github" or not isinstance(number, int):
        return None
    if context.get("repo") != task.repository:
        return None
    if context.get("is_pr"):  # a follow-up runs at the agent's branch (app.workspaces.targets)
        if task.ref is None or not task.ref.startswith(publish.BRANCH_PREFIX):
            raise NotPublished
        return publish.Target(context["repo"], number, base="", follow_up_branch=task.ref)
    base = repos.base_branch(settings, cache, task.ref)
    if base is None:
        raise WorkspaceError(f"{task.repository} has no branch to open a pull request against")
    return publish.Target(repository=task.repository or "", issue=number, base=base)


def _publish(
    settings: Settings, task: Task, cache: Any, values: dict[str, Any]
) -> tuple[TaskStatus, dict[str, Any]]:
    try:
        target = _target(settings, task, cache)
    except NotPublished:
        note = (
            "Changes made on a pull request whose branch the agent did not make are not"
            " pushed; nothing was pushed."
        )
        return TaskStatus.COMPLETED, _noted(values, note)
    if target is None:
        return TaskStatus.COMPLETED, values
    from app.workspaces import publish

    path = worktrees.workspace(settings, task.id)
    said = publish.publish(settings, task, path, target)
    note = said or "The run changed no files, so no pull request was opened."
    return TaskStatus.COMPLETED, _noted(values, note)


def _noted(values: dict[str, Any], note: str) -> dict[str, Any]:
    said = values.get("result") or ""
    return {**values, "result": f"{said}\n\n{note}".strip()}
