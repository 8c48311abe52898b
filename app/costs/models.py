"""The cost rollup: what finished tasks cost, summed per UTC day, kept up to date by
app/tasks/service.py finish() in the task's own transaction. The budget check and
GET /api/costs read a few rows of it instead of summing every task ever finished."""

from datetime import date

from sqlalchemy import PrimaryKeyConstraint
from sqlmodel import Field, SQLModel

# What a row sums over: one row per day ("day", key ""), and one per day and agent, session
# or source of the tasks that finished that day.
DIMENSIONS = ("day", "agent", "session", "source")
DEFAULT_AGENT = "(default)"


class CostRollup(SQLModel, table=True):
    __tablename__ = "cost_rollups"
    __table_args__ = (PrimaryKeyConstraint("day", "dimension", "key", name="pk_cost_rollups"),)

    day: date
    dimension: str = Field(max_length=16)
    key: str = Field(max_length=64)
    cost_usd: float = 0.0
    tasks: int = 0
