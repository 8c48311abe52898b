"""Webhooks: GitHub, Jira, Slack, Sentry and generic events drive the agents, and the answers go
back to the thread the event came from. See routes.py (ingress, configuration API), providers/
(one module per provider), processing.py (what runs after a delivery is recorded)."""
