"""The cache, the fetch lock and the quota, in this process against the local git server: real
git, real files, real flock; Settings made for each test."""

import json
import os
import random
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import Settings
from app.tasks.models import Task
from app.workspaces import quota, repos, worktrees
from app.workspaces.errors import WorkspaceRefused
from tests.support.git_server import GitServer, git

TOKEN = "ghp-caches-5b7e1a"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GitServer]:
    found = GitServer(tmp_path / "server", TOKEN)
    yield found
    found.close()


def settings_for(tmp_path: Path, server: GitServer, **overrides: object) -> Settings:
    return Settings(
        DATA_DIR=str(tmp_path / "data"),
        GITHUB_GIT_URL=server.url,
        GITHUB_TOKEN=TOKEN,
        **overrides,  # type: ignore[arg-type]
    )


def task(repository: str, ref: str | None = None) -> Task:
    return Task(prompt="x", session_id="s", repository=repository, ref=ref)


def noise(size: int) -> bytes:
    return random.Random(size).randbytes(size)  # incompressible: its size on disk is its size


def test_a_worktree_is_made_at_the_default_branch_a_branch_or_a_pull_request_head(
    tmp_path: Path, server: GitServer
) -> None:
    bare = server.create("o/r", {"README.md": "main\n"}, branch="trunk")
    work = tmp_path / "work"
    git("clone", "-q", str(bare), str(work))
    git("checkout", "-q", "-b", "feature", cwd=work)
    (work / "README.md").write_text("feature\n")
    git("commit", "-qam", "feature", cwd=work)
    git("push", "-q", "origin", "feature", "feature:refs/pull/5/head", cwd=work)
    settings = settings_for(tmp_path, server)

    made = {ref: worktrees.create(settings, (t := task("o/r", ref))) for ref in (None,)}
    assert (made[None] / "README.md").read_text() == "main\n"
    for ref in ("feature", "refs/pull/5/head"):
        path = worktrees.create(settings, task("o/r", ref))
        assert (path / "README.md").read_text() == "feature\n"
        assert worktrees.cache_of(settings, path) == repos.cache_dir(settings, "o/r")
    cache = repos.cache_dir(settings, "o/r")
    assert repos.default_branch(settings, cache) == "trunk"
    assert git("config", "remote.origin.url", cwd=cache) == f"{server.url}/o/r.git"
    assert all(request.authorization for request in server.seen()[-2:])  # the helper answered

    worktrees.remove(settings, t.id)
    assert not made[None].exists()
    listed = git("worktree", "list", "--porcelain", cwd=cache)
    assert str(made[None]) not in listed and listed.count("worktree ") == 3  # bare + 2 left


def test_a_repository_larger_than_the_quota_is_refused_and_not_kept(
    tmp_path: Path, server: GitServer
) -> None:
    server.create("big/repo", {"blob.bin": noise(400_000)})
    settings = settings_for(tmp_path, server, WORKSPACE_MAX_GB=300_000 / quota.GB)
    with pytest.raises(WorkspaceRefused) as refused:
        worktrees.create(settings, task("big/repo"))
    message = str(refused.value)
    assert "big/repo" in message and "WORKSPACE_MAX_GB" in message
    assert not repos.cache_dir(settings, "big/repo").exists()
    assert not any((settings.data_dir / "workspaces").glob("*"))


def test_the_least_recently_used_cache_is_evicted_unless_a_worktree_uses_it(
    tmp_path: Path, server: GitServer
) -> None:
    for name in ("o/old", "o/mid", "o/new"):
        server.create(name, {"blob.bin": noise(300_000)})
    # room for four pieces of about 300 kB (caches or checkouts), not for five
    settings = settings_for(tmp_path, server, WORKSPACE_MAX_GB=1_300_000 / quota.GB)
    old, mid = task("o/old"), task("o/mid")
    worktrees.create(settings, old)
    worktrees.remove(settings, old.id)  # o/old: cached, unused, least recently used
    worktrees.create(settings, mid)  # o/mid: in use by a worktree
    os.utime(repos.cache_dir(settings, "o/mid") / repos.USED_STAMP, (1, 1))  # older still

    worktrees.create(settings, task("o/new"))
    assert not repos.cache_dir(settings, "o/old").exists()
    assert repos.cache_dir(settings, "o/mid").exists()


def test_two_checkouts_of_one_repository_never_fetch_at_once(
    tmp_path: Path, server: GitServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `git` that notes when each fetch starts and ends, and takes its time in between."""
    server.create("o/r", {"README.md": "x\n"})
    log = tmp_path / "fetches.jsonl"
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "git").write_text(
        f"#!{sys.executable}\n"
        "import json, os, subprocess, sys, time\n"
        "fetch = 'fetch' in sys.argv\n"
        f"log = open({str(log)!r}, 'a')\n"
        "note = lambda what: log.write(json.dumps([what, os.getpid()]) + '\\n') and log.flush()\n"
        "fetch and note('start')\n"
        "fetch and time.sleep(0.5)\n"
        "code = subprocess.call(['/usr/bin/git', *sys.argv[1:]])\n"
        "fetch and note('end')\n"
        "sys.exit(code)\n"
    )
    (shims / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shims}:{os.environ['PATH']}")
    settings = settings_for(tmp_path, server)
    worktrees.create(settings, task("o/r"))  # the cache exists: the next two only fetch
    log.unlink()

    errors: list[BaseException] = []

    def check_out() -> None:
        try:
            worktrees.create(settings, task("o/r"))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=check_out) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    marks = [json.loads(line)[0] for line in log.read_text().splitlines()]
    assert marks == ["start", "end", "start", "end"]
