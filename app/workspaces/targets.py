"""Which repository and ref a webhook task works on: a GitHub issue runs on the default branch
of its repository, a pull request on its head (`refs/pull/N/head`, which GitHub keeps). A `fix`
or `approve` on a pull request whose head is one of the agent's own branches in that same
repository runs on that branch instead, so its changes go on top of it, into the same pull
request (see `app.workspaces.service`)."""

from typing import Any

from loguru import logger

from app.webhooks.events import Event, dig
from app.webhooks.outbound import ProviderError
from app.webhooks.providers import github
from app.workspaces import names
from app.workspaces.publish import BRANCH_PREFIX, PUBLISHING_VERBS


def of_event(event: Event, verb: str | None = None) -> dict[str, str]:
    """`repository` and `ref` for tasks.enqueue(...), or nothing (no repository to check out)."""
    repository = event.context.get("repo")
    if event.provider != "github" or not isinstance(repository, str):
        return {}
    if not names.is_repository(repository):
        return {}
    number = event.context.get("number")
    if not (event.context.get("is_pr") and isinstance(number, int)):
        return {"repository": repository}
    if verb in PUBLISHING_VERBS:
        branch = agent_branch(repository, _head(event, repository, number))
        if branch:
            return {"repository": repository, "ref": branch}
    return {"repository": repository, "ref": f"refs/pull/{number}/head"}


def _head(event: Event, repository: str, number: int) -> Any:
    """The pull request's head: in the payload of its own events and review comments; for a
    comment on its conversation (an `issue_comment`), from the REST API."""
    head = dig(event.payload, "pull_request", "head")
    if isinstance(head, dict):
        return head
    try:
        return github.pull_request(repository, number).get("head")
    except ProviderError as error:  # then the run works at refs/pull/N/head, pushing nothing
        logger.warning("{}#{}: its head branch is unknown: {}", repository, number, error)
        return None


def agent_branch(repository: str, head: Any) -> str | None:
    """The head's branch when it is one the agent pushed: `agent/...` in this repository (a
    fork's branch of that name is not ours to push to)."""
    ref = dig(head, "ref")
    if dig(head, "repo", "full_name") != repository or not isinstance(ref, str):
        return None
    return ref if ref.startswith(BRANCH_PREFIX) and names.is_ref(ref) else None
