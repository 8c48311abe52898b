"""Which repository and ref a webhook task works on: a GitHub issue runs on the default branch
of its repository, a pull request on its head (`refs/pull/N/head`, which GitHub keeps)."""

from app.webhooks.events import Event
from app.workspaces import names


def of_event(event: Event) -> dict[str, str]:
    """`repository` and `ref` for tasks.enqueue(...), or nothing (no repository to check out)."""
    repository = event.context.get("repo")
    if event.provider != "github" or not isinstance(repository, str):
        return {}
    if not names.is_repository(repository):
        return {}
    number = event.context.get("number")
    if event.context.get("is_pr") and isinstance(number, int):
        return {"repository": repository, "ref": f"refs/pull/{number}/head"}
    return {"repository": repository}
