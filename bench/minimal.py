"""The design built with nothing else: what any implementation of this product's dispatch path
must do, written with the libraries the design names (FastAPI on uvicorn, SQLAlchemy on SQLite,
Celery and redis-py), and nothing more: no authentication, budget, sessions, conversations,
logging context, heartbeat, workspace, token file or saved output.

It is the dispatch floor measured whole. bench/floor.py times each piece the design adds alone
and sums them; this runs them in order, so it also pays the hand-overs between them that any
implementation pays (the API's thread pool and event loop, the pool process, the libraries' own
Python). `POST /tasks` records the task (one transaction), publishes `task.created` and sends
the Celery message; `/ws` relays the events. The task claims the row (one transaction),
publishes `task.started`, spawns the CLI through setpriv (the parent-death signal) with the
prompt on stdin, publishes each line it prints, records the end (one transaction) and publishes
`task.completed`.

Run by bench/dispatch.py: `uvicorn bench.minimal:api` and `celery -A bench.minimal:celery_app
worker`, told by MINIMAL_DB (an SQLite file), MINIMAL_REDIS_URL and MINIMAL_ARGV (the CLI's
argv, JSON) where things are."""

import asyncio
import json
import os
import subprocess
import time
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import redis
import redis.asyncio as aioredis
from celery import Celery
from fastapi import FastAPI, WebSocket
from pydantic import BaseModel
from sqlalchemy import (
    Column,
    Engine,
    Float,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    event,
)
from sqlalchemy import insert as sql_insert
from sqlalchemy import update as sql_update
from websockets.sync.client import connect
from websockets.sync.connection import Connection

from bench.bare import shared_settings
from bench.systems import Launched, _started, launch_worker
from tests.support.processes import BIN, ROOT, Proc
from tests.support.redis_server import free_port
from worker.process import SETPRIV

QUEUE = "bench-minimal"
RUN = "bench.minimal.run"
CHANNEL = "bench-minimal"
REDIS_URL = os.environ.get("MINIMAL_REDIS_URL", "redis://127.0.0.1:6379/12")

metadata = MetaData()
tasks = Table(
    "tasks",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("prompt", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", Float),
    Column("started_at", Float),
    Column("finished_at", Float),
)
INSERT = sql_insert(tasks)
# The conditional claim and the end, as the system's (UPDATE … RETURNING: no read after).
CLAIM = (
    sql_update(tasks)
    .where(tasks.c.id == bindparam("task"), tasks.c.status == "queued")
    .values(status="running", started_at=bindparam("at"))
    .returning(tasks.c.prompt)
)
FINISH = (
    sql_update(tasks)
    .where(tasks.c.id == bindparam("task"), tasks.c.status == "running")
    .values(status="completed", finished_at=bindparam("at"))
)


@cache
def engine() -> Engine:
    """SQLite as the system uses it: write-ahead log, NORMAL sync."""
    made = create_engine(f"sqlite:///{os.environ['MINIMAL_DB']}")

    @event.listens_for(made, "connect")
    def _pragmas(connection: Any, _: Any) -> None:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")

    return made


@cache
def publisher() -> redis.Redis:
    return redis.Redis.from_url(REDIS_URL)


def publish(kind: str, task_id: str, **fields: Any) -> None:
    publisher().publish(CHANNEL, json.dumps({"type": kind, "task_id": task_id, **fields}))


celery_app = Celery("bench-minimal", broker=REDIS_URL)
celery_app.conf.update(shared_settings(), task_default_queue=QUEUE, task_ignore_result=True)

api = FastAPI()


class TaskIn(BaseModel):
    prompt: str


@api.post("/tasks", status_code=202)
def create_task(body: TaskIn) -> dict[str, str]:
    task_id = uuid.uuid4().hex
    row = {"id": task_id, "prompt": body.prompt, "status": "queued", "created_at": time.time()}
    with engine().begin() as db:
        db.execute(INSERT, row)
    publish("task.created", task_id)
    celery_app.send_task(RUN, args=[task_id])
    return {"id": task_id, "status": "queued"}


@api.websocket("/ws")
async def relay(ws: WebSocket) -> None:
    """Every event, as published, to the viewer (one subscription per viewer), until it goes."""
    await ws.accept()
    client = aioredis.Redis.from_url(REDIS_URL)
    pubsub = client.pubsub()
    await pubsub.subscribe(CHANNEL)

    async def forward() -> None:
        async for message in pubsub.listen():
            if message["type"] == "message":
                await ws.send_text(message["data"].decode())

    forwarding = asyncio.create_task(forward())
    try:
        while (await ws.receive())["type"] != "websocket.disconnect":
            pass
    finally:
        forwarding.cancel()
        await pubsub.aclose()
        await client.aclose()


@celery_app.task(name=RUN)
def run(task_id: str) -> None:
    with engine().begin() as db:
        claimed = db.execute(CLAIM, {"task": task_id, "at": time.time()}).first()
    if claimed is None:
        return  # not queued any more: a redelivery
    publish("task.started", task_id)
    argv = [SETPRIV, "--pdeathsig", "TERM", "--"] if SETPRIV else []
    argv += json.loads(os.environ["MINIMAL_ARGV"])
    cli = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True
    )
    assert cli.stdin is not None and cli.stdout is not None
    cli.stdin.write(claimed.prompt.encode())
    cli.stdin.close()
    for line in cli.stdout:
        publish("task.output", task_id, line=line.decode("utf-8", errors="replace").rstrip())
    cli.wait()
    with engine().begin() as db:
        db.execute(FINISH, {"task": task_id, "at": time.time()})
    publish("task.completed", task_id)


