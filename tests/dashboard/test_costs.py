"""Costs: the runs just made appear, by session and source, with the CLI's own cost."""

from playwright.sync_api import Page, expect

from tests.dashboard.conftest import sign_in
from tests.support.stack import Stack


def usd(value: float) -> str:
    """As the dashboard writes money."""
    return f"${value:.4f}" if 0 < value < 0.01 else f"${value:.2f}"


def test_costs_show_the_runs_just_made(page: Page, dash: Stack) -> None:
    runs = [dash.submit(f"Cost check {n}", session_id="costs-check") for n in range(2)]
    costs = [dash.wait_done(run["id"])["cost_usd"] for run in runs]
    assert all(cost and cost > 0 for cost in costs)

    sign_in(page, dash, "/costs")
    by_session = page.locator(".card", has=page.get_by_role("heading", name="By session"))
    row = by_session.get_by_role("row", name="costs-check")
    expect(row).to_contain_text("2")
    expect(row).to_contain_text(usd(sum(costs)))
    by_source = page.locator(".card", has=page.get_by_role("heading", name="By source"))
    expect(by_source.get_by_role("row", name="api")).to_be_visible()
    today = dash.client.get("/api/costs").json()["spent_today_usd"]
    expect(
        page.locator(".card", has=page.get_by_role("heading", name="Today", exact=True))
    ).to_contain_text(usd(today))
    expect(page.get_by_role("img", name="Cost per day").locator("canvas")).to_be_visible()
