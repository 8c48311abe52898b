"""Dependencies as Annotated aliases, so route signatures read as prose."""

from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from app.db import get_session

# scope="function": the session ends when the handler returns, not after the response is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
