"""A page of a list (tasks here; conversations, messages and webhook deliveries page alike,
app/db.py paginate) counts the matching rows only up to a bound past its end, so a long history
costs a page no more than a short one; below the bound the total is exact."""

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

import app.db as db_module
from app.tasks import service
from app.tasks.models import TaskStatus


def test_the_total_is_exact_below_the_bound_and_a_lower_bound_past_it(
    app_on_unit_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "TOTAL_LOOKAHEAD", 2)
    with Session(app_on_unit_db, expire_on_commit=False) as db:
        made = [service.create_task(db, prompt=f"p{n}", session_id="long") for n in range(8)]
        service.create_task(db, prompt="other", session_id="short")
        service.request_stop(db, made[0].id)

        first, total, exact = service.list_tasks(db, session_id="long", limit=3)
        assert [t.id for t in first] == [t.id for t in reversed(made)][:3]
        assert (total, exact) == (5, False)  # 3 on the page and 2 past it, at least
        last, total, exact = service.list_tasks(db, session_id="long", limit=3, offset=6)
        assert [t.id for t in last] == [made[1].id, made[0].id]
        assert (total, exact) == (8, True)
        short, total, exact = service.list_tasks(db, session_id="short")
        assert (len(short), total, exact) == (1, 1, True)
        cancelled, total, exact = service.list_tasks(db, status=TaskStatus.CANCELLED)
        assert [t.id for t in cancelled] == [made[0].id] and (total, exact) == (1, True)
