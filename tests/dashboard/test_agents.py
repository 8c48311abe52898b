"""Agents: the API's validation error appears next to the field it is about; a good agent is
created and shown as custom."""

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.dashboard.conftest import Console, sign_in
from tests.support.stack import Stack


def test_create_an_agent_bad_name_then_good(
    page: Page, dash: Stack, console: Console, tmp_path: Path
) -> None:
    console.expect_status(422)  # the bad name, refused by the API on purpose
    sign_in(page, dash, "/agents")
    expect(page.get_by_role("link", name="brain")).to_be_visible()
    page.get_by_role("button", name="New agent").click()
    form = page.get_by_role("form", name="New agent")
    form.get_by_label("Name", exact=True).fill("Bad Name")
    form.get_by_label("Description").fill("Greets people")
    form.get_by_label("Instructions").fill("Say hello, briefly.")
    form.get_by_role("button", name="Create agent").click()

    name_field = form.locator(".field", has=page.get_by_label("Name", exact=True))
    expect(name_field.get_by_role("alert")).to_contain_text("pattern")
    expect(
        form.locator(".field", has=page.get_by_label("Description")).get_by_role("alert")
    ).to_have_count(0)
    assert dash.client.get("/api/agents/bad-name").status_code == 404
    page.screenshot(path=str(tmp_path / "bad-name.png"), full_page=True)

    form.get_by_label("Name", exact=True).fill("greeter-bot")
    form.get_by_role("button", name="Create agent").click()
    expect(page).to_have_url(f"http://127.0.0.1:{dash.port}/agents/greeter-bot")
    expect(page.get_by_role("heading", name="greeter-bot")).to_contain_text("custom")
    agent = dash.client.get("/api/agents/greeter-bot").json()
    assert agent["description"] == "Greets people"
    assert agent["builtin"] is False


def test_edit_and_delete_a_custom_agent(page: Page, dash: Stack) -> None:
    created = dash.client.post(
        "/api/agents",
        json={"name": "editable", "description": "Before", "tools": ["Read"], "prompt": "Hi."},
    )
    assert created.status_code == 201, created.text
    sign_in(page, dash, "/agents/editable")
    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Description").fill("After the edit")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".facts")).to_contain_text("After the edit")
    assert dash.client.get("/api/agents/editable").json()["description"] == "After the edit"

    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("button", name="Delete agent").click()
    expect(page.get_by_role("heading", name="Agents", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="editable")).to_have_count(0)
    assert dash.client.get("/api/agents/editable").status_code == 404
