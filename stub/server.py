"""The HTTP side of the model stub: a Starlette app speaking the Anthropic Messages API.

Routes
    ``POST /v1/messages``               scripted reply (SSE when ``"stream": true``, else JSON)
    ``POST /v1/messages/count_tokens``  ``{"input_tokens": len(body) // 4 + 1}``
    ``GET|DELETE /_stub/requests``      the last 200 recorded ``/v1/messages`` bodies / clear them
    ``GET /_stub/health``               ``{"status": "ok"}``
    anything else                       200 ``{}`` (the CLI's ``HEAD /api/hello`` probe among them)

What is answered is decided by :mod:`stub.script` from the prompt alone, so concurrent runs
never interfere.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from stub.script import Plan, compute_usage, plan_reply

log = logging.getLogger("stub")

MAX_RECORDED = 200  # requests kept for GET /_stub/requests
MAX_RECORDED_BYTES = 64 * 1024 * 1024  # and at most this much request text, oldest dropped first
DEFAULT_MODEL = "claude-stub"
BATCH = 64  # fast streams send this many events per write


class Recorder:
    """The last ``MAX_RECORDED`` request bodies, within ``MAX_RECORDED_BYTES``."""

    def __init__(self) -> None:
        self._items: deque[tuple[dict[str, Any], int]] = deque()
        self._bytes = 0

    def add(self, body: dict[str, Any], size: int) -> None:
        self._items.append((body, size))
        self._bytes += size
        while len(self._items) > MAX_RECORDED or (
            self._bytes > MAX_RECORDED_BYTES and len(self._items) > 1
        ):
            self._bytes -= self._items.popleft()[1]

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0

    def bodies(self) -> list[dict[str, Any]]:
        return [body for body, _ in self._items]


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def error_body(error_type: str, message: str) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": error_type, "message": message},
        "request_id": "req_stub_" + uuid.uuid4().hex[:20],
    }


def _error(status: int, error_type: str, message: str, retry: bool = True) -> JSONResponse:
    body = error_body(error_type, message)
    headers = {"request-id": body["request_id"]}
    if not retry:
        headers["x-should-retry"] = "false"
    return JSONResponse(body, status_code=status, headers=headers)


def _tool_id() -> str:
    return "toolu_stub_" + uuid.uuid4().hex[:20]


def _message(
    model: str, usage: dict[str, int], content: list[Any], stop: str | None
) -> dict[str, Any]:
    return {
        "id": "msg_stub_" + uuid.uuid4().hex[:20],
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": usage,
    }


def _usage(plan: Plan) -> dict[str, int]:
    reply = plan.text if plan.kind == "text" else json.dumps(plan.tool_input)
    return compute_usage(plan.prompt, reply)


async def _stream(plan: Plan, model: str) -> AsyncIterator[str]:
    usage = _usage(plan)
    start = _message(model, {**usage, "output_tokens": 1}, [], None)
    yield _sse("message_start", {"type": "message_start", "message": start})
    yield _sse("ping", {"type": "ping"})
    if plan.kind == "malformed":
        yield "event: content_block_delta\ndata: {this is not json, says the stub\n\n"
        return
    if plan.kind == "tool":
        block = {"type": "tool_use", "id": _tool_id(), "name": plan.tool_name, "input": {}}
        raw = json.dumps(plan.tool_input)
        deltas = [
            {"type": "input_json_delta", "partial_json": raw[i : i + 32]}
            for i in range(0, len(raw), 32)
        ]
        stop = "tool_use"
    else:
        block = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": chunk} for chunk in plan.chunks]
        stop = "end_turn"
    yield _sse(
        "content_block_start", {"type": "content_block_start", "index": 0, "content_block": block}
    )
    batch: list[str] = []
    for delta in deltas:
        batch.append(
            _sse("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        )
        if plan.delay > 0:
            yield batch.pop()
            await asyncio.sleep(plan.delay)
        elif len(batch) >= BATCH:
            yield "".join(batch)
            batch.clear()
    if batch:
        yield "".join(batch)
    yield _sse("content_block_stop", {"type": "content_block_stop", "index": 0})
    end_usage = {"output_tokens": usage["output_tokens"]}
    yield _sse(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": end_usage,
        },
    )
    yield _sse("message_stop", {"type": "message_stop"})


def _whole(plan: Plan, model: str) -> dict[str, Any]:
    if plan.kind == "tool":
        content = [
            {"type": "tool_use", "id": _tool_id(), "name": plan.tool_name, "input": plan.tool_input}
        ]
        return _message(model, _usage(plan), content, "tool_use")
    return _message(model, _usage(plan), [{"type": "text", "text": plan.text}], "end_turn")


async def _json_body(request: Request) -> tuple[dict[str, Any] | None, int]:
    raw = await request.body()
    size = len(raw)
    try:
        if request.headers.get("content-encoding", "").lower() == "gzip":
            raw = gzip.decompress(raw)  # CLAUDE_CODE_GZIP_REQUEST_BODIES=1
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, OSError, EOFError):
        return None, size
    return (body if isinstance(body, dict) else None), size


async def messages(request: Request) -> Response:
    body, size = await _json_body(request)
    if body is None:
        return _error(400, "invalid_request_error", "stub: the request body is not a JSON object")
    request.app.state.recorder.add(body, size)
    plan = plan_reply(body, request.headers.get("anthropic-beta", ""))
    model = str(body.get("model") or DEFAULT_MODEL)
    log.info("messages side=%s kind=%s prompt=%.80r", plan.side, plan.kind, plan.prompt)
    if plan.kind == "error":
        return _error(plan.status, plan.error_type, plan.error_message, plan.retry)
    if not body.get("stream"):
        if plan.kind == "malformed":
            return Response("{this is not json", media_type="application/json")
        return JSONResponse(_whole(plan, model))
    headers = {"cache-control": "no-cache", "request-id": "req_stub_" + uuid.uuid4().hex[:20]}
    return StreamingResponse(_stream(plan, model), media_type="text/event-stream", headers=headers)


async def count_tokens(request: Request) -> Response:
    raw = await request.body()
    return JSONResponse({"input_tokens": len(raw) // 4 + 1})


async def recorded_requests(request: Request) -> Response:
    recorder: Recorder = request.app.state.recorder
    if request.method == "DELETE":
        recorder.clear()
        return JSONResponse({"cleared": True})
    return JSONResponse(recorder.bodies())


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def anything_else(request: Request) -> Response:
    log.info("unscripted %s %s", request.method, request.url.path)
    if request.method == "HEAD":
        return Response(status_code=200)
    return JSONResponse({})


ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_app() -> Starlette:
    app = Starlette(
        routes=[
            Route("/v1/messages", messages, methods=["POST"]),
            Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
            Route("/_stub/requests", recorded_requests, methods=["GET", "DELETE"]),
            Route("/_stub/health", health, methods=["GET"]),
            Route("/{path:path}", anything_else, methods=ALL_METHODS),
        ]
    )
    app.state.recorder = Recorder()
    return app
