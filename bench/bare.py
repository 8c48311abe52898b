"""The baseline: a bare Celery task on the same Redis, with the worker settings of
`worker.celery_app` (acks late, prefetch 1, concurrency, time limit, transport options, events),
plus a result backend. Its body only runs the CLI stand-in and returns what it printed.

Run a worker of it with `celery -A bench.bare:bare_app worker`; BENCH_BARE_REDIS_URL names its
broker and result backend.
"""

import os
import subprocess
from typing import Any

from celery import Celery

from worker.celery_app import celery_app as system_app

BARE_QUEUE = "bench-bare"
RUN_CLI = "bench.bare.run_cli"
# What the baseline sets for itself rather than take from the system's configuration.
_OWN_SETTINGS = frozenset(
    {"include", "imports", "broker_url", "result_backend", "task_default_queue"}
    | {"task_ignore_result", "deprecated_settings"}
)


def shared_settings() -> dict[str, Any]:
    """Every setting the system's Celery app changes from Celery's defaults, but its own."""
    defaults = Celery(set_as_current=False).conf
    return {
        key: value
        for key, value in system_app.conf.items()
        if key not in _OWN_SETTINGS and defaults.get(key) != value
    }


_redis_url = os.environ.get("BENCH_BARE_REDIS_URL", "redis://127.0.0.1:6379/11")
bare_app = Celery("bench-bare", broker=_redis_url, backend=_redis_url)
bare_app.conf.update(shared_settings(), task_default_queue=BARE_QUEUE, task_ignore_result=False)


@bare_app.task(name=RUN_CLI)
def run_cli(
    argv: list[str], cwd: str, stdin_text: str | None = None, env: dict[str, str] | None = None
) -> str:
    """Run the CLI as the system's worker does (the prompt on stdin) and return its output.
    `env` replaces this worker's environment (the real CLI needs its private HOME)."""
    done = subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        input=None if stdin_text is None else stdin_text.encode(),
        stdin=subprocess.DEVNULL if stdin_text is None else None,
        capture_output=True,
        check=False,
    )
    return done.stdout.decode("utf-8", errors="replace")


def use_redis(url: str) -> None:
    """Point this process's bare app at `url`, as broker and result backend (before first use)."""
    bare_app.conf.update(broker_url=url, result_backend=url)
