"""The one shape every provider parses its events into."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Actor:
    id: str
    name: str = ""
    is_bot: bool = False
    association: str | None = None  # GitHub's author_association


@dataclass
class Event:
    provider: str
    type: str  # "issue_comment", "app_mention", "comment_created", "issue", …
    action: str | None = None  # "created", "opened", …
    actor: Actor | None = None
    text: str = ""  # what a person wrote: a comment, a message, an issue body
    title: str = ""
    url: str = ""
    labels: list[str] = field(default_factory=list)
    thread_key: str | None = None  # the conversation this event belongs to
    context: dict[str, Any] = field(default_factory=dict)  # where to answer (repo, channel, …)
    installation: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.type}.{self.action}" if self.action else self.type


def dig(data: Any, *path: str) -> Any:
    """data[path[0]][path[1]]…, or None where a step is missing or not a mapping."""
    for step in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(step)
    return data


def mapping(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else ""
