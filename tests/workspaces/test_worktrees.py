"""Repository tasks through the API on the real CLI: each in a worktree of the cached clone at
the right ref, its cwd; removed when the task ends, when it is stopped, and (by the sweep) after
its worker was killed with SIGKILL."""

import json
import random
import signal
from pathlib import Path
from typing import Any

from tests.support.git_server import GitServer, git
from tests.support.processes import wait_until
from tests.support.providers import ProviderAPIs
from tests.support.stack import Stack
from tests.workspaces.conftest import REPOSITORY, data_dir, workspace_of, workspace_settings

LONG_TOOL = "@stub bash python3 -c 'import time; time.sleep(300)'"


def tool_results(stack: Stack, task_id: str) -> str:
    """Every tool result the CLI printed for the task, joined."""
    found = []
    for chunk in stack.output_lines(task_id):
        line = json.loads(chunk["line"])
        if line.get("type") != "user":
            continue
        for block in line.get("message", {}).get("content", []):
            if isinstance(block, dict) and block.get("type") == "tool_result":
                content = block.get("content")
                found.append(content if isinstance(content, str) else json.dumps(content))
    return "\n".join(found)


def cache_worktrees(stack: Stack) -> list[str]:
    cache = data_dir(stack) / "caches" / f"{REPOSITORY}.git"
    listed = git("worktree", "list", "--porcelain", cwd=cache)
    return [line.split(" ", 1)[1] for line in listed.splitlines() if line.startswith("worktree ")]


def running_in_its_worktree(stack: Stack, prompt: str) -> dict[str, Any]:
    task = stack.submit(prompt, repository=REPOSITORY)
    stack.wait_status(task["id"], {"running"})
    wait_until(
        lambda: (workspace_of(stack, task["id"]) / "README.md").exists(),
        30,
        what="the worktree",
    )
    return task


def test_a_repository_task_runs_in_a_worktree_at_the_default_branch_then_it_is_removed(
    ws_stack: Stack, git_server: GitServer
) -> None:
    head = git("rev-parse", "master", cwd=git_server.root / f"{REPOSITORY}.git")
    task = ws_stack.submit(
        "@stub bash pwd && git rev-parse HEAD && cat README.md src/app.py", repository=REPOSITORY
    )
    assert task["repository"] == REPOSITORY and task["ref"] is None
    done = ws_stack.wait_done(task["id"])
    assert done["status"] == "completed", done["error"]
    seen = tool_results(ws_stack, task["id"])
    assert str(workspace_of(ws_stack, task["id"])) in seen  # the worktree was the cwd
    assert head in seen and "Hello World" in seen and "print('hello')" in seen
    assert not workspace_of(ws_stack, task["id"]).exists()
    assert cache_worktrees(ws_stack) == [str(data_dir(ws_stack) / "caches" / f"{REPOSITORY}.git")]


def test_a_task_at_a_branch_and_bad_repository_or_ref_input(
    ws_stack: Stack, git_server: GitServer
) -> None:
    bare = git_server.root / f"{REPOSITORY}.git"
    git("branch", "-f", "release", "master", cwd=bare)
    task = ws_stack.submit(
        "@stub bash git rev-parse --abbrev-ref HEAD; ls", repository=REPOSITORY, ref="release"
    )
    assert ws_stack.wait_done(task["id"])["status"] == "completed"
    assert "README.md" in tool_results(ws_stack, task["id"])

    missing = ws_stack.submit("@stub text hi", repository=REPOSITORY, ref="no-such-branch")
    failed = ws_stack.wait_done(missing["id"])
    assert failed["status"] == "failed" and "no ref 'no-such-branch'" in failed["error"]
    for body in (
        {"prompt": "x", "repository": "../etc"},
        {"prompt": "x", "repository": "o/.."},
        {"prompt": "x", "repository": REPOSITORY, "ref": "--upload-pack=evil"},
        {"prompt": "x", "repository": REPOSITORY, "ref": "a..b"},
        {"prompt": "x", "ref": "main"},
    ):
        response = ws_stack.client.post("/api/tasks", json=body)
        assert response.status_code == 422, (body, response.text)


def test_a_stopped_task_leaves_no_worktree(ws_stack: Stack) -> None:
    task = running_in_its_worktree(ws_stack, LONG_TOOL)
    assert ws_stack.client.post(f"/api/tasks/{task['id']}/stop").status_code == 200
    assert ws_stack.wait_done(task["id"])["status"] == "cancelled"
    assert not workspace_of(ws_stack, task["id"]).exists()
    token_dir = data_dir(ws_stack) / "runs" / task["id"]  # removed right after the end is recorded
    wait_until(lambda: not token_dir.exists(), 10, what="the run's token to go")


