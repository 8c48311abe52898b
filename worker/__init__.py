"""The Celery worker: runs the Claude Code CLI for each task, under a concurrency limit."""
