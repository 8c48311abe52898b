"""One Redis subscription per channel per API process, fanned out to every local listener.

A thousand browsers watching one task cost one Redis subscription, and each event is decoded and
parsed once for all of them. When Redis goes away the
hub reconnects, subscribes again, and tells every listener to fill the gap from the buffer.
"""

import asyncio
from collections import defaultdict
from typing import Protocol

from loguru import logger
from redis.asyncio.client import PubSub

from app.redis_client import new_async_redis
from app.streams.frames import StreamEvent

RECONNECTED = (
    "__reconnected__"  # offered to every listener after a reconnect: events may be missing
)
RECONNECT_DELAY_SECONDS = 0.5


class Listener(Protocol):
    def offer(self, event: StreamEvent) -> None:
        """Take an event; never block (one slow listener must not hold up the others)."""


class StreamHub:
    def __init__(self) -> None:
        self._listeners: dict[str, set[Listener]] = defaultdict(set)
        self._redis = new_async_redis()
        self._pubsub: PubSub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._has_channels = asyncio.Event()
        # redis-py's PubSub opens its connection lazily and is not safe for concurrent
        # commands: two first subscribes at once would each open one, and one would be lost.
        self._commands = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self._unsubscribing: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self._reader = asyncio.create_task(self._read_forever(), name="stream-hub")

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
        await self._pubsub.aclose()
        await self._redis.aclose()

    async def subscribe(self, channel: str, listener: Listener) -> None:
        listeners = self._listeners[channel]
        listeners.add(listener)
        if len(listeners) == 1:
            try:
                async with self._commands:
                    await self._pubsub.subscribe(channel)
            except Exception as error:  # the reader resubscribes once Redis is back
                logger.warning("subscribe to {} deferred: {}", channel, error)
        self._has_channels.set()

    def leave(self, channel: str, listener: Listener) -> None:
        """Stop offering the channel's events to the listener at once; the Redis subscription
        ends in the background once nobody listens."""
        listeners = self._listeners.get(channel)
        if listeners is None:
            return
        listeners.discard(listener)
        if not listeners:
            del self._listeners[channel]
            task = asyncio.create_task(self._unsubscribe_if_unused(channel))
            self._unsubscribing.add(task)
            task.add_done_callback(self._unsubscribing.discard)

    async def _unsubscribe_if_unused(self, channel: str) -> None:
        try:
            async with self._commands:
                if channel not in self._listeners:  # nobody came back meanwhile
                    await self._pubsub.unsubscribe(channel)
        except Exception as error:
            logger.debug("unsubscribe from {} failed: {}", channel, error)

    @property
    def listener_count(self) -> int:
        return sum(len(listeners) for listeners in self._listeners.values())

    async def _read_forever(self) -> None:
        while True:
            await self._has_channels.wait()
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning("stream hub lost Redis: {}; reconnecting", error)
                await self._reconnect()
                continue
            if message is None:
                if not self._listeners:
                    self._has_channels.clear()
                continue
            listeners = self._listeners.get(message["channel"].decode())
            if not listeners:
                continue
            data = message["data"]
            event = StreamEvent(data.decode() if isinstance(data, bytes) else str(data))
            for listener in list(listeners):  # decoded and parsed once for all of them
                try:
                    listener.offer(event)
                except Exception:  # one broken listener must not stop the others
                    logger.exception("a stream listener failed to take an event")

    async def _reconnect(self) -> None:
        while True:
            await asyncio.sleep(RECONNECT_DELAY_SECONDS)
            try:
                async with self._commands:
                    await self._pubsub.aclose()
                    self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                    if self._listeners:
                        await self._pubsub.subscribe(*self._listeners)
                break
            except Exception as error:
                logger.debug("stream hub reconnect failed: {}", error)
        logger.info("stream hub reconnected to Redis")
        marker = StreamEvent(RECONNECTED)
        for listeners in list(self._listeners.values()):
            for listener in list(listeners):
                listener.offer(marker)
