"""Benchmarks of the system against bare Celery: `python -m bench [--quick] [--only NAME]`."""
