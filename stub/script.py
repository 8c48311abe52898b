"""Turn one Messages API request body into a scripted reply plan.

Pure functions, no I/O: :func:`plan_reply` reads a request body and returns a :class:`Plan`
(text to stream, a tool call, an API error, or a malformed stream). ``stub/server.py`` renders
the plan as server-sent events or as one JSON message.

The prompt
    The text of the last ``role: "user"`` message that holds no ``tool_result`` block, its text
    blocks joined, every ``<system-reminder>…</system-reminder>`` block removed, stripped. (The
    CLI sends the reminder as a separate text block ahead of the prompt, and may append a
    ``role: "system"`` message after the user message: it is ignored.)

The directive
    The last line of the prompt matching ``^@stub (\\w+) ?(.*)$``: ``text WORDS``,
    ``slow SECONDS``, ``lines N [WIDTH]`` (each line padded to WIDTH characters),
    ``bash COMMAND``, ``write PATH CONTENT``, ``read PATH`` (a relative PATH is taken against the
    working directory the CLI's system prompt names), ``error STATUS [noretry]``,
    ``malformed``; none: ``[offline demo model] Echo: <prompt>``.
    ``noretry`` adds ``x-should-retry: false`` to the error, which the CLI obeys (no retry, no
    backoff); without it the CLI retries every status (even 401) 10 times, ~3 minutes, unless
    ``CLAUDE_CODE_MAX_RETRIES=0`` is set. ``malformed`` breaks the stream after
    ``message_start`` and answers the CLI's non-streaming fallback with invalid JSON too.

Main and side requests
    Besides its agent loop (the *main* requests), Claude Code sends one-shot helper queries
    (session titles, tool-use labels, ``/rename`` names, summaries…). In 2.1.332 every helper
    goes through one function that sends ``tools: []``, ``thinking: {"type": "disabled"}``, the
    small fast model, and the prompt as a plain string, sometimes with a ``json_schema`` output
    format; it may add the ``claude-code-side-query-…`` beta. The agent loop always sends
    ``thinking`` enabled or adaptive (even with ``MAX_THINKING_TOKENS=0``) and its tools (an
    agent whose front matter says ``tools: []`` sends an empty list). So a request is a *side*
    request when its ``anthropic-beta`` header names a side query, or when it has no tools and
    no thinking enabled. A side request gets a short plain reply (or a minimal JSON object for a
    ``json_schema`` format) and never acts on a directive, so ``@stub error 401`` fails only the
    main loop. Compaction (``/compact``) is a main-shaped request: it sends the tools, and its
    prompt (the compaction instructions) has no directive, so it gets the echo.
    With ``CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1`` the CLI in ``-p`` mode sends main
    requests only; without it, it also sends ``HEAD /api/hello`` (answered by the catch-all).

Follow-up turns
    When the last user message holds a ``tool_result``, the stub answers the tool call it made
    earlier with text: ``Tool finished: <first 200 chars of the result>`` for ``bash``, and
    ``Wrote <path>`` for ``write`` (``Write failed: <result>`` if the tool reported an error).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

ECHO_PREFIX = "[offline demo model] Echo: "
SIDE_REPLY = "[offline demo model] Offline demo session"
SLOW_DONE = "slow reply done"
SLOW_INTERVAL = 0.1
MAX_LINES = 100_000
MAX_LINE_WIDTH = 100_000
MAX_SLOW_SECONDS = 3600.0

_REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>", re.DOTALL)
_DIRECTIVE = re.compile(r"^@stub (\w+) ?(.*)$")

ERROR_TYPES: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "stub: invalid request (scripted by @stub error 400)"),
    401: ("authentication_error", "stub: invalid x-api-key"),
    403: ("permission_error", "stub: this API key may not use this resource"),
    404: ("not_found_error", "stub: the requested resource was not found"),
    413: ("request_too_large", "stub: request exceeds the maximum allowed size"),
    429: ("rate_limit_error", "stub: rate limit exceeded, slow down"),
    500: ("api_error", "stub: internal server error"),
    529: ("overloaded_error", "stub: the model is overloaded, try again later"),
}


@dataclass
class Plan:
    """What to answer. ``kind`` is one of: text, tool, error, malformed."""

    kind: str
    prompt: str
    side: bool = False
    chunks: list[str] = field(default_factory=list)  # text deltas, concatenated = the reply
    delay: float = 0.0  # seconds between two text deltas
    tool_name: str = ""
    tool_input: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    error_type: str = ""
    error_message: str = ""
    retry: bool = True  # False: the error says ``x-should-retry: false``

    @property
    def text(self) -> str:
        return "".join(self.chunks)


def strip_reminders(text: str) -> str:
    return _REMINDER.sub("", text).strip()


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [b for b in content if isinstance(b, dict)]
    return []


def _block_text(block: dict[str, Any]) -> str:
    """Text of a text block, or of a tool_result block (string or list of text blocks)."""
    content = block.get("content", block.get("text", ""))
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


def _user_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages = body.get("messages")
    if not isinstance(messages, list):
        return []
    return [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]


def extract_prompt(body: dict[str, Any]) -> str:
    """The prompt of a request, as defined in the module docstring ('' if none)."""
    for message in reversed(_user_messages(body)):
        blocks = _blocks(message)
        if any(b.get("type") == "tool_result" for b in blocks):
            continue
        text = strip_reminders("".join(_block_text(b) for b in blocks if b.get("type") == "text"))
        if text:
            return text
    return ""


def pending_tool_result(body: dict[str, Any]) -> dict[str, Any] | None:
    """The tool_result block of the last conversational message, if it holds one."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return None
    for message in reversed(messages):
        if not isinstance(message, dict) or message.get("role") == "system":
            continue
        if message.get("role") != "user":
            return None
        results = [b for b in _blocks(message) if b.get("type") == "tool_result"]
        return results[-1] if results else None
    return None


