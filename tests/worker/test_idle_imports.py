"""An idle worker pool process holds only what a run needs: the API's web framework and the HTTP
client of webhook replies and pull requests stay out of it until something uses them (they are
megabytes in every pool process, each of which runs one CLI at a time)."""

import subprocess
import sys

from tests.support.processes import ROOT

NOT_FOR_IDLE_WORKERS = ("fastapi", "httpx")


def test_the_worker_modules_import_neither_fastapi_nor_httpx() -> None:
    probe = (
        "import sys, worker.celery_app, worker.preflight, worker.tasks, app.tokens;"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(NOT_FOR_IDLE_WORKERS)}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"API_TOKEN": "idle-imports", "CCAGENT_DOTENV": "", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
