"""Bearer-token authentication for /api and /ws, compared in constant time."""

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Query, WebSocket, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.config import settings

_bearer = HTTPBearer(auto_error=False, description="API_TOKEN as a bearer token")


def token_is_valid(candidate: str | None) -> bool:
    if settings.AUTH_DISABLED:
        return True
    expected = settings.API_TOKEN.get_secret_value() if settings.API_TOKEN else ""
    if not candidate or not expected:
        return False
    return hmac.compare_digest(candidate.encode(), expected.encode())


def require_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    if settings.AUTH_DISABLED:
        return
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Missing bearer token: send 'Authorization: Bearer <API_TOKEN>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not token_is_valid(credentials.credentials):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Invalid bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )


def websocket_token(
    websocket: WebSocket, token: Annotated[str | None, Query()] = None
) -> str | None:
    """The WebSocket's token: the Authorization header, or ?token= (browsers cannot set headers)."""
    header = websocket.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return token


Authenticated = Depends(require_token)
