"""The dashboard in a real browser (Debian's Chromium, driven by Playwright) against a running
system: API serving frontend/dist, a worker, Redis, the real CLI on the model stub.

Every test gets a page that records console errors and uncaught exceptions: any one fails the
test. Each test leaves a screenshot of its last view under its pytest tmp dir.
"""

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from tests.conftest import running_stack
from tests.support.git_server import GitServer
from tests.support.processes import BIN, ROOT
from tests.support.providers import ProviderAPIs
from tests.support.stack import TOKEN, Stack

# A machine of 2 shared cores runs the CLI, the worker, the API and the browser: wait for what a
# view shows as long as a run may take to get there, not Playwright's 5 s.
expect.set_options(timeout=30_000)

CHROMIUM = "/usr/bin/chromium"
GITHUB_TOKEN = "ghp-dashboard-test-token"
# What a browser needs on a closed network: no sandbox (root), no GPU, no calls home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def dashboard_built() -> Path:
    """frontend/dist, built by the justfile's recipe when missing or older than its sources."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    result = subprocess.run(
        [str(BIN / "just"), "frontend-build"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    dist = ROOT / "frontend" / "dist"
    assert (dist / "index.html").is_file()
    return dist


@pytest.fixture(scope="session")
def provider_apis() -> Iterator[ProviderAPIs]:
    """The local stand-in for GitHub's API that webhook runs answer to."""
    recorder = ProviderAPIs()
    yield recorder
    recorder.close()


@pytest.fixture(scope="session")
def git_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitServer]:
    """GitHub's git side, for the repository a webhook run works in."""
    server = GitServer(tmp_path_factory.mktemp("git-server"), GITHUB_TOKEN)
    server.create("Codertocat/Hello-World", {"README.md": "Hello\n"}, branch="master")
    yield server
    server.close()


@pytest.fixture(scope="session")
def dash(
    dashboard_built: Path,
    tmp_path_factory: pytest.TempPathFactory,
    stub_url: str,
    provider_apis: ProviderAPIs,
    git_server: GitServer,
) -> Iterator[Stack]:
    webhooks = {
        **provider_apis.settings(),
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "GITHUB_GIT_URL": git_server.url,
    }
    with running_stack(
        tmp_path_factory, stub_url, GITHUB_BOT_LOGIN="agent-bot", **webhooks
    ) as system:
        yield system


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Console:
    """The page's console errors and uncaught exceptions. Chromium logs every API answer of 4xx
    as an error ("Failed to load resource"): a test that provokes one on purpose (a 422 for a
    bad name) says which status it expects, and only that one is let through."""

    FAILED_LOAD = re.compile(r"Failed to load resource: .* status of (\d+)")

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.expected: set[int] = set()
        self.expected_text: list[str] = []

    def expect_status(self, *statuses: int) -> None:
        self.expected.update(statuses)

    def expect_text(self, *fragments: str) -> None:
        """Let through errors holding one of these (a test that stops the API on purpose)."""
        self.expected_text.extend(fragments)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        failed = self.FAILED_LOAD.search(message.text)
        if failed and int(failed[1]) in self.expected:
            return
        if any(fragment in message.text for fragment in self.expected_text):
            return
        self.errors.append(f"console: {message.text} ({message.location.get('url', '')})")


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(
    browser: Browser, console: Console, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("console", console.on_console)
    page.on("pageerror", lambda error: console.errors.append(f"page error: {error}\n{error.stack}"))
    yield page
    shot = tmp_path / f"{request.node.name}.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    context.close()
    assert not console.errors, "the browser console had errors:\n" + "\n".join(console.errors)


def base(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.port}"


def sign_in(page: Page, stack: Stack, path: str = "/") -> None:
    page.goto(base(stack) + path)
    page.get_by_label("API token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
