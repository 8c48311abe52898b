"""What a worker checks and sets up before it takes a task: our logging for Celery's own
loggers too (redacted, no frame variables), and the tools' sandbox, without which it refuses to
start."""

import sys
from pathlib import Path
from typing import Any

from celery.signals import setup_logging as celery_setup_logging
from celery.signals import worker_init
from loguru import logger

from app.config import ROOT_DIR, settings
from app.heap import freeze_what_startup_made
from app.logging import setup_logging
from worker.environment import SandboxMissing, check_sandbox
from worker.writable import writable_top


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
    _warn_of_shared_mount_points(settings.data_dir)
    freeze_what_startup_made()  # before the pool processes are forked


def _warn_of_shared_mount_points(data_dir: Path) -> None:
    data_dir = data_dir.resolve()
    top = writable_top(data_dir)
    if top is not None:
        logger.warning(
            "DATA_DIR {} is under {}, which the CLI's tool sandbox leaves writable: two runs'"
            " tools at once can fail there (the sandbox shares mount points above the"
            " workspaces; docs/workspaces.md). Put it where tools cannot write (/data, /srv)",
            data_dir,
            top,
        )
        if data_dir.is_relative_to(ROOT_DIR):
            logger.warning(
                "the source tree {} holds DATA_DIR and is under {}: runs' tools cannot change"
                " its files (worker/confinement.py) but can add new ones at its top, which a"
                " service started there imports first (`just up`, `just api`, `just worker`"
                " start them in DATA_DIR); set DATA_DIR outside it",
                ROOT_DIR,
                top,
            )
