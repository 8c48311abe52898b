"""history indexes and the cost rollup (flat cost as the history grows)

Indexes for the newest page of the task list (unfiltered, by source) and for a session's active
tasks; the per-day cost rollup that the budget check and GET /api/costs read, filled here from
the tasks already finished. Written for SQLite and PostgreSQL alike.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 02:50:00

"""

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def upgrade() -> None:
    rollups = op.create_table(
        "cost_rollups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("tasks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "dimension", "key", name="pk_cost_rollups"),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_created", ["created_at"], unique=False)
        batch_op.create_index("ix_tasks_source_created", ["source", "created_at"], unique=False)
        batch_op.create_index(
            "ix_tasks_session_status_created", ["session_id", "status", "created_at"], unique=False
        )
    _fill_rollups(rollups)


def _fill_rollups(rollups: sa.Table) -> None:
    """Sum the tasks already finished as app/costs/service.py record_finished() adds each new
    one (kept here as it is today: a migration does not follow later code)."""
    tasks = sa.table(
        "tasks",
        sa.column("finished_at", sa.DateTime(timezone=True)),
        sa.column("agent", sa.String()),
        sa.column("session_id", sa.String()),
        sa.column("source", sa.String()),
        sa.column("cost_usd", sa.Float()),
    )
    totals: dict[tuple[object, str, str], list[float]] = {}
    finished = sa.select(
        tasks.c.finished_at, tasks.c.agent, tasks.c.session_id, tasks.c.source, tasks.c.cost_usd
    ).where(tasks.c.finished_at.is_not(None))
    for finished_at, agent, session_id, source, cost in op.get_bind().execute(finished):
        day = _utc_day(finished_at)
        for dimension, key in (
            ("day", day.isoformat()),
            ("agent", agent or "(default)"),
            ("session", session_id),
            ("source", source),
        ):
            total = totals.setdefault((day, dimension, key), [0.0, 0])
            total[0] += cost or 0.0
            total[1] += 1
    rows = [
        {"day": day, "dimension": dimension, "key": key, "cost_usd": cost, "tasks": count}
        for (day, dimension, key), (cost, count) in totals.items()
    ]
    for start in range(0, len(rows), BATCH):
        op.bulk_insert(rollups, rows[start : start + BATCH])


def _utc_day(moment: datetime) -> date:
    if moment.utcoffset() is None:  # SQLite stores UTC without an offset
        return moment.date()
    return moment.astimezone(UTC).date()


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_session_status_created")
        batch_op.drop_index("ix_tasks_source_created")
        batch_op.drop_index("ix_tasks_created")
    op.drop_table("cost_rollups")
