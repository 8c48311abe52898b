"""Dependencies as Annotated aliases, so route signatures read as prose."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Response
from pydantic import BaseModel
from sqlmodel import Session

from app.db import read_scope, session_scope

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, a read one for GET. Used with scope="function": it ends when
    the handler returns, before the response is sent, so a slow client never holds a
    transaction open. (Here, not in app.db, which the worker imports: no web framework there.)"""
    if request.method in READ_METHODS:
        with read_scope() as session:
            yield session
    else:
        with session_scope() as session:
            yield session


# scope="function": the session ends when the handler returns, not after the response is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def answer(model: BaseModel, status_code: int = 200) -> Response:
    """A model as the JSON answer, serialised once: a route returning a Response skips
    FastAPI's second validation of its response_model (which still documents it)."""
    return Response(model.model_dump_json(), status_code, media_type="application/json")
