"""Where a webhook task's worktree starts, from the event alone (no REST call needed when the
payload holds the pull request's head, as a review comment's does)."""

from app.webhooks.events import Event
from app.workspaces import targets

REPOSITORY = "o/r"


def review_comment(head_branch: str, head_repository: str) -> Event:
    head = {"ref": head_branch, "repo": {"full_name": head_repository}}
    return Event(
        provider="github",
        type="pull_request_review_comment",
        context={"repo": REPOSITORY, "number": 5, "is_pr": True},
        payload={"pull_request": {"number": 5, "head": head}},
    )


def test_a_fix_on_the_agents_own_pull_request_starts_at_its_branch() -> None:
    event = review_comment("agent/3-0123abcd", REPOSITORY)
    assert targets.of_event(event, "fix") == {"repository": REPOSITORY, "ref": "agent/3-0123abcd"}
    assert targets.of_event(event, "approve")["ref"] == "agent/3-0123abcd"


def test_other_pull_requests_and_other_verbs_start_at_the_pull_requests_head() -> None:
    at_head = {"repository": REPOSITORY, "ref": "refs/pull/5/head"}
    assert targets.of_event(review_comment("agent/3-0123abcd", REPOSITORY), "review") == at_head
    assert targets.of_event(review_comment("agent/3-0123abcd", "fork/r"), "fix") == at_head
    assert targets.of_event(review_comment("feature", REPOSITORY), "fix") == at_head
    assert targets.of_event(review_comment("agent/../x", REPOSITORY), "fix") == at_head
