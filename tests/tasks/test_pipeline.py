"""A prompt through the whole pipeline: API → Celery → the real CLI on the stub → WebSocket."""

import json
import uuid
from pathlib import Path

from tests.support.processes import wait_until
from tests.support.stack import Stack, read_events


def test_prompt_completes_with_the_cli_cost_and_every_line_streamed(stack: Stack) -> None:
    session = f"s-{uuid.uuid4().hex[:8]}"
    with (ws := stack.ws(session)):
        task = stack.submit("What is two plus two?", session_id=session)
        events = read_events(ws, until_task_ends=task["id"])

    done = stack.task(task["id"])
    assert done["status"] == "completed", done
    assert "What is two plus two?" in done["result"]

    lines = stack.output_lines(task["id"])
    parsed = [json.loads(chunk["line"]) for chunk in lines]
    assert parsed[0]["type"] == "system" and parsed[0]["subtype"] == "init"
    result = parsed[-1]
    assert result["type"] == "result" and result["subtype"] == "success"
    assert done["cost_usd"] == result["total_cost_usd"] and done["cost_usd"] > 0
    assert done["input_tokens"] == result["usage"]["input_tokens"]
    assert done["output_tokens"] == result["usage"]["output_tokens"]
    assert done["cache_read_tokens"] == result["usage"]["cache_read_input_tokens"]
    assert done["cache_creation_tokens"] == result["usage"]["cache_creation_input_tokens"]
    assert done["num_turns"] == result["num_turns"]
    assert done["cli_session_id"] == result["session_id"]

    types = [event["type"] for event in events]
    assert types[0] == "task.created" and types[1] == "task.started"
    assert types[-1] == "task.completed"
    streamed = [event for event in events if event["type"] == "task.output"]
    assert [event["line"] for event in streamed] == [chunk["line"] for chunk in lines]
    seqs = [event["seq"] for event in events]
    assert seqs == list(range(len(events))), "every event once, in order"
    assert events[-1]["cost_usd"] == result["total_cost_usd"]


def test_scripted_tool_call_makes_the_cli_write_a_file(stack: Stack) -> None:
    """The Write tool writes in the run's own workspace (the brain is read-only to runs)."""
    task = stack.submit("@stub write note.txt written by the real CLI")
    done = stack.wait_done(task["id"], timeout=90)
    assert done["status"] == "completed", done
    lines = [json.loads(chunk["line"]) for chunk in stack.output_lines(task["id"])]
    blocks = [
        block
        for line in lines
        if line["type"] in ("assistant", "user") and isinstance(line["message"]["content"], list)
        for block in line["message"]["content"]
    ]
    tool_uses = [block for block in blocks if block.get("type") == "tool_use"]
    assert [block["name"] for block in tool_uses] == ["Write"]
    workspace = Path(stack.env["DATA_DIR"]) / "workspaces" / task["id"]
    assert tool_uses[0]["input"]["file_path"] == str(workspace / "note.txt")
    (written,) = [block for block in blocks if block.get("type") == "tool_result"]
    assert not written.get("is_error"), written
    assert done["result"] == f"Wrote {workspace / 'note.txt'}"
    # the workspace goes with its task, right after its end is recorded (worker/run.py)
    wait_until(lambda: not workspace.exists(), 10, what="the workspace to go with its task")


def test_task_list_filters_and_paginates(stack: Stack) -> None:
    session = f"s-{uuid.uuid4().hex[:8]}"
    ids = [stack.submit(f"@stub text item {n}", session_id=session)["id"] for n in range(3)]
    for task_id in ids:
        stack.wait_done(task_id)
    page = stack.client.get("/api/tasks", params={"session_id": session, "limit": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    rest = stack.client.get(
        "/api/tasks", params={"session_id": session, "limit": 2, "offset": 2}
    ).json()
    assert {t["id"] for t in page["items"] + rest["items"]} == set(ids)
    completed = stack.client.get(
        "/api/tasks", params={"session_id": session, "status": "completed"}
    ).json()
    assert completed["total"] == 3


def test_status_and_health_see_the_worker(stack: Stack) -> None:
    health = stack.client.get("/api/health")
    assert health.status_code == 200, health.text
    assert health.json() == {"status": "ok", "database": "ok", "redis": "ok", "workers": 1}
    status = stack.client.get("/api/status").json()
    assert status["machine_id"] == "local"
    assert len(status["workers"]) == 1 and status["workers"][0]["concurrency"] == 3
    assert status["queue_length"] == 0
    assert set(status["tasks_by_status"]) == {
        "queued",
        "running",
        "completed",
        "failed",
        "cancelled",
    }


def test_a_prompt_larger_than_one_command_line_argument_runs(stack: Stack) -> None:
    filler = "context line of a long conversation\n" * 6000  # ~210 kB: more than 128 KiB
    task = stack.submit(f"{filler}@stub text read it all")
    done = stack.wait_done(task["id"])
    assert done["status"] == "completed", done["error"]
    assert done["result"] == "read it all"
