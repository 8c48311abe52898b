"""The dashboard's built files, served at / (client-side routes fall back to index.html).

`frontend/dist` is what `just frontend-build` makes. It is looked for at each request, so a
build made while the API runs is served at once; without one, `/` says how to make it. The
API's own paths (`/api`, `/ws`, `/webhooks`, `/docs`, `/openapi.json`) never fall back: an
unknown one there stays an API answer (401 or 404), not the dashboard's page.
"""

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.routing import Match, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from app.auth import PUBLIC, is_admin_token, public
from app.config import settings
from app.errors import error_responses

DIST = Path(__file__).resolve().parents[1] / "frontend" / "dist"
# The API's own paths. `/webhooks` alone is the dashboard's page: the ingress is below it.
RESERVED = ("/api", "/ws", "/docs", "/docs-assets", "/redoc", "/openapi.json", "/assets")

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dashboard not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>The dashboard is not built yet</h1>
<p>Build it once with <code>just frontend-build</code> (or
<code>npm ci &amp;&amp; npm run build</code> in <code>frontend/</code>);
<code>just up</code> does it for you. This page then becomes the dashboard.</p>
<p>The API itself works meanwhile: see <a href="/docs">/docs</a>.</p>
</body></html>
"""


router = APIRouter(prefix="/api/dashboard", tags=["dashboard"])


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    token: str = Field(max_length=4096, description="The API token to check; empty to ask only.")


class SignInAnswer(BaseModel):
    token_required: bool
    valid: bool


@router.post("/sign-in", response_model=SignInAnswer, responses=error_responses(400, 413))
@public
def check_sign_in(body: SignIn) -> SignInAnswer:
    """Whether the API needs a token, and whether this one is it, answered 200 either way: the
    sign-in screen asks here so that a wrong token is not an error in the browser's console.
    It tells no more than a 401 from any route would."""
    if settings.AUTH_DISABLED:
        return SignInAnswer(token_required=False, valid=True)
    return SignInAnswer(token_required=True, valid=is_admin_token(body.token))


def _reserved(path: str) -> bool:
    return path.startswith("/webhooks/") or any(
        path == prefix or path.startswith(prefix + "/") for prefix in RESERVED
    )


class ClientRoute(Route):
    """A route for every path of the app's own pages: none of the API's prefixes."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and _reserved(scope["path"]):
            return Match.NONE, {}
        return super().matches(scope)


class HashedAssets(StaticFiles):
    """Vite names each asset by its content hash: a browser may keep it for good."""

    async def check_config(self) -> None:
        """Checked at each request instead: the build may come after the API started."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if not DIST.joinpath("assets").is_dir():  # not built (yet): nothing here, not a 500
            return PlainTextResponse("Not Found", status_code=404)
        return await super().get_response(path, scope)

    def file_response(self, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


@public
async def client_page(request: Request) -> Response:
    """index.html for every client-side route; a top-level file of the build if it is one."""
    index = DIST / "index.html"
    if not index.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503)
    path = request.path_params.get("path", "")
    candidate = (DIST / path).resolve()
    if path and candidate.is_file() and candidate.is_relative_to(DIST):
        return FileResponse(candidate)
    return FileResponse(index, headers={"Cache-Control": "no-cache"})


def mount_dashboard(app: FastAPI) -> None:
    """Serve frontend/dist: /assets as static files, every other page path as index.html."""
    app.include_router(router)
    assets = Mount("/assets", app=HashedAssets(directory=DIST / "assets", check_dir=False))
    assets.__access__ = PUBLIC  # type: ignore[attr-defined]
    app.router.routes.append(assets)
    app.router.routes.append(
        ClientRoute("/{path:path}", client_page, methods=["GET"], include_in_schema=False)
    )
