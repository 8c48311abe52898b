"""Sessions: a user's running totals of tasks and cost."""
