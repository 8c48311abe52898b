"""One cached bare clone per repository, `DATA_DIR/caches/<owner>/<name>.git`, fetched before
each task. A fetch holds the repository's file lock (flock, so across processes and workers on
one host): never two fetches of one repository at once.

Branches are fetched into `refs/remotes/origin/*` (a mirror's `+refs/*:refs/*` would fight
the worktrees over local branches); a ref under `refs/` (a pull request's head) is fetched on
demand into `refs/fetched/*`. The remote URL on disk is the bare clone URL: no credentials.
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.config import Settings
from app.workspaces import git, names
from app.workspaces.errors import WorkspaceError

BRANCHES = "+refs/heads/*:refs/remotes/origin/*"
DEFAULT_HEAD = "refs/remotes/origin/HEAD"
USED_STAMP = "ccagent-used"  # its mtime: when a task last used this cache (eviction order)


@dataclass(frozen=True)
class Checkout:
    """Where a task's worktree starts: a commit, and the branch a pull request would target."""

    cache: Path
    commit: str
    base_branch: str | None


def caches_dir(settings: Settings) -> Path:
    return settings.data_dir / "caches"


def cache_dir(settings: Settings, repository: str) -> Path:
    if not names.is_repository(repository):  # the API checked; paths are never built blind
        raise WorkspaceError(f"not a repository name: {repository!r}")
    owner, name = repository.split("/")
    return caches_dir(settings) / owner / f"{name}.git"


def clone_url(settings: Settings, repository: str) -> str:
    return f"{settings.GITHUB_GIT_URL.rstrip('/')}/{repository}.git"


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive flock on `path` (made if missing), released however the block ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def repository_lock(settings: Settings, repository: str) -> Path:
    cache = cache_dir(settings, repository)
    return cache.with_name(cache.name + ".lock")


def fetch(settings: Settings, repository: str, ref: str | None) -> Checkout:
    """Bring the cache up to date and find the commit of `ref` (default branch when None).
    The caller holds `locked(repository_lock(...))`."""
    cache = cache_dir(settings, repository)
    url = clone_url(settings, repository)
    if not (cache / "HEAD").is_file():
        cache.mkdir(parents=True, exist_ok=True)
        git.run(settings, "init", "--bare", "--quiet", str(cache))
        git.run(settings, "config", "remote.origin.url", url, cwd=cache)
        git.run(settings, "config", "remote.origin.fetch", BRANCHES, cwd=cache)
        git.run(settings, "config", "gc.autoDetach", "false", cwd=cache)
    elif _configured_url(settings, cache) != url:  # GITHUB_GIT_URL moved
        git.run(settings, "config", "remote.origin.url", url, cwd=cache)
    refspecs = [BRANCHES]
    if ref and ref.startswith("refs/"):
        refspecs.append(f"+{ref}:{_fetched(ref)}")
    try:
        git.run(
            settings,
            "fetch",
            "--prune",
            "--no-tags",
            "--quiet",
            "origin",
            *refspecs,
            cwd=cache,
            remote=True,
        )
    except WorkspaceError as error:
        raise WorkspaceError(f"could not fetch {repository} from {url}: {error}") from None
    if git.run(
        settings, "rev-parse", "--verify", "-q", DEFAULT_HEAD, cwd=cache, check=False
    ).returncode:
        git.run(settings, "remote", "set-head", "origin", "--auto", cwd=cache, remote=True)
    (cache / USED_STAMP).touch()
    return _resolve(settings, cache, repository, ref)


def _configured_url(settings: Settings, cache: Path) -> str:
    """The cache's remote URL, read without writing: while a run of this repository is going,
    the CLI's sandbox holds an empty `config.lock` in the cache (its guard of the git config),
    so any `git config` write there fails."""
    found = git.run(settings, "config", "--get", "remote.origin.url", cwd=cache, check=False)
    return found.stdout.strip()


def _fetched(ref: str) -> str:
    return "refs/fetched/" + ref.removeprefix("refs/")


def default_branch(settings: Settings, cache: Path) -> str | None:
    found = git.run(settings, "symbolic-ref", "-q", "--short", DEFAULT_HEAD, cwd=cache, check=False)
    branch = found.stdout.strip().removeprefix("origin/")
    return branch or None


def base_branch(settings: Settings, cache: Path, ref: str | None) -> str | None:
    """The branch a pull request from this checkout targets: `ref` when it names a branch,
    else the default branch."""
    if ref is None or ref.startswith("refs/") or names.is_commit(ref):
        return default_branch(settings, cache)
    return ref


def _resolve(settings: Settings, cache: Path, repository: str, ref: str | None) -> Checkout:
    base = base_branch(settings, cache, ref)
    if ref is None:
        if base is None:
            raise WorkspaceError(f"{repository} has no default branch (is it empty?)")
        candidate = f"refs/remotes/origin/{base}"
    elif ref.startswith("refs/"):
        candidate = _fetched(ref)
    elif names.is_commit(ref):
        candidate = ref
    else:
        candidate = f"refs/remotes/origin/{ref}"
    found = git.run(
        settings, "rev-parse", "--verify", "-q", f"{candidate}^{{commit}}", cwd=cache, check=False
    )
    if found.returncode != 0:
        raise WorkspaceError(f"{repository} has no ref {ref or 'HEAD'!r}")
    return Checkout(cache=cache, commit=found.stdout.strip(), base_branch=base)
