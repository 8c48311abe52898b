"""What every list answer says of its page besides its items (app/db.py paginate counts)."""

from pydantic import BaseModel, Field

from app.db import TOTAL_LOOKAHEAD


class PageInfo(BaseModel):
    total: int = Field(
        description=f"Rows matching the filters, counted up to {TOTAL_LOOKAHEAD:,} past this"
        " page's end."
    )
    total_exact: bool = Field(
        description="Whether `total` is the exact count; false: there may be more."
    )
    limit: int
    offset: int
