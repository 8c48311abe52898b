"""DATABASE_URL may name PostgreSQL (several hosts sharing one database): the same migrations
and the same pipeline run on a real PostgreSQL server."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.db import build_engine
from tests.support.parts import absent
from tests.support.processes import ROOT

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _admin():  # type: ignore[no-untyped-def]
    import psycopg

    try:
        return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        absent(f"no PostgreSQL server answers at {ADMIN_URL}: {error}")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    name = f"ccagent_test_{uuid.uuid4().hex[:12]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{base}/{name}"
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migrations_build_the_models_schema_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = postgres_url
    command.upgrade(config, "head")
    engine = build_engine(postgres_url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
    engine.dispose()
    command.downgrade(config, "base")


def test_a_chat_runs_end_to_end_on_postgres(make_stack, postgres_url: str) -> None:  # type: ignore[no-untyped-def]
    stack = make_stack(DATABASE_URL=postgres_url)
    stack.start_api()
    stack.start_worker()
    accepted = stack.client.post("/api/chat", json={"message": "@stub text on postgres"})
    assert accepted.status_code == 202, accepted.text
    done = stack.wait_done(accepted.json()["task_id"])
    assert done["status"] == "completed" and done["result"] == "on postgres"
    assert done["cost_usd"] > 0 and stack.output_lines(done["id"])
    messages = stack.client.get(
        f"/api/conversations/{accepted.json()['conversation_id']}/messages"
    ).json()["items"]
    assert [m["content"] for m in messages] == ["@stub text on postgres", "on postgres"]
    session = stack.client.get(f"/api/sessions/{done['session_id']}").json()
    assert session["total_cost_usd"] == pytest.approx(done["cost_usd"])
    assert stack.client.get("/api/costs").json()["tasks"] == 1
