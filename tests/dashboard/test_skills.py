"""Skills, as agents have them: the API's validation errors appear next to the fields they are
about; a good skill is created, shown, edited and deleted."""

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.dashboard.conftest import Console, base, sign_in
from tests.support.stack import Stack


def test_create_a_skill_bad_fields_then_good(
    page: Page, dash: Stack, console: Console, tmp_path: Path
) -> None:
    console.expect_status(422)  # the bad name and the blank content, refused by the API on purpose
    sign_in(page, dash, "/agents")
    page.get_by_role("button", name="New skill").click()
    form = page.get_by_role("form", name="New skill")
    form.get_by_label("Name", exact=True).fill("Bad Skill")
    form.get_by_label("Description").fill("Formats release notes")
    form.get_by_label("Content").fill("   ")
    form.get_by_role("button", name="Create skill").click()

    def field(label: str):  # type: ignore[no-untyped-def]
        return form.locator(".field", has=page.get_by_label(label, exact=True))

    expect(field("Name").get_by_role("alert")).to_contain_text("pattern")
    expect(field("Content").get_by_role("alert")).to_contain_text("pattern")
    expect(field("Description").get_by_role("alert")).to_have_count(0)
    expect(form.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")
    assert dash.client.get("/api/skills/bad-skill").status_code == 404
    page.screenshot(path=str(tmp_path / "bad-skill.png"), full_page=True)

    form.get_by_label("Name", exact=True).fill("release-notes")
    form.get_by_label("Content").fill("Group the changes by kind; one line each.")
    form.get_by_role("button", name="Create skill").click()
    expect(page).to_have_url(f"{base(dash)}/agents/skills/release-notes")
    expect(page.get_by_role("heading", name="release-notes")).to_contain_text("custom")
    expect(page.locator(".prompt-text")).to_have_text("Group the changes by kind; one line each.")
    skill = dash.client.get("/api/skills/release-notes").json()
    assert skill["description"] == "Formats release notes"
    assert skill["builtin"] is False

    page.get_by_role("link", name="Agents and skills").click()
    expect(page.get_by_role("link", name="release-notes")).to_be_visible()


def test_edit_and_delete_a_custom_skill(page: Page, dash: Stack) -> None:
    created = dash.client.post(
        "/api/skills",
        json={"name": "editable-skill", "description": "Before", "content": "Do it."},
    )
    assert created.status_code == 201, created.text
    sign_in(page, dash, "/agents")
    page.get_by_role("link", name="editable-skill").click()
    expect(page).to_have_url(f"{base(dash)}/agents/skills/editable-skill")
    page.get_by_role("button", name="Edit").click()
    form = page.get_by_role("form", name="Edit skill editable-skill")
    form.get_by_label("Description").fill("After the edit")
    form.get_by_label("Content").fill("Do it twice.")
    form.get_by_role("button", name="Save").click()
    expect(page.locator(".facts")).to_contain_text("After the edit")
    expect(page.locator(".prompt-text")).to_have_text("Do it twice.")
    saved = dash.client.get("/api/skills/editable-skill").json()
    assert (saved["description"], saved["content"].strip()) == ("After the edit", "Do it twice.")

    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("button", name="Delete skill").click()
    expect(page.get_by_role("heading", name="Agents", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="editable-skill")).to_have_count(0)
    assert dash.client.get("/api/skills/editable-skill").status_code == 404
