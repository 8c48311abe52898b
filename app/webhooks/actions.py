"""The actions a command runs: github_reaction, github_label, create_task, comment, ask,
forward; and the verbs' approval gate (`plan` waits, `approve` runs it, `reject` drops it)."""

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import col

from app.config import settings
from app.conversations.framing import frame
from app.conversations.models import Message, Role
from app.db import session_scope
from app.errors import DomainError
from app.tasks import service as tasks
from app.tasks.models import Task
from app.webhooks import outbound, prompts, providers, replies, threads, verbs
from app.webhooks.events import Event
from app.webhooks.models import Delivery, Pending, Thread, ThreadRun, Webhook
from app.webhooks.schemas import Action, Command
from app.webhooks.signing import digest
from app.workspaces import targets

if TYPE_CHECKING:
    from app.webhooks.processing import Result

_RUN_IDS = uuid.UUID("5d1f0c52-3f0e-4f7c-9a51-8c0e2b7a6d11")  # namespace of run_task_id
MAX_DIFF_CHARS = 60_000  # within prompts.MAX_PROMPT_CHARS, with room for the rest


@dataclass
class Run:
    """One command being run for one delivery."""

    delivery: Delivery
    webhook: Webhook
    event: Event
    invocation: verbs.Invocation
    thread: Thread | None
    command: Command
    result: "Result"

    @property
    def provider(self) -> providers.Provider:
        provider = providers.get(self.event.provider)
        assert provider is not None
        return provider

    @property
    def reply_context(self) -> dict[str, object]:
        return self.thread.context if self.thread else self.event.context


def perform(run: Run, action: Action) -> None:
    if action.type == "github_reaction":
        run.provider.react(run.event.context, action.content)
    elif action.type == "github_label":
        run.provider.label(run.event.context, action.labels)
    elif action.type == "comment":
        say(run, prompts.render(action.text or "", run.event, run.invocation))
    elif action.type == "ask":
        ask(run, prompts.render(action.text or "", run.event, run.invocation))
    elif action.type == "forward":
        forward(run, action.url or "")
    else:
        create_task(run)


def say(run: Run, text: str) -> None:
    run.provider.comment(dict(run.reply_context), text)


def ask(run: Run, question: str) -> None:
    """Post a question; the next message on the thread answers it (see `answer`)."""
    say(run, question)
    if run.thread is None:
        return
    with session_scope() as db:
        conversation_id = run.thread.conversation_id
        if conversation_id:  # the answer's task sees what was asked, and why
            said = run.event.text or run.event.title or run.event.name
            db.add(Message(conversation_id=conversation_id, role=Role.USER, content=said))
            db.add(Message(conversation_id=conversation_id, role=Role.ASSISTANT, content=question))
        db.execute(
            update(Thread)
            .where(col(Thread.id) == run.thread.id)
            .values(pending=Pending.ANSWER, pending_agent=run.command.agent)
        )


def answer(run: Run) -> None:
    """The answer to a question asked on this thread: continue the same conversation."""
    assert run.thread is not None
    with session_scope() as db:
        won = db.execute(
            update(Thread)
            .where(col(Thread.id) == run.thread.id, col(Thread.pending) == Pending.ANSWER)
            .values(pending=None, pending_agent=None)
        )
    if getattr(won, "rowcount", 0) != 1:
        return
    run.result.commands.append("answer")
    prompt = prompts.render(None, run.event, run.invocation)
    start(run, agent=run.thread.pending_agent or verbs.FREE_TEXT_AGENT, prompt=prompt, verb=None)


def forward(run: Run, url: str) -> None:
    """POST the event as it came to `url`, signed with our own HMAC (the generic scheme)."""
    body = run.delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "X-Webhook-Event": run.event.name,
        "X-Webhook-Delivery": run.delivery.id,
    }
    secret = settings.GENERIC_WEBHOOK_SECRET
    if secret:
        headers["X-Webhook-Signature"] = f"sha256={digest(secret.get_secret_value(), body)}"
    outbound.call("forward", "POST", url, content=body, headers=headers)


def create_task(run: Run) -> None:
    invocation = run.invocation
    verb = invocation.verb if invocation.mentioned else None
    if verb == "help":
        say(run, verbs.help_text())
        return
    if verb in ("approve", "reject"):
        gate(run, verb)
        return
    agent = run.command.agent or verbs.AGENT_OF.get(verb or "", verbs.FREE_TEXT_AGENT)
    template = run.command.prompt_template
    extra = {}
    if verb == "review" or prompts.prints(template, "diff"):
        extra["diff"] = pull_request_diff(run)
    prompt = prompts.render(template, run.event, invocation, **extra)
    start(run, agent=agent, prompt=prompt, verb=verb, awaits_approval=verb == "plan")


def pull_request_diff(run: Run) -> str:
    """The thread's pull request diff, fetched here and framed as data: the reviewing agent has
    no tool to fetch it (planning has no Bash), and needs no token to be handed it."""
    fetch = getattr(run.provider, "diff", None)
    if fetch is None:
        raise outbound.Unsupported(f"{run.provider.NAME} threads have no diff to review")
    text = str(fetch(run.event.context))
    if len(text) > MAX_DIFF_CHARS:
        text = text[:MAX_DIFF_CHARS] + f"\n[diff cut at {MAX_DIFF_CHARS} characters]"
    return frame("pull_request_diff", text)


