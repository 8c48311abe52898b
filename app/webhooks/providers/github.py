"""GitHub: `X-Hub-Signature-256` over the raw body; deliveries keyed by hook and delivery id;
issues, pull requests and their comments are threads; outbound through the REST API."""

from typing import Any

from app.config import settings
from app.webhooks import outbound, own_posts
from app.webhooks.events import Actor, Event, dig, mapping, text_of
from app.webhooks.signing import check_prefixed

NAME = "github"
CAN_REPLY = True
DEFAULT_ASSOCIATIONS = ("OWNER", "MEMBER", "COLLABORATOR")
SIGNATURE_HEADER = "X-Hub-Signature-256"


def default_secret() -> str | None:
    secret = settings.GITHUB_WEBHOOK_SECRET
    return secret.get_secret_value() if secret else None


def verify(headers: Any, body: bytes, secret: str) -> None:
    check_prefixed(secret, body, headers.get(SIGNATURE_HEADER.lower()), SIGNATURE_HEADER)


def delivery_key(headers: Any, payload: dict[str, Any]) -> str | None:
    # X-GitHub-Delivery is unique per event, not per hook: two hooks get the same id.
    delivery = headers.get("x-github-delivery")
    return f"{headers.get('x-github-hook-id', '-')}:{delivery}" if delivery else None


def event_name(headers: Any, payload: dict[str, Any]) -> str:
    event = headers.get("x-github-event") or "unknown"
    action = payload.get("action")
    return f"{event}.{action}" if isinstance(action, str) else event


def challenge(payload: dict[str, Any]) -> dict[str, Any] | None:
    return None


def _subject(payload: dict[str, Any]) -> dict[str, Any]:
    """The issue or pull request the event is about."""
    for key in ("issue", "pull_request", "discussion"):
        if isinstance(payload.get(key), dict):
            return dict(payload[key])
    return {}


def parse(headers: Any, payload: dict[str, Any]) -> Event:
    subject = _subject(payload)
    comment = mapping(payload.get("comment")) or None
    review = mapping(payload.get("review")) or None
    written = comment or review or subject
    sender = mapping(payload.get("sender"))
    association = dig(written, "author_association")
    actor = Actor(
        id=str(sender.get("id", "")),
        name=text_of(sender.get("login")),
        is_bot=sender.get("type") == "Bot",
        association=association if isinstance(association, str) else None,
    )
    repo = text_of(dig(payload, "repository", "full_name"))
    number = subject.get("number")
    is_pr = "pull_request" in payload or isinstance(subject.get("pull_request"), dict)
    labels = [text_of(label.get("name")) for label in subject.get("labels") or [] if label]
    if isinstance(payload.get("label"), dict):
        labels.append(text_of(payload["label"].get("name")))
    context: dict[str, Any] = {"repo": repo, "number": number, "is_pr": is_pr}
    if comment:
        kind = "pulls" if headers.get("x-github-event") == "pull_request_review_comment" else ""
        context.update(comment_id=comment.get("id"), comment_kind=kind)
    action = payload.get("action")
    return Event(
        provider=NAME,
        type=headers.get("x-github-event") or "unknown",
        action=action if isinstance(action, str) else None,
        actor=actor,
        text=text_of(written.get("body")) if written else "",
        title=text_of(subject.get("title")),
        url=text_of((comment or subject).get("html_url")),
        labels=[label for label in labels if label],
        thread_key=f"github:{repo}#{number}" if repo and isinstance(number, int) else None,
        context=context,
        payload=payload,
    )


def is_self(event: Event) -> bool:
    actor = event.actor
    login = settings.GITHUB_BOT_LOGIN
    return bool(actor and (actor.is_bot or (login and actor.name.lower() == login.lower())))


def may_trigger(event: Event, allowed: list[str]) -> str | None:
    """Allowed: an author_association (default OWNER, MEMBER, COLLABORATOR) or a login."""
    allowed_set = {entry.upper() for entry in allowed} or set(DEFAULT_ASSOCIATIONS)
    actor = event.actor
    if actor and actor.name.upper() in allowed_set:
        return None
    association = (actor.association if actor else None) or "NONE"
    if association.upper() in allowed_set:
        return None
    return f"author_association {association} of {actor.name if actor else '?'} is not allowed"


# outbound


def _headers() -> dict[str, str]:
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if settings.GITHUB_TOKEN:
        headers["Authorization"] = f"Bearer {settings.GITHUB_TOKEN.get_secret_value()}"
    return headers


def _url(path: str) -> str:
    return settings.GITHUB_API_URL.rstrip("/") + path


def _issue_path(context: dict[str, Any]) -> str:
    if not context.get("repo") or context.get("number") is None:
        raise outbound.Unsupported("this GitHub event has no issue or pull request to act on")
    return f"/repos/{context['repo']}/issues/{context['number']}"


def comment(context: dict[str, Any], text: str) -> dict[str, Any]:
    response = outbound.call(
        NAME,
        "POST",
        _url(_issue_path(context) + "/comments"),
        json={"body": own_posts.hidden(text)},
        headers=_headers(),
    )
    return {"comment_id": outbound.json_of(response).get("id")}


def update(context: dict[str, Any], ref: dict[str, Any], text: str) -> None:
    path = f"/repos/{context['repo']}/issues/comments/{ref['comment_id']}"
    body = {"body": own_posts.hidden(text)}
    outbound.call(NAME, "PATCH", _url(path), json=body, headers=_headers())


def react(context: dict[str, Any], content: str) -> None:
    if context.get("comment_id"):
        kind = context.get("comment_kind") or "issues"
        path = f"/repos/{context['repo']}/{kind}/comments/{context['comment_id']}/reactions"
    else:
        path = _issue_path(context) + "/reactions"
    outbound.call(NAME, "POST", _url(path), json={"content": content}, headers=_headers())


def label(context: dict[str, Any], labels: list[str]) -> None:
    outbound.call(
        NAME,
        "POST",
        _url(_issue_path(context) + "/labels"),
        json={"labels": labels},
        headers=_headers(),
    )


def diff(context: dict[str, Any]) -> str:
    """The unified diff of the pull request of this thread."""
    if not context.get("is_pr"):
        raise outbound.Unsupported("this thread is not a pull request")
    headers = {**_headers(), "Accept": "application/vnd.github.diff"}
    path = f"/repos/{context['repo']}/pulls/{context['number']}"
    return outbound.call(NAME, "GET", _url(path), headers=headers).text


def pull_request(repository: str, number: int) -> dict[str, Any]:
    """A pull request as the REST API describes it (its head branch and repository among it)."""
    path = f"/repos/{repository}/pulls/{number}"
    return outbound.json_of(outbound.call(NAME, "GET", _url(path), headers=_headers()))


def open_pull_request(
    repository: str, *, title: str, head: str, base: str, body: str
) -> dict[str, Any]:
    """Open a pull request of branch `head` into `base`; what the API answered."""
    response = outbound.call(
        NAME,
        "POST",
        _url(f"/repos/{repository}/pulls"),
        json={"title": title, "head": head, "base": base, "body": body},
        headers=_headers(),
    )
    return outbound.json_of(response)
