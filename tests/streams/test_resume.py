"""A reconnecting client resumes: a watch with `after_seq` N gets only the task's events after
N, from the database, the buffer and live; a watch without it still gets everything."""

import json

from tests.support.processes import wait_until
from tests.support.stack import Stack, read_events


def _watch(ws, task_id: str, **fields: object) -> None:  # type: ignore[no-untyped-def]
    ws.send(json.dumps({"action": "watch", "task_id": task_id, **fields}))


def test_a_watch_after_seq_gets_only_what_follows_it_live(stack: Stack) -> None:
    task = stack.submit("@stub slow 4", session_id="resume-live")
    wait_until(lambda: len(stack.output_lines(task["id"])) >= 4, 60, what="some output first")
    after = stack.output_lines(task["id"])[2]["seq"]

    with (resumed := stack.ws("resume-viewer")), (fresh := stack.ws("fresh-viewer")):
        _watch(resumed, task["id"], after_seq=after)
        _watch(fresh, task["id"])
        resumed_events = read_events(resumed, until_task_ends=task["id"])
        fresh_events = read_events(fresh, until_task_ends=task["id"])

    seqs = [event["seq"] for event in resumed_events]
    assert seqs == list(range(after + 1, after + 1 + len(seqs))), "each missing event once"
    assert [event["seq"] for event in fresh_events] == list(range(len(fresh_events)))
    assert [e for e in fresh_events if e["seq"] > after] == resumed_events


def test_a_watch_after_seq_of_a_finished_task_replays_only_its_end(stack: Stack) -> None:
    task = stack.submit("@stub text resume me")
    stack.wait_done(task["id"])
    lines = stack.output_lines(task["id"])
    after = lines[-1]["seq"]

    with (ws := stack.ws("resume-finished")):
        _watch(ws, task["id"], after_seq=after)
        events = read_events(ws, until_task_ends=task["id"], timeout=10)
    assert [event["type"] for event in events] == ["task.completed"]
    assert events[0]["seq"] == after + 1 and events[0]["result"] == "resume me"


def test_a_bad_after_seq_is_refused_in_words(stack: Stack) -> None:
    task = stack.submit("@stub text bad resume")
    with (ws := stack.ws("resume-bad")):
        for bad in ("3", -2, 1.5, True):
            _watch(ws, task["id"], after_seq=bad)
            answer = json.loads(ws.recv(timeout=5))
            assert answer["type"] == "error" and "after_seq" in answer["detail"], (bad, answer)
