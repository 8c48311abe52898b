"""Generic JSON webhooks, signed with our own HMAC: `X-Webhook-Signature: sha256=<hex>` over the
raw body (the same header `forward` sends). Optional headers: `X-Webhook-Event`,
`X-Webhook-Delivery` (the dedup key). Fields read from the body: `text`, `thread`, `actor`.
Replies stay in the thread's conversation: there is no API to post them to."""

from typing import Any

from app.config import settings
from app.webhooks import outbound
from app.webhooks.events import Actor, Event, text_of
from app.webhooks.signing import check_prefixed, digest

NAME = "generic"
CAN_REPLY = False
SIGNATURE_HEADER = "X-Webhook-Signature"


def default_secret() -> str | None:
    secret = settings.GENERIC_WEBHOOK_SECRET
    return secret.get_secret_value() if secret else None


def sign(secret: str, body: bytes) -> str:
    return f"sha256={digest(secret, body)}"


def verify(headers: Any, body: bytes, secret: str) -> None:
    check_prefixed(secret, body, headers.get(SIGNATURE_HEADER.lower()), SIGNATURE_HEADER)


def delivery_key(headers: Any, payload: dict[str, Any]) -> str | None:
    return headers.get("x-webhook-delivery") or None


def event_name(headers: Any, payload: dict[str, Any]) -> str:
    return headers.get("x-webhook-event") or text_of(payload.get("event")) or "generic"


def challenge(payload: dict[str, Any]) -> dict[str, Any] | None:
    return None


def parse(headers: Any, payload: dict[str, Any]) -> Event:
    thread = payload.get("thread")
    actor = text_of(payload.get("actor"))
    return Event(
        provider=NAME,
        type=event_name(headers, payload),
        actor=Actor(id=actor, name=actor) if actor else None,
        text=text_of(payload.get("text")),
        title=text_of(payload.get("title")),
        thread_key=f"generic:{thread}" if isinstance(thread, str | int) and thread else None,
        context={},
        payload=payload,
    )


def is_self(event: Event) -> bool:
    return False


def may_trigger(event: Event, allowed: list[str]) -> str | None:
    if not allowed or (event.actor and event.actor.id in allowed):
        return None
    return "the actor is not in the allow-list"


def comment(context: dict[str, Any], text: str) -> dict[str, Any]:
    raise outbound.Unsupported("generic webhooks have nowhere to post a comment")


def update(context: dict[str, Any], ref: dict[str, Any], text: str) -> None:
    raise outbound.Unsupported("generic webhooks have nowhere to post a comment")


def react(context: dict[str, Any], content: str) -> None:
    raise outbound.Unsupported("generic webhooks have no reactions")


def label(context: dict[str, Any], labels: list[str]) -> None:
    raise outbound.Unsupported("generic webhooks have no labels")
