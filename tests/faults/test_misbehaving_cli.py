"""A CLI that misbehaves (stand-ins in clis/, picked by the prompt): each task ends with a
reason a person understands, nothing of the run is left running, and the worker keeps serving.
The run's processes are found by the AGENT_TASK_ID the worker gives them."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import running_stack
from tests.faults.clis.huge_line import huge_line
from tests.support.processes import wait_until
from tests.support.stack import Stack, processes_with, read_events

CLIS = Path(__file__).with_name("clis")
FAILURES = {
    "garbage": "Claude Code CLI ended without a result line",
    "no_result": (
        "Claude Code CLI exited with code 1 before reporting a result: "
        "stand-in: lost the connection to the model"
    ),
    "silent": "Claude Code CLI exited with code 0 without printing anything",
    "crash": "Claude Code CLI was killed by signal SIGSEGV before reporting a result",
}


@pytest.fixture(scope="module")
def cli_stack(tmp_path_factory: pytest.TempPathFactory, stub_url: str) -> Iterator[Stack]:
    with running_stack(
        tmp_path_factory, stub_url, CLAUDE_CLI_PATH=CLIS / "by_prompt.py", MAX_CONCURRENT_TASKS=2
    ) as system:
        yield system


def _still_serving(stack: Stack) -> None:
    task = stack.wait_done(stack.submit("a normal task")["id"], timeout=30)
    assert task["status"] == "completed" and task["result"] == "ok: a normal task", task
    assert all(worker.alive() for worker in stack.workers)


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_a_cli_that_fails_fails_the_task_with_the_reason(cli_stack: Stack, name: str) -> None:
    task = cli_stack.submit(f"@cli {name}")
    done = cli_stack.wait_done(task["id"], timeout=30)
    assert done["status"] == "failed", done
    assert done["error"] == FAILURES[name]
    assert not processes_with(task["id"])
    _still_serving(cli_stack)


def test_garbage_lines_are_kept_as_printed(cli_stack: Stack) -> None:
    task = cli_stack.wait_done(cli_stack.submit("@cli garbage")["id"], timeout=30)
    lines = [chunk["line"] for chunk in cli_stack.output_lines(task["id"])]
    assert lines == [
        "this is not json",
        '{"type": "assistant", "message": {"content": [',
        "\ufffd\ufffd not UTF-8 \x00 with a NUL",
        "[1, 2, 3]",
        '{"type":"result"',
        "",
        "the last line has no newline",
    ]


def test_a_result_line_with_nonsense_fields_does_not_break_the_api(cli_stack: Stack) -> None:
    task = cli_stack.wait_done(cli_stack.submit("@cli bad_result")["id"], timeout=30)
    assert task["status"] == "completed" and task["result"] == "done anyway", task
    assert task["cost_usd"] is None and task["num_turns"] is None and task["cli_session_id"] is None
    for path in ("/api/tasks", "/api/status", f"/api/tasks/{task['id']}/output"):
        response = cli_stack.client.get(path)
        assert response.status_code == 200, (path, response.text)
    _still_serving(cli_stack)


def test_a_cli_that_ignores_sigterm_is_stopped_all_the_same(cli_stack: Stack) -> None:
    task = cli_stack.submit("@cli ignores_sigterm")
    wait_until(lambda: len(processes_with(task["id"])) == 2, 30, what="the CLI and its helper")
    # It printed one line and is silent since: that line is saved all the same.
    wait_until(lambda: cli_stack.output_lines(task["id"]), 30, what="its line in the database")

    assert cli_stack.client.post(f"/api/tasks/{task['id']}/stop").status_code == 200
    grace = float(cli_stack.env["STOP_GRACE_SECONDS"])
    done = cli_stack.wait_done(task["id"], timeout=grace + 5)
    assert done["status"] == "cancelled" and done["error"] == "Stopped by user", done
    wait_until(lambda: not processes_with(task["id"]), 2, what="the CLI and its helper to end")
    _still_serving(cli_stack)


def test_a_cli_that_exits_leaving_a_child_on_its_stdout_completes(cli_stack: Stack) -> None:
    task = cli_stack.submit("@cli leaves_child")
    done = cli_stack.wait_done(task["id"], timeout=10)
    assert done["status"] == "completed" and done["result"] == "left a child", done
    wait_until(lambda: not processes_with(task["id"]), 2, what="the child to be gone")
    _still_serving(cli_stack)


def test_a_10_mb_line_is_kept_whole_and_streamed(cli_stack: Stack) -> None:
    session = f"s-{uuid.uuid4().hex[:8]}"
    with cli_stack.ws(session) as ws:
        task = cli_stack.submit("@cli huge_line", session_id=session)
        events: list[dict[str, Any]] = read_events(ws, until_task_ends=task["id"], timeout=60)
    expected = huge_line()
    assert len(expected) > 10 * 1024 * 1024
    done = cli_stack.task(task["id"])
    assert done["status"] == "completed" and done["result"] == "read it all", done

    saved = cli_stack.output_lines(task["id"])
    assert len(saved[1]["line"]) == len(expected) and saved[1]["line"] == expected
    streamed = [event["line"] for event in events if event["type"] == "task.output"]
    assert streamed == [chunk["line"] for chunk in saved]
    assert json.loads(streamed[1])["message"]["content"][0]["tool_use_id"] == "toolu_1"
    _still_serving(cli_stack)
