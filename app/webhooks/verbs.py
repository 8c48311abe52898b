"""Verb commands: `@agent analyze | plan | fix | review | approve | reject | improve | help`,
optionally followed by `budget $N`. The mention is BOT_MENTION or one of its aliases."""

import re
from dataclasses import dataclass
from functools import cache

from app.config import settings

VERBS = ("analyze", "plan", "fix", "review", "approve", "reject", "improve", "help")
# The agent each verb runs; free text (no verb) goes to the brain.
AGENT_OF = {
    "analyze": "planning",
    "plan": "planning",
    "fix": "executor",
    "improve": "executor",
    "review": "planning",
}
FREE_TEXT_AGENT = "brain"

HELP = """I answer to `{mention}` followed by a verb:
- `analyze`: look into this and explain what is going on (the planning agent)
- `plan`: write a plan and wait for `approve` or `reject`
- `approve`: run the plan waiting on this thread (the executor)
- `reject`: drop the plan waiting on this thread
- `fix` / `improve`: make the change (the executor)
- `review`: review this pull request's diff
- `help`: this list
Add `budget $N` after the verb to cap the run's spend. Anything else is answered by the brain."""

_BUDGET = re.compile(r"^budget\s+\$?(\d+(?:\.\d+)?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Invocation:
    mentioned: bool
    verb: str | None = None
    request: str = ""  # the text after the mention (and the verb)
    budget_usd: float | None = None


@cache
def _mention_pattern(mentions: tuple[str, ...]) -> re.Pattern[str]:
    names = "|".join(re.escape(m) for m in sorted(mentions, key=len, reverse=True))
    return re.compile(rf"(?<![\w@])(?:{names})(?![\w-])", re.IGNORECASE)


def mentions() -> tuple[str, ...]:
    aliases = [a.strip() for a in settings.BOT_MENTION_ALIASES.split(",") if a.strip()]
    return (settings.BOT_MENTION, *aliases)


def help_text() -> str:
    return HELP.format(mention=settings.BOT_MENTION)


# Code (fenced blocks, then inline spans) quotes a command rather than giving it.
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.DOTALL)


def _without_code(text: str) -> str:
    """The text with its code blanked out, same length, so positions still match."""
    return _CODE.sub(lambda m: " " * len(m.group(0)), text)


def parse(text: str) -> Invocation:
    match = _mention_pattern(mentions()).search(_without_code(text))
    if match is None:
        return Invocation(mentioned=False, request=text.strip())
    rest = text[match.end() :].strip()
    word, *tail = rest.split(maxsplit=1) if rest else ("",)
    verb = word.lower().rstrip(":,.!")
    if verb not in VERBS:
        return Invocation(mentioned=True, request=rest)
    after = tail[0].strip() if tail else ""
    budget = _BUDGET.match(after)
    if budget:
        after = after[budget.end() :].strip()
    return Invocation(
        mentioned=True,
        verb=verb,
        request=after,
        budget_usd=float(budget.group(1)) if budget else None,
    )