class Minimal:
    """This module's API and worker, started for a benchmark and stopped after it, with a
    client that times one round trip."""

    def __init__(self, directory: Path, redis_url: str, argv: list[str], env: dict[str, str]):
        directory.mkdir(parents=True, exist_ok=True)
        database = directory / "minimal.db"
        self.env = {
            **env,
            "MINIMAL_DB": str(database),
            "MINIMAL_REDIS_URL": redis_url,
            "MINIMAL_ARGV": json.dumps(argv),
            "PYTHONPATH": str(ROOT),
        }
        metadata.create_all(create_engine(f"sqlite:///{database}"))  # before both start
        self.port = free_port()
        self.dir = directory
        self.procs: list[Proc] = []
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}")
        self.ws: Connection | None = None

    def __enter__(self) -> "Minimal":
        launched: list[Launched] = [self._launch_api()]
        launched.append(
            launch_worker(self.env, "bench.minimal:celery_app", "minimal", self.dir / "worker.log")
        )
        try:
            for proc, ready, what in launched:
                self.procs.append(proc)
                _started(proc, ready, what)
            self.ws = connect(f"ws://127.0.0.1:{self.port}/ws")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _launch_api(self) -> Launched:
        command = [str(BIN / "python"), "-m", "uvicorn", "bench.minimal:api"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]

        def ready() -> bool:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/docs", timeout=1)
                return True
            except httpx.HTTPError:
                return False

        return Proc("minimal api", command, self.env, self.dir / "api.log"), ready, "minimal API"

    def round_trip(self, prompt: str, timeout: float) -> tuple[float, float, float]:
        """POST the prompt and wait for its task.completed: time.time() when sent, seconds
        until the POST's answer, seconds until the end was received."""
        assert self.ws is not None
        sent = time.time()
        response = self.client.post("/tasks", json={"prompt": prompt})
        answered = time.time() - sent
        response.raise_for_status()
        task_id = response.json()["id"]
        deadline = time.monotonic() + timeout
        while True:
            event_ = json.loads(self.ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if event_["task_id"] == task_id and event_["type"] == "task.completed":
                return sent, answered, time.time() - sent

    def __exit__(self, *_: object) -> None:
        if self.ws is not None:
            self.ws.close()
        self.client.close()
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.stop()
