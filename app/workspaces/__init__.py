"""Workspaces: a directory per task, repository caches, worktrees, their quota and sweep."""
