"""Where Flower is: /api/status says it (FLOWER_URL, else FLOWER_PORT on the host the request
was sent to) and the Status view links there."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pydantic import ValidationError

from app.config import Settings
from tests.conftest import fresh_redis_url
from tests.dashboard.conftest import Console, sign_in
from tests.support.stack import Stack

FLOWER_PORT = 5599  # not Flower's default: a link to :5555 would be wrong


@pytest.fixture(scope="module")
def api_only(
    dashboard_built: Path, tmp_path_factory: pytest.TempPathFactory, stub_url: str
) -> Iterator[Stack]:
    """The API alone (no worker: the Status view says so), Flower on a port of its own."""
    system = Stack(
        tmp_path_factory.mktemp("stack"), fresh_redis_url(), stub_url, FLOWER_PORT=FLOWER_PORT
    )
    try:
        system.start_api()
        yield system
    finally:
        system.close()


def _flower_url(stack: Stack, host: str | None = None) -> str:
    headers = {"Host": host} if host else {}
    answer = stack.client.get("/api/status", headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["flower_url"])


def test_status_says_flower_is_on_its_port_of_the_host_asked(api_only: Stack) -> None:
    assert _flower_url(api_only) == f"http://127.0.0.1:{FLOWER_PORT}/"
    assert _flower_url(api_only, "agent.example:8000") == f"http://agent.example:{FLOWER_PORT}/"
    assert _flower_url(api_only, "[::1]:8000") == f"http://[::1]:{FLOWER_PORT}/"


def test_status_says_flower_url_when_set(make_stack: Callable[..., Stack]) -> None:
    stack = make_stack(FLOWER_URL="https://flower.example/monitor/")
    stack.start_api()
    assert _flower_url(stack, "agent.example:8000") == "https://flower.example/monitor/"


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "flower.example", "http://a b/"])
def test_a_flower_url_that_is_no_web_address_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="FLOWER_URL"):
        Settings(API_TOKEN="t", FLOWER_URL=bad)


def test_the_status_view_links_to_flower(page: Page, api_only: Stack, console: Console) -> None:
    console.expect_status(503)  # /api/health: no worker is up, on purpose
    sign_in(page, api_only, "/status")
    link = page.get_by_role("link", name="Open Flower")
    expect(link).to_have_attribute("href", f"http://127.0.0.1:{FLOWER_PORT}/")
    expect(page.get_by_text("No worker is up")).to_be_visible()
