"""GET /api/metrics: Prometheus text, read from the database and Redis at scrape time."""
