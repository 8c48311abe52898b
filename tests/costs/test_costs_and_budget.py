"""Cost totals, and a daily budget that refuses new tasks until the next UTC day."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlmodel import Session

from app.config import settings
from app.costs.service import BudgetExceeded, check_budget, record_finished
from app.db import build_engine
from app.tasks.models import Task, TaskStatus
from tests.support.processes import ROOT
from tests.support.stack import Stack


def test_a_spent_budget_refuses_new_tasks_and_caps_running_ones(make_stack) -> None:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack(DAILY_BUDGET_USD="0.0001")
    stack.start_api()
    stack.start_worker()
    running = stack.submit("@stub slow 3")
    quick = stack.wait_done(stack.submit("@stub text spend")["id"])
    assert quick["cost_usd"] > 0.0001

    refused = stack.client.post("/api/tasks", json={"prompt": "one more"})
    assert refused.status_code == 429, refused.text
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert "daily budget of $0.00 is spent" in refused.json()["detail"]
    assert f"accepted again at {tomorrow}T00:00:00Z" in refused.json()["detail"]
    chat = stack.client.post("/api/chat", json={"message": "and chat?"})
    assert chat.status_code == 429

    # It started with $0.0001 left, its cap: the CLI ended it after the reply that passed it.
    ended = stack.wait_done(running["id"])
    assert ended["status"] == "failed" and "spending cap of $0.0001" in ended["error"], ended
    costs = stack.client.get("/api/costs").json()
    assert costs["daily_budget_usd"] == 0.0001
    assert costs["spent_today_usd"] == pytest.approx(costs["total_cost_usd"])


def test_a_new_day_accepts_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'budget.db'}"
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    command.upgrade(config, "head")
    monkeypatch.setattr(settings, "DAILY_BUDGET_USD", 1.0)
    now = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
    with Session(build_engine(url)) as db:
        task = Task(
            prompt="p",
            session_id="s",
            status=TaskStatus.COMPLETED,
            cost_usd=1.25,
            finished_at=now - timedelta(hours=2),
        )
        db.add(task)
        record_finished(db, task)  # as finish() does in the transaction that ends a task
        db.commit()
        with pytest.raises(BudgetExceeded, match=r"accepted again at 2026-03-02T00:00:00Z"):
            check_budget(db, now)
        check_budget(db, now.replace(day=2, hour=0, minute=0))  # a new day: no error
        monkeypatch.setattr(settings, "DAILY_BUDGET_USD", None)
        check_budget(db, now)  # budget off


def test_costs_are_grouped_by_day_agent_session_and_source(stack: Stack) -> None:
    first = stack.wait_done(stack.submit("@stub text a", session_id="cost-a")["id"])
    second = stack.wait_done(
        stack.submit("@stub text b", session_id="cost-b", agent="planning")["id"]
    )
    costs = stack.client.get("/api/costs", params={"days": 1}).json()
    sessions = {group["key"]: group for group in costs["by_session"]}
    assert sessions["cost-a"]["cost_usd"] == pytest.approx(first["cost_usd"])
    assert sessions["cost-b"]["cost_usd"] == pytest.approx(second["cost_usd"])
    agents = {group["key"]: group for group in costs["by_agent"]}
    assert agents["planning"]["tasks"] == 1
    assert sum(g["cost_usd"] for g in costs["by_day"]) == pytest.approx(costs["total_cost_usd"])
    assert sum(g["tasks"] for g in costs["by_source"]) == costs["tasks"]
    assert stack.client.get("/api/costs", params={"days": 0}).status_code == 422


def test_the_turn_limit_reaches_the_cli(stack: Stack) -> None:
    limited = stack.submit("@stub bash echo one turn is not enough", max_turns=1)
    assert limited["max_turns"] == 1
    done = stack.wait_done(limited["id"])
    assert done["status"] == "failed", done
    assert "max turns" in done["error"].lower() or "maximum" in done["error"].lower(), done["error"]
    enough = stack.submit("@stub bash echo two turns are enough", max_turns=2)
    assert stack.wait_done(enough["id"])["status"] == "completed"
