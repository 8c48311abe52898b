"""Processing a recorded delivery, off the request path: parse it into an Event, decide who may
trigger, match commands, run their actions in priority order, and log what happened.

It runs in the API process (a thread per delivery, started once the delivery row is committed;
the sweeper in loop.py picks up any the API died before finishing), never in a CLI slot. No
database transaction is open during an outbound call: SQLite transactions take the write lock
from their start here, and a slow provider must not hold it."""

import json
from dataclasses import dataclass, field
from datetime import timedelta

from loguru import logger
from sqlalchemy import or_, update
from sqlmodel import col, select

from app.config import settings
from app.db import read_scope, session_scope
from app.errors import DomainError
from app.tasks.models import utcnow
from app.webhooks import actions, own_posts, providers, service, threads, verbs
from app.webhooks.events import Event
from app.webhooks.matching import matches
from app.webhooks.models import Delivery, Outcome, Pending, Webhook
from app.webhooks.outbound import ProviderError
from app.webhooks.schemas import Command

# A delivery claimed this long ago by a process that never concluded it (the API died while
# processing) is processed again; retries with their waits all fit well within it.
STALE_FACTOR = 30
# What runs when a message answers a question the bot asked on its thread.
ANSWER = {"name": "answer", "trigger": {"events": ["*"]}, "actions": [{"type": "create_task"}]}


@dataclass
class Result:
    commands: list[str] = field(default_factory=list)
    task_ids: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def stale_processing() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_SWEEP_AFTER_SECONDS * STALE_FACTOR)


def claim(delivery_id: str) -> bool:
    """ACCEPTED (or stuck PROCESSING) → PROCESSING for this process, atomically."""
    now = utcnow()
    with session_scope() as db:
        result = db.execute(
            update(Delivery)
            .where(
                col(Delivery.id) == delivery_id,
                or_(
                    col(Delivery.outcome) == Outcome.ACCEPTED,
                    (col(Delivery.outcome) == Outcome.PROCESSING)
                    & (col(Delivery.claimed_at) < now - stale_processing()),
                ),
            )
            .values(outcome=Outcome.PROCESSING, claimed_at=now, attempts=Delivery.attempts + 1)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


def conclude(delivery_id: str, outcome: Outcome, reason: str | None, result: Result) -> None:
    with session_scope() as db:
        delivery = db.get(Delivery, delivery_id)
        if delivery is None:
            return
        delivery.outcome = outcome
        delivery.reason = reason
        delivery.commands = result.commands
        delivery.task_ids = result.task_ids
        delivery.processed_at = utcnow()
        db.add(delivery)


def process(delivery_id: str) -> None:
    """Process one delivery, if no one else is; every outcome is recorded on it."""
    if not claim(delivery_id):
        return
    result = Result()
    try:
        outcome, reason = _process(delivery_id, result)
    except Exception as error:  # recorded, never lost: the log says what went wrong
        logger.exception("webhook delivery {} failed", delivery_id)
        outcome, reason = Outcome.FAILED, f"{type(error).__name__}: {error}"
    if result.errors and outcome is Outcome.PROCESSED:
        outcome, reason = Outcome.FAILED, "; ".join(result.errors)
    conclude(delivery_id, outcome, reason, result)


def _load(delivery_id: str) -> tuple[Delivery, Webhook, Event]:
    with session_scope() as db:
        delivery = service.get_delivery(db, delivery_id)
        webhook = db.get(Webhook, delivery.webhook_id or "") or Webhook(
            id=delivery.provider, name=delivery.provider, provider=delivery.provider
        )
    provider = providers.get(delivery.provider)
    if provider is None:
        raise ValueError(f"unknown provider {delivery.provider}")
    event = provider.parse(delivery.headers, json.loads(delivery.body))
    return delivery, webhook, event


def _process(delivery_id: str, result: Result) -> tuple[Outcome, str | None]:
    delivery, webhook, event = _load(delivery_id)
    provider = providers.get(event.provider)
    assert provider is not None
    if own_posts.is_ours(event.text):
        return Outcome.IGNORED, "our own post: never triggers"
    if provider.is_self(event):
        return Outcome.IGNORED, "caused by a bot or by this system itself: never triggers"
    refusal = provider.may_trigger(event, webhook.allowed_actors)
    if refusal:
        return Outcome.IGNORED, f"not allowed to trigger: {refusal}"
    invocation = verbs.parse(event.text)
    with session_scope() as db:
        thread = threads.thread_for(db, event, webhook.id)
    if thread is not None:
        _link(delivery_id, thread.id)
    if thread is not None and thread.pending is Pending.ANSWER and not invocation.verb:
        command = Command(
            name="answer", trigger={"events": ["*"]}, actions=[{"type": "create_task"}]
        )
        run = actions.Run(delivery, webhook, event, invocation, thread, command, result)
        actions.answer(run)
        return Outcome.PROCESSED, None
    commands = [c for c in service.commands_of(webhook) if matches(c, event, invocation)]
    if not commands:
        return Outcome.IGNORED, f"no command matches {event.name}"
    for command in commands:
        result.commands.append(command.name)
        run = actions.Run(delivery, webhook, event, invocation, thread, command, result)
        for action in command.actions:
            try:
                actions.perform(run, action)
            except (ProviderError, DomainError) as error:
                result.errors.append(f"{command.name}/{action.type}: {error.message}")
    return Outcome.PROCESSED, None


def _link(delivery_id: str, thread_id: str) -> None:
    with session_scope() as db:
        db.execute(
            update(Delivery).where(col(Delivery.id) == delivery_id).values(thread_id=thread_id)
        )


def unfinished(limit: int = 50) -> list[str]:
    """Deliveries recorded but not processed (the API stopped first), oldest first."""
    before = utcnow() - timedelta(seconds=settings.WEBHOOK_SWEEP_AFTER_SECONDS)
    with read_scope() as db:  # a question: no write lock (processing claims each delivery)
        query = (
            select(Delivery.id)
            .where(
                or_(
                    (col(Delivery.outcome) == Outcome.ACCEPTED)
                    & (col(Delivery.received_at) < before),
                    (col(Delivery.outcome) == Outcome.PROCESSING)
                    & (col(Delivery.claimed_at) < utcnow() - stale_processing()),
                )
            )
            .order_by(col(Delivery.received_at))
            .limit(limit)
        )
        return list(db.exec(query).all())
