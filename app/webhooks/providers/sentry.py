"""Sentry (integration platform): `Sentry-Hook-Signature`, the bare hex HMAC of the raw body;
deliveries keyed by `Request-ID`; a Sentry issue is a thread; outbound: notes on the issue."""

from typing import Any

from app.config import settings
from app.webhooks import outbound, own_posts
from app.webhooks.events import Actor, Event, dig, mapping, text_of
from app.webhooks.signing import check_hex

NAME = "sentry"
CAN_REPLY = True
SIGNATURE_HEADER = "Sentry-Hook-Signature"


def default_secret() -> str | None:
    secret = settings.SENTRY_CLIENT_SECRET
    return secret.get_secret_value() if secret else None


def verify(headers: Any, body: bytes, secret: str) -> None:
    check_hex(secret, body, headers.get(SIGNATURE_HEADER.lower()), SIGNATURE_HEADER)


def delivery_key(headers: Any, payload: dict[str, Any]) -> str | None:
    return headers.get("request-id") or None


def event_name(headers: Any, payload: dict[str, Any]) -> str:
    resource = headers.get("sentry-hook-resource") or "unknown"
    action = payload.get("action")
    return f"{resource}.{action}" if isinstance(action, str) else resource


def challenge(payload: dict[str, Any]) -> dict[str, Any] | None:
    return None


def parse(headers: Any, payload: dict[str, Any]) -> Event:
    data = mapping(payload.get("data"))
    issue = mapping(data.get("issue"))
    event = mapping(data.get("event"))
    comment = data.get("comment")
    issue_id = issue.get("id") or event.get("issue_id") or data.get("issue_id")
    actor = mapping(payload.get("actor"))
    resource = headers.get("sentry-hook-resource") or "unknown"
    action = payload.get("action")
    text = (
        text_of(comment)
        or text_of(dig(issue, "metadata", "value"))
        or text_of(event.get("message"))
    )
    return Event(
        provider=NAME,
        type=resource,
        action=action if isinstance(action, str) else None,
        actor=Actor(
            id=str(actor.get("id", "")),
            name=text_of(actor.get("name")),
            # Sentry itself reports new issues as "application"; a comment by an application
            # is one this integration posted.
            is_bot=resource == "comment" and actor.get("type") == "application",
        ),
        text=text,
        title=text_of(issue.get("title")) or text_of(event.get("title")),
        url=text_of(issue.get("web_url")) or text_of(data.get("web_url")),
        thread_key=f"sentry:{issue_id}" if issue_id else None,
        context={"issue_id": str(issue_id) if issue_id else None},
        installation=text_of(dig(payload, "installation", "uuid")) or None,
        payload=payload,
    )


def is_self(event: Event) -> bool:
    return bool(event.actor and event.actor.is_bot)


def may_trigger(event: Event, allowed: list[str]) -> str | None:
    """Allowed: any installation whose secret signs, or only the listed installation uuids."""
    if not allowed or (event.installation and event.installation in allowed):
        return None
    return f"Sentry installation {event.installation or '?'} is not in the allow-list"


# outbound


def _headers() -> dict[str, str]:
    token = settings.SENTRY_TOKEN
    return {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}


def _url(context: dict[str, Any], path: str) -> str:
    if not context.get("issue_id"):
        raise outbound.Unsupported("this Sentry event has no issue to act on")
    return f"{settings.SENTRY_API_URL.rstrip('/')}/issues/{context['issue_id']}{path}"


def comment(context: dict[str, Any], text: str) -> dict[str, Any]:
    response = outbound.call(
        NAME,
        "POST",
        _url(context, "/comments/"),
        json={"text": own_posts.visible(text)},
        headers=_headers(),
    )
    return {"note_id": outbound.json_of(response).get("id")}


def update(context: dict[str, Any], ref: dict[str, Any], text: str) -> None:
    path = f"/comments/{ref['note_id']}/"
    body = {"text": own_posts.visible(text)}
    outbound.call(NAME, "PUT", _url(context, path), json=body, headers=_headers())


def react(context: dict[str, Any], content: str) -> None:
    raise outbound.Unsupported("Sentry issues have no reactions")


def label(context: dict[str, Any], labels: list[str]) -> None:
    raise outbound.Unsupported("Sentry issues have no labels")
