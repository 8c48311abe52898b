"""The live log survives an API restart: the socket reconnects with backoff and resumes, and the
log ends with every line of the run once (the count the view shows is of lines released in seq
order, so a missing line would hold back every line after it)."""

import re

from playwright.sync_api import Page, expect

from tests.dashboard.conftest import Console, sign_in
from tests.support.stack import Stack


def test_the_log_resumes_after_the_api_restarts(page: Page, dash: Stack, console: Console) -> None:
    # While the API is down, the browser logs its refused connections: expected here.
    console.expect_text("ERR_CONNECTION_REFUSED", "WebSocket connection to")
    task = dash.submit("Keep talking\n@stub slow 15", session_id="reconnect")
    sign_in(page, dash, f"/tasks/{task['id']}")
    log = page.get_by_role("log", name="Output log")
    expect(log).to_contain_text("tick 5", timeout=30_000)

    assert dash.api is not None
    dash.api.stop()
    expect(page.get_by_role("status", name="Live updates")).to_have_text(re.compile("reconnecting"))
    dash.start_api()
    expect(page.get_by_role("status", name="Live updates")).to_have_text("live", timeout=30_000)

    expect(page.locator(".task-head .badge")).to_have_text("completed", timeout=60_000)
    lines = dash.output_lines(task["id"])
    assert lines[-1]["seq"] == lines[0]["seq"] + len(lines) - 1  # the saved output has no gap
    expect(page.locator(".log-bar")).to_contain_text(f"{len(lines)} lines")
    expect(log).to_contain_text("slow reply done")
