"""The agents' way to their thread: a webhook task's token may act on the thread its task came
from, and only that one. The system makes the provider call with its own credentials (the run
never holds them) and records it on the run."""

from typing import Any

from fastapi import APIRouter, Response, status
from loguru import logger

from app.auth import CurrentPrincipal, Forbidden, allow_tasks
from app.db import session_scope
from app.errors import DomainError, ErrorDetail, error_responses
from app.tasks.models import utcnow
from app.webhooks import providers
from app.webhooks.models import Thread, ThreadRun
from app.webhooks.outbound import ProviderError, Unsupported
from app.webhooks.schemas import ThreadComment, ThreadContext, ThreadLabels, ThreadReaction

PROVIDER_FAILED: dict[int | str, dict[str, Any]] = {
    502: {"model": ErrorDetail, "description": "The provider refused the call"}
}
router = APIRouter(
    prefix="/api/threads/current",
    tags=["threads"],
    responses={**error_responses(401, 403), **PROVIDER_FAILED},
)


class ProviderFailed(DomainError):
    status_code = 502


def _thread_of(principal: CurrentPrincipal) -> Thread:
    if principal.is_admin or not principal.task_id:
        raise Forbidden("Only a webhook task's token has a current thread")
    with session_scope() as db:
        run = db.get(ThreadRun, principal.task_id)
        thread = db.get(Thread, run.thread_id) if run and run.thread_id else None
    if thread is None:
        raise Forbidden("This task did not come from a webhook thread")
    return thread


def _act(principal: CurrentPrincipal, action: str, call: Any) -> Any:
    """Run one provider call for the caller's thread, and record it on the run."""
    thread = _thread_of(principal)
    provider = providers.PROVIDERS[thread.provider]
    entry: dict[str, Any] = {"at": utcnow().isoformat(), "action": action}
    try:
        result = call(provider, dict(thread.context))
        entry["ok"] = True
    except Unsupported as error:
        entry["error"] = error.message
        raise DomainError(error.message) from None
    except ProviderError as error:
        entry["error"] = error.message
        raise ProviderFailed(error.message) from None
    finally:
        with session_scope() as db:
            run = db.get(ThreadRun, principal.task_id)
            if run is not None:
                run.calls = [*run.calls, entry]
                db.add(run)
        logger.info("task {} {} on {}: {}", principal.task_id, action, thread.key, entry)
    return result


@router.get("", response_model=ThreadContext)
@allow_tasks("thread")
def current_thread(principal: CurrentPrincipal) -> ThreadContext:
    thread = _thread_of(principal)
    return ThreadContext(provider=thread.provider, key=thread.key, context=thread.context)


@router.post(
    "/comments",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400),
)
@allow_tasks("thread")
def comment(request: ThreadComment, principal: CurrentPrincipal) -> dict[str, Any]:
    """A comment (GitHub), a thread reply (Slack), a Jira comment, a Sentry note."""
    return dict(_act(principal, "comment", lambda p, c: p.comment(c, request.body)))


@router.post("/reactions", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(400))
@allow_tasks("thread")
def react(request: ThreadReaction, principal: CurrentPrincipal) -> Response:
    _act(principal, "reaction", lambda p, c: p.react(c, request.content))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/labels", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(400))
@allow_tasks("thread")
def label(request: ThreadLabels, principal: CurrentPrincipal) -> Response:
    _act(principal, "label", lambda p, c: p.label(c, request.labels))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/diff", response_class=Response, responses=error_responses(400))
@allow_tasks("thread")
def diff(principal: CurrentPrincipal) -> Response:
    """The unified diff of the thread's pull request (GitHub)."""

    def fetch(provider: Any, context: dict[str, Any]) -> str:
        if not hasattr(provider, "diff"):
            raise Unsupported(f"{provider.NAME} threads have no diff")
        return str(provider.diff(context))

    return Response(_act(principal, "diff", fetch), media_type="text/x-diff")
