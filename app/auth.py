"""Who may call what, decided in one place: default deny.

Every HTTP route and WebSocket needs a credential unless its endpoint is declared `@public`
(health, the webhook ingress, which proves itself by signature, the dashboard's files). The
`Authentication` middleware runs before any body is read, so a stranger's upload costs nothing.

Credentials, in `Authorization: Bearer …`:
- the admin token (`API_TOKEN`): everything;
- a task token, handed to one run: only routes declared `@allow_tasks(scope)` for a scope the
  run's task holds, and only while that task is RUNNING (see `TASK_SCOPES`);
- on a WebSocket, a short-lived stream ticket (`?ticket=`, from `POST /api/stream-tickets`)
  stands for the admin token, so a browser never puts the token in a URL.
"""

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from fastapi.routing import RouteContext, iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import settings
from app.errors import DomainError
from app.tokens import TASK_TOKEN_PREFIX
from app.tokens import task_id_of as _task_id_of
from app.tokens import ticket_valid as _ticket_valid

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

PUBLIC = "public"

# What a run's token may do, by where its task came from. A person with the admin token
# started a dashboard or API task, so it may manage the brain; a webhook task was started by a
# stranger's text, so it may act only on its own thread. `self` = read its own task and
# conversation.
TASK_SCOPES: dict[str, frozenset[str]] = {
    "api": frozenset({"self", "agents", "webhooks"}),
    "chat": frozenset({"self", "agents", "webhooks"}),
    "webhook": frozenset({"self", "thread"}),
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the admin, one running task, or nobody (on a public route)."""

    kind: Literal["admin", "task", "anonymous"]
    task_id: str | None = None
    conversation_id: str | None = None
    source: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"

    def may_read_task(self, task_id: str) -> bool:
        return self.is_admin or (self.kind == "task" and task_id == self.task_id)

    def may_read_conversation(self, conversation_id: str) -> bool:
        if self.is_admin:
            return True
        return (
            self.kind == "task"
            and bool(conversation_id)
            and conversation_id == self.conversation_id
        )


def require_own_task(principal: Principal, task_id: str) -> None:
    if not principal.may_read_task(task_id):
        raise Forbidden("A task token may read only its own task")


def require_own_conversation(principal: Principal, conversation_id: str) -> None:
    if not principal.may_read_conversation(conversation_id):
        raise Forbidden("A task token may read only its own task's conversation")


ADMIN = Principal("admin")
ANONYMOUS = Principal("anonymous")


class Forbidden(DomainError):
    status_code = 403


def public(endpoint: Endpoint) -> Endpoint:
    """Declare a route open to anyone. Use only where something else proves the caller."""
    endpoint.__access__ = PUBLIC  # type: ignore[attr-defined]
    return endpoint


def allow_tasks(scope: str) -> Callable[[Endpoint], Endpoint]:
    """Let a run's task token call this route when its task holds `scope`."""

    def mark(endpoint: Endpoint) -> Endpoint:
        endpoint.__access__ = scope  # type: ignore[attr-defined]
        return endpoint

    return mark


def open_docs(app: FastAPI) -> None:
    """The API's schema is public: it holds no secret, and a browser opening /docs (app/docs.py)
    cannot send a bearer token."""
    for route in app.router.routes:
        if app.openapi_url and getattr(route, "path", None) == app.openapi_url:
            public(route.endpoint)  # type: ignore[attr-defined]


def access_of(route: BaseRoute | RouteContext) -> str | None:
    """PUBLIC, a task scope, or None (admin only) for a route."""
    endpoint = getattr(route, "endpoint", None)
    return getattr(endpoint, "__access__", None) or getattr(route, "__access__", None)


def is_admin_token(candidate: str) -> bool:
    expected = settings.API_TOKEN.get_secret_value() if settings.API_TOKEN else ""
    return bool(expected) and hmac.compare_digest(candidate.encode(), expected.encode())


def _task_principal(task_id: str) -> Principal | None:
    """The running task's principal, or None once it has ended (its token ends with it)."""
    from app.db import session_scope
    from app.tasks.models import Task, TaskStatus

    with session_scope() as db:
        task = db.get(Task, task_id)
        if task is None or task.status is not TaskStatus.RUNNING:
            return None
        kind = "webhook" if task.source.startswith("webhook") else task.source
        return Principal(
            "task",
            task_id=task.id,
            conversation_id=task.conversation_id,
            source=task.source,
            scopes=TASK_SCOPES.get(kind, frozenset({"self"})),
        )


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            text = value.decode("latin-1")
            return text[7:].strip() if text[:7].lower() == "bearer " else None
    return None


def _ticket(scope: Scope) -> str | None:
    from urllib.parse import parse_qs

    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("ticket")
    return values[0] if values else None


class Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message


async def identify(scope: Scope) -> Principal:
    """The caller of a request, from its credential; Refusal(401) for a bad one."""
    import asyncio

    if settings.AUTH_DISABLED:
        return ADMIN
    token = _bearer(scope)
    if token is None and scope["type"] == "websocket":
        ticket = _ticket(scope)
        if ticket is not None:
            if _ticket_valid(ticket):
                return ADMIN
            raise Refusal(401, "The stream ticket is invalid or expired: ask for a new one")
    if token is None:
        return ANONYMOUS
    if token.startswith(TASK_TOKEN_PREFIX):
        task_id = _task_id_of(token)
        principal = await asyncio.to_thread(_task_principal, task_id) if task_id else None
        if principal is None:
            raise Refusal(401, "Invalid task token, or its task is no longer running")
        return principal
    if is_admin_token(token):
        return ADMIN
    raise Refusal(401, "Invalid bearer token")


def authorize(principal: Principal, access: str | None) -> None:
    """Refusal unless `principal` may call a route of this access."""
    if access == PUBLIC or principal.is_admin:
        return
    if principal.kind == "anonymous":
        raise Refusal(401, "Missing bearer token: send 'Authorization: Bearer <API_TOKEN>'")
    if access is None or access not in principal.scopes:
        raise Refusal(403, "A task token may not call this route")


class Authentication:
    """ASGI middleware: identify the caller, check the route's access, before the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        try:
            principal = await identify(scope)
            authorize(principal, _route_access(scope))
            _check_declared_length(scope)
        except Refusal as refusal:
            await _refuse(scope, send, refusal)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, _limited(receive) if scope["type"] == "http" else receive, send)


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        limit = settings.MAX_BODY_BYTES
        super().__init__(413, f"Request body too large: the limit is {limit} bytes")


def _check_declared_length(scope: Scope) -> None:
    """A body declared too large is refused before a byte of it is read."""
    for name, value in scope["headers"]:
        if name == b"content-length" and (
            not value.isdigit() or int(value) > settings.MAX_BODY_BYTES
        ):
            raise Refusal(413, BodyTooLarge().detail)


def _limited(receive: Receive) -> Receive:
    """`receive`, counting the bytes as they arrive: a chunked body declares no length, and
    past MAX_BODY_BYTES it is refused (413) without being read further. (FastAPI's own
    max_body_size does this too, but answers in plain text.)"""
    received = 0

    async def receive_within_limit() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > settings.MAX_BODY_BYTES:
                raise BodyTooLarge()
        return message

    return receive_within_limit


def route_table(app: FastAPI) -> list[tuple[Any, str | None]]:
    """Every route the app serves (included routers flattened), with its access."""
    table = getattr(app.state, "route_table", None)
    if table is None:
        table = [(route, access_of(route)) for route in iter_route_contexts(app.router.routes)]
        app.state.route_table = table
    return table


def _route_access(scope: Scope) -> str | None:
    table = route_table(scope["app"])
    for route, access in table:
        if route.matches(scope)[0] is Match.FULL:
            return access
    for route, access in table:  # a wrong method answers 405 to whoever may use the path
        if route.matches(scope)[0] is Match.PARTIAL:
            return access
    return None  # unknown paths are closed too: no probing for what exists


async def _refuse(scope: Scope, send: Send, refusal: Refusal) -> None:
    headers = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else {}
    response = JSONResponse({"detail": refusal.message}, refusal.status, headers=headers)
    if scope["type"] == "http":
        await response(scope, _no_body, send)
    elif "websocket.http.response" in scope.get("extensions", {}):
        # Answer the handshake with the reason, as HTTP, instead of an empty 403.
        await send(
            {
                "type": "websocket.http.response.start",
                "status": refusal.status,
                "headers": response.raw_headers,
            }
        )
        await send({"type": "websocket.http.response.body", "body": response.body})
    else:
        await send({"type": "websocket.close", "code": 1008, "reason": refusal.message})


async def _no_body() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


def current_principal(connection: HTTPConnection) -> Principal:
    principal = connection.scope.get("state", {}).get("principal")
    return principal if isinstance(principal, Principal) else ANONYMOUS


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def document_security(app: FastAPI) -> None:
    """Say in the OpenAPI schema which operations need the bearer token."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "API_TOKEN"}
        }
        for route, access in route_table(app):
            path = getattr(route, "path_format", None)
            if path not in schema.get("paths", {}) or access == PUBLIC:
                continue
            for method in getattr(route, "methods", None) or ():
                operation = schema["paths"][path].get(method.lower())
                if operation is not None:
                    operation["security"] = [{"bearer": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
