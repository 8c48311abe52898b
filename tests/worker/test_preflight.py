"""The worker's start-up warnings about where DATA_DIR lies (worker/preflight.py)."""

from pathlib import Path

import pytest
from loguru import logger

from worker import preflight


@pytest.fixture
def warnings() -> list[str]:
    seen: list[str] = []
    handler = logger.add(lambda message: seen.append(str(message)), level="WARNING")
    yield seen
    logger.remove(handler)


def test_a_data_dir_where_tools_can_write_is_warned_of(warnings: list[str]) -> None:
    preflight._warn_of_shared_mount_points(Path("/tmp/ccagent-data"))
    assert len(warnings) == 1 and "under /tmp" in warnings[0]


def test_one_in_the_source_tree_there_too(
    warnings: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preflight, "ROOT_DIR", Path("/home/alice/ccagent"))
    preflight._warn_of_shared_mount_points(Path("/home/alice/ccagent/data"))
    assert len(warnings) == 2 and "add new ones at its top" in warnings[1]


def test_none_elsewhere(warnings: list[str]) -> None:
    preflight._warn_of_shared_mount_points(Path("/srv/ccagent/data"))
    assert warnings == []
