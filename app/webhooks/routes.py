"""Webhook HTTP routes: the ingress (public: the signature proves the sender) and the
configuration API (admin): webhooks, their commands, deliveries, templates."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse

from app.auth import BodyTooLarge, allow_tasks, public
from app.db import session_scope
from app.deps import SessionDep
from app.errors import error_responses
from app.webhooks import ingress, loop, service
from app.webhooks.models import Delivery, Outcome
from app.webhooks.schemas import (
    Command,
    DeliveryDetail,
    DeliveryList,
    DeliveryPublic,
    IngressAnswer,
    TemplateInstall,
    TemplateList,
    TemplatePublic,
    WebhookCreate,
    WebhookList,
    WebhookPublic,
    WebhookUpdate,
)
from app.webhooks.templates import TEMPLATES

ingress_router = APIRouter(prefix="/webhooks", tags=["webhooks"], lifespan=loop.lifespan)
router = APIRouter(prefix="/api/webhooks", tags=["webhooks"], responses=error_responses(401))

INGRESS_RESPONSES = {
    200: {"model": IngressAnswer, "description": "Recorded (accepted or duplicate)"},
    **error_responses(400, 401, 403, 404, 413),
}


async def _receive(request: Request, provider: str, webhook_id: str | None) -> JSONResponse:
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        body = await request.body()
    except BodyTooLarge as error:  # a chunked body past the limit: recorded, then refused
        await asyncio.to_thread(
            ingress.reject, provider, webhook_id, headers, b"", 413, str(error.detail)
        )
        raise
    answer = await asyncio.to_thread(ingress.receive, provider, webhook_id, headers, body)
    if answer.process:
        loop.schedule(answer.process)
    return JSONResponse(answer.body, answer.status)


@ingress_router.post("/{provider}", responses=INGRESS_RESPONSES)
@public
async def receive_default(provider: str, request: Request) -> JSONResponse:
    """The provider's default endpoint; its secret comes from settings (or the stored one)."""
    return await _receive(request, provider, None)


@ingress_router.post("/{provider}/{webhook_id}", responses=INGRESS_RESPONSES)
@public
async def receive(provider: str, webhook_id: str, request: Request) -> JSONResponse:
    return await _receive(request, provider, webhook_id)


# configuration: a dashboard or API task may manage webhooks (TASK_SCOPES "webhooks"), as the
# person who started it may; not the deliveries, whose bodies are strangers' text (a run must
# not read them as its own instructions) and whose redelivery re-runs a stranger's event.


@router.get("", response_model=WebhookList)
@allow_tasks("webhooks")
def list_webhooks(db: SessionDep) -> WebhookList:
    return WebhookList(items=[service.public(w) for w in service.list_webhooks(db)])


@router.post(
    "",
    response_model=WebhookPublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400, 409, 413),
)
@allow_tasks("webhooks")
def create_webhook(request: WebhookCreate, db: SessionDep) -> WebhookPublic:
    return service.public(service.create_webhook(db, request))


@router.get("/deliveries", response_model=DeliveryList)
def list_deliveries(
    db: SessionDep,
    webhook: str | None = None,
    provider: str | None = None,
    outcome: Outcome | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> DeliveryList:
    page = service.list_deliveries(
        db, webhook_id=webhook, provider=provider, outcome=outcome, limit=limit, offset=offset
    )
    items = [DeliveryPublic.model_validate(row, from_attributes=True) for row in page.items]
    return DeliveryList(
        items=items, total=page.total, total_exact=page.total_exact, limit=limit, offset=offset
    )


@router.get(
    "/deliveries/{delivery_id}", response_model=DeliveryDetail, responses=error_responses(404)
)
def get_delivery(delivery_id: str, db: SessionDep) -> DeliveryDetail:
    return service.delivery_detail(db, delivery_id)


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(404, 409),
)
async def redeliver(delivery_id: str) -> DeliveryPublic:
    copy = await asyncio.to_thread(_redeliver, delivery_id)
    loop.schedule(copy.id)
    return DeliveryPublic.model_validate(copy, from_attributes=True)


def _redeliver(delivery_id: str) -> Delivery:
    with session_scope() as db:
        return service.redeliver(db, delivery_id)


@router.get("/templates", response_model=TemplateList)
@allow_tasks("webhooks")
def list_templates() -> TemplateList:
    items = [
        TemplatePublic(
            name=t.name, provider=t.provider, description=t.description, commands=t.build()
        )
        for t in TEMPLATES.values()
    ]
    return TemplateList(items=items)


@router.post(
    "/templates/{name}",
    response_model=WebhookPublic,
    responses=error_responses(400, 404, 409, 413),
)
@allow_tasks("webhooks")
def install_template(
    name: str, db: SessionDep, request: TemplateInstall | None = None
) -> WebhookPublic:
    """Attach the template's commands to a webhook (an empty body: the provider's default)."""
    install = request or TemplateInstall()
    webhook = service.install_template(db, name, install.webhook_id, install.slack_channel)
    return service.public(webhook)


@router.get("/{webhook_id}", response_model=WebhookPublic, responses=error_responses(404))
@allow_tasks("webhooks")
def get_webhook(webhook_id: str, db: SessionDep) -> WebhookPublic:
    return service.public(service.get_webhook(db, webhook_id))


@router.patch(
    "/{webhook_id}", response_model=WebhookPublic, responses=error_responses(400, 404, 413)
)
@allow_tasks("webhooks")
def update_webhook(webhook_id: str, request: WebhookUpdate, db: SessionDep) -> WebhookPublic:
    return service.public(service.update_webhook(db, webhook_id, request))


@router.delete(
    "/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(404)
)
@allow_tasks("webhooks")
def delete_webhook(webhook_id: str, db: SessionDep) -> None:
    service.delete_webhook(db, webhook_id)


@router.put(
    "/{webhook_id}/commands",
    response_model=WebhookPublic,
    responses=error_responses(400, 404, 413),
)
@allow_tasks("webhooks")
def put_commands(webhook_id: str, commands: list[Command], db: SessionDep) -> WebhookPublic:
    """Add commands to a webhook, replacing those of the same names."""
    webhook = service.get_webhook(db, webhook_id)
    return service.public(service.put_commands(db, webhook, commands))


@router.delete(
    "/{webhook_id}/commands/{name}", response_model=WebhookPublic, responses=error_responses(404)
)
@allow_tasks("webhooks")
def delete_command(webhook_id: str, name: str, db: SessionDep) -> WebhookPublic:
    return service.public(service.delete_command(db, webhook_id, name))
