"""Task tokens and stream tickets: HMACs under a key the API and the workers share. No web
framework here: a worker issues a token for every run, and its pool processes stay lean."""

import hashlib
import hmac
import time

from app.config import settings

TASK_TOKEN_PREFIX = "cca-task."
TICKET_PREFIX = "cca-ticket."
TICKET_SECONDS = 60


def _key() -> bytes:
    if settings.TASK_TOKEN_SECRET:
        return settings.TASK_TOKEN_SECRET.get_secret_value().encode()
    admin = settings.API_TOKEN.get_secret_value() if settings.API_TOKEN else "auth-disabled"
    return hmac.new(admin.encode(), b"ccagent task tokens", hashlib.sha256).digest()


def _sign(message: str) -> str:
    return hmac.new(_key(), message.encode(), hashlib.sha256).hexdigest()


def issue_task_token(task_id: str) -> str:
    """The token of one run: valid while its task is RUNNING, for its task's scopes."""
    return f"{TASK_TOKEN_PREFIX}{task_id}.{_sign('task:' + task_id)}"


def issue_ticket(now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + TICKET_SECONDS)
    return f"{TICKET_PREFIX}{expires}.{_sign(f'ticket:{expires}')}"


def task_id_of(token: str) -> str | None:
    task_id, _, signature = token.removeprefix(TASK_TOKEN_PREFIX).partition(".")
    valid = hmac.compare_digest(signature, _sign("task:" + task_id))
    return task_id if task_id and valid else None


def ticket_valid(ticket: str) -> bool:
    expires, _, signature = ticket.removeprefix(TICKET_PREFIX).partition(".")
    if not expires.isdigit() or int(expires) < time.time():
        return False
    return hmac.compare_digest(signature, _sign(f"ticket:{expires}"))
