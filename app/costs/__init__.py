"""Costs: what the CLI reported each task cost, summed by day, agent, session and source;
and the daily budget."""
