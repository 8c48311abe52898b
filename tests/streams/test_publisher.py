"""The publisher (one Redis script per call): every event is buffered in order and announced on
the task's and the session's channels, the buffer stays capped and expiring, the end clears the
stop request, and a Redis that lost its scripts (a restart, SCRIPT FLUSH) takes events all the
same."""

import time
from collections.abc import Iterator

import pytest
import redis

from app.config import settings
from app.streams import events
from tests.conftest import fresh_redis_url


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(fresh_redis_url())
    yield connection
    connection.close()


def _announced(pubsub: redis.client.PubSub, count: int) -> list[tuple[str, str]]:
    got: list[tuple[str, str]] = []
    deadline = time.monotonic() + 10
    while len(got) < count and time.monotonic() < deadline:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
        if message is not None:
            got.append((message["channel"].decode(), message["data"].decode()))
    return got


def test_a_batch_larger_than_lua_unpacks_at_once_is_buffered_and_announced_in_order(
    client: redis.Redis,
) -> None:
    pubsub = client.pubsub()
    pubsub.subscribe(events.task_channel("t1"), events.session_channel("s1"))
    sent = [
        events.encode_event(events.TASK_OUTPUT, "t1", seq, line=f"l{seq}") for seq in range(9000)
    ]

    events.publish_events(client, "t1", "s1", sent)

    assert [raw.decode() for raw in client.lrange(events.buffer_key("t1"), 0, -1)] == sent
    assert 0 < client.ttl(events.buffer_key("t1")) <= events.BUFFER_TTL_SECONDS
    announced = _announced(pubsub, 2 * len(sent))
    assert [data for channel, data in announced if channel == events.task_channel("t1")] == sent
    assert [data for channel, data in announced if channel == events.session_channel("s1")] == sent
    pubsub.close()


def test_the_buffer_keeps_only_the_latest_events(
    client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "STREAM_BUFFER_MAX_EVENTS", 3)
    for seq in range(5):
        events.publish_events(client, "t2", "s2", [f"e{seq}"])
    assert client.lrange(events.buffer_key("t2"), 0, -1) == [b"e2", b"e3", b"e4"]


def test_the_end_clears_the_stop_request_and_other_events_do_not(client: redis.Redis) -> None:
    client.set(events.stop_key("t3"), "cancel")
    events.publish_events(client, "t3", "s3", ["line"])
    assert client.exists(events.stop_key("t3"))
    events.publish_terminal(client, "t3", "s3", "end")
    assert not client.exists(events.stop_key("t3"))
    assert client.lrange(events.buffer_key("t3"), 0, -1) == [b"line", b"end"]


def test_a_redis_that_lost_its_scripts_still_takes_events(client: redis.Redis) -> None:
    events.publish_events(client, "t4", "s4", ["first"])
    client.script_flush()  # what a restarted Redis knows of the script
    assert client.script_exists(events.PUBLISH_SHA) == [False]

    events.publish_events(client, "t4", "s4", ["second"])

    assert client.lrange(events.buffer_key("t4"), 0, -1) == [b"first", b"second"]
