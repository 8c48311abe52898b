"""Every text this system posts to a provider carries a marker, and an event whose text carries
it is our own post coming back: it never triggers (else a reply holding `@agent approve` or the
help text would start the bot again, an endless paid loop, whatever GITHUB_BOT_LOGIN says).

The marker is the text's last line, in the form the provider keeps as written: GitHub keeps a
hidden HTML comment in the body; Jira, Slack and Sentry get a short visible line. Only the last
line counts, so a human who quotes one of our posts above their own words still triggers."""

TOKEN = "posted-by:claude-code-agent"
HIDDEN = f"<!-- {TOKEN} -->"
VISIBLE = f"_{TOKEN}_"


def hidden(text: str) -> str:
    return f"{text}\n\n{HIDDEN}"


def visible(text: str) -> str:
    return f"{text}\n\n{VISIBLE}"


def is_ours(text: str) -> bool:
    lines = text.strip().splitlines()
    return bool(lines) and TOKEN in lines[-1]
