"""The relay from Redis to one WebSocket client: what it missed first, then live, by sequence
number.

For each task the client follows, `sent[task_id]` is the last seq it received. A live event at
or below it is a duplicate and dropped; one above `sent + 1` means something was missed (a late
join, a Redis reconnect), and the gap is filled before it is sent: from the newest events in
the task's Redis buffer when they reach back far enough, else from the database a page at a
time (it holds every saved line, and the task's own events are rebuilt from its row), then the
buffer for the newest lines the worker has not saved yet.

A live event the client can take at once is written straight to its socket by the hub's own
loop (no coroutine per client per event: what makes a thousand viewers affordable). Anything
else, a gap to fill or a socket whose buffer is full, goes to a backlog drained in order by a
coroutine that exists only while there is a backlog. A client that falls more than
WS_MAX_PENDING_EVENTS behind is dropped (`overflowed` is set; the route closes the socket with
1013): its memory here stays bounded, and the backlog holds references to events every viewer
shares. Every WebSocket uses this one module.
"""

import asyncio
import contextlib
import json
from collections import deque
from typing import NamedTuple

from loguru import logger
from redis.asyncio import Redis
from sqlmodel import Session

from app.config import settings
from app.db import read_scope
from app.streams import events
from app.streams.frames import StreamEvent
from app.streams.hub import RECONNECTED, StreamHub
from app.streams.sinks import Sink
from app.tasks import output
from app.tasks.models import Task

REPLAY_PAGE = 500  # events read at once, from the buffer's end or from the database


class StreamRelay:
    def __init__(self, hub: StreamHub, redis: Redis, sink: Sink) -> None:
        self.hub = hub
        self.redis = redis
        self.sink = sink
        self.backlog: deque[StreamEvent] = deque()
        self.max_pending = settings.WS_MAX_PENDING_EVENTS
        self.overflowed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.channels: set[str] = set()
        self.sent: dict[str, int] = {}
        self.ended: set[str] = set()  # tasks whose last event this client has had
        # Filling a gap and draining the backlog never interleave: the wire stays in order.
        self.lock = asyncio.Lock()
        self._drainer: asyncio.Task[None] | None = None
        self._filling = 0  # fills in progress outside the drainer: live events wait

    def offer(self, event: StreamEvent) -> None:
        """A live event from the hub. The common case, a client that is caught up and whose
        socket has room, gets it at once (no coroutine, no queue); otherwise it waits in the
        backlog, unless the client is too far behind already."""
        if self._drainer is None and not self._filling and event.is_event:
            last = self.sent.get(event.task_id, -1)
            if event.seq <= last:
                return
            if event.seq == last + 1 and self.sink.try_write(event):
                self.sent[event.task_id] = event.seq
                if event.is_terminal:
                    self._ended(event)
                return
        if len(self.backlog) >= self.max_pending:
            if not self.overflowed.done():
                logger.info(
                    "a WebSocket client fell {} events behind; dropping it", self.max_pending
                )
                self.overflowed.set_result(None)
            return
        self.backlog.append(event)
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain())

    async def follow_session(self, session_id: str, active_task_ids: list[str]) -> None:
        await self._subscribe(events.session_channel(session_id))
        await self._fill_now(active_task_ids)

    async def follow_task(self, task_id: str, after_seq: int | None = None) -> None:
        """Follow a task from after `after_seq` (what a reconnecting client already has), or
        from where this connection left it (its start when new)."""
        if after_seq is not None:
            self.sent[task_id] = max(self.sent.get(task_id, -1), after_seq)
        await self._subscribe(events.task_channel(task_id))
        await self._fill_now([task_id])

    async def _fill_now(self, task_ids: list[str]) -> None:
        self._filling += 1
        try:
            async with self.lock:
                for task_id in task_ids:
                    await self._fill(task_id, up_to=None)
        finally:
            self._filling -= 1

    def unfollow_task(self, task_id: str) -> None:
        channel = events.task_channel(task_id)
        if channel in self.channels:
            self.channels.discard(channel)
            self.hub.leave(channel, self)

    async def close(self) -> None:
        if self._drainer is not None:
            self._drainer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drainer
        for channel in self.channels:
            self.hub.leave(channel, self)
        self.channels.clear()

    async def _drain(self) -> None:
        """Forward the backlog in order, filling gaps and waiting for room as needed."""
        try:
            while self.backlog:
                event = self.backlog.popleft()
                async with self.lock:
                    try:
                        await self._forward(event)
                    except Exception as error:  # Redis or the database away: the next event
                        logger.warning("stream relay could not forward an event: {}", error)
        finally:
            self._drainer = None

    async def _forward(self, event: StreamEvent) -> None:
        if event.text == RECONNECTED:
            for task_id in list(self.sent):
                if task_id not in self.ended:
                    await self._fill(task_id, up_to=None)
            return
        if not event.is_event:
            return
        last = self.sent.get(event.task_id, -1)
        if event.seq <= last:
            return
        if event.seq > last + 1:
            await self._fill(event.task_id, up_to=event.seq - 1)
        await self._deliver(event)

    async def _subscribe(self, channel: str) -> None:
        if channel not in self.channels:
            self.channels.add(channel)
            await self.hub.subscribe(channel, self)

    def _ended(self, event: StreamEvent) -> None:
        self.ended.add(event.task_id)
        self.unfollow_task(event.task_id)

    async def _deliver(self, event: StreamEvent) -> None:
        self.sent[event.task_id] = event.seq
        await self.sink.send(event)
        if event.is_terminal:
            self._ended(event)

    async def _deliver_all(self, task_id: str, backlog: list[tuple[int, str]]) -> None:
        for seq, raw in backlog:
            if seq > self.sent.get(task_id, -1):
                await self._deliver(StreamEvent(raw))

    async def _fill(self, task_id: str, up_to: int | None) -> None:
        """Send what the client missed of a task (through `up_to` if given), in seq order."""
        newest = _within(await self._buffered(task_id, -REPLAY_PAGE), up_to)
        if not newest or newest[0][0] > self.sent.get(task_id, -1) + 1:
            while True:  # the database, a page at a time
                after = self.sent.get(task_id, -1)
                page = await asyncio.to_thread(_events_from_database, task_id, after, up_to)
                await self._deliver_all(task_id, page)
                if len(page) < REPLAY_PAGE or task_id in self.ended:
                    break
            if newest and newest[0][0] > self.sent.get(task_id, -1) + 1:
                # More unsaved lines than one page (the database was slow): the whole buffer,
                # which is capped.
                newest = _within(await self._buffered(task_id, 0), up_to)
        await self._deliver_all(task_id, newest)

    async def _buffered(self, task_id: str, start: int) -> list[tuple[int, str]]:
        """The buffer's events from position `start` (negative: from its end), by seq."""
        try:
            raws: list[bytes] = await self.redis.lrange(events.buffer_key(task_id), start, -1)  # type: ignore[misc]
        except Exception:
            return []
        found: dict[int, str] = {}
        for raw in raws:
            text = raw.decode()
            if header := events.peek_header(text):
                found.setdefault(header[2], text)
        return sorted(found.items())


