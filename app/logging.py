"""Logging through loguru, plain or JSON lines, at LOG_LEVEL; no line ever holds a secret.

Every configured secret (each `SecretStr` setting, the passwords inside DATABASE_URL and
REDIS_URL), as written plain, JSON-escaped, repr'd or percent-encoded, and every task token and
every stream ticket is replaced by `[redacted]` in the final text of each line, tracebacks
included, whatever logger wrote it: ours, uvicorn's (its access log prints query strings),
Celery's. Tracebacks never print frame variables (`diagnose=False`): a failed spawn would print
the CLI's environment, model key and all.
"""

import contextvars
import json
import logging
import re
import sys
import uuid
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

from loguru import logger
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings, settings

REDACTED = "[redacted]"
# Credentials this system makes, recognisable by their shape.
_MINTED = re.compile(r"cca-(?:task|ticket)\.[0-9a-zA-Z.]+|(?<=[?&])ticket=[^&\s\"']+")
_THIRD_PARTY_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "celery", "httpx")


def configured_secrets(config: Settings) -> list[str]:
    """The secret values in the settings, longest first (so no secret is half-replaced)."""
    found = []
    for name in type(config).model_fields:
        value = getattr(config, name)
        if isinstance(value, SecretStr) and value.get_secret_value():
            secret = value.get_secret_value()
            found.append(secret)
            found += secret.split(":", 1)[1:]  # user:password settings: the password alone too
    for url in (config.DATABASE_URL, config.REDIS_URL):
        try:
            password = make_url(url).password
        except Exception:
            password = None
        if password:
            found.append(str(password))
    written = {form for secret in found if len(secret) >= 4 for form in _as_written(secret)}
    return sorted(written, key=len, reverse=True)


def _as_written(secret: str) -> set[str]:
    """The secret as a line may hold it: as it is; escaped inside a JSON string (LOG_JSON lines
    are redacted after loguru serialised them, and a `"`, `\\` or control character is written
    escaped there, non-ASCII too by json's default); in a Python repr (an exception's message
    in a traceback); percent-encoded (a query string in uvicorn's access log)."""
    return {
        secret,
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret)[1:-1],
        repr(secret)[1:-1],
        quote(secret),
        quote(secret, safe=""),
        quote_plus(secret),
        quote_plus(secret, safe=""),
    }


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return _MINTED.sub(REDACTED, text)


class RedactingSink:
    """A loguru sink that writes each finished line to a stream, secrets removed."""

    def __init__(self, stream: TextIO, secrets: list[str]) -> None:
        self.stream = stream
        self.secrets = secrets

    def write(self, message: str) -> None:
        self.stream.write(redact(message, self.secrets))
        self.stream.flush()


class _InterceptHandler(logging.Handler):
    """Send the standard library's records (uvicorn, celery) through loguru."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        logger.opt(exception=record.exc_info).log(level, record.getMessage())


REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
PLAIN_FORMAT = (
    "<green>{time:YYYY-MM-DD HH:mm:ss.SSS}</green> | <level>{level: <8}</level> | "
    "{extra[context]}<level>{message}</level>"
)


def _add_context(record: Any) -> None:
    """Put the request id (and what a caller bound: task_id, agent, delivery_id) on the record,
    as fields in JSON and as a short prefix in plain lines."""
    extra = record["extra"]
    request_id = REQUEST_ID.get()
    if request_id and "request_id" not in extra:
        extra["request_id"] = request_id
    names = ("request_id", "task_id", "delivery_id", "agent")
    extra["context"] = "".join(f"{name}={extra[name]} | " for name in names if extra.get(name))


class RequestIds:
    """ASGI middleware: every request gets an id (the caller's X-Request-ID when it is a sane
    one), on every log line written while it is served and on its answer's X-Request-ID."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _VALID_REQUEST_ID.match(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)


def setup_logging(stream: Any = None) -> None:
    logger.remove()
    sink = RedactingSink(stream or sys.stderr, configured_secrets(settings))
    logger.configure(patcher=_add_context)
    logger.add(
        sink.write,
        level=settings.LOG_LEVEL,
        serialize=settings.LOG_JSON,
        format=PLAIN_FORMAT,
        colorize=False,
        diagnose=False,
        backtrace=False,
    )
    handler = _InterceptHandler()
    logging.basicConfig(handlers=[handler], level=logging.INFO, force=True)
    for name in _THIRD_PARTY_LOGGERS:  # uvicorn gives its loggers handlers of their own
        third_party = logging.getLogger(name)
        third_party.handlers = [handler]
        third_party.propagate = False
