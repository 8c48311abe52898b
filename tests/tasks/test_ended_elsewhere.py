"""A run whose task is no longer RUNNING in the database (the sweeper took it for lost, an
operator ended it) stops at its next beat, tools and all; the task keeps the end it was given."""

import sqlite3

from tests.support.processes import wait_until
from tests.support.stack import Stack, processes_with


def test_a_run_whose_task_ended_elsewhere_stops_at_its_next_beat(stack: Stack) -> None:
    task = stack.submit("@stub slow 60")
    wait_until(lambda: len(stack.output_lines(task["id"])) >= 3, 60, what="output to flow")
    assert processes_with(task["id"]), "the CLI should be running"

    database = sqlite3.connect(stack.env["DATABASE_URL"].removeprefix("sqlite:///"))
    with database:  # what the sweeper does to a task it takes for lost
        database.execute(
            "UPDATE tasks SET status = 'FAILED', error = 'ended elsewhere' WHERE id = ?",
            (task["id"],),
        )
    database.close()

    # Beats come every 0.5 s here; before, the run went on for its whole minute.
    wait_until(lambda: not processes_with(task["id"]), 10, what="the run to stop")
    done = stack.task(task["id"])
    assert (done["status"], done["error"]) == ("failed", "ended elsewhere")
    assert stack.output_lines(task["id"]), "what it printed is kept"
