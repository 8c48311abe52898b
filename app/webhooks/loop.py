"""What the webhooks domain runs beside the API's requests: processing each accepted delivery
in a thread of its own, posting the replies owed, and sweeping up deliveries recorded but never
processed (the API stopped between recording and processing).

All of it runs in a bounded pool of its own, never asyncio's default one: the ingress, the
task-token check and other sweeps use that, and a slow provider (timeouts times retries, a
Retry-After) holding every processing thread must not keep a new delivery from its 2xx within
Sentry's 1 s or Slack's 3 s."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from loguru import logger

from app.config import settings
from app.webhooks import processing, replies

POLL_SECONDS = 0.2
PROCESSING_THREADS = 4  # deliveries beyond these wait their turn in the pool's queue
_running: set[asyncio.Future[None]] = set()
_pool = ThreadPoolExecutor(PROCESSING_THREADS, thread_name_prefix="webhooks")


async def _off_loop(work: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(_pool, work, *args)


def schedule(delivery_id: str) -> None:
    """Process a delivery soon, off the request; the sweeper is the backstop."""
    task = asyncio.ensure_future(_off_loop(processing.process, delivery_id))
    _running.add(task)
    task.add_done_callback(_running.discard)


def sweep_once() -> int:
    found = processing.unfinished()
    for delivery_id in found:
        processing.process(delivery_id)
    if found:
        logger.info("webhooks: processed {} delivery(ies) left unprocessed", len(found))
    return len(found)


async def run_forever() -> None:
    next_sweep = 0.0
    while True:
        await asyncio.sleep(POLL_SECONDS)
        try:
            await _off_loop(replies.post_due)
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + settings.WEBHOOK_SWEEP_AFTER_SECONDS / 2
                await _off_loop(sweep_once)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.warning("webhooks loop: {}", error)


@contextlib.asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    loop_task = asyncio.create_task(run_forever(), name="webhooks")
    yield
    loop_task.cancel()
    for task in list(_running):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(task), timeout=5)
