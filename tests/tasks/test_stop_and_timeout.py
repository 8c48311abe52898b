"""Stop and timeout end the run and every process it started, tools included; so does the end
of its task elsewhere (the sweeper took it for lost): the run stops at its next beat."""

import os
import signal
import sqlite3
import uuid

import pytest

from tests.support.processes import wait_until
from tests.support.stack import Stack, processes_with


def _wait_for_output(stack: Stack, task_id: str, lines: int = 3) -> None:
    wait_until(lambda: len(stack.output_lines(task_id)) >= lines, 60, what="output to flow")


def test_stop_during_a_slow_stream_cancels_and_leaves_no_process(stack: Stack) -> None:
    task = stack.submit("@stub slow 60")
    stack.wait_status(task["id"], {"running"})
    _wait_for_output(stack, task["id"])
    assert processes_with(task["id"]), "the CLI should be running"

    response = stack.client.post(f"/api/tasks/{task['id']}/stop")
    assert response.status_code == 200, response.text
    assert response.json()["detail"] == "stop requested"

    wait_until(lambda: not processes_with(task["id"]), 2, what="the CLI to be gone")
    done = stack.wait_done(task["id"], timeout=10)
    assert done["status"] == "cancelled"
    assert done["error"] == "Stopped by user"


def test_stop_during_a_long_tool_ends_the_tool_too(stack: Stack) -> None:
    marker = f"mark-{uuid.uuid4().hex}"
    tool = f"python3 -c 'import time; time.sleep(300)' {marker}-tool"
    task = stack.submit(f"@stub bash {tool}")
    stack.wait_for_process(task["id"], f"{marker}-tool")

    assert stack.client.post(f"/api/tasks/{task['id']}/stop").status_code == 200

    def gone() -> bool:
        return not processes_with(marker) and not processes_with(task["id"])

    wait_until(gone, 5, what="the CLI and its tool to be gone")
    assert stack.wait_done(task["id"], timeout=10)["status"] == "cancelled"


def test_a_run_whose_task_ended_elsewhere_stops_at_its_next_beat(stack: Stack) -> None:
    task = stack.submit("@stub slow 60")
    wait_until(lambda: len(stack.output_lines(task["id"])) >= 3, 60, what="output to flow")
    assert processes_with(task["id"]), "the CLI should be running"

    database = sqlite3.connect(stack.env["DATABASE_URL"].removeprefix("sqlite:///"))
    with database:  # what the sweeper does to a task it takes for lost
        database.execute(
            "UPDATE tasks SET status = 'FAILED', error = 'ended elsewhere' WHERE id = ?",
            (task["id"],),
        )
    database.close()

    # Beats come every 0.5 s here; before, the run went on for its whole minute.
    wait_until(lambda: not processes_with(task["id"]), 10, what="the run to stop")
    done = stack.task(task["id"])
    assert (done["status"], done["error"]) == ("failed", "ended elsewhere")
    assert stack.output_lines(task["id"]), "what it printed is kept"


def test_stopping_a_queued_task_cancels_it_before_it_runs(make_stack) -> None:  # type: ignore[no-untyped-def]
    stack = make_stack()
    stack.start_api()  # no worker: the task stays queued
    task = stack.submit("@stub text never runs")
    response = stack.client.post(f"/api/tasks/{task['id']}/stop")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    stack.start_worker()
    again = stack.client.post(f"/api/tasks/{task['id']}/stop")
    assert again.status_code == 409 and "already ended" in again.json()["detail"]
    assert stack.task(task["id"])["status"] == "cancelled"
    assert stack.task(task["id"])["started_at"] is None


def test_timeout_fails_the_task_and_leaves_no_process(make_stack) -> None:  # type: ignore[no-untyped-def]
    stack = make_stack(TASK_TIMEOUT_SECONDS=4)
    stack.start_api()
    stack.start_worker()
    task = stack.submit("@stub slow 60")
    done = stack.wait_done(task["id"], timeout=60)
    assert done["status"] == "failed"
    assert done["error"].startswith("Timed out after 4 s")
    wait_until(lambda: not processes_with(task["id"]), 2, what="no process of the run")


@pytest.mark.parametrize("whole_group", [True, False], ids=["group", "main-process-only"])
def test_worker_shutdown_ends_running_runs_and_says_why(make_stack, whole_group: bool) -> None:  # type: ignore[no-untyped-def]
    """SIGTERM to the worker (as `docker stop` sends) or to its whole group (as a terminal's
    Ctrl-C reaches every process): the run ends, the task says why, nothing is left."""
    stack = make_stack()
    stack.start_api()
    worker = stack.start_worker()
    marker = f"mark-{uuid.uuid4().hex}"
    task = stack.submit(f"@stub bash python3 -c 'import time; time.sleep(300)' {marker}")
    stack.wait_for_process(task["id"], marker)
    assert len(processes_with(task["id"])) >= 2, "the CLI and its tool"

    if whole_group:
        worker.stop()
    else:
        os.kill(worker.pid, signal.SIGTERM)
        worker.popen.wait(timeout=20)

    assert not worker.alive()
    assert not processes_with(task["id"]) and not processes_with(marker)
    done = stack.task(task["id"])
    assert done["status"] == "failed"
    assert done["error"] == "The worker shut down while the task was running"
