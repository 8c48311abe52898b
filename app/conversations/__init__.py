"""Conversations: inbox-style threads of messages, each reply linked to the task that made it."""
