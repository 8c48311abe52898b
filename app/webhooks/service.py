"""Webhook configuration and the delivery log: the operations the routes and processing share."""

from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.db import Page, paginate
from app.errors import Conflict, NotFound
from app.tasks.models import utcnow
from app.webhooks import providers
from app.webhooks.models import Delivery, Outcome, ThreadRun, Webhook
from app.webhooks.schemas import (
    Command,
    DeliveryDetail,
    RunReply,
    WebhookCreate,
    WebhookPublic,
    WebhookUpdate,
)
from app.webhooks.templates import TEMPLATES


def ingress_path(webhook: Webhook) -> str:
    if webhook.id == webhook.provider:
        return f"/webhooks/{webhook.provider}"
    return f"/webhooks/{webhook.provider}/{webhook.id}"


def public(webhook: Webhook) -> WebhookPublic:
    default = webhook.id == webhook.provider
    provider = providers.get(webhook.provider)
    has_secret = bool(webhook.secret) or bool(default and provider and provider.default_secret())
    return WebhookPublic(
        id=webhook.id,
        name=webhook.name,
        provider=webhook.provider,
        url=ingress_path(webhook),
        has_secret=has_secret,
        insecure=webhook.insecure,
        enabled=webhook.enabled,
        allowed_actors=webhook.allowed_actors,
        max_budget_usd=webhook.max_budget_usd,
        commands=commands_of(webhook),
        created_at=webhook.created_at,
        updated_at=webhook.updated_at,
    )


def commands_of(webhook: Webhook) -> list[Command]:
    commands = [Command.model_validate(command) for command in webhook.commands]
    return sorted(commands, key=lambda command: command.priority)


def list_webhooks(db: Session) -> Sequence[Webhook]:
    return db.exec(select(Webhook).order_by(col(Webhook.created_at))).all()


def get_webhook(db: Session, webhook_id: str) -> Webhook:
    webhook = db.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound(f"Webhook {webhook_id} not found")
    return webhook


def default_webhook(db: Session, provider: str) -> Webhook:
    """The provider's default endpoint `/webhooks/{provider}`, made on first use."""
    webhook = db.get(Webhook, provider)
    if webhook is None:
        webhook = Webhook(id=provider, name=provider, provider=provider)
        db.add(webhook)
        db.flush()
    return webhook


def create_webhook(db: Session, request: WebhookCreate) -> Webhook:
    if db.exec(select(Webhook).where(Webhook.name == request.name)).first():
        raise Conflict(f"A webhook named {request.name} exists already")
    webhook = Webhook(
        name=request.name,
        provider=request.provider,
        secret=request.secret.get_secret_value() if request.secret else None,
        insecure=request.insecure,
        enabled=request.enabled,
        allowed_actors=request.allowed_actors,
        max_budget_usd=request.max_budget_usd,
        commands=[command.model_dump() for command in request.commands],
    )
    db.add(webhook)
    db.commit()
    return webhook


def update_webhook(db: Session, webhook_id: str, request: WebhookUpdate) -> Webhook:
    webhook = get_webhook(db, webhook_id)
    changes = request.model_dump(exclude_unset=True)
    if "secret" in changes:
        webhook.secret = request.secret.get_secret_value() if request.secret else None
    for name in ("insecure", "enabled", "allowed_actors", "max_budget_usd"):
        if name in changes:
            setattr(webhook, name, changes[name])
    if request.commands is not None:
        webhook.commands = [command.model_dump() for command in request.commands]
    webhook.updated_at = utcnow()
    db.add(webhook)
    db.commit()
    return webhook


def put_commands(db: Session, webhook: Webhook, commands: list[Command]) -> Webhook:
    """Add commands, replacing those of the same names."""
    names = {command.name for command in commands}
    kept = [c for c in webhook.commands if c.get("name") not in names]
    webhook.commands = kept + [command.model_dump() for command in commands]
    webhook.updated_at = utcnow()
    db.add(webhook)
    db.commit()
    return webhook


def delete_command(db: Session, webhook_id: str, name: str) -> Webhook:
    webhook = get_webhook(db, webhook_id)
    if not any(c.get("name") == name for c in webhook.commands):
        raise NotFound(f"Webhook {webhook_id} has no command {name}")
    webhook.commands = [c for c in webhook.commands if c.get("name") != name]
    webhook.updated_at = utcnow()
    db.add(webhook)
    db.commit()
    return webhook


def delete_webhook(db: Session, webhook_id: str) -> None:
    db.delete(get_webhook(db, webhook_id))
    db.commit()


def install_template(
    db: Session, name: str, webhook_id: str | None, slack_channel: str | None
) -> Webhook:
    template = TEMPLATES.get(name)
    if template is None:
        raise NotFound(f"No template {name}; GET /api/webhooks/templates lists them")
    if webhook_id:
        webhook = get_webhook(db, webhook_id)
        if webhook.provider != template.provider:
            raise Conflict(f"Template {name} is for {template.provider}, not {webhook.provider}")
    else:
        webhook = default_webhook(db, template.provider)
    return put_commands(db, webhook, template.build(slack_channel))


# the delivery log


def list_deliveries(
    db: Session,
    *,
    webhook_id: str | None,
    provider: str | None,
    outcome: Outcome | None,
    limit: int,
    offset: int,
) -> Page[Delivery]:
    query = select(Delivery)
    if webhook_id is not None:
        query = query.where(Delivery.webhook_id == webhook_id)
    if provider is not None:
        query = query.where(Delivery.provider == provider)
    if outcome is not None:
        query = query.where(Delivery.outcome == outcome)
    return paginate(db, query, [col(Delivery.received_at).desc(), col(Delivery.id)], limit, offset)


def get_delivery(db: Session, delivery_id: str) -> Delivery:
    delivery = db.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound(f"Delivery {delivery_id} not found")
    return delivery


def delivery_detail(db: Session, delivery_id: str) -> DeliveryDetail:
    delivery = get_delivery(db, delivery_id)
    runs = db.exec(select(ThreadRun).where(ThreadRun.delivery_id == delivery_id)).all()
    detail = DeliveryDetail.model_validate(delivery, from_attributes=True)
    detail.runs = [RunReply.model_validate(run, from_attributes=True) for run in runs]
    return detail


def redeliver(db: Session, delivery_id: str) -> Delivery:
    """A new delivery with the same body and headers, processed as if it had just arrived
    (by the admin's say-so: no signature, no dedup key)."""
    original = get_delivery(db, delivery_id)
    if original.outcome in (Outcome.REJECTED, Outcome.DUPLICATE) or original.webhook_id is None:
        raise Conflict(f"Delivery {delivery_id} was {original.outcome.value}: nothing to redo")
    copy = Delivery(
        webhook_id=original.webhook_id,
        provider=original.provider,
        event=original.event,
        headers=original.headers,
        body=original.body,
        reason=f"redelivery of {original.id}",
    )
    db.add(copy)
    db.commit()
    return copy