def gate(run: Run, verb: str) -> None:
    """`approve` runs the plan waiting on this thread with the executor; `reject` drops it.
    The pending plan lives in the database: a restart in between loses nothing."""
    thread_id = run.thread.id if run.thread else None
    with session_scope() as db:
        thread = db.get(Thread, thread_id) if thread_id else None
        plan_task_id = thread.pending_task_id if thread else None
        won = db.execute(
            update(Thread)
            .where(col(Thread.id) == thread_id, col(Thread.pending) == Pending.APPROVAL)
            .values(pending=None, pending_task_id=None)
        )
        plan = db.get(Task, plan_task_id) if plan_task_id else None
    if getattr(won, "rowcount", 0) != 1:
        say(
            run,
            f"There is no plan waiting for approval on this thread, so there is nothing to"
            f" {verb}. Ask for one with `{settings.BOT_MENTION} plan`.",
        )
        return
    if verb == "reject":
        say(run, "Plan rejected: nothing will run.")
        return
    approved = frame("approved_plan", (plan.result if plan else "") or "")
    prompt = prompts.render(
        "Carry out the approved plan below on {{ thread }}, then say what you changed.\n"
        "The plan, as data (what to do, written by the planning agent):\n{{ plan }}\n"
        "The approval, as data:\n{{ text }}",
        run.event,
        run.invocation,
        plan=approved,
    )
    start(run, agent="executor", prompt=prompt, verb="approve")


def _budget(run: Run) -> float | None:
    caps = [c for c in (run.invocation.budget_usd, run.webhook.max_budget_usd) if c is not None]
    return min(caps) if caps else None


def start(
    run: Run, *, agent: str, prompt: str, verb: str | None, awaits_approval: bool = False
) -> None:
    """Queue the task in the thread's conversation, with what to post when it ends."""
    provider, thread, command = run.provider, run.thread, run.command
    task_id = run_task_id(run)
    with session_scope() as db:
        started = db.get(ThreadRun, task_id) is not None
    if started:  # processed again after a crash: the task and its ack exist already
        run.result.task_ids.append(task_id)
        return
    silent = (
        command.on_end == "none"
        or thread is None
        or not (provider.CAN_REPLY or command.reply_channel)
    )
    ack: dict[str, object] = {}
    if command.reply_channel:
        ack["reply_channel"] = command.reply_channel
    elif command.ack and thread is not None and provider.CAN_REPLY:
        try:
            ack.update(provider.comment(dict(thread.context), command.ack))
        except outbound.ProviderError as error:  # the run goes ahead; its reply is posted anew
            run.result.errors.append(f"{command.name}/ack: {error.message}")
    try:
        _enqueue(run, task_id, prompt, agent, verb, awaits_approval, ack, silent)
    except DomainError as error:  # refused (the day's budget, say): the thread hears why
        if not silent:
            _tell_refusal(run, ack, error)
        raise
    run.result.task_ids.append(task_id)


def run_task_id(run: Run) -> str:
    """The task a (delivery, command) starts: one id, so processing it twice starts one task."""
    return uuid.uuid5(_RUN_IDS, f"{run.delivery.id}/{run.command.name}").hex


def _tell_refusal(run: Run, ack: dict[str, object], error: DomainError) -> None:
    assert run.thread is not None
    text = f"I could not start this: {error.message}"
    ref = {k: v for k, v in ack.items() if k != "reply_channel" and v is not None}
    try:
        if ref:
            replies.replace(run.provider, run.thread.context, ref, text)
        else:
            say(run, text)
    except outbound.ProviderError as failure:
        run.result.errors.append(f"{run.command.name}/refusal: {failure.message}")


def _enqueue(
    run: Run,
    task_id: str,
    prompt: str,
    agent: str,
    verb: str | None,
    awaits_approval: bool,
    ack: dict[str, object],
    silent: bool,
) -> None:
    provider, thread = run.provider, run.thread
    with session_scope() as db:
        conversation_id = thread.conversation_id if thread else None
        full_prompt = threads.with_history(db, conversation_id, prompt)  # before this message
        if conversation_id:
            said = run.event.text or run.event.title or run.event.name
            db.add(
                Message(
                    conversation_id=conversation_id, role=Role.USER, content=said, task_id=task_id
                )
            )
        db.add(
            ThreadRun(
                task_id=task_id,
                delivery_id=run.delivery.id,
                thread_id=thread.id if thread else None,
                webhook_id=run.webhook.id,
                verb=verb,
                awaits_approval=awaits_approval,
                ack=ack,
                silent=silent,
            )
        )
        tasks.enqueue(
            db,
            task_id=task_id,
            prompt=full_prompt,
            agent=agent,
            source=f"webhook:{provider.NAME}",
            conversation_id=conversation_id,
            session_id=threads.session_of(provider.NAME),
            max_budget_usd=_budget(run),
            **targets.of_event(run.event, verb),  # a GitHub thread's repository and ref
        )
