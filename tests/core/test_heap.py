"""The API leaves what its startup made out of every later garbage collection (app/heap.py):
a full pass over it took ~110 ms and stalled every request and stream meanwhile."""

import gc
import os

import pytest
from fastapi.testclient import TestClient

from app import heap
from app.main import create_app
from tests.support.processes import migrate


def test_the_started_api_has_frozen_its_startup_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    migrate(dict(os.environ))
    gc.unfreeze()
    monkeypatch.setattr(heap, "_frozen", False)
    assert gc.get_freeze_count() == 0
    with TestClient(create_app()):  # its lifespan has run
        frozen = gc.get_freeze_count()
    gc.unfreeze()  # the rest of this test process collects as before
    assert frozen > 10_000  # the app's modules, routes and schemas, not a handful
