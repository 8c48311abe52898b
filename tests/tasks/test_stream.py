"""Late joiners get what they missed, then live output: no gap, no duplicate."""

import json
import uuid
from typing import Any

from tests.support.processes import wait_until
from tests.support.stack import Stack, read_events


def _outputs(events: list[dict[str, Any]], task_id: str) -> list[int]:
    return [e["seq"] for e in events if e["type"] == "task.output" and e["task_id"] == task_id]


def test_a_client_joining_mid_run_gets_every_chunk_exactly_once(stack: Stack) -> None:
    session = f"s-{uuid.uuid4().hex[:8]}"
    task = stack.submit("@stub slow 4", session_id=session)
    wait_until(lambda: len(stack.output_lines(task["id"])) >= 5, 60, what="some output first")

    with (joined_by_session := stack.ws(session)), (watcher := stack.ws("elsewhere")):
        watcher.send(json.dumps({"action": "watch", "task_id": task["id"]}))
        late_session = read_events(joined_by_session, until_task_ends=task["id"])
        late_watch = read_events(watcher, until_task_ends=task["id"])

    saved = [chunk["seq"] for chunk in stack.output_lines(task["id"])]
    assert len(saved) > 10
    for events in (late_session, late_watch):
        assert _outputs(events, task["id"]) == saved
        seqs = [e["seq"] for e in events]
        assert seqs == list(range(len(seqs))), "from created to the end, each event once"


def test_watching_a_finished_task_replays_it(stack: Stack) -> None:
    task = stack.submit("@stub text replay me")
    stack.wait_done(task["id"])
    with (ws := stack.ws("viewer")):
        ws.send(json.dumps({"action": "watch", "task_id": task["id"]}))
        events = read_events(ws, until_task_ends=task["id"], timeout=10)
    assert events[-1]["type"] == "task.completed" and events[-1]["result"] == "replay me"
    assert _outputs(events, task["id"]) == [c["seq"] for c in stack.output_lines(task["id"])]


def test_a_bad_client_message_gets_an_error_event(stack: Stack) -> None:
    with (ws := stack.ws("viewer")):
        ws.send("not json")
        assert json.loads(ws.recv(timeout=5))["type"] == "error"
