"""The relay from Redis to one WebSocket client: buffer first, then live, by sequence number.

For each task the client follows, `sent[task_id]` is the last seq it received. A live event at
or below it is a duplicate and dropped; one above `sent + 1` means something was missed (a late
join, a Redis reconnect), and the gap is filled from the task's buffer before it is sent. Every
WebSocket uses this one module.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from sqlmodel import Session

from app.db import engine
from app.streams import events
from app.streams.hub import RECONNECTED, StreamHub
from app.tasks import service
from app.tasks.models import Task

Send = Callable[[str], Awaitable[None]]


class StreamRelay:
    def __init__(self, hub: StreamHub, redis: Redis, send: Send) -> None:
        self.hub = hub
        self.redis = redis
        self.send = send
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.channels: set[str] = set()
        self.sent: dict[str, int] = {}
        self.ended: set[str] = set()  # tasks whose last event this client has had
        # Filling a gap and forwarding live events never interleave: the wire stays in order.
        self.lock = asyncio.Lock()

    async def follow_session(self, session_id: str, active_task_ids: list[str]) -> None:
        await self._subscribe(events.session_channel(session_id))
        async with self.lock:
            for task_id in active_task_ids:
                await self._fill(task_id, up_to=None)

    async def follow_task(self, task_id: str) -> None:
        await self._subscribe(events.task_channel(task_id))
        async with self.lock:
            await self._fill(task_id, up_to=None)

    async def unfollow_task(self, task_id: str) -> None:
        channel = events.task_channel(task_id)
        if channel in self.channels:
            self.channels.discard(channel)
            await self.hub.unsubscribe(channel, self.queue)

    async def pump(self) -> None:
        """Forward live events until cancelled."""
        while True:
            raw = await self.queue.get()
            async with self.lock:
                await self._forward(raw)

    async def _forward(self, raw: str) -> None:
        if raw == RECONNECTED:
            for task_id in list(self.sent):
                if task_id not in self.ended:
                    await self._fill(task_id, up_to=None)
            return
        header = events.peek_header(raw)
        if header is None:
            return
        event_type, task_id, seq = header
        last = self.sent.get(task_id, -1)
        if seq <= last:
            return
        if seq > last + 1:
            await self._fill(task_id, up_to=seq - 1)
        await self._deliver(task_id, seq, raw)
        if event_type in events.TERMINAL_EVENTS:
            await self.unfollow_task(task_id)

    async def close(self) -> None:
        for channel in self.channels:
            await self.hub.unsubscribe(channel, self.queue)
        self.channels.clear()

    async def _subscribe(self, channel: str) -> None:
        if channel not in self.channels:
            self.channels.add(channel)
            await self.hub.subscribe(channel, self.queue)

    async def _deliver(self, task_id: str, seq: int, raw: str) -> None:
        self.sent[task_id] = seq
        header = events.peek_header(raw)
        if header and header[0] in events.TERMINAL_EVENTS:
            self.ended.add(task_id)
        await self.send(raw)

    async def _fill(self, task_id: str, up_to: int | None) -> None:
        """Send what the client missed of a task, from the Redis buffer, and from the database
        for whatever the buffer lacks (it expired, or was lost with a Redis restart)."""
        last = self.sent.get(task_id, -1)
        try:
            # The whole buffer, filtered by seq: positions and seqs differ if a publish was lost.
            buffered: list[bytes] = await self.redis.lrange(events.buffer_key(task_id), 0, -1)  # type: ignore[misc]
        except Exception:
            buffered = []
        missed = _missed([raw.decode() for raw in buffered], last, up_to)
        if not buffered or not _complete(missed, last, up_to):
            saved = await asyncio.to_thread(_events_from_database, task_id, last)
            missed = _missed(saved + [raw for _seq, raw in missed], last, up_to)
        for seq, raw in missed:
            if seq > self.sent.get(task_id, -1):
                await self._deliver(task_id, seq, raw)


def _missed(backlog: list[str], last: int, up_to: int | None) -> list[tuple[int, str]]:
    """The events after seq `last` (up to `up_to`), in seq order, each seq once."""
    found: dict[int, str] = {}
    for raw in backlog:
        header = events.peek_header(raw)
        if header and header[2] > last and (up_to is None or header[2] <= up_to):
            found.setdefault(header[2], raw)
    return sorted(found.items())


def _complete(missed: list[tuple[int, str]], last: int, up_to: int | None) -> bool:
    """Whether `missed` holds every seq from last + 1 on (through `up_to` if given)."""
    seqs = [seq for seq, _raw in missed]
    end = last + len(seqs) if up_to is None else up_to
    return seqs == list(range(last + 1, end + 1))


def _events_from_database(task_id: str, after_seq: int) -> list[str]:
    """The task's saved output lines as events, and its end if it has ended."""
    with Session(engine) as db:
        task = db.get(Task, task_id)
        if task is None:
            return []
        chunks = service.read_chunks(db, task_id)
        found = [
            events.encode_event(events.TASK_OUTPUT, task_id, chunk.seq, line=chunk.line)
            for chunk in chunks
            if chunk.seq > after_seq
        ]
        if task.status.is_terminal:
            # The worker numbers its last event one past the last line (or past task.started).
            started = events.SEQ_STARTED if task.started_at else events.SEQ_CREATED
            seq = max([started, *(chunk.seq for chunk in chunks)]) + 1
            found.append(events.terminal_event(task, seq))
        return found


def parse_client_message(text: str) -> tuple[str, str] | None:
    """A client's request: {"action": "watch"|"unwatch", "task_id": "..."}."""
    try:
        message = json.loads(text)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    action, task_id = message.get("action"), message.get("task_id")
    if action in ("watch", "unwatch") and isinstance(task_id, str) and task_id.isalnum():
        return action, task_id
    return None
