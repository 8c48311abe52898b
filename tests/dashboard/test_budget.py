"""A system whose daily budget is spent: the chat says the refusal next to the composer and
keeps the message; the costs view shows the budget and what is left of it, with this week's,
this month's and each agent's figures."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import running_stack
from tests.dashboard.conftest import Console, sign_in
from tests.dashboard.test_costs import usd
from tests.support.stack import Stack

BUDGET = 0.0001  # less than one stub reply costs: the first run spends it
AGENT = "budget-spender"


@pytest.fixture(scope="module")
def spent(
    dashboard_built: Path, tmp_path_factory: pytest.TempPathFactory, stub_url: str
) -> Iterator[tuple[Stack, dict[str, Any]]]:
    """A system with DAILY_BUDGET_USD set, and the one run (by a custom agent) that spent it."""
    with running_stack(tmp_path_factory, stub_url, DAILY_BUDGET_USD=str(BUDGET)) as system:
        created = system.client.post(
            "/api/agents",
            json={"name": AGENT, "description": "Spends", "tools": ["Read"], "prompt": "Hi."},
        )
        assert created.status_code == 201, created.text
        run = system.wait_done(system.submit("@stub text spend", agent=AGENT)["id"])
        # The run is capped at the budget: the CLI ends it after the reply that passed it.
        assert run["cost_usd"] > BUDGET, run
        yield system, run


def test_a_refused_message_is_said_and_kept(
    page: Page, spent: tuple[Stack, dict[str, Any]], console: Console
) -> None:
    system, _ = spent
    console.expect_status(429)  # the spent budget's refusal, provoked on purpose
    sign_in(page, system)
    message = page.get_by_label("Message")
    message.fill("Please do not lose me")
    page.get_by_role("button", name="Send").click()

    # In words, inside the composer, and what the message box points to as its description.
    error = page.locator("form.composer").get_by_role("alert")
    expect(error).to_contain_text(f"daily budget of {usd(0)} is spent")
    expect(error).to_contain_text("accepted again at")
    expect(message).to_have_attribute("aria-describedby", "composer-error")
    expect(message).to_have_value("Please do not lose me")
    assert system.client.get("/api/conversations").json()["total"] == 0


def test_costs_show_the_budget_left_and_the_periods(
    page: Page, spent: tuple[Stack, dict[str, Any]]
) -> None:
    system, run = spent
    cost = usd(run["cost_usd"])
    sign_in(page, system, "/costs")

    def card(title: str):  # type: ignore[no-untyped-def]
        return page.locator(".card", has=page.get_by_role("heading", name=title, exact=True))

    # The only run of this system, made today: today, this week and this month are its cost.
    for period in ("Today", "This week", "This month"):
        expect(card(period).locator(".big")).to_have_text(cost)
    budget = card("Daily budget")
    expect(budget.locator(".big")).to_have_text(f"{usd(0)} left")
    expect(budget).to_contain_text(f"of {usd(BUDGET)} (DAILY_BUDGET_USD)")
    expect(budget.get_by_role("meter", name="Budget spent today")).to_have_attribute(
        "value", str(BUDGET)
    )
    row = card("By agent").get_by_role("row", name=AGENT)
    expect(row).to_contain_text("1")
    expect(row).to_contain_text(cost)
