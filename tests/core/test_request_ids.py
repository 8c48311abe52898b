"""Every answer carries an X-Request-ID, and every log line written while serving it too."""

import io
import json

from fastapi.testclient import TestClient
from loguru import logger

from app import logging as app_logging
from app.main import app


def test_an_answer_carries_a_request_id_and_echoes_a_sane_one() -> None:
    client = TestClient(app)
    made = client.get("/api/tasks").headers["x-request-id"]  # a refusal too (401)
    assert len(made) == 32
    assert (
        client.get("/api/tasks", headers={"X-Request-ID": "abc-1"}).headers["x-request-id"]
        == "abc-1"
    )
    odd = client.get("/api/tasks", headers={"X-Request-ID": "a b\\nforged line"})
    assert odd.headers["x-request-id"] != "a b\\nforged line"


def test_json_lines_carry_the_request_id_and_bound_fields(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(app_logging.settings, "LOG_JSON", True)
    stream = io.StringIO()
    app_logging.setup_logging(stream)
    try:
        token = app_logging.REQUEST_ID.set("req-7")
        logger.bind(task_id="t1", agent="planning").info("ran")
        app_logging.REQUEST_ID.reset(token)
    finally:
        monkeypatch.setattr(app_logging.settings, "LOG_JSON", False)
        app_logging.setup_logging()
    record = json.loads(stream.getvalue().splitlines()[-1])["record"]
    assert record["message"] == "ran"
    assert record["extra"]["request_id"] == "req-7"
    assert record["extra"]["task_id"] == "t1" and record["extra"]["agent"] == "planning"
