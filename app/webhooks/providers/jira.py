"""Jira Cloud: `X-Hub-Signature: sha256=…` over the raw body; deliveries keyed by
`X-Atlassian-Webhook-Identifier` (stable across Jira's retries); an issue is a thread;
outbound through the REST API v2 with the account's email and API token."""

from typing import Any

from app.config import settings
from app.webhooks import outbound, own_posts
from app.webhooks.events import Actor, Event, dig, mapping, text_of
from app.webhooks.signing import check_prefixed

NAME = "jira"
CAN_REPLY = True
SIGNATURE_HEADER = "X-Hub-Signature"


def default_secret() -> str | None:
    secret = settings.JIRA_WEBHOOK_SECRET
    return secret.get_secret_value() if secret else None


def verify(headers: Any, body: bytes, secret: str) -> None:
    check_prefixed(secret, body, headers.get(SIGNATURE_HEADER.lower()), SIGNATURE_HEADER)


def delivery_key(headers: Any, payload: dict[str, Any]) -> str | None:
    return headers.get("x-atlassian-webhook-identifier") or None


def event_name(headers: Any, payload: dict[str, Any]) -> str:
    return text_of(payload.get("webhookEvent")) or "unknown"


def challenge(payload: dict[str, Any]) -> dict[str, Any] | None:
    return None


def parse(headers: Any, payload: dict[str, Any]) -> Event:
    comment = mapping(payload.get("comment")) or None
    issue = mapping(payload.get("issue"))
    person = (comment or {}).get("author") or payload.get("user") or {}
    key = text_of(issue.get("key"))
    body = (comment or {}).get("body") if comment else dig(issue, "fields", "description")
    actor = Actor(
        id=text_of(person.get("accountId")),
        name=text_of(person.get("displayName")),
        is_bot=person.get("accountType") == "app",
    )
    labels = dig(issue, "fields", "labels")
    return Event(
        provider=NAME,
        type=event_name(headers, payload),
        actor=actor,
        text=text_of(body),
        title=text_of(dig(issue, "fields", "summary")),
        url=text_of(issue.get("self")),
        labels=[text_of(label) for label in labels] if isinstance(labels, list) else [],
        thread_key=f"jira:{key}" if key else None,
        context={"issue_key": key, "comment_id": (comment or {}).get("id")},
        payload=payload,
    )


def is_self(event: Event) -> bool:
    actor = event.actor
    own = settings.JIRA_BOT_ACCOUNT_ID
    return bool(actor and (actor.is_bot or (own and actor.id == own)))


def may_trigger(event: Event, allowed: list[str]) -> str | None:
    """Allowed: anyone the signed Jira site sends, or only the listed account ids."""
    if not allowed or (event.actor and event.actor.id in allowed):
        return None
    return f"Jira account {event.actor.id if event.actor else '?'} is not in the allow-list"


# outbound


def _auth() -> tuple[str, str] | None:
    if settings.JIRA_EMAIL and settings.JIRA_API_TOKEN:
        return settings.JIRA_EMAIL, settings.JIRA_API_TOKEN.get_secret_value()
    return None


def _url(context: dict[str, Any], path: str = "") -> str:
    if not settings.JIRA_BASE_URL:
        raise outbound.ProviderError("JIRA_BASE_URL is not set: nowhere to post")
    if not context.get("issue_key"):
        raise outbound.Unsupported("this Jira event has no issue to act on")
    return f"{settings.JIRA_BASE_URL.rstrip('/')}/rest/api/2/issue/{context['issue_key']}{path}"


def comment(context: dict[str, Any], text: str) -> dict[str, Any]:
    body = {"body": own_posts.visible(text)}
    response = outbound.call(NAME, "POST", _url(context, "/comment"), json=body, auth=_auth())
    return {"comment_id": outbound.json_of(response).get("id")}


def update(context: dict[str, Any], ref: dict[str, Any], text: str) -> None:
    path = f"/comment/{ref['comment_id']}"
    body = {"body": own_posts.visible(text)}
    outbound.call(NAME, "PUT", _url(context, path), json=body, auth=_auth())


def react(context: dict[str, Any], content: str) -> None:
    raise outbound.Unsupported("Jira comments have no reactions")


def label(context: dict[str, Any], labels: list[str]) -> None:
    body = {"update": {"labels": [{"add": name} for name in labels]}}
    outbound.call(NAME, "PUT", _url(context), json=body, auth=_auth())
