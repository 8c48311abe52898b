"""Tasks: one run of the Claude Code CLI, from QUEUED to a terminal state."""
