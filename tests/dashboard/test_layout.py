"""Phone width and the keyboard: nothing wider than the screen, every view reachable by Tab,
and the focused control visibly marked."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.dashboard.conftest import Console, base, sign_in
from tests.support.stack import Stack

VIEWS = ["/", "/tasks", "/costs", "/agents", "/webhooks", "/status"]


@pytest.fixture
def phone(browser: Browser, console: Console) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.on("console", console.on_console)
    page.on("pageerror", lambda error: console.errors.append(f"page error: {error}"))
    yield page
    context.close()
    assert not console.errors, "\n".join(console.errors)


def test_every_view_fits_a_phone(phone: Page, dash: Stack, tmp_path: Path) -> None:
    sign_in(phone, dash)
    for path in VIEWS:
        phone.goto(base(dash) + path)
        expect(phone.get_by_role("button", name="Sign out")).to_be_visible()
        phone.wait_for_load_state("networkidle")
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a phone"
        name = path.strip("/") or "chat"
        phone.screenshot(path=str(tmp_path / f"phone-{name}.png"), full_page=True)


def test_keyboard_reaches_the_views_with_visible_focus(page: Page, dash: Stack) -> None:
    sign_in(page, dash)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    chat = page.get_by_role("navigation", name="Main").get_by_role("link", name="Chat")
    expect(chat).to_be_focused()
    outline = chat.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline not in ("none", "")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the focused link: Tasks
    expect(page.get_by_role("heading", name="Tasks", exact=True)).to_be_visible()