def test_the_sweep_removes_the_worktree_of_a_worker_killed_with_sigkill(
    make_stack: Any, git_server: GitServer, apis: ProviderAPIs, tmp_path: Path
) -> None:
    stack = make_stack(**workspace_settings(git_server, apis, tmp_path))
    stack.start_api()
    worker = stack.start_worker()
    task = running_in_its_worktree(stack, LONG_TOOL)
    worker.kill_group()  # the worker and its pool: SIGKILL, nothing of it runs its cleanup
    assert worker.popen.returncode == -signal.SIGKILL
    assert workspace_of(stack, task["id"]).exists()

    failed = stack.wait_done(task["id"], timeout=60)  # the sweeper: no heartbeat
    assert failed["status"] == "failed" and "stopped responding" in failed["error"]
    only_the_cache = [str(data_dir(stack) / "caches" / f"{REPOSITORY}.git")]
    # The sweep removes the directory, then prunes the cache's entry for it: wait for both
    # (checking the entry the moment the directory was gone raced the prune).
    wait_until(
        lambda: (
            not workspace_of(stack, task["id"]).exists()
            and cache_worktrees(stack) == only_the_cache
        ),
        30,
        what="the sweep to remove it and its entry in the cache",
    )
    assert not (data_dir(stack) / "runs" / task["id"]).exists()


def test_the_sweep_removes_a_worktree_whose_checkout_a_killed_worker_left_half_done(
    make_stack: Any, git_server: GitServer, apis: ProviderAPIs, tmp_path: Path
) -> None:
    """Killed during `git worktree add`: git's "initializing" lock stays on the cache's entry,
    and `git worktree prune` never prunes a locked one. The checkout is held open by a smudge
    filter in the cache (it runs for every file checked out) until the worker is killed."""
    stack = make_stack(**workspace_settings(git_server, apis, tmp_path))
    stack.start_api()
    worker = stack.start_worker()
    warm = stack.submit("@stub text cached", repository=REPOSITORY)
    assert stack.wait_done(warm["id"])["status"] == "completed"  # the cache now exists
    cache = data_dir(stack) / "caches" / f"{REPOSITORY}.git"
    git("config", "filter.held.smudge", "sleep 300; cat", cwd=cache)
    (cache / "info").mkdir(exist_ok=True)
    (cache / "info" / "attributes").write_text("* filter=held\n")

    task = stack.submit(LONG_TOOL, repository=REPOSITORY)
    lock = cache / "worktrees" / task["id"] / "locked"
    wait_until(lock.exists, 60, what="the checkout to begin")
    worker.kill_group()  # the worker, its pool and the git it runs: SIGKILL

    failed = stack.wait_done(task["id"], timeout=60)  # the sweeper: no heartbeat
    assert failed["status"] == "failed" and "stopped responding" in failed["error"]
    wait_until(
        lambda: (
            not workspace_of(stack, task["id"]).exists() and cache_worktrees(stack) == [str(cache)]
        ),
        30,
        what="the sweep to remove it and its entry in the cache",
    )


def test_a_timed_out_tasks_worktree_is_kept_a_while_for_inspection_then_swept(
    make_stack: Any, git_server: GitServer, apis: ProviderAPIs, tmp_path: Path
) -> None:
    keep = 4
    settings = workspace_settings(
        git_server, apis, tmp_path, TASK_TIMEOUT_SECONDS="3", FAILED_WORKSPACE_KEEP_SECONDS=keep
    )
    stack = make_stack(**settings)
    stack.start_api()
    stack.start_worker()
    task = running_in_its_worktree(stack, LONG_TOOL)
    failed = stack.wait_done(task["id"], timeout=60)
    assert failed["status"] == "failed" and "Timed out" in failed["error"]
    path = workspace_of(stack, task["id"])
    assert (path / "README.md").exists()  # kept: the task failed
    token_dir = data_dir(stack) / "runs" / task["id"]  # its token goes at once, worktree or not
    wait_until(lambda: not token_dir.exists(), 10, what="the run's token to go")
    only_the_cache = [str(data_dir(stack) / "caches" / f"{REPOSITORY}.git")]
    wait_until(  # the directory, then the cache's entry for it (see above)
        lambda: not path.exists() and cache_worktrees(stack) == only_the_cache,
        60,
        what="the sweep to remove it and its entry after the keep time",
    )


