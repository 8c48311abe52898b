"""No log line holds a secret: redacted in the final text, and no frame variables printed."""

import io
import json
import logging
import os
from urllib.parse import quote, quote_plus

from loguru import logger
from pydantic import SecretStr

from app.config import settings
from app.logging import REDACTED, configured_secrets, redact, setup_logging
from app.tokens import issue_task_token, issue_ticket

ADMIN_TOKEN = os.environ["API_TOKEN"]


def _captured(write: object) -> str:
    stream = io.StringIO()
    setup_logging(stream)
    try:
        write()  # type: ignore[operator]
    finally:
        setup_logging()
    return stream.getvalue()


def test_a_secret_in_a_message_is_redacted() -> None:
    text = _captured(lambda: logger.info("calling with {}", ADMIN_TOKEN))
    assert ADMIN_TOKEN not in text and REDACTED in text


def test_minted_credentials_are_redacted_by_their_shape() -> None:
    token, ticket = issue_task_token("a" * 32), issue_ticket()
    line = f'GET /ws/s1?ticket={ticket} HTTP/1.1" 101 and Bearer {token}'
    assert redact(line, []) == f'GET /ws/s1?{REDACTED} HTTP/1.1" 101 and Bearer {REDACTED}'


def test_a_traceback_prints_no_frame_variables() -> None:
    def spawn() -> None:
        environment = {"ANTHROPIC_API_KEY": "sk-looks-like-a-key-0000"}  # noqa: F841
        raise RuntimeError("spawn failed")

    def fail() -> None:
        try:
            spawn()
        except RuntimeError:
            logger.exception("task failed in the worker")

    text = _captured(fail)
    assert "spawn failed" in text and "Traceback" in text
    assert "sk-looks-like-a-key-0000" not in text


def test_standard_library_loggers_are_redacted_too() -> None:
    access = logging.getLogger("uvicorn.access")
    level = access.level  # an in-process uvicorn (the stub's, in another test) may have raised it
    access.setLevel(logging.INFO)
    try:
        text = _captured(lambda: access.info("GET /?t=%s", ADMIN_TOKEN))
    finally:
        access.setLevel(level)
    assert "GET /?t=" in text and ADMIN_TOKEN not in text


def test_every_secret_setting_is_known() -> None:
    assert ADMIN_TOKEN in configured_secrets(settings)
    secrets = configured_secrets(
        settings.model_copy(
            update={
                "REDIS_URL": "redis://:redis-pass-9@host:6379/0",
                "DATABASE_URL": "postgresql+psycopg://u:db-pass-9@h/db",
            }
        )
    )
    assert {"redis-pass-9", "db-pass-9"} <= set(secrets)


def test_a_secret_written_escaped_in_a_json_line_is_redacted() -> None:
    """LOG_JSON lines are redacted after serialisation, where `"`, `\\` and control characters
    of a secret are escaped (and non-ASCII too, by json's default)."""
    secret = 'pa"ss\\wörd\tkey-0815'
    secrets = configured_secrets(settings.model_copy(update={"API_TOKEN": SecretStr(secret)}))
    for ensure_ascii in (False, True):
        line = json.dumps({"text": f"calling with {secret}"}, ensure_ascii=ensure_ascii)
        assert redact(line, secrets) == json.dumps({"text": f"calling with {REDACTED}"}), line


def test_a_json_log_line_holds_no_secret_with_quotes(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    secret = 'quote"d\\secret-4711'
    monkeypatch.setattr(settings, "LOG_JSON", True)
    monkeypatch.setattr(settings, "API_TOKEN", SecretStr(secret))
    text = _captured(lambda: logger.info("calling with {}", secret))
    assert json.loads(text.splitlines()[0])["record"]["message"] == f"calling with {REDACTED}"
    assert "secret-4711" not in text


def test_a_secret_in_a_repr_or_a_query_string_is_redacted() -> None:
    secret = "it's/a\\se cret+4711"
    secrets = configured_secrets(settings.model_copy(update={"API_TOKEN": SecretStr(secret)}))
    for written in (
        repr(ValueError(secret)),
        f"GET /?t={quote(secret)}",
        f"/?t={quote_plus(secret)}",
    ):
        assert "4711" not in redact(written, secrets), written
