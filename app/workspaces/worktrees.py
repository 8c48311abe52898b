"""One git worktree per repository task, `DATA_DIR/workspaces/<task id>/`: the run's working
directory, detached at the task's commit. The system, not the run, decides where it starts
(`create`) and when it goes (`remove`); the pull request side is in `publish`."""

import shutil
from pathlib import Path

from app.config import Settings
from app.tasks.models import Task
from app.workspaces import git, quota, repos
from app.workspaces.errors import WorkspaceError


def workspace(settings: Settings, task_id: str) -> Path:
    return settings.data_dir / "workspaces" / task_id


def create(settings: Settings, task: Task) -> Path:
    """Fetch the task's repository, make room for it, and check its ref out."""
    assert task.repository is not None
    path = workspace(settings, task.id)
    with repos.locked(repos.repository_lock(settings, task.repository)):
        checkout = repos.fetch(settings, task.repository, task.ref)
        with repos.locked(quota.quota_lock(settings)):
            quota.make_room(settings, task.repository, checkout.cache, checkout.commit)
            path.parent.mkdir(parents=True, exist_ok=True)
            git.run(
                settings,
                "worktree", "add", "--quiet", "--detach", str(path), checkout.commit,
                cwd=checkout.cache,
            )  # fmt: skip
    return path


def cache_of(settings: Settings, path: Path) -> Path | None:
    """The cache a worktree belongs to, from its `.git` file; None for any other directory
    (a plain workspace, or a `.git` a run wrote that points outside the caches)."""
    marker = path / ".git"
    try:
        if not marker.is_file() or marker.is_symlink():
            return None
        text = marker.read_text(errors="replace").strip()
    except OSError:
        return None
    if not text.startswith("gitdir: "):
        return None
    gitdir = Path(text.removeprefix("gitdir: ")).resolve()
    caches = repos.caches_dir(settings).resolve()
    if gitdir.parent.name != "worktrees" or caches not in gitdir.parents:
        return None
    return gitdir.parent.parent


def remove(settings: Settings, task_id: str) -> None:
    """Remove a task's worktree (or plain workspace) and its entry in the cache."""
    path = workspace(settings, task_id)
    cache = cache_of(settings, path)
    shutil.rmtree(path, ignore_errors=True)
    if cache is not None and cache.is_dir():
        try:
            git.run(settings, "worktree", "prune", cwd=cache)
        except WorkspaceError:
            shutil.rmtree(cache / "worktrees" / task_id, ignore_errors=True)
