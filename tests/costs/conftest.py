"""Fixtures: a real, migrated SQLite database for the cost rollup's rules."""

from tests.tasks.database import app_on_unit_db, unit_db

__all__ = ["app_on_unit_db", "unit_db"]
