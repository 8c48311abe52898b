"""The helper threads a pool process keeps between runs: a job runs on an idle one when there
is one (no thread started per run), with its caller's context, and a failing job leaves its
thread ready for the next."""

import contextvars
import threading

from worker import helpers

RUN = contextvars.ContextVar("run", default="none")


def _note(into: list[tuple[int, str]]) -> None:
    into.append((threading.get_ident(), RUN.get()))


def test_a_job_after_another_runs_on_the_same_thread_with_its_callers_context() -> None:
    seen: list[tuple[int, str]] = []
    RUN.set("first")
    assert helpers.start(_note, seen, name="one").join(5)
    RUN.set("second")
    assert helpers.start(_note, seen, name="two").join(5)
    (first_thread, first_run), (second_thread, second_run) = seen
    assert first_thread == second_thread != threading.get_ident()
    assert (first_run, second_run) == ("first", "second")


def test_jobs_at_once_each_get_a_thread() -> None:
    release = threading.Event()
    idents: list[int] = []

    def hold() -> None:
        idents.append(threading.get_ident())
        release.wait(5)

    jobs = [helpers.start(hold, name=f"hold-{n}") for n in range(3)]
    assert all(job.is_alive() for job in jobs)
    release.set()
    assert all(job.join(5) for job in jobs)
    assert len(set(idents)) == 3


def test_a_failing_job_ends_and_its_thread_takes_the_next() -> None:
    def fail() -> None:
        raise RuntimeError("boom")

    failed = helpers.start(fail, name="fails")
    assert failed.join(5) and not failed.is_alive()
    seen: list[tuple[int, str]] = []
    assert helpers.start(_note, seen, name="after").join(5)
    assert seen
