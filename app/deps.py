"""Dependencies as Annotated aliases, so route signatures read as prose."""

from typing import Annotated

from fastapi import Depends, Response
from pydantic import BaseModel
from sqlmodel import Session

from app.db import get_session

# scope="function": the session ends when the handler returns, not after the response is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def answer(model: BaseModel, status_code: int = 200) -> Response:
    """A model as the JSON answer, serialised once: a route returning a Response skips
    FastAPI's second validation of its response_model (which still documents it)."""
    return Response(model.model_dump_json(), status_code, media_type="application/json")