def _within(backlog: list[tuple[int, str]], up_to: int | None) -> list[tuple[int, str]]:
    return backlog if up_to is None else [(seq, raw) for seq, raw in backlog if seq <= up_to]


def _events_from_database(task_id: str, after_seq: int, up_to: int | None) -> list[tuple[int, str]]:
    """Up to REPLAY_PAGE of the task's events after `after_seq` (through `up_to`), rebuilt from
    the database: its creation and start from its row, its saved lines, its end once it has
    ended and every line has been read."""
    with read_scope() as db:
        task = db.get(Task, task_id)
        if task is None:
            return []
        found = _own_events(task, after_seq)
        room = REPLAY_PAGE - len(found)
        lines = output.read_chunks(db, task_id, after_seq, room)
        found += [
            (c.seq, events.encode_event(events.TASK_OUTPUT, task_id, c.seq, line=c.line))
            for c in lines
        ]
        if task.status.is_terminal and len(lines) < room:
            seq = _terminal_seq(db, task)
            if seq > after_seq:
                found.append((seq, events.terminal_event(task, seq)))
        return _within(found, up_to)


def _own_events(task: Task, after_seq: int) -> list[tuple[int, str]]:
    found = []
    if after_seq < events.SEQ_CREATED:
        found.append((events.SEQ_CREATED, events.created_event(task)))
    if after_seq < events.SEQ_STARTED and task.started_at is not None:
        found.append((events.SEQ_STARTED, events.started_event(task.id, task.worker_id)))
    return found


def _terminal_seq(db: Session, task: Task) -> int:
    started = events.SEQ_STARTED if task.started_at else None
    return events.terminal_seq(started, output.last_chunk_seq(db, task.id))


class ClientRequest(NamedTuple):
    action: str  # "watch" or "unwatch"
    task_id: str
    after_seq: int | None = None  # watch: the last seq the client has; None: from the start


def parse_client_message(text: str) -> ClientRequest | None:
    """A client's request: {"action": "watch"|"unwatch", "task_id": "..."}, and for a watch
    an optional "after_seq": N (an integer >= -1)."""
    try:
        message = json.loads(text)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    action, task_id = message.get("action"), message.get("task_id")
    if action not in ("watch", "unwatch") or not isinstance(task_id, str) or not task_id.isalnum():
        return None
    after_seq = message.get("after_seq")
    if after_seq is None:
        return ClientRequest(action, task_id)
    # bool is an int to Python, not a seq to anyone.
    if action != "watch" or type(after_seq) is not int or after_seq < -1:
        return None
    return ClientRequest(action, task_id, after_seq)