def test_a_repositorys_own_claude_settings_agents_and_mcp_servers_never_reach_the_cli(
    ws_stack: Stack, git_server: GitServer, tmp_path: Path
) -> None:
    """A repository that ships a hook, an MCP server and its own `executor`: none of them is
    run or used (measured without the guard: both markers appear and the executor has only
    Grep); its CLAUDE.md stays, and the files stay in git."""
    hook_marker, mcp_marker = tmp_path / "hook-ran", tmp_path / "mcp-ran"
    hook = {"hooks": [{"type": "command", "command": f"touch {hook_marker}"}]}
    files = {
        "CLAUDE.md": "Project rule: REPOSITORY_INSTRUCTIONS\n",
        ".claude/settings.json": json.dumps(
            {"disableAllHooks": False, "hooks": {"SessionStart": [hook]}}
        ),
        ".claude/agents/executor.md": "---\nname: executor\ndescription: x\ntools: Grep\n---\nx\n",
        ".mcp.json": json.dumps(
            {"mcpServers": {"m": {"command": "sh", "args": ["-c", f"touch {mcp_marker}"]}}}
        ),
    }
    git_server.create("o/configured", files)
    task = ws_stack.submit(
        "@stub bash ls -A . .claude/agents; echo SPLIT; git ls-files",
        repository="o/configured",
        agent="executor",
    )
    done = ws_stack.wait_done(task["id"])
    assert done["status"] == "completed", done["error"]
    init = json.loads(ws_stack.output_lines(task["id"])[0]["line"])
    assert init["subtype"] == "init" and "Bash" in init["tools"]  # the brain's executor
    assert not hook_marker.exists() and not mcp_marker.exists()
    present, _, tracked = tool_results(ws_stack, task["id"]).partition("SPLIT")
    assert "CLAUDE.md" in present  # the project's instructions stay
    # (inside the tool sandbox an empty `.mcp.json` is there: the CLI masks that path itself)
    assert "executor.md" not in present
    for name in (".claude/agents/executor.md", ".claude/settings.json", ".mcp.json"):
        assert name in tracked  # still in git: a commit of the run leaves them as they are


def test_a_repository_too_large_for_the_quota_is_refused_with_a_clear_error(
    make_stack: Any, git_server: GitServer, apis: ProviderAPIs, tmp_path: Path
) -> None:
    git_server.create("o/large", {"blob.bin": random.Random(1).randbytes(300_000)})
    settings = workspace_settings(git_server, apis, tmp_path, WORKSPACE_MAX_GB=200_000 / 1024**3)
    stack = make_stack(**settings)
    stack.start_api()
    stack.start_worker()
    task = stack.submit("@stub text never runs", repository="o/large")
    failed = stack.wait_done(task["id"])
    assert failed["status"] == "failed"
    # the refusal itself, as the person reads it: not an internal error, no traceback
    assert failed["error"].startswith("Repository o/large needs "), failed["error"]
    assert "more than WORKSPACE_MAX_GB=" in failed["error"] and "Traceback" not in failed["error"]
    assert stack.output_lines(task["id"]) == []  # the CLI never started
    assert not workspace_of(stack, task["id"]).exists()
    assert not (data_dir(stack) / "runs" / task["id"]).exists()  # no token was written
    assert not (data_dir(stack) / "caches" / "o" / "large.git").exists()


def test_a_worker_on_a_host_of_its_own_sweeps_what_its_killed_predecessor_left(
    make_stack: Any, git_server: GitServer, apis: ProviderAPIs, tmp_path: Path
) -> None:
    """The workers' DATA_DIR is not the API's (another host): the API's sweep fails the lost
    task but never sees its worktree; the next worker on that host removes it."""
    stack = make_stack(**workspace_settings(git_server, apis, tmp_path))
    stack.start_api()
    host = tmp_path / "worker-host"
    worker = stack.start_worker("w1", DATA_DIR=host)
    task = stack.submit(LONG_TOOL, repository=REPOSITORY)
    path = host / "workspaces" / task["id"]
    wait_until(lambda: (path / "README.md").exists(), 60, what="the worktree")
    worker.kill_group()
    failed = stack.wait_done(task["id"], timeout=60)
    assert failed["status"] == "failed" and "stopped responding" in failed["error"]
    assert path.exists()  # the API swept its own DATA_DIR, not this one
    stack.start_worker("w2", DATA_DIR=host)
    wait_until(lambda: not path.exists(), 30, what="the worker's sweep to remove it")
    assert not (host / "runs" / task["id"]).exists()
