"""Redis restarted with its data lost, on the same port: while it is down the API answers 503
with a reason (no hang); afterwards every waiting task runs, finished tasks keep their records
and output, a running task carries on, and WebSocket clients get live output again."""

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.support.processes import wait_until
from tests.support.redis_server import PrivateRedis
from tests.support.stack import Stack, read_events

ANSWER_WITHIN_SECONDS = 10  # "not a hang": each request must be answered in a few seconds


def _seqs(events: list[dict[str, Any]], task_id: str) -> list[int]:
    return [event["seq"] for event in events if event.get("task_id") == task_id]


def test_redis_restarted_empty_on_the_same_port(
    private_redis: PrivateRedis, make_stack: Callable[..., Stack]
) -> None:
    stack = make_stack(REDIS_URL=private_redis.url, MAX_CONCURRENT_TASKS=2)
    stack.start_api()
    stack.start_worker()
    session = f"s-{uuid.uuid4().hex[:8]}"
    health_url = f"http://127.0.0.1:{stack.port}/api/health"
    with stack.ws(session) as ws:
        finished = stack.submit("@stub text finished before the outage", session_id=session)
        read_events(ws, until_task_ends=finished["id"])
        finished_output = stack.output_lines(finished["id"])

        stopped = stack.submit("@stub slow 60", session_id=session)
        carried_on = stack.submit("@stub slow 15", session_id=session)
        waiting = [stack.submit(f"@stub text waited {n}", session_id=session) for n in range(3)]
        for task in (stopped, carried_on):
            stack.wait_status(task["id"], {"running"})
        wait_until(lambda: len(stack.output_lines(carried_on["id"])) > 5, 30, what="output")
        assert {stack.task(t["id"])["status"] for t in waiting} == {"queued"}

        down_since = time.monotonic()
        private_redis.stop()

        refused = stack.client.post(
            "/api/tasks", json={"prompt": "during the outage"}, timeout=ANSWER_WITHIN_SECONDS
        )
        assert refused.status_code == 503, refused.text
        assert "Redis is unavailable" in refused.json()["detail"]
        health = httpx.get(health_url, timeout=ANSWER_WITHIN_SECONDS)
        assert health.status_code == 503, health.text
        assert health.json()["redis"].startswith("down"), health.json()
        assert stack.client.get("/api/tasks", params={"session_id": session}).status_code == 200

        # A stop asked for while Redis is down is recorded in the database; the worker obeys it.
        stop = stack.client.post(f"/api/tasks/{stopped['id']}/stop", timeout=ANSWER_WITHIN_SECONDS)
        assert stop.status_code in (200, 503), stop.text
        assert stack.wait_done(stopped["id"], timeout=10)["status"] == "cancelled"

        # Stay down longer than HEARTBEAT_TIMEOUT_SECONDS: a running task must not be taken for
        # lost because Redis was.
        outage = float(stack.env["HEARTBEAT_TIMEOUT_SECONDS"]) + 1
        time.sleep(max(0.0, outage - (time.monotonic() - down_since)))
        private_redis.restart()

        done = [stack.wait_done(t["id"], timeout=60) for t in waiting]
        assert [t["status"] for t in done] == ["completed"] * 3, done
        assert stack.wait_done(carried_on["id"], timeout=60)["status"] == "completed"
        assert stack.task(finished["id"])["status"] == "completed"
        assert stack.output_lines(finished["id"]) == finished_output

        after = stack.submit("@stub text after the restart", session_id=session)
        events = read_events(ws, until_task_ends=after["id"], timeout=60)

    # Every task's events reach the client once each, in order, to its end: those of the task
    # submitted after the restart, and those of the tasks that ran or ended during the outage.
    expected_end = {t["id"]: "task.completed" for t in [carried_on, *waiting, after]}
    expected_end[stopped["id"]] = "task.cancelled"
    for task_id, end in expected_end.items():
        seqs = _seqs(events, task_id)
        assert seqs == list(range(len(seqs))), (task_id, seqs)
        assert [e["type"] for e in events if e["task_id"] == task_id][-1] == end
        lines = [e["line"] for e in events if e["task_id"] == task_id and "line" in e]
        assert lines == [chunk["line"] for chunk in stack.output_lines(task_id)]
