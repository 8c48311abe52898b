"""WORKSPACE_MAX_GB: the disk that task workspaces and repository caches use together.

Before a worktree is made, its checkout size (the sum of its files' sizes, read from the tree
without checking anything out) must fit beside what is on disk already. If it does not,
caches that no worktree uses are evicted, least recently used first; if it still does not, or
if the repository alone (its cache and one checkout) is larger than the quota, the task is
refused with an error that says so. One quota lock orders these checks across processes.
"""

import fcntl
import os
import shutil
from pathlib import Path

from loguru import logger

from app.config import Settings
from app.workspaces import git, repos
from app.workspaces.errors import WorkspaceRefused

GB = 1024**3


def limit_bytes(settings: Settings) -> int:
    return int(settings.WORKSPACE_MAX_GB * GB)


def quota_lock(settings: Settings) -> Path:
    return repos.caches_dir(settings) / ".quota.lock"


def tree_bytes(path: Path) -> int:
    """Bytes of the files under `path` (links not followed; a file gone meanwhile counts 0)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def checkout_bytes(settings: Settings, cache: Path, commit: str) -> int:
    listing = git.output(settings, "ls-tree", "-r", "-l", "--full-tree", commit, cwd=cache)
    total = 0
    for line in listing.splitlines():
        parts = line.split(None, 4)  # mode, type, object, size ("-" for a submodule), path
        total += int(parts[3]) if len(parts) == 5 and parts[3].isdigit() else 0
    return total


def caches(settings: Settings) -> list[Path]:
    return sorted(repos.caches_dir(settings).glob("*/*.git"))


def in_use(cache: Path) -> bool:
    """A cache some worktree still points at (a running or a kept task)."""
    worktrees = cache / "worktrees"
    return worktrees.is_dir() and any(worktrees.iterdir())


def _last_used(cache: Path) -> float:
    try:
        return (cache / repos.USED_STAMP).stat().st_mtime
    except OSError:
        return 0.0


def make_room(settings: Settings, repository: str, cache: Path, commit: str) -> None:
    """Refuse, or evict old caches, so a checkout of `commit` fits. Caller holds quota_lock."""
    limit = limit_bytes(settings)
    need = checkout_bytes(settings, cache, commit)
    own = tree_bytes(cache)
    if own + need > limit:
        if not in_use(cache):  # it can never be used: do not keep it
            shutil.rmtree(cache, ignore_errors=True)
        raise WorkspaceRefused(
            f"Repository {repository} needs {_gb(own + need)} (its cache {_gb(own)} and one"
            f" checkout {_gb(need)}), more than WORKSPACE_MAX_GB={settings.WORKSPACE_MAX_GB:g}"
            " allows"
        )
    sizes = {other: tree_bytes(other) for other in caches(settings) if other != cache}
    used = own + sum(sizes.values()) + tree_bytes(settings.data_dir / "workspaces")
    for other in sorted(sizes, key=_last_used):
        if used + need <= limit:
            break
        if in_use(other) or not _evict(other):
            continue
        used -= sizes[other]
    if used + need > limit:
        raise WorkspaceRefused(
            f"No room for a checkout of {repository} ({_gb(need)}) within WORKSPACE_MAX_GB="
            f"{settings.WORKSPACE_MAX_GB:g}: {_gb(used)} is used by workspaces and caches of"
            " tasks that are running or kept after failing; try again when they end"
        )


def _evict(cache: Path) -> bool:
    """Remove a cache unless a task is fetching it right now (its lock is taken)."""
    descriptor = os.open(cache.with_name(cache.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return False
    try:
        logger.info("workspaces: evicting the cache of {} to make room", cache.name)
        shutil.rmtree(cache, ignore_errors=True)
        return True
    finally:
        os.close(descriptor)


def _gb(size: int) -> str:
    return f"{size / GB:.3g} GB" if size >= GB // 100 else f"{size / 1024**2:.3g} MB"
