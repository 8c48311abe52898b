"""Claude Code Agent: the web API (FastAPI) and the services the workers share."""
