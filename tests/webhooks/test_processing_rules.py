"""Rules of processing one delivery, in this process on a real migrated SQLite database (and
a real Redis), with the provider API stand-in: a delivery processed again after a crash starts
its task once, `budget $N` caps the task within the webhook's cap, a refused task replaces its
"working" message with the refusal, and a result whose "working" message is gone is posted anew."""

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.config import settings
from app.costs.models import CostRollup
from app.tasks.models import Task, TaskStatus, utcnow
from app.webhooks import outbox, processing, replies, service
from app.webhooks.models import Delivery, Outcome, ReplyState, ThreadRun
from app.webhooks.schemas import WebhookCreate
from tests.support.providers import ProviderAPIs
from tests.tasks.database import app_on_unit_db, unit_db  # noqa: F401 (fixtures)
from tests.webhooks.conftest import PAYLOADS

SAMPLE = next(
    s
    for s in json.loads((PAYLOADS / "github-examples.json").read_text())
    if s["event"] == "issue_comment"
)["payload"]
TASK = {"name": "mention", "trigger": {"events": ["issue_comment.created"]}}


@pytest.fixture
def apis(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProviderAPIs]:
    """The provider APIs' stand-in, the settings of this process pointing at it."""
    recorder = ProviderAPIs()
    for name, value in recorder.settings().items():
        monkeypatch.setattr(settings, name, value)
    monkeypatch.setattr(settings, "WEBHOOK_RETRY_ATTEMPTS", 1)
    yield recorder
    recorder.close()


@pytest.fixture
def system(app_on_unit_db: Engine, apis: ProviderAPIs) -> Engine:  # noqa: F811
    return app_on_unit_db


def webhook(engine: Engine, max_budget_usd: float | None = None, **command: Any) -> str:
    request = WebhookCreate.model_validate(
        {
            "name": "rules",
            "provider": "github",
            "insecure": True,
            "max_budget_usd": max_budget_usd,
            "commands": [{**TASK, "actions": [{"type": "create_task"}], **command}],
        }
    )
    with Session(engine, expire_on_commit=False) as db:
        made = service.create_webhook(db, request)
        db.commit()
        return made.id


def record(engine: Engine, webhook_id: str, text: str, number: int) -> str:
    event: dict[str, Any] = json.loads(json.dumps(SAMPLE))
    event["action"] = "created"
    event["issue"]["number"] = number
    event["comment"].update(body=text, author_association="OWNER")
    with Session(engine, expire_on_commit=False) as db:
        delivery = Delivery(
            webhook_id=webhook_id,
            provider="github",
            event="issue_comment.created",
            headers={"x-github-event": "issue_comment"},
            body=json.dumps(event),
        )
        db.add(delivery)
        db.commit()
        return delivery.id


def tasks_of(engine: Engine) -> list[Task]:
    with Session(engine) as db:
        return list(db.exec(select(Task)).all())


def delivery_of(engine: Engine, delivery_id: str) -> Delivery:
    with Session(engine) as db:
        found = db.get(Delivery, delivery_id)
        assert found is not None
        return found


def test_a_delivery_processed_again_after_a_crash_starts_its_task_and_ack_once(
    system: Engine, apis: ProviderAPIs
) -> None:
    hook = webhook(system, ack="Working on it")
    delivery_id = record(system, hook, "@agent fix the typo", 301)
    processing.process(delivery_id)
    first = tasks_of(system)
    assert len(first) == 1
    # The API died after the task was queued and before the delivery was concluded.
    with Session(system) as db:
        row = db.get(Delivery, delivery_id)
        assert row is not None
        row.outcome, row.task_ids = Outcome.PROCESSING, []
        row.claimed_at = utcnow() - timedelta(days=1)
        db.add(row)
        db.commit()
    processing.process(delivery_id)
    assert [t.id for t in tasks_of(system)] == [first[0].id]
    again = delivery_of(system, delivery_id)
    assert again.outcome is Outcome.PROCESSED and again.attempts == 2
    assert again.task_ids == [first[0].id]
    assert len(apis.matching("POST", "/issues/301/comments")) == 1  # the ack, once


def test_budget_n_caps_the_task_within_the_webhooks_cap(system: Engine) -> None:
    hook = webhook(system, max_budget_usd=5.0)
    asked = record(system, hook, "@agent fix budget $2 the typo", 302)
    too_much = record(system, hook, "@agent fix budget $9.50 the typo", 303)
    for delivery_id in (asked, too_much):
        processing.process(delivery_id)
    budgets = {}
    with Session(system) as db:
        for delivery_id in (asked, too_much):
            (task_id,) = delivery_of(system, delivery_id).task_ids
            task = db.get(Task, task_id)
            assert task is not None
            budgets[delivery_id] = task.max_budget_usd
    assert budgets == {asked: 2.0, too_much: 5.0}


def test_a_refused_task_replaces_its_working_message_with_the_refusal(
    system: Engine, apis: ProviderAPIs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "DAILY_BUDGET_USD", 1.0)
    today = utcnow().date()
    with Session(system) as db:
        db.add(CostRollup(day=today, dimension="day", key=today.isoformat(), cost_usd=3.0))
        db.commit()
    hook = webhook(system, ack="Working on it")
    delivery_id = record(system, hook, "@agent fix the typo", 304)
    processing.process(delivery_id)
    assert tasks_of(system) == []
    found = delivery_of(system, delivery_id)
    assert found.outcome is Outcome.FAILED and "daily budget" in (found.reason or "")
    (ack,) = apis.matching("POST", "/issues/304/comments")
    assert "Working on it" in ack.body["body"]
    replaced = apis.wait_for("PATCH", "/issues/comments/", timeout=5)
    assert "could not start this" in replaced.body["body"] and "daily budget" in replaced.text()
    with Session(system) as db:
        assert db.exec(select(ThreadRun)).all() == []


def test_a_deleted_working_message_gets_the_result_as_a_new_comment(
    system: Engine, apis: ProviderAPIs
) -> None:
    hook = webhook(system, ack="Working on it")
    delivery_id = record(system, hook, "@agent fix the typo", 305)
    processing.process(delivery_id)
    (task_id,) = delivery_of(system, delivery_id).task_ids
    with Session(system) as db:  # the task ends as the worker ends it: the reply is owed
        task = db.get(Task, task_id)
        assert task is not None
        task.status, task.result = TaskStatus.COMPLETED, "FIXED: the typo"
        db.add(task)
        outbox.mark_due(db, task)
        db.commit()
    apis.fail("/issues/comments/", 404, times=1, body={"message": "Not Found"})
    assert replies.post_due() == 1
    assert len(apis.matching("PATCH", "/issues/comments/")) == 1
    ack, result = apis.matching("POST", "/issues/305/comments")
    assert "Working on it" in ack.body["body"] and "FIXED: the typo" in result.body["body"]
    with Session(system) as db:
        run = db.get(ThreadRun, task_id)
        assert run is not None and run.reply_state is ReplyState.SENT
