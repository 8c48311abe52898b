"""Outbound calls to the providers' APIs: httpx with timeouts, retried by tenacity on 429, 5xx
and transport errors, honouring Retry-After. A failure raises ProviderError with the provider's
own error text, which is recorded on the delivery or the run."""

from collections.abc import Callable
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from app.config import settings
from app.tasks.models import utcnow

ERROR_CHARS = 500


class ProviderError(Exception):
    """A provider refused or failed a call; the message holds its own words."""

    def __init__(self, message: str, retryable: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after: float | None = None
        self.status = status  # the HTTP status it answered, if it answered


class Unsupported(ProviderError):
    """The provider has no such action (a label on Slack, a reaction on Jira)."""


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - utcnow()).total_seconds())
    except (TypeError, ValueError):
        return None


_backoff = wait_exponential_jitter(multiplier=0.2, max=5, jitter=0.2)


def _wait(state: RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome else None
    after = getattr(error, "retry_after", None)
    if after is not None:
        return min(float(after), settings.WEBHOOK_RETRY_MAX_WAIT_SECONDS)
    return float(_backoff(state))


def _retryable(error: BaseException) -> bool:
    return isinstance(error, httpx.TransportError) or (
        isinstance(error, ProviderError) and error.retryable
    )


@cache
def client() -> httpx.Client:
    return httpx.Client(timeout=settings.WEBHOOK_HTTP_TIMEOUT_SECONDS)


def describe(provider: str, response: httpx.Response) -> str:
    text = response.text.strip()[:ERROR_CHARS] or response.reason_phrase
    return f"{provider} answered {response.status_code}: {text}"


def call(
    provider: str,
    method: str,
    url: str,
    *,
    check: Callable[[httpx.Response], None] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """One API call, retried; `check` may raise ProviderError for a 2xx that is an error."""

    @retry(
        retry=retry_if_exception(_retryable),
        wait=_wait,
        stop=stop_after_attempt(settings.WEBHOOK_RETRY_ATTEMPTS),
        reraise=True,
    )
    def attempt() -> httpx.Response:
        response = client().request(method, url, **kwargs)
        if response.status_code == 429 or response.status_code >= 500:
            error = ProviderError(
                describe(provider, response), retryable=True, status=response.status_code
            )
            error.retry_after = _retry_after(response)
            raise error
        if response.status_code >= 400:
            raise ProviderError(describe(provider, response), status=response.status_code)
        if check is not None:
            check(response)
        return response

    try:
        return attempt()
    except httpx.TransportError as error:
        raise ProviderError(f"{provider} could not be reached: {error}") from None


def json_of(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
