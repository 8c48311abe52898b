"""The WebSocket says why it refuses: a session id REST would refuse, a task that is not there."""

import json

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.stack import TOKEN, Stack

HEADERS = {"Authorization": f"Bearer {TOKEN}"}


def test_a_session_id_rest_refuses_is_refused_with_the_rule(stack: Stack) -> None:
    for bad in ("has%20space", "-starts-with-dash", "x" * 65):
        with (
            connect(f"ws://127.0.0.1:{stack.port}/ws/{bad}", additional_headers=HEADERS) as ws,
            pytest.raises(ConnectionClosed) as closed,
        ):
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
        assert "Invalid session id" in closed.value.rcvd.reason


def test_watching_a_task_that_does_not_exist_says_so(stack: Stack) -> None:
    with connect(f"ws://127.0.0.1:{stack.port}/ws/s1", additional_headers=HEADERS) as ws:
        ws.send(json.dumps({"action": "watch", "task_id": "abc123"}))
        answer = json.loads(ws.recv(timeout=10))
    assert answer == {"type": "error", "task_id": "abc123", "detail": "No such task"}
