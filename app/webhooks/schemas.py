"""API shapes of the webhooks domain: webhooks and their commands, deliveries, templates."""

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from app.names import NAME_PATTERN  # webhooks, commands and agents are named alike
from app.paging import PageInfo
from app.webhooks import prompts
from app.webhooks.models import Outcome
from app.webhooks.verbs import VERBS

ProviderName = Literal["github", "jira", "slack", "sentry", "generic"]
ActionType = Literal["github_reaction", "github_label", "create_task", "comment", "ask", "forward"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Trigger(Strict):
    """When a command runs: one of `events` (`issue_comment.created`, `issue_comment`, `*`) and
    every condition given."""

    events: list[str] = Field(min_length=1, max_length=20)
    mention: bool = Field(False, description="The text must mention the bot (BOT_MENTION).")
    verbs: list[Literal[VERBS]] = Field(  # type: ignore[valid-type]
        default_factory=list, description="Only these verbs (after the mention)."
    )
    label: str | None = Field(None, max_length=100, description="The issue carries this label.")
    fields: dict[str, str] = Field(
        default_factory=dict, description="Dotted payload paths and the value each must equal."
    )

    @field_validator("events")
    @classmethod
    def _event_names(cls, events: list[str]) -> list[str]:
        for event in events:
            if not re.fullmatch(r"[\w:.*-]{1,100}", event):
                raise ValueError(f"{event!r} is not an event name such as issue_comment.created")
        return events


class Action(Strict):
    type: ActionType
    content: str = Field("eyes", max_length=32, description="github_reaction: the reaction.")
    labels: list[str] = Field(default_factory=list, max_length=20, description="github_label.")
    text: str | None = Field(None, max_length=20_000, description="comment/ask: a template.")
    url: str | None = Field(None, max_length=2000, description="forward: where to POST.")

    @field_validator("text")
    @classmethod
    def _template(cls, text: str | None) -> str | None:
        if text is not None:
            prompts.check(text)
        return text

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not re.match(r"^https?://[^\s/]+", url):
            raise ValueError("must be an http:// or https:// URL")
        return url


class Command(Strict):
    name: str = Field(pattern=NAME_PATTERN)
    trigger: Trigger
    actions: list[Action] = Field(min_length=1, max_length=20)
    agent: str | None = Field(
        None, pattern=NAME_PATTERN, description="Unset: the verb's agent, or the brain."
    )
    prompt_template: str | None = Field(None, max_length=20_000)
    priority: int = Field(100, ge=0, le=10_000, description="Lower runs first.")
    on_end: Literal["comment", "none"] = Field(
        "comment", description="Post the result (or the failure) to the thread when it ends."
    )
    ack: str | None = Field(
        None, max_length=2000, description="Posted when the task starts; replaced by the result."
    )
    reply_channel: str | None = Field(
        None, max_length=64, description="Post the result to this Slack channel instead."
    )

    @field_validator("prompt_template")
    @classmethod
    def _template(cls, text: str | None) -> str | None:
        if text is not None:
            prompts.check(text)
        return text


class WebhookCreate(Strict):
    name: str = Field(pattern=NAME_PATTERN)
    provider: ProviderName
    secret: SecretStr | None = Field(None, description="Write-only: never returned.")
    insecure: bool = Field(False, description="Accept unsigned deliveries (no secret).")
    enabled: bool = True
    allowed_actors: list[str] = Field(default_factory=list, max_length=500)
    max_budget_usd: float | None = Field(None, gt=0, allow_inf_nan=False)
    commands: list[Command] = Field(default_factory=list, max_length=100)

    @field_validator("commands")
    @classmethod
    def _unique_names(cls, commands: list[Command]) -> list[Command]:
        names = [command.name for command in commands]
        if len(names) != len(set(names)):
            raise ValueError("command names must be unique")
        return commands


class WebhookUpdate(Strict):
    secret: SecretStr | None = None
    insecure: bool | None = None
    enabled: bool | None = None
    allowed_actors: list[str] | None = Field(None, max_length=500)
    max_budget_usd: float | None = Field(None, gt=0, allow_inf_nan=False)
    commands: list[Command] | None = Field(None, max_length=100)

    @field_validator("commands")
    @classmethod
    def _unique_names(cls, commands: list[Command] | None) -> list[Command] | None:
        return None if commands is None else WebhookCreate._unique_names(commands)


class WebhookPublic(BaseModel):
    id: str
    name: str
    provider: str
    url: str = Field(description="The path to paste into the provider's webhook settings.")
    has_secret: bool
    insecure: bool
    enabled: bool
    allowed_actors: list[str]
    max_budget_usd: float | None
    commands: list[Command]
    created_at: datetime
    updated_at: datetime


class WebhookList(BaseModel):
    items: list[WebhookPublic]


class DeliveryPublic(BaseModel):
    id: str
    webhook_id: str | None
    provider: str
    event: str | None
    received_at: datetime
    outcome: Outcome
    reason: str | None
    commands: list[str]
    task_ids: list[str]
    thread_id: str | None
    duplicate_of: str | None
    attempts: int
    processed_at: datetime | None


class RunReply(BaseModel):
    """A task this delivery started, and what became of its reply to the thread."""

    task_id: str
    verb: str | None
    reply_state: str
    reply_error: str | None


class DeliveryDetail(DeliveryPublic):
    headers: dict[str, str]
    body: str
    runs: list[RunReply] = Field(default_factory=list)


class DeliveryList(PageInfo):
    items: list[DeliveryPublic]


class IngressAnswer(BaseModel):
    delivery_id: str | None = None
    outcome: Outcome | None = None
    challenge: str | None = None


class TemplatePublic(BaseModel):
    name: str
    provider: str
    description: str
    commands: list[Command]


class TemplateList(BaseModel):
    items: list[TemplatePublic]


class TemplateInstall(Strict):
    webhook_id: str | None = Field(None, description="Unset: the provider's default endpoint.")
    slack_channel: str | None = Field(None, max_length=64, description="sentry-alert: post here.")


class ThreadContext(BaseModel):
    provider: str
    key: str
    context: dict[str, Any]


class ThreadComment(Strict):
    body: str = Field(min_length=1, max_length=60_000)


class ThreadReaction(Strict):
    content: str = Field("eyes", min_length=1, max_length=32)


class ThreadLabels(Strict):
    labels: list[str] = Field(min_length=1, max_length=20)
