"""Status transitions are decided in one place, and terminal states never change."""

import pytest

from app.tasks.models import ALLOWED_TRANSITIONS, TERMINAL_STATUSES, TaskStatus, sources_for


def test_terminal_states_have_no_way_out() -> None:
    for status in TERMINAL_STATUSES:
        assert ALLOWED_TRANSITIONS[status] == frozenset()
        assert status.is_terminal


@pytest.mark.parametrize(
    ("target", "sources"),
    [
        (TaskStatus.RUNNING, {TaskStatus.QUEUED}),
        (TaskStatus.COMPLETED, {TaskStatus.RUNNING}),
        (TaskStatus.CANCELLED, {TaskStatus.QUEUED, TaskStatus.RUNNING}),
        (TaskStatus.FAILED, {TaskStatus.QUEUED, TaskStatus.RUNNING}),
        (TaskStatus.QUEUED, set()),
    ],
)
def test_sources_of_each_status(target: TaskStatus, sources: set[TaskStatus]) -> None:
    assert set(sources_for(target)) == sources
