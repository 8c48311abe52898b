"""The stream path's memory is bounded: a client that never reads is dropped with a reason once
it falls WS_MAX_PENDING_EVENTS behind, a task's Redis buffer keeps its last
STREAM_BUFFER_MAX_EVENTS events and expires from its first one, and a late joiner gets the rest
from the database."""

import json
import socket
import uuid
from collections.abc import Iterator

import pytest
import redis
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.conftest import running_stack
from tests.support.processes import wait_until
from tests.support.stack import TOKEN, Stack, read_events

CAP = 100
LINES = 2000


@pytest.fixture(scope="module")
def bounded(tmp_path_factory: pytest.TempPathFactory, stub_url: str) -> Iterator[Stack]:
    with running_stack(
        tmp_path_factory, stub_url, WS_MAX_PENDING_EVENTS=10, STREAM_BUFFER_MAX_EVENTS=CAP
    ) as system:
        yield system


def test_a_client_that_never_reads_is_dropped_with_a_reason(bounded: Stack) -> None:
    session = f"s-{uuid.uuid4().hex[:8]}"
    tight = socket.socket()
    tight.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    tight.connect(("127.0.0.1", bounded.port))
    ws = connect(
        f"ws://127.0.0.1:{bounded.port}/ws/{session}",
        sock=tight,
        additional_headers={"Authorization": f"Bearer {TOKEN}"},
        max_size=None,
        max_queue=1,  # stop reading the socket once one message waits: a client that never reads
        compression=None,  # the padded lines deflate to nothing: they must fill the sockets
    )
    try:
        # Megabytes of events, more than the sockets between us hold, in few lines (the CLI
        # takes milliseconds a line: 20,000 short ones took minutes on a loaded machine).
        bounded.submit(f"@stub lines {LINES} 4000", session_id=session)
        api = bounded.api
        assert api is not None
        wait_until(lambda: "dropping it" in api.log(), 300, what="the client to be dropped")
        received = 0
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=30)
                received += 1
    finally:
        ws.close()
    assert closed.value.rcvd is not None, "closed by the server, with a frame"
    assert closed.value.rcvd.code == 1013
    assert "Too far behind" in closed.value.rcvd.reason
    assert received < LINES


def test_the_buffer_is_capped_and_expires_from_its_first_event(bounded: Stack) -> None:
    broker = redis.Redis.from_url(bounded.env["REDIS_URL"])
    running = bounded.submit("@stub slow 3")
    key = f"ccagent:task:{running['id']}:events"
    wait_until(lambda: broker.exists(key), 30, what="the first event")
    assert int(broker.ttl(key)) > 0, "a buffer expires even if its task never ends"  # type: ignore[arg-type]
    long = bounded.wait_done(bounded.submit("@stub lines 300")["id"], timeout=240)
    assert broker.llen(f"ccagent:task:{long['id']}:events") == CAP
    bounded.wait_done(running["id"], timeout=240)


def test_a_late_joiner_gets_what_the_buffer_dropped_from_the_database(bounded: Stack) -> None:
    task = bounded.wait_done(bounded.submit("@stub lines 300")["id"], timeout=240)
    with (ws := bounded.ws("viewer")):
        ws.send(json.dumps({"action": "watch", "task_id": task["id"]}))
        events = read_events(ws, until_task_ends=task["id"], timeout=30)
    seqs = [event["seq"] for event in events]
    assert seqs == list(range(len(seqs))) and len(seqs) > 3 * CAP
    assert [e["type"] for e in events[:2]] == ["task.created", "task.started"]
    lines = [e["line"] for e in events if e["type"] == "task.output"]
    assert lines == [chunk["line"] for chunk in bounded.output_lines(task["id"])]
    assert events[-1]["type"] == "task.completed" and events[-1]["cost_usd"] == task["cost_usd"]
