"""GET /api/costs."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.config import settings
from app.costs import service
from app.deps import SessionDep
from app.errors import error_responses
from app.tasks.models import utcnow

router = APIRouter(prefix="/api/costs", tags=["costs"], responses=error_responses(401))


class CostGroup(BaseModel):
    key: str
    cost_usd: float
    tasks: int


class CostSummary(BaseModel):
    since: str
    total_cost_usd: float
    tasks: int
    daily_budget_usd: float | None
    spent_today_usd: float
    by_day: list[CostGroup]
    by_agent: list[CostGroup]
    by_session: list[CostGroup]
    by_source: list[CostGroup]


@router.get("", response_model=CostSummary)
def get_costs(db: SessionDep, days: Annotated[int, Query(ge=1, le=366)] = 30) -> CostSummary:
    """What finished tasks cost over the last `days` days (UTC), grouped four ways."""
    now = utcnow()
    since = service.day_start(now) - timedelta(days=days - 1)
    totals = service.summary(db, since)
    return CostSummary(
        **{**totals, "since": since.isoformat()},
        daily_budget_usd=settings.DAILY_BUDGET_USD,
        spent_today_usd=service.spent_on(db, now.date()),
    )
