"""Many viewers of one task: one Redis subscription, every event to each of them once and in
order, long lines compressed once in a way every connection reads, short ones sent as they
are; and every way of starting the API serves WebSockets with the fan-out protocol."""

import re
import uuid
from contextlib import ExitStack

import redis
from websockets.sync.client import ClientConnection, connect

from app.streams.events import session_channel
from tests.support.processes import ROOT, wait_until
from tests.support.stack import TOKEN, Stack, read_events

VIEWERS = 12
PROTOCOL = "app.streams.server:FanoutWebSocketProtocol"


def _viewer(stack: Stack, session: str, compression: str | None) -> ClientConnection:
    return connect(
        f"ws://127.0.0.1:{stack.port}/ws/{session}",
        additional_headers={"Authorization": f"Bearer {TOKEN}"},
        compression=compression,
        max_size=None,
        max_queue=None,
    )


def test_every_viewer_gets_every_event_once_in_order_from_one_subscription(
    stack: Stack,
) -> None:
    session = f"s-{uuid.uuid4().hex[:8]}"
    long_text = " ".join(f"word{index}" for index in range(600))  # a line of several KiB
    broker = redis.Redis.from_url(stack.env["REDIS_URL"])
    with ExitStack() as sockets:
        deflating = [
            sockets.enter_context(_viewer(stack, session, "deflate")) for _ in range(VIEWERS)
        ]
        plain = sockets.enter_context(_viewer(stack, session, None))
        channel = session_channel(session)
        wait_until(
            lambda: broker.pubsub_numsub(channel) == [(channel.encode(), 1)],
            10,
            what="the API's one subscription",
        )
        task = stack.submit(f"@stub text {long_text}", session_id=session)
        received = [read_events(ws, until_task_ends=task["id"]) for ws in [*deflating, plain]]
        negotiated = deflating[0].response.headers.get("Sec-WebSocket-Extensions", "")
    assert received[0] == received[-1], "the uncompressed viewer read the same events"
    assert all(events == received[0] for events in received)
    seqs = [event["seq"] for event in received[0]]
    assert seqs == list(range(len(seqs))), "each event once, in order"
    lines = [event["line"] for event in received[0] if event["type"] == "task.output"]
    assert any(long_text in line and len(line) > 4096 for line in lines)
    assert lines == [chunk["line"] for chunk in stack.output_lines(task["id"])]
    # No context kept between messages: no zlib state per connection, one frame fits all.
    assert "server_no_context_takeover" in negotiated
    assert "client_no_context_takeover" in negotiated


def test_every_way_of_starting_the_api_serves_the_fanout_protocol() -> None:
    launchers = {
        "justfile": r"uvicorn app\.main:app --ws (\S+)",
        "Dockerfile.api": r'"app\.main:app", "--ws", "([^"]+)"',
        "app/up.py": r'"--ws", "([^"]+)"',
        "tests/support/processes.py": r'"--ws",\s+"([^"]+)"',
        "bench/systems.py": r'FANOUT_WS = "([^"]+)"',
    }
    for path, pattern in launchers.items():
        found = re.search(pattern, (ROOT / path).read_text())
        assert found and found[1] == PROTOCOL, f"{path} starts the API without {PROTOCOL}"
