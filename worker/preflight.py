"""What a worker checks and sets up before it takes a task: our logging for Celery's own
loggers too (redacted, no frame variables), and the tools' sandbox, without which it refuses to
start."""

import sys
from typing import Any

from celery.signals import setup_logging as celery_setup_logging
from celery.signals import worker_init

from app.config import settings
from app.logging import setup_logging
from worker.environment import SandboxMissing, check_sandbox


@celery_setup_logging.connect
def _use_our_logging(**_: Any) -> None:
    """Connected, so Celery configures no loggers of its own: every line goes through ours."""
    setup_logging()


@worker_init.connect
def _refuse_to_start_unsafe(**_: Any) -> None:
    try:
        check_sandbox(settings)
    except SandboxMissing as missing:
        print(f"worker: cannot start: {missing}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
