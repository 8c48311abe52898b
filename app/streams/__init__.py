"""Live output: every event of a task goes into a Redis buffer and out on pub/sub channels."""
