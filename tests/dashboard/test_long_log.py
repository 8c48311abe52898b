"""A long run's log is virtualised: the page holds only the rows in sight, the count is of
every line saved, and both ends are reached by scrolling."""

from typing import Any

from playwright.sync_api import Page, expect

from tests.dashboard.conftest import sign_in
from tests.support.stack import Stack

LINES = 5_000


def saved_lines(stack: Stack, task_id: str) -> list[dict[str, Any]]:
    """Every saved line, page after page."""
    lines: list[dict[str, Any]] = []
    after = -1
    while True:
        page = stack.client.get(
            f"/api/tasks/{task_id}/output", params={"after_seq": after, "limit": 5000}
        ).json()
        lines += page["chunks"]
        if page.get("next_after_seq") is None:
            return lines
        after = page["next_after_seq"]


def test_a_long_log_keeps_few_rows_in_the_page(page: Page, dash: Stack) -> None:
    task = dash.submit(f"Many lines\n@stub lines {LINES}", session_id="long-log")
    dash.wait_done(task["id"], timeout=240)
    saved = saved_lines(dash, task["id"])
    # Far more lines than fit in sight (one per streamed chunk; the CLI may end a run early).
    assert len(saved) > 1000, f"only {len(saved)} lines saved"

    sign_in(page, dash, f"/tasks/{task['id']}")
    expect(page.locator(".log-bar")).to_contain_text(f"{len(saved):,} lines", timeout=60_000)
    log = page.get_by_role("log", name="Output log")
    last = log.locator(".log-row", has_text=str(saved[-1]["seq"]))
    expect(last.first).to_be_visible()  # it follows the end
    assert page.locator(".log-row").count() < 200

    page.get_by_label("Follow the end").uncheck()
    log.evaluate("element => { element.scrollTop = 0; }")
    expect(log.locator(".log-row").first).to_contain_text("system init")
    assert page.locator(".log-row").count() < 200
