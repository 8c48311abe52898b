"""Sign in: a wrong token is refused in words; the right one opens the dashboard; Sign out
forgets it. The token is never in a URL."""

from playwright.sync_api import Page, expect

from tests.dashboard.conftest import base, sign_in
from tests.support.stack import TOKEN, Stack


def test_wrong_token_says_so_and_right_token_signs_in(page: Page, dash: Stack) -> None:
    page.goto(base(dash) + "/tasks")
    page.get_by_label("API token").fill("not-the-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid")

    page.get_by_label("API token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Tasks", exact=True)).to_be_visible()
    assert TOKEN not in page.url

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API token")).to_be_visible()
    page.reload()
    expect(page.get_by_label("API token")).to_be_visible()


def test_the_token_lasts_for_the_browser_session(page: Page, dash: Stack) -> None:
    sign_in(page, dash, "/status")
    # Reload only once the live stream is connected: a socket cut while it is still opening is
    # a console error of the browser's own, not of the dashboard.
    expect(page.get_by_text("live", exact=True)).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Status", exact=True)).to_be_visible()
    expect(page.locator(".card", has_text="Database")).to_contain_text("ok")
    expect(page.locator(".card", has_text="Redis")).to_contain_text("ok")
    expect(page.locator(".workers")).to_contain_text("w1@")
