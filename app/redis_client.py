"""Redis clients, one per process, with short timeouts: a Redis that is down answers fast."""

from functools import cache

import redis
import redis.asyncio as aioredis

from app.config import settings

SOCKET_TIMEOUT_SECONDS = 5
CONNECT_TIMEOUT_SECONDS = 2


@cache
def sync_redis() -> redis.Redis:
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        health_check_interval=30,
    )


def new_async_redis() -> aioredis.Redis:
    """A client for the API's event loop (create it inside the loop that will use it)."""
    return aioredis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        health_check_interval=30,
    )
