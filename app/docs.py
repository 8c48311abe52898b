"""The API's docs at /docs, with Swagger UI served from this server (the `swagger-ui-bundle-v2`
package), not from a CDN: the docs work on a machine with no internet."""

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from app.auth import PUBLIC, public

ASSETS = "/docs-assets"


def mount_docs(app: FastAPI) -> None:
    """Create the app with docs_url=None; this serves /docs and its assets instead."""
    assets = StaticFiles(directory=swagger_ui_path)
    app.mount(ASSETS, assets, name="docs-assets")
    app.router.routes[-1].__access__ = PUBLIC  # type: ignore[attr-defined]

    @app.get("/docs", include_in_schema=False)
    @public
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=str(app.openapi_url),
            title=f"{app.title} — API docs",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )
