"""Event names, Redis key names, and the publisher shared by the API, the worker and the sweeper.

Every event of a task carries a per-task `seq`: `task.created` is 0, `task.started` 1, each CLI
line 2, 3, …, and the terminal event one past the last one (`terminal_seq`). The buffer list holds
the latest of them in that order, capped at STREAM_BUFFER_MAX_EVENTS and expiring from its first
line; a client that joins late is given the older ones from the database.
"""

import hashlib
import json
import re
from typing import Any, cast

from redis import Redis
from redis.exceptions import NoScriptError

from app.config import settings
from app.tasks.models import Task, TaskStatus

PREFIX = "ccagent"
# From the first event on, renewed by each one: a buffer whose task never ends (its worker and
# the sweeper both gone) still goes away. The database keeps the output for good.
BUFFER_TTL_SECONDS = 24 * 3600

TASK_CREATED = "task.created"
TASK_STARTED = "task.started"
TASK_OUTPUT = "task.output"
TASK_COMPLETED = "task.completed"
TASK_FAILED = "task.failed"
TASK_CANCELLED = "task.cancelled"
TERMINAL_EVENTS = frozenset({TASK_COMPLETED, TASK_FAILED, TASK_CANCELLED})
TERMINAL_EVENT_OF = {
    TaskStatus.COMPLETED: TASK_COMPLETED,
    TaskStatus.FAILED: TASK_FAILED,
    TaskStatus.CANCELLED: TASK_CANCELLED,
}

SEQ_CREATED = 0
SEQ_STARTED = 1
FIRST_OUTPUT_SEQ = 2


def terminal_seq(*known: int | None) -> int:
    """The seq of a task's last event: one past the last one known (task.created, task.started,
    the last output line). The one rule the worker, the sweeper and the replay all follow."""
    return max([SEQ_CREATED, *(seq for seq in known if seq is not None)]) + 1


def buffer_key(task_id: str) -> str:
    return f"{PREFIX}:task:{task_id}:events"


def task_channel(task_id: str) -> str:
    return f"{PREFIX}:task:{task_id}"


def session_channel(session_id: str) -> str:
    return f"{PREFIX}:session:{session_id}"


def stop_key(task_id: str) -> str:
    return f"{PREFIX}:task:{task_id}:stop"


def encode_event(event_type: str, task_id: str, seq: int, **fields: Any) -> str:
    return json.dumps({"type": event_type, "task_id": task_id, "seq": seq, **fields})


def created_event(task: Task) -> str:
    return encode_event(
        TASK_CREATED,
        task.id,
        SEQ_CREATED,
        status=TaskStatus.QUEUED.value,
        prompt=task.prompt,
        agent=task.agent,
        session_id=task.session_id,
    )


def started_event(task_id: str, worker_id: str | None) -> str:
    return encode_event(TASK_STARTED, task_id, SEQ_STARTED, worker_id=worker_id)


def terminal_event(task: Task, seq: int) -> str:
    """The last event of an ended task: how it ended, its result or error, and its cost."""
    return encode_event(
        TERMINAL_EVENT_OF[task.status],
        task.id,
        seq,
        status=task.status.value,
        result=task.result,
        error=task.error,
        cost_usd=task.cost_usd,
        input_tokens=task.input_tokens,
        output_tokens=task.output_tokens,
        num_turns=task.num_turns,
    )


def publish_events(redis: Redis, task_id: str, session_id: str, events: list[str]) -> None:
    """Append events to the task's buffer (capped, expiring) and announce them, in one round
    trip."""
    if events:
        _publish(redis, task_id, session_id, events)


def publish_terminal(redis: Redis, task_id: str, session_id: str, event: str) -> None:
    """Publish the last event; the stop request, if any, is over."""
    _publish(redis, task_id, session_id, [event], ended=True)


# The buffer's append, cap and expiry, each event announced on the task's and the session's
# channels, and at the end the stop request removed: one command, run by Redis as one step.
# As a pipeline of five or six commands it cost the publisher ~40 µs more per event (measured:
# 110 against 74 µs a call), paid on every line and on every task's start and end. `unpack`
# is given at most 1,000 values at once (Lua's stack is limited; one read can bring thousands).
PUBLISH_SCRIPT = """
local buffer, cap, ttl, ended = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1'
for first = 4, #ARGV, 1000 do
  redis.call('RPUSH', buffer, unpack(ARGV, first, math.min(first + 999, #ARGV)))
end
redis.call('LTRIM', buffer, -cap, -1)
redis.call('EXPIRE', buffer, ttl)
for i = 4, #ARGV do
  redis.call('PUBLISH', KEYS[2], ARGV[i])
  redis.call('PUBLISH', KEYS[3], ARGV[i])
end
if ended then redis.call('DEL', KEYS[4]) end
"""
PUBLISH_SHA = hashlib.sha1(PUBLISH_SCRIPT.encode()).hexdigest()


def _publish(
    redis: Redis, task_id: str, session_id: str, events: list[str], ended: bool = False
) -> None:
    keys = (buffer_key(task_id), task_channel(task_id), session_channel(session_id))
    arguments = (
        *keys,
        stop_key(task_id),
        settings.STREAM_BUFFER_MAX_EVENTS,
        BUFFER_TTL_SECONDS,
        int(ended),
        *events,
    )
    try:
        redis.execute_command("EVALSHA", PUBLISH_SHA, 4, *arguments)
    except NoScriptError:  # a Redis that restarted, or that never saw it: EVAL caches it again
        redis.execute_command("EVAL", PUBLISH_SCRIPT, 4, *arguments)


def last_buffered_seq(redis: Redis, task_id: str) -> int | None:
    last = cast(bytes | None, redis.lindex(buffer_key(task_id), -1))
    header = None if last is None else peek_header(last.decode())
    return None if header is None else header[2]


_HEADER = re.compile(r'^\{"type": "([a-z.]+)", "task_id": "([^"]+)", "seq": (\d+)')


def peek_header(raw: str) -> tuple[str, str, int] | None:
    """(type, task_id, seq) of an encoded event, read off its start without parsing it all
    (a line can be megabytes long, and a thousand clients may watch it)."""
    match = _HEADER.match(raw)
    return (match[1], match[2], int(match[3])) if match else None