def parse_directive(prompt: str) -> tuple[str, str] | None:
    """(name, argument) of the last ``@stub`` line of the prompt, or None."""
    for line in reversed(prompt.splitlines()):
        match = _DIRECTIVE.match(line.strip())
        if match:
            return match.group(1), match.group(2).strip()
    return None


def is_side_request(body: dict[str, Any], beta: str = "") -> bool:
    """True for the CLI's one-shot helper queries (see the module docstring)."""
    if "side-query" in beta:
        return True
    thinking = body.get("thinking")
    thinks = isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")
    return not body.get("tools") and not thinks


def compute_usage(prompt: str, reply: str) -> dict[str, int]:
    """Deterministic token counts for a reply: ``len // 4 + 1`` of prompt and reply, and cache
    counts of 2x and 8x the input tokens, so the CLI computes a nonzero ``total_cost_usd``."""
    input_tokens = len(prompt) // 4 + 1
    return {
        "input_tokens": input_tokens,
        "output_tokens": len(reply) // 4 + 1,
        "cache_creation_input_tokens": 2 * input_tokens,
        "cache_read_input_tokens": 8 * input_tokens,
    }


def _text(prompt: str, text: str, side: bool = False) -> Plan:
    return Plan("text", prompt, side=side, chunks=_split(text))


def _split(text: str, size: int = 16) -> list[str]:
    """A reply cut into small deltas, as a real model streams it."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _number(arg: str, default: float) -> float:
    try:
        value = float(arg.split()[0])
    except (ValueError, IndexError):
        return default
    return value if math.isfinite(value) else default


def _sample(schema: Any, depth: int = 0) -> Any:
    """A small value that satisfies a simple JSON schema (for structured-output side requests)."""
    if not isinstance(schema, dict) or depth > 8:
        return None
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = kind[0] if kind else None
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {k: _sample(v, depth + 1) for k, v in props.items()}
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        return 0
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return "Offline demo"


def side_reply(body: dict[str, Any]) -> str:
    output_format = (body.get("output_config") or {}).get("format") or body.get("output_format")
    if isinstance(output_format, dict) and output_format.get("type") == "json_schema":
        return json.dumps(_sample(output_format.get("schema")))
    return SIDE_REPLY


_WORKING_DIRECTORY = re.compile(r"Primary working directory: (.+)")


def _absolute(body: dict[str, Any], path: str) -> str:
    """A relative path taken against the working directory the CLI names to the model (in its
    system prompt or, as 2.1.332 does, a message's reminder), as a model would: the file tools
    want absolute paths, and a test cannot know a run's directory beforehand."""
    if path.startswith("/"):
        return path
    found = None
    for part in [body.get("system"), *[m.get("content") for m in body.get("messages", [])]]:
        blocks = part if isinstance(part, list) else [{"text": part}]  # a string or text blocks
        for block in blocks:
            if isinstance(block, dict) and isinstance(block.get("text"), str):
                found = found or _WORKING_DIRECTORY.search(block["text"])
    return f"{found.group(1).strip().rstrip('/')}/{path}" if found else path


def plan_reply(body: dict[str, Any], beta: str = "") -> Plan:
    """The reply to one request; ``beta`` is its ``anthropic-beta`` header."""
    prompt = extract_prompt(body)
    if is_side_request(body, beta):
        return _text(prompt, side_reply(body), side=True)
    directive = parse_directive(prompt)
    name, arg = directive if directive else ("", "")

    result = pending_tool_result(body)
    if result is not None:
        output = _block_text(result)
        if name == "write":
            path = _absolute(body, arg.split(" ", 1)[0])
            failed = bool(result.get("is_error"))
            return _text(prompt, f"Write failed: {output[:200]}" if failed else f"Wrote {path}")
        return _text(prompt, "Tool finished: " + output[:200])

    if name == "text":
        return _text(prompt, arg)
    if name == "slow":
        seconds = min(max(_number(arg, 5.0), 0.0), MAX_SLOW_SECONDS)
        count = max(1, round(seconds / SLOW_INTERVAL))
        chunks = [f"tick {i} " for i in range(1, count)] + [SLOW_DONE]
        return Plan("text", prompt, chunks=chunks, delay=seconds / count)
    if name == "lines":
        count = int(min(max(_number(arg, 10), 1), MAX_LINES))
        width = int(min(max(_number(arg.partition(" ")[2], 0), 0), MAX_LINE_WIDTH))
        lines = [f"line {i}".ljust(width, ".") + "\n" for i in range(1, count + 1)]
        return Plan("text", prompt, chunks=lines)
    if name == "bash":
        tool_input = {"command": arg, "description": "stub command"}
        return Plan("tool", prompt, tool_name="Bash", tool_input=tool_input)
    if name == "write":
        path, _, content = arg.partition(" ")
        tool_input = {"file_path": _absolute(body, path), "content": content}
        return Plan("tool", prompt, tool_name="Write", tool_input=tool_input)
    if name == "read":
        tool_input = {"file_path": _absolute(body, arg.strip())}
        return Plan("tool", prompt, tool_name="Read", tool_input=tool_input)
    if name == "error":
        status = int(_number(arg, 500))
        if not 400 <= status <= 599:
            status = 500
        default = ("api_error", f"stub: scripted HTTP {status} error")
        error_type, message = ERROR_TYPES.get(status, default)
        retry = "noretry" not in arg.split()[1:]
        return Plan(
            "error",
            prompt,
            status=status,
            error_type=error_type,
            error_message=message,
            retry=retry,
        )
    if name == "malformed":
        return Plan("malformed", prompt)
    return _text(prompt, ECHO_PREFIX + prompt)
