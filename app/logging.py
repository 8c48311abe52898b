"""Logging through loguru, plain or JSON lines, at LOG_LEVEL."""

import logging
import sys

from loguru import logger

from app.config import settings


class _InterceptHandler(logging.Handler):
    """Send the standard library's records (uvicorn, celery) through loguru."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        logger.opt(exception=record.exc_info).log(level, record.getMessage())


def setup_logging() -> None:
    logger.remove()
    logger.add(sys.stderr, level=settings.LOG_LEVEL, serialize=settings.LOG_JSON)
    logging.basicConfig(handlers=[_InterceptHandler()], level=logging.INFO, force=True)
