"""What a run's tools may touch, on the real CLI and its sandbox: not the brain (by Write or
by Bash), not another task's worktree (by Read, Bash or Write), not a repository cache's config
(it steers the system's own fetches and pushes). Without worker/confinement.py's settings every
one of these succeeds (measured on 2.1.332)."""

import hashlib
from pathlib import Path

from tests.support.processes import wait_until
from tests.support.stack import Stack
from tests.workspaces.conftest import REPOSITORY, data_dir, workspace_of
from tests.workspaces.test_worktrees import tool_results


def digest(root: Path) -> str:
    """Every path and content under `root`, hashed: any write shows."""
    found = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        found.update(str(path.relative_to(root)).encode())
        if path.is_file():
            found.update(path.read_bytes())
    return found.hexdigest()


def test_a_run_can_neither_write_nor_bash_into_the_brain(ws_stack: Stack) -> None:
    brain, custom = ws_stack.brain, ws_stack.custom
    custom.joinpath(".claude").mkdir(parents=True, exist_ok=True)
    before = (digest(brain), digest(custom))
    claude_md = brain / ".claude" / "CLAUDE.md"
    tries = [
        f"@stub write {claude_md} overwritten by a run",
        f"@stub write {custom}/.claude/agents/planted.md planted",
        # through python, so the sandbox refuses it, not the CLI's reading of the command
        f"@stub bash python3 -c \"open('{claude_md}', 'a').write('planted')\";"
        f" python3 -c \"open('{custom}/.claude/planted', 'w')\"; echo done",
    ]
    tasks = [ws_stack.submit(prompt, agent="executor") for prompt in tries]
    for task in tasks:
        assert ws_stack.wait_done(task["id"])["status"] == "completed"
    assert (digest(brain), digest(custom)) == before
    denied = tool_results(ws_stack, tasks[0]["id"]) + tool_results(ws_stack, tasks[1]["id"])
    assert denied.count("denied by your permission settings") == 2
    assert tool_results(ws_stack, tasks[2]["id"]).count("Read-only file system") == 2


def test_a_run_never_reaches_another_runs_worktree_nor_a_caches_config(
    ws_stack: Stack, tmp_path: Path
) -> None:
    """The first run writes its file and waits; meanwhile others try it by absolute path."""
    release = tmp_path / "release"
    holder = ws_stack.submit(
        "@stub bash echo OTHER-RUNS-SECRET > secret.txt;"
        f" for i in $(seq 600); do test -e {release} && break; sleep 0.1; done",
        repository=REPOSITORY,
    )
    theirs = workspace_of(ws_stack, holder["id"])
    wait_until(lambda: (theirs / "secret.txt").exists(), 60, what="the first run's file")
    config = data_dir(ws_stack) / "caches" / f"{REPOSITORY}.git" / "config"
    config_before = config.read_text()
    prying = [
        ws_stack.submit(f"@stub read {theirs}/secret.txt", repository=REPOSITORY),
        ws_stack.submit(f"@stub write {theirs}/planted.txt planted", repository=REPOSITORY),
        ws_stack.submit(
            f"@stub bash cat {theirs}/secret.txt; echo x > {theirs}/planted.txt;"
            f" echo '[http] proxy = http://127.0.0.1:9' >> {config}; git status --short; echo done",
            repository=REPOSITORY,
        ),
    ]
    seen = []
    for task in prying:
        done = ws_stack.wait_done(task["id"], timeout=120)
        assert done["status"] == "completed", done["error"]
        seen.append(tool_results(ws_stack, task["id"]))
    release.touch()
    assert ws_stack.wait_done(holder["id"], timeout=120)["status"] == "completed"
    read, written, bashed = seen
    assert "OTHER-RUNS-SECRET" not in "".join(seen)
    assert "blockFileToolReadsOutsideWorkingDirectories" in read
    assert "outside the working directories" in written
    assert "done" in bashed  # the Bash run went on after each refusal
    assert config.read_text() == config_before
    assert not list(data_dir(ws_stack).rglob("planted.txt"))
