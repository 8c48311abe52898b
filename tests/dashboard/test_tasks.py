"""Tasks: stop a slow run from its detail view and see it end cancelled; the list finds it."""

from playwright.sync_api import Page, expect

from tests.dashboard.conftest import sign_in
from tests.support.stack import Stack


def test_stop_a_slow_task_from_its_detail_view(page: Page, dash: Stack) -> None:
    task = dash.submit("Take your time\n@stub slow 30", session_id="dashboard")
    sign_in(page, dash, f"/tasks/{task['id']}")
    expect(page.locator(".task-head .badge")).to_have_text("running", timeout=30_000)
    expect(page.get_by_role("log", name="Output log")).to_contain_text("tick 2")

    page.get_by_role("button", name="Stop").click()
    expect(page.locator(".task-head .badge")).to_have_text("cancelled", timeout=30_000)
    expect(page.get_by_role("button", name="Stop")).to_have_count(0)
    assert dash.task(task["id"])["status"] == "cancelled"

    page.get_by_role("link", name="← Tasks").click()
    page.get_by_label("Status").select_option("cancelled")
    row = page.get_by_role("row", name=task["id"][:8])
    expect(row).to_contain_text("cancelled")
    expect(row).to_contain_text("api")
