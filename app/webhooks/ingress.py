"""Receiving a delivery: verify it, record it, answer. Processing comes after, off the request.

Every request to an ingress endpoint leaves a row in the delivery log, whatever becomes of it:
accepted (to be processed), duplicate, or rejected with the reason."""

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.db import session_scope
from app.webhooks import providers
from app.webhooks.models import Delivery, Outcome, Webhook
from app.webhooks.signing import SignatureInvalid

REJECTED_BODY_CHARS = 10_000
PRIVATE_HEADERS = {"authorization", "cookie", "proxy-authorization"}


@dataclass
class Answer:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    process: str | None = None  # the id of a delivery to process after answering


def _kept_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name not in PRIVATE_HEADERS}


def reject(
    provider: str,
    webhook_id: str | None,
    headers: dict[str, str],
    body: bytes,
    status: int,
    reason: str,
    event: str | None = None,
) -> Answer:
    with session_scope() as db:
        delivery = Delivery(
            webhook_id=webhook_id,
            provider=provider[:32],
            event=event[:100] if event else None,
            outcome=Outcome.REJECTED,
            reason=reason,
            headers=_kept_headers(headers),
            body=body[:REJECTED_BODY_CHARS].decode("utf-8", "replace"),
        )
        db.add(delivery)
    return Answer(status, {"detail": reason, "delivery_id": delivery.id})


def _endpoint(db: Session, provider: str, webhook_id: str | None) -> Webhook | None:
    if webhook_id is None:
        return db.get(Webhook, provider) or Webhook(id=provider, name=provider, provider=provider)
    webhook = db.get(Webhook, webhook_id)
    return webhook if webhook is not None and webhook.provider == provider else None


def receive(
    provider_name: str, webhook_id: str | None, headers: dict[str, str], body: bytes
) -> Answer:
    def refuse(status: int, reason: str, webhook: str | None = webhook_id) -> Answer:
        return reject(provider_name, webhook, headers, body, status, reason)

    provider = providers.get(provider_name)
    if provider is None:
        known = ", ".join(providers.PROVIDERS)
        return refuse(404, f"Unknown provider {provider_name[:40]!r}: one of {known}")
    with session_scope() as db:
        webhook = _endpoint(db, provider_name, webhook_id)
    if webhook is None:
        return refuse(404, f"No {provider_name} webhook {(webhook_id or '')[:40]!r}")
    if not webhook.enabled:
        return refuse(403, f"Webhook {webhook.name} is disabled", webhook.id)
    secret = webhook.secret or (provider.default_secret() if webhook.id == provider_name else None)
    if secret:
        try:
            provider.verify(headers, body, secret)
        except SignatureInvalid as error:
            return refuse(401, str(error), webhook.id)
    elif not webhook.insecure:
        reason = f"Webhook {webhook.name} has no secret configured: set one (or mark it insecure)"
        return refuse(403, reason, webhook.id)
    try:
        payload = json.loads(body)
    except ValueError as error:
        return refuse(400, f"Malformed JSON: {error}", webhook.id)
    if not isinstance(payload, dict):
        return refuse(400, "The body must be a JSON object", webhook.id)
    event = provider.event_name(headers, payload)[:100]
    recorded: dict[str, Any] = dict(
        webhook_id=webhook.id, provider=provider_name, event=event, headers=headers
    )
    challenge = provider.challenge(payload)
    if challenge is not None:
        _record(body, None, Outcome.IGNORED, "challenge answered", **recorded)
        return Answer(200, challenge)
    key = provider.delivery_key(headers, payload)
    return _record(body, f"{webhook.id}:{key}"[:300] if key else None, **recorded)


def _record(
    body: bytes,
    key: str | None,
    outcome: Outcome = Outcome.ACCEPTED,
    reason: str | None = None,
    *,
    webhook_id: str,
    provider: str,
    event: str,
    headers: dict[str, str],
) -> Answer:
    fields: dict[str, Any] = dict(
        webhook_id=webhook_id,
        provider=provider,
        event=event,
        headers=_kept_headers(headers),
        body=body.decode("utf-8", "replace"),
    )
    try:
        with session_scope() as db:
            delivery = Delivery(delivery_key=key, outcome=outcome, reason=reason, **fields)
            db.add(delivery)
    except IntegrityError:
        # Seen before (a retry, perhaps while the first attempt is still being processed).
        with session_scope() as db:
            original = db.exec(select(Delivery).where(Delivery.delivery_key == key)).first()
            delivery = Delivery(
                outcome=Outcome.DUPLICATE,
                duplicate_of=original.id if original else None,
                reason="already received: not processed again",
                **fields,
            )
            db.add(delivery)
        return Answer(200, {"delivery_id": delivery.id, "outcome": Outcome.DUPLICATE.value})
    process = delivery.id if outcome is Outcome.ACCEPTED else None
    return Answer(200, {"delivery_id": delivery.id, "outcome": outcome.value}, process)
