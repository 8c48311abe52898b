"""A real SQLite database with the migrated schema, for tests of the services' rules: migrated
once per test run, copied for each test."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlmodel import Session

import app.db
from app.config import settings
from app.db import build_engine, writer
from app.redis_client import sync_redis
from app.tasks.models import Task, TaskStatus
from tests.conftest import fresh_redis_url
from tests.support.processes import ROOT

_templates: dict[str, Path] = {}


def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if "db" not in _templates:
        path = tmp_path_factory.mktemp("schema") / "template.db"
        config = Config(str(ROOT / "alembic.ini"))
        config.attributes["database_url"] = f"sqlite:///{path}"
        command.upgrade(config, "head")
        _templates["db"] = path
    return _templates["db"]


@pytest.fixture
def unit_db(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """An engine on a fresh copy of the migrated database (a locked one answers within 0.2 s)."""
    path = tmp_path / "unit.db"
    shutil.copy(_migrated_template(tmp_path_factory), path)
    monkeypatch.setattr(settings, "SQLITE_BUSY_TIMEOUT_SECONDS", 0.2)
    engine = build_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def app_on_unit_db(unit_db: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The app's own sessions (app.db) on the unit database, and its Redis on a test one."""
    monkeypatch.setattr(app.db, "engine", unit_db)
    monkeypatch.setattr(app.db, "write_engine", writer(unit_db))
    monkeypatch.setattr(settings, "REDIS_URL", fresh_redis_url())
    sync_redis.cache_clear()
    yield unit_db
    sync_redis.cache_clear()


def database_file(engine: Engine) -> str:
    return str(engine.url.database)


def add_task(engine: Engine, status: TaskStatus = TaskStatus.QUEUED, **fields: object) -> Task:
    with Session(engine, expire_on_commit=False) as db:
        task = Task(prompt="p", session_id="s", status=status, **fields)  # type: ignore[arg-type]
        db.add(task)
        db.commit()
        return task


def status_of(engine: Engine, task_id: str) -> TaskStatus:
    with Session(engine) as db:
        task = db.get(Task, task_id)
        assert task is not None
        return task.status
