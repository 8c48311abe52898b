"""The registry of providers. Each is one module beside this file that never imports another:
its signature check over the raw body, its parsing into an `Event`, its outbound client.
Adding a provider = one module + one line in PROVIDERS."""

from collections.abc import Mapping
from typing import Any, Protocol

from app.webhooks.events import Event
from app.webhooks.outbound import Unsupported
from app.webhooks.providers import generic as generic
from app.webhooks.providers import github as github
from app.webhooks.providers import jira as jira
from app.webhooks.providers import sentry as sentry
from app.webhooks.providers import slack as slack

Headers = Mapping[str, str]  # lower-cased names


class Provider(Protocol):
    NAME: str
    CAN_REPLY: bool

    def default_secret(self) -> str | None: ...
    def verify(self, headers: Headers, body: bytes, secret: str) -> None: ...
    def delivery_key(self, headers: Headers, payload: dict[str, Any]) -> str | None: ...
    def event_name(self, headers: Headers, payload: dict[str, Any]) -> str: ...
    def challenge(self, payload: dict[str, Any]) -> dict[str, Any] | None: ...
    def parse(self, headers: Headers, payload: dict[str, Any]) -> Event: ...
    def is_self(self, event: Event) -> bool: ...
    def may_trigger(self, event: Event, allowed: list[str]) -> str | None: ...
    def comment(self, context: dict[str, Any], text: str) -> dict[str, Any]: ...
    def update(self, context: dict[str, Any], ref: dict[str, Any], text: str) -> None: ...
    def react(self, context: dict[str, Any], content: str) -> None: ...
    def label(self, context: dict[str, Any], labels: list[str]) -> None: ...


__all__ = ["PROVIDERS", "Headers", "Provider", "Unsupported", "get"]

PROVIDERS: dict[str, Provider] = {
    module.NAME: module for module in (github, slack, jira, sentry, generic)
}


def get(name: str) -> Provider | None:
    return PROVIDERS.get(name)
