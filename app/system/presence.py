"""Workers announce themselves in Redis with a short-lived key; the API counts the live ones."""

import json
import os
import socket
import threading
import time
from typing import Any, cast

from redis import Redis

from app.config import settings
from app.streams.events import PREFIX

PRESENCE_TTL_SECONDS = 15
PRESENCE_EVERY_SECONDS = 5


def presence_key(hostname: str) -> str:
    return f"{PREFIX}:worker:{hostname}"


def announce_forever(redis: Redis, hostname: str, stop: threading.Event) -> None:
    info = json.dumps(
        {
            "hostname": hostname,
            "machine_id": settings.MACHINE_ID,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "concurrency": settings.MAX_CONCURRENT_TASKS,
            "started_at": time.time(),
        }
    )
    while not stop.is_set():
        try:
            redis.set(presence_key(hostname), info, ex=PRESENCE_TTL_SECONDS)
        except Exception:
            pass  # Redis down: the key expires and the API reports no worker, which is true
        stop.wait(PRESENCE_EVERY_SECONDS)
    try:
        redis.delete(presence_key(hostname))
    except Exception:
        pass


def live_workers(redis: Redis) -> list[dict[str, Any]]:
    keys = list(redis.scan_iter(match=presence_key("*"), count=100))
    values = cast(list[bytes | None], redis.mget(keys)) if keys else []
    return [json.loads(value) for value in values if value]
