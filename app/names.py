"""The patterns that names and identifiers must match, each written once.

Patterns are anchored with `^…$` for JSON Schema (pydantic's regex engine reads `$` as the end
of the text); in Python code, test them with `matches()`, which uses `re.fullmatch`, because
Python's `$` also matches before a trailing newline ("x\\n" would pass `re.match`).
"""

import re

# Agents and skills: becomes a file name, so lowercase letters, digits and dashes only.
NAME_PATTERN = r"^[a-z][a-z0-9-]{0,47}$"
# Models the CLI takes with --model: an alias or a full Claude model id.
MODEL_ALIASES = ("haiku", "opus", "opusplan", "sonnet")
MODEL_ID = r"claude-[a-z0-9][a-z0-9.-]{1,80}(\[1m\])?"
MODEL_PATTERN = rf"^({'|'.join(MODEL_ALIASES)}|{MODEL_ID})$"
# An agent's front matter may also say `inherit` (the model of the run that calls it).
AGENT_MODEL_PATTERN = rf"^(inherit|{MODEL_PATTERN[2:-2]})$"
# Sessions: chosen by clients, shown in URLs and WebSocket paths.
SESSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"


def matches(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern.removeprefix("^").removesuffix("$"), value) is not None
