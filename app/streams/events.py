"""Event names, Redis key names, and the publisher shared by the API, the worker and the sweeper.

Every event of a task carries a per-task `seq`: `task.created` is 0, `task.started` 1, each CLI
line 2, 3, …, and the terminal event one past the last line. The buffer list holds them in that
order, so a client that joins late reads the buffer, then takes live events whose seq is higher.
"""

import json
import re
from typing import Any, cast

from redis import Redis

from app.tasks.models import Task, TaskStatus

PREFIX = "ccagent"
BUFFER_TTL_SECONDS = 24 * 3600  # after a task ends; the database keeps its output for good

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
    """Append events to the task's buffer and announce them, in one round trip."""
    if not events:
        return
    pipe = redis.pipeline(transaction=False)
    pipe.rpush(buffer_key(task_id), *events)
    for event in events:
        pipe.publish(task_channel(task_id), event)
        pipe.publish(session_channel(session_id), event)
    pipe.execute()


def publish_terminal(redis: Redis, task_id: str, session_id: str, event: str) -> None:
    """Publish the last event and let the buffer expire: the database holds the output now."""
    pipe = redis.pipeline(transaction=False)
    pipe.rpush(buffer_key(task_id), event)
    pipe.publish(task_channel(task_id), event)
    pipe.publish(session_channel(session_id), event)
    pipe.expire(buffer_key(task_id), BUFFER_TTL_SECONDS)
    pipe.delete(stop_key(task_id))
    pipe.execute()


def last_buffered_seq(redis: Redis, task_id: str) -> int | None:
    last = cast(bytes | None, redis.lindex(buffer_key(task_id), -1))
    return None if last is None else int(json.loads(last)["seq"])


_HEADER = re.compile(r'^\{"type": "([a-z.]+)", "task_id": "([^"]+)", "seq": (\d+)')


def peek_header(raw: str) -> tuple[str, str, int] | None:
    """(type, task_id, seq) of an encoded event, read off its start without parsing it all
    (a line can be megabytes long, and a thousand clients may watch it)."""
    match = _HEADER.match(raw)
    return (match[1], match[2], int(match[3])) if match else None
