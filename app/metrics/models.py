"""The metrics' running totals of ended tasks, kept up to date by app/tasks/service.py finish()
in the task's own transaction (app/metrics/tallies.py): a scrape reads these few rows instead
of aggregating every task ever run."""

from sqlalchemy import PrimaryKeyConstraint
from sqlmodel import Field, SQLModel


class TaskTally(SQLModel, table=True):
    __tablename__ = "task_tallies"
    __table_args__ = (PrimaryKeyConstraint("metric", "label", name="pk_task_tallies"),)

    metric: str = Field(max_length=16)  # what is counted (app/metrics/tallies.py)
    label: str = Field(max_length=160)  # which of it: a status and agent, a kind, a bucket
    count: int = 0  # ended tasks
    total: float = 0.0  # the sum they add: USD, tokens, seconds
