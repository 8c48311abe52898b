"""Status changes, exercised on a real SQLite database through the one function that makes
them: every move the design allows succeeds, every other one changes nothing, and two
processes racing for one move cannot both win."""

from itertools import product

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.tasks import service
from app.tasks.models import TaskStatus
from tests.tasks import database
from tests.tasks.database import add_task, status_of

unit_db = database.unit_db  # the fixture

Q, R, C, F, X = (
    TaskStatus.QUEUED,
    TaskStatus.RUNNING,
    TaskStatus.COMPLETED,
    TaskStatus.FAILED,
    TaskStatus.CANCELLED,
)
# The design's words: QUEUED → RUNNING → COMPLETED | FAILED | CANCELLED, QUEUED → CANCELLED,
# and QUEUED → FAILED (a task refused when a worker claims it: the day's budget is spent).
LEGAL = {(Q, R), (R, C), (R, F), (R, X), (Q, X), (Q, F)}


@pytest.mark.parametrize(("source", "target"), list(product(TaskStatus, TaskStatus)))
def test_only_the_designed_moves_happen(
    unit_db: Engine, source: TaskStatus, target: TaskStatus
) -> None:
    task = add_task(unit_db, source)
    with Session(unit_db) as db:
        moved = service.transition(db, task.id, target)
        db.commit()
    assert moved is ((source, target) in LEGAL)
    assert status_of(unit_db, task.id) is (target if moved else source)


def test_an_expected_status_narrows_the_move(unit_db: Engine) -> None:
    running = add_task(unit_db, R)
    with Session(unit_db) as db:
        assert not service.transition(db, running.id, F, expected=Q)
        db.commit()
    assert status_of(unit_db, running.id) is R


def test_two_claims_of_one_task_cannot_both_win(unit_db: Engine) -> None:
    task = add_task(unit_db, Q)
    with Session(unit_db) as first, Session(unit_db) as second:
        won_first = service.transition(first, task.id, R, worker_id="a")
        first.commit()
        won_second = service.transition(second, task.id, R, worker_id="b")
        second.commit()
    assert (won_first, won_second) == (True, False)
