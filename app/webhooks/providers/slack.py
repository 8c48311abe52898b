"""Slack (Events API): `v0` signature over `v0:{timestamp}:{body}` within five minutes; events
keyed by `event_id` (its retries carry the same id); a thread is a channel's message thread;
outbound through the Web API, whose errors arrive as `200 {"ok": false}`."""

import re
import time
from typing import Any

import httpx

from app.config import settings
from app.webhooks import outbound, own_posts
from app.webhooks.events import Actor, Event, mapping, text_of
from app.webhooks.signing import SignatureInvalid, check_prefixed

NAME = "slack"
CAN_REPLY = True
WINDOW_SECONDS = 300
SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+>")


def default_secret() -> str | None:
    secret = settings.SLACK_SIGNING_SECRET
    return secret.get_secret_value() if secret else None


def verify(headers: Any, body: bytes, secret: str) -> None:
    stamp = headers.get(TIMESTAMP_HEADER.lower(), "")
    if not stamp.isdigit():
        raise SignatureInvalid(f"Missing or malformed {TIMESTAMP_HEADER}")
    if abs(time.time() - int(stamp)) > WINDOW_SECONDS:
        raise SignatureInvalid(f"{TIMESTAMP_HEADER} is more than 5 minutes away: stale request")
    signature = headers.get(SIGNATURE_HEADER.lower())
    if signature is not None and not signature.startswith("v0="):
        raise SignatureInvalid(f"{SIGNATURE_HEADER} must be of the form v0=<hex>")
    base = b"v0:" + stamp.encode() + b":" + body
    presented = f"sha256={signature[3:]}" if signature else None
    check_prefixed(secret, base, presented, SIGNATURE_HEADER)


def delivery_key(headers: Any, payload: dict[str, Any]) -> str | None:
    event_id = payload.get("event_id")
    return event_id if isinstance(event_id, str) and event_id else None


def event_name(headers: Any, payload: dict[str, Any]) -> str:
    event = payload.get("event")
    if isinstance(event, dict) and isinstance(event.get("type"), str):
        return str(event["type"])
    return text_of(payload.get("type")) or "unknown"


def challenge(payload: dict[str, Any]) -> dict[str, Any] | None:
    if payload.get("type") == "url_verification":
        return {"challenge": text_of(payload.get("challenge"))}
    return None


def parse(headers: Any, payload: dict[str, Any]) -> Event:
    event = mapping(payload.get("event"))
    subtype = event.get("subtype")
    channel = text_of(event.get("channel"))
    ts = text_of(event.get("ts"))
    thread_ts = text_of(event.get("thread_ts")) or ts
    team = text_of(payload.get("team_id")) or text_of(event.get("team"))
    user = text_of(event.get("user"))
    text = text_of(event.get("text"))
    if event.get("type") == "app_mention":  # Slack writes the mention of the bot as <@U…>
        text = _LEADING_MENTION.sub(settings.BOT_MENTION, text, count=1)
    if settings.SLACK_BOT_USER_ID:
        text = text.replace(f"<@{settings.SLACK_BOT_USER_ID}>", settings.BOT_MENTION)
    actor = Actor(id=user, name=user, is_bot=bool(event.get("bot_id")) or subtype == "bot_message")
    return Event(
        provider=NAME,
        type=event_name(headers, payload),
        action=subtype if isinstance(subtype, str) else None,
        actor=actor,
        text=text,
        thread_key=f"slack:{team}:{channel}:{thread_ts}" if channel and thread_ts else None,
        context={"channel": channel, "thread_ts": thread_ts, "ts": ts, "team": team},
        payload=payload,
    )


def is_self(event: Event) -> bool:
    actor = event.actor
    own = settings.SLACK_BOT_USER_ID
    return bool(actor and (actor.is_bot or (own and actor.id == own)))


def may_trigger(event: Event, allowed: list[str]) -> str | None:
    """Allowed: any user of the signed workspace, or only the listed user ids."""
    if not allowed or (event.actor and event.actor.id in allowed):
        return None
    return f"Slack user {event.actor.id if event.actor else '?'} is not in the allow-list"


# outbound


def _check(response: httpx.Response) -> None:
    data = outbound.json_of(response)
    if data.get("ok") is not True:
        error = data.get("error") or response.text[: outbound.ERROR_CHARS]
        failure = outbound.ProviderError(f"slack answered ok=false: {error}")
        failure.retryable = error == "ratelimited"
        raise failure


def _api(method: str, body: dict[str, Any]) -> dict[str, Any]:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if settings.SLACK_BOT_TOKEN:
        headers["Authorization"] = f"Bearer {settings.SLACK_BOT_TOKEN.get_secret_value()}"
    url = f"{settings.SLACK_API_URL.rstrip('/')}/{method}"
    response = outbound.call(NAME, "POST", url, json=body, headers=headers, check=_check)
    return outbound.json_of(response)


def comment(context: dict[str, Any], text: str) -> dict[str, Any]:
    body = {"channel": context["channel"], "text": own_posts.visible(text)}
    if context.get("thread_ts"):
        body["thread_ts"] = context["thread_ts"]
    return {"ts": _api("chat.postMessage", body).get("ts")}


def update(context: dict[str, Any], ref: dict[str, Any], text: str) -> None:
    body = {"channel": context["channel"], "ts": ref["ts"], "text": own_posts.visible(text)}
    _api("chat.update", body)


def react(context: dict[str, Any], content: str) -> None:
    _api(
        "reactions.add",
        {"channel": context["channel"], "timestamp": context["ts"], "name": content},
    )


def label(context: dict[str, Any], labels: list[str]) -> None:
    raise outbound.Unsupported("Slack messages have no labels")
