"""LOG_JSON=true in a real worker: the lines it logs for a run carry the run's task id and
agent as fields, so a log store can gather one task's lines."""

import json
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import BIN, ROOT, Proc, wait_until
from tests.support.redis_server import free_port
from tests.support.stack import Stack


def _json_lines(path: Path) -> list[dict[str, Any]]:
    records = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            records.append(json.loads(line)["record"])
    return records


def test_a_runs_json_lines_carry_its_task_id_and_agent(tmp_path: Path, stub_url: str) -> None:
    from tests.conftest import fresh_redis_url

    stack = Stack(tmp_path, fresh_redis_url(), stub_url, LOG_JSON="true")
    try:
        stack.start_api()
        stack.start_worker()
        agent = {"name": "log-reader", "description": "Reads.", "tools": ["Read"], "prompt": "R."}
        assert stack.client.post("/api/agents", json=agent).status_code == 201
        task = stack.submit("@stub text hi", agent="log-reader")
        assert stack.wait_done(task["id"])["status"] == "completed"
        stopped = stack.submit("@stub slow 30")  # the watchdog's thread logs its stop
        stack.wait_status(stopped["id"], {"running"})
        assert stack.client.post(f"/api/tasks/{stopped['id']}/stop").status_code < 300
        stack.wait_done(stopped["id"])
    finally:
        stack.close()

    records = _json_lines(tmp_path / "worker-w1.log")
    assert records, "the worker wrote no JSON line"
    for one in (task, stopped):
        ours = [r for r in records if r["name"].startswith("worker.") and one["id"] in r["message"]]
        assert ours, "the worker logged nothing about the task"
        for record in ours:
            assert record["extra"].get("task_id") == one["id"], record["message"]
    watchdog = [r for r in records if r["name"] == "worker.watchdog"]
    assert any(stopped["id"] in r["message"] for r in watchdog)
    ours = [r for r in records if r["name"].startswith("worker.") and task["id"] in r["message"]]
    ended = [r for r in ours if "ended" in r["message"]]
    assert ended and all(r["extra"].get("agent") == "log-reader" for r in ended)


def test_flowers_lines_go_through_our_sink(tmp_path: Path) -> None:
    """Flower started as `just up` starts it: its own lines and tornado's are ours (JSON with
    LOG_JSON), not tornado's `[I 261202 06:13:13 command:168] …` printed past the redaction."""
    from tests.conftest import fresh_redis_url

    port = free_port()
    env = {
        "PATH": f"{ROOT / '.venv/bin'}:/usr/bin:/bin",
        "CCAGENT_DOTENV": "",
        "API_TOKEN": "flower-test-token-0123",
        "REDIS_URL": fresh_redis_url(),
        "FLOWER_BASIC_AUTH": "admin:flower-password-4242",
        "LOG_JSON": "true",
    }
    command = [str(BIN / "celery"), "-A", "worker.celery_app", "flower"]
    flower = Proc(
        "flower", [*command, f"--port={port}", "--address=127.0.0.1"], env, tmp_path / "f"
    )

    def answers() -> int:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code
        except httpx.HTTPError:
            return 0

    try:
        assert wait_until(answers, 60, interval=0.5, what="Flower") == 401
    finally:
        flower.stop()
    lines = [line for line in flower.log().splitlines() if line.strip()]
    records = [json.loads(line)["record"] for line in lines]  # each a JSON line of our sink
    messages = [r["message"] for r in records]
    assert any(m.startswith("Visit me at http://127.0.0.1") for m in messages), messages
    assert any("shutting down" in m for m in messages), messages  # its SIGTERM handler's line
    assert "flower-password-4242" not in flower.log()
