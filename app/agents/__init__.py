"""Agents and skills: the Markdown files in the brain's `.claude/` that the CLI honours."""
