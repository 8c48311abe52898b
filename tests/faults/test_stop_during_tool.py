"""Stop during a long tool: the task ends CANCELLED within seconds, and nothing the run
started is left alive, not even a grandchild that moved to a session of its own."""

import os
import uuid

import psutil
import pytest

from tests.support.processes import wait_until
from tests.support.stack import Stack, alive, cli_runs, cmdline, processes_with

# The Bash tool refuses a bare `sleep N`, so the plain tool is a python sleep. The second tool
# forks a grandchild that calls setsid(): it leaves the session the CLI gave the tool.
SLEEPER = ["python3", "-c", "import time; time.sleep(300)"]
TOOLS = {
    "plain": "python3 -c 'import time; time.sleep(300)' {marker}",
    "setsid-grandchild": (
        "bash -c \"setsid python3 -c 'import time; time.sleep(300)' {marker} & sleep 300\""
    ),
}


def _session(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except OSError:
        return None


def _sleeper(marker: str) -> list[psutil.Process]:
    """The tool's long-running python (the shells that start it hold the marker too)."""
    return [p for p in processes_with(marker) if cmdline(p) == [*SLEEPER, marker]]


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_stop_during_a_long_tool_leaves_no_process(stack: Stack, tool: str) -> None:
    marker = f"mark-{uuid.uuid4().hex}"
    task = stack.submit(f"@stub bash {TOOLS[tool].format(marker=marker)}")
    (sleeper,) = wait_until(lambda: _sleeper(marker), 60, what="the tool to start")
    run = processes_with(task["id"])  # the CLI and all it started carry its AGENT_TASK_ID
    (cli,) = [p for p in cli_runs(run) if cmdline(p)[0] == stack.env["CLAUDE_CLI_PATH"]]
    assert _session(sleeper.pid) != _session(cli.pid), "the tool runs in a session of its own"
    if tool == "setsid-grandchild":
        assert _session(sleeper.pid) == sleeper.pid, "the grandchild leads a session of its own"
    sessions = {_session(p.pid) for p in run} - {None}

    response = stack.client.post(f"/api/tasks/{task['id']}/stop")
    assert response.status_code == 200, response.text

    done = stack.wait_done(task["id"], timeout=10)
    assert done["status"] == "cancelled" and done["error"] == "Stopped by user", done
    wait_until(lambda: not alive(run), 5, what="every process of the run to end")
    assert not processes_with(task["id"]) and not processes_with(marker)
    left = [p for p in psutil.process_iter() if _session(p.pid) in sessions and alive([p])]
    assert not left, f"processes left in the run's sessions: {left}"
