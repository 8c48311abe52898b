"""One git worktree per repository task, `DATA_DIR/workspaces/<task id>/`: the run's working
directory, detached at the task's commit. The system, not the run, decides where it starts
(`create`) and when it goes (`remove`); the pull request side is in `publish`."""

import shutil
from pathlib import Path

from app.config import Settings
from app.tasks.models import Task
from app.workspaces import git, quota, repos
from app.workspaces.errors import WorkspaceError

# What the CLI would read from a checkout as its own configuration: settings (hooks), agents
# and skills (a repository's `executor` would replace the brain's), MCP servers.
WITHHELD = (".claude", ".mcp.json")


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
    _withhold_cli_config(settings, path)
    return path


def _withhold_cli_config(settings: Settings, path: Path) -> None:
    """A repository's own Claude Code configuration never reaches the CLI; its CLAUDE.md does
    (the project's instructions). Measured on 2.1.332: hooks in a checked-out
    `.claude/settings.json` run at session start outside the tool sandbox (in the host's PID
    namespace: the CLI's /proc, model key and all, in reach), even against `disableAllHooks`
    in the user's settings (the project's own `false` wins); `.mcp.json` servers start unasked
    in `-p` mode; `.claude/agents/executor.md` replaces the brain's executor, tools and prompt.
    So those files are left out of the working tree, marked skip-worktree: absent for the run,
    untouched by its commit."""
    listed = git.run(settings, "ls-files", "-z", "--", *WITHHELD, cwd=path).stdout
    tracked = [name for name in listed.split("\0") if name]
    if not tracked:
        return
    git.run(settings, "update-index", "--skip-worktree", "--", *tracked, cwd=path)
    for name in tracked:
        (path / name).unlink(missing_ok=True)


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
        # `git worktree add` locks the entry ("initializing") until its checkout is done, and
        # prune never prunes a locked entry: a worker killed during the checkout left one for
        # good. The system locks no worktree of its own, so this task's lock goes first.
        (cache / "worktrees" / task_id / "locked").unlink(missing_ok=True)
        try:
            git.run(settings, "worktree", "prune", cwd=cache)
        except WorkspaceError:
            shutil.rmtree(cache / "worktrees" / task_id, ignore_errors=True)
