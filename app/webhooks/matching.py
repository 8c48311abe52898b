"""Does a command's trigger match an event? One place for the rule."""

from fnmatch import fnmatchcase

from app.webhooks.events import Event, dig
from app.webhooks.schemas import Command
from app.webhooks.verbs import Invocation


def matches(command: Command, event: Event, invocation: Invocation) -> bool:
    trigger = command.trigger
    if not any(
        pattern in (event.name, event.type) or fnmatchcase(event.name, pattern)
        for pattern in trigger.events
    ):
        return False
    if trigger.mention and not invocation.mentioned:
        return False
    if trigger.verbs and invocation.verb not in trigger.verbs:
        return False
    if trigger.label and trigger.label not in event.labels:
        return False
    return all(
        str(dig(event.payload, *path.split("."))) == expected
        for path, expected in trigger.fields.items()
    )
