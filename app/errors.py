"""Domain errors, and the one place they become HTTP answers."""

import math
import re
from typing import TYPE_CHECKING, Any

from loguru import logger
from pydantic import BaseModel
from redis.exceptions import RedisError

if TYPE_CHECKING:  # the worker raises these errors; only the API needs FastAPI
    from fastapi import FastAPI


class DomainError(Exception):
    """An error a person can act on; `status_code` is its HTTP meaning."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class ServiceUnavailable(DomainError):
    status_code = 503


class ErrorDetail(BaseModel):
    """Every error answer but a validation error (422, whose detail lists the problems)."""

    detail: str


_MEANINGS = {
    400: "The body cannot be parsed, or the request cannot be carried out as it stands",
    401: "Missing or invalid bearer token",
    403: "Not allowed",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Request body too large",
    429: "Refused for now (the daily budget is spent)",
    503: "A part the request needs (Redis) is unavailable; try again shortly",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entries of a route's error answers, for `responses=`."""
    return {code: {"model": ErrorDetail, "description": _MEANINGS[code]} for code in codes}


def redis_unavailable(error: Exception) -> ServiceUnavailable:
    # The error's text names hosts and ports: it goes to the log, not to the caller.
    logger.warning("Redis is unavailable: {}", error)
    return ServiceUnavailable("Redis is unavailable; try again shortly")


EXCERPT_CHARS = 80


def excerpt(value: Any) -> Any:
    """What a validation error may echo of the input: short, finite, valid UTF-8. A body can
    be a megabyte, hold a lone surrogate, or parse to Infinity; none of it may reach the answer
    whole, or break it."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    text = value if isinstance(value, str) else repr(value)
    if len(text) > EXCERPT_CHARS:
        text = text[:EXCERPT_CHARS] + f"… ({len(text)} characters)"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# A field named like one of these is write-only: its value is never echoed back.
_SECRET_NAME = re.compile(r"secret|token|password|passwd|api_?key|credential", re.IGNORECASE)
REDACTED = "[redacted]"


def is_secret_name(name: Any) -> bool:
    return isinstance(name, str) and bool(_SECRET_NAME.search(name))


def without_secrets(value: Any) -> Any:
    """`value` with every field named like a secret replaced, however deep."""
    if isinstance(value, dict):
        return {
            key: REDACTED if is_secret_name(key) else without_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [without_secrets(item) for item in value]
    return value


def _echoed_input(error: Any) -> Any:
    if any(is_secret_name(part) for part in error.get("loc", ())):
        return REDACTED
    return excerpt(without_secrets(error.get("input")))


def describe_validation_errors(errors: Any) -> list[dict[str, Any]]:
    return [
        {
            "loc": [excerpt(part) for part in error.get("loc", ())],
            "msg": excerpt(str(error.get("msg", ""))),
            "type": str(error.get("type", "")),
            "input": _echoed_input(error),
        }
        for error in errors
    ]


def install_error_handlers(app: "FastAPI") -> None:
    from fastapi import Request
    from fastapi.exception_handlers import http_exception_handler
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response
    from starlette.exceptions import HTTPException
    from starlette.routing import Match

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, error: DomainError) -> JSONResponse:
        return JSONResponse({"detail": error.message}, status_code=error.status_code)

    @app.exception_handler(RedisError)
    async def _redis_error(request: Request, error: RedisError) -> JSONResponse:
        # Redis is transport: while it is down a request that needs it is refused, not a 500.
        return await _domain_error(request, redis_unavailable(error))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": describe_validation_errors(error.errors())}, 422)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, error: HTTPException) -> Response:
        if error.status_code == 405:
            # Starlette's Allow names the methods of one route of the path; it must name all.
            allowed = {
                method
                for route in app.router.routes
                if route.matches(request.scope)[0] is not Match.NONE
                for method in getattr(route, "methods", None) or ()
            }
            headers = {**(error.headers or {}), "Allow": ", ".join(sorted(allowed))}
            error = HTTPException(405, error.detail, headers)
        return await http_exception_handler(request, error)
