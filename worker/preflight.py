"""What a worker checks and sets up before it takes a task: our logging for Celery's own
loggers too (redacted, no frame variables), and the tools' sandbox, without which it refuses to
start."""

import sys
from pathlib import Path
from typing import Any

from celery.signals import setup_logging as celery_setup_logging
from celery.signals import worker_init
from loguru import logger

from app.config import settings
from app.heap import freeze_what_startup_made
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
    _warn_of_shared_temp(settings.data_dir)
    freeze_what_startup_made()  # before the pool processes are forked


# Measured on 2.1.332 (docs/workspaces.md): for a working directory under these, the CLI's
# sandbox makes and deletes `.claude` and `.mcp.json` mount points in every directory above it
# around each Bash tool, and a second run's tool starting meanwhile fails ("bwrap: Can't find
# source path …/.claude"). Elsewhere (/data, a home, /srv) it binds nothing above the run.
SHARED_TEMP = (Path("/tmp"), Path("/var/tmp"))


def _warn_of_shared_temp(data_dir: Path) -> None:
    data = data_dir.resolve()
    if any(data == temp or temp in data.parents for temp in SHARED_TEMP):
        logger.warning(
            "DATA_DIR {} is under a temporary directory: two runs' tools at once can fail"
            " there (the CLI's sandbox shares mount points above the workspaces); put it"
            " elsewhere",
            data,
        )
