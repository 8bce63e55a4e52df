"""Settings pages: /settings/webhooks (permission ``webhooks.manage``)."""

from __future__ import annotations

from datetime import UTC, datetime

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import func, select

from jimucrm.core.i18n import _
from jimucrm.core.interfaces import IAddonCatalogue
from jimucrm.core.outbox import event_handlers
from jimucrm.core.urls import matched_id

from . import guard
from .delivery import emit_test
from .forms import EndpointForm, validate
from .models import ALL_EVENTS, WebhookDelivery, WebhookEndpoint
from .signing import algorithm, mask, new_secret

TEMPLATES = "jimucrm.addons.webhooks:templates/"
PERMISSION = "webhooks.manage"
RECENT_DELIVERIES = 50


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def tenant_events(request: Request) -> list[str]:
    """The events an endpoint of this tenant may subscribe to: core's and its addons'."""
    catalogue = request.registry.getUtility(IAddonCatalogue)
    enabled = request.tenant.addons
    names = []
    for name in event_handlers(request.registry).broadcast_events():
        point = catalogue.points.get(name)
        provider = point.provider if point is not None else None
        if provider not in catalogue.manifests or provider in enabled:
            names.append(name)
    return names


def _endpoint(request: Request) -> WebhookEndpoint:
    endpoint = request.dbsession.get(WebhookEndpoint, matched_id(request))
    if endpoint is None:
        raise HTTPNotFound()
    return endpoint


def _status(delivery: WebhookDelivery | None) -> dict | None:
    if delivery is None:
        return None
    if delivery.delivered_at is not None:
        state, title = "delivered", _("Delivered")
    elif delivery.next_retry_at is not None:
        state, title = "retrying", _("Retrying")
    else:
        state, title = "failed", _("Failed")
    return {"state": state, "title": title, "event": delivery.event_name,
            "event_id": delivery.event_id, "attempts": delivery.attempts,
            "status_code": delivery.status_code, "error": delivery.error or "",
            "duration_ms": delivery.duration_ms, "next_retry": _when(delivery.next_retry_at),
            "delivered": _when(delivery.delivered_at), "last": _when(delivery.last_attempt_at)}


@view_config(route_name="webhooks", permission=PERMISSION, tenant=True,
             request_method="GET", renderer=TEMPLATES + "endpoints.pt")
def endpoints(request: Request) -> dict:
    session = request.dbsession
    rows = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.url, WebhookEndpoint.description,
               WebhookEndpoint.events, WebhookEndpoint.is_active)
        .order_by(WebhookEndpoint.id)).all()
    latest = select(func.max(WebhookDelivery.id)).group_by(WebhookDelivery.endpoint_id)
    last = {delivery.endpoint_id: delivery for delivery in session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.id.in_(latest)))}
    return {"endpoints": [{"id": row.id, "url": row.url, "description": row.description,
                           "events": row.events, "active": row.is_active,
                           "last": _status(last.get(row.id))} for row in rows]}


def _form_page(request: Request, form: EndpointForm, endpoint: WebhookEndpoint | None) -> dict:
    known = tenant_events(request)
    extra = [name for name in (endpoint.events if endpoint is not None else ())
             if name != ALL_EVENTS and name not in known]
    page = {"form": form, "event_names": known + extra, "all_events": ALL_EVENTS,
            "endpoint": None, "deliveries": [], "algorithm": algorithm(request.registry)}
    if endpoint is not None:
        deliveries = request.dbsession.scalars(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc()).limit(RECENT_DELIVERIES)).all()
        page["endpoint"] = {"id": endpoint.id, "active": endpoint.is_active,
                            "secret": mask(endpoint.secret),
                            "created": _when(endpoint.created_at),
                            "rotated": _when(endpoint.secret_rotated_at)}
        page["deliveries"] = [_status(delivery) for delivery in deliveries]
    return page


def _validate(request: Request, endpoint: WebhookEndpoint | None) -> EndpointForm:
    known = set(tenant_events(request))
    if endpoint is not None:
        known.update(endpoint.events)  # kept while the addon that declared them is off
    return validate(request.POST, known, lambda url: guard.check(request.registry, url))


@view_config(route_name="webhook_new", permission=PERMISSION, tenant=True,
             request_method="GET", renderer=TEMPLATES + "endpoint.pt")
def new_endpoint(request: Request) -> dict:
    return _form_page(request, EndpointForm(), None)


def _secret_page(request: Request, endpoint: WebhookEndpoint, secret: str) -> dict:
    request.override_renderer = TEMPLATES + "secret.pt"
    request.response.cache_control = "no-store"  # the one page that shows the secret
    return {"endpoint": {"id": endpoint.id, "url": endpoint.url}, "secret": secret,
            "algorithm": algorithm(request.registry)}


@view_config(route_name="webhook_new", permission=PERMISSION, tenant=True,
             request_method="POST", renderer=TEMPLATES + "endpoint.pt")
def create(request: Request) -> dict:
    form = _validate(request, None)
    if not form.valid:
        request.response.status_int = 400
        return _form_page(request, form, None)
    secret = new_secret()
    endpoint = WebhookEndpoint(url=form.url, description=form.description, events=form.events,
                               secret=secret, is_active=True,
                               created_by=request.identity.user_id)
    request.dbsession.add(endpoint)
    request.dbsession.flush()
    request.response.status_int = 201
    return _secret_page(request, endpoint, secret)


@view_config(route_name="webhook", permission=PERMISSION, tenant=True,
             request_method="GET", renderer=TEMPLATES + "endpoint.pt")
def show(request: Request) -> dict:
    endpoint = _endpoint(request)
    form = EndpointForm(url=endpoint.url, description=endpoint.description,
                        events=list(endpoint.events))
    return _form_page(request, form, endpoint)


@view_config(route_name="webhook", permission=PERMISSION, tenant=True,
             request_method="POST", renderer=TEMPLATES + "endpoint.pt")
def save(request: Request):
    endpoint = _endpoint(request)
    form = _validate(request, endpoint)
    if not form.valid:
        request.response.status_int = 400
        return _form_page(request, form, endpoint)
    endpoint.url, endpoint.description, endpoint.events = form.url, form.description, form.events
    _flash(request, _("Endpoint saved."))
    return HTTPSeeOther(request.route_url("webhook", id=endpoint.id))


def _flash(request: Request, message) -> None:
    request.session.flash(request.localizer.translate(message))


@view_config(route_name="webhook_action", permission=PERMISSION, tenant=True,
             request_method="POST", renderer=TEMPLATES + "secret.pt")
def action(request: Request):
    """``enable``, ``disable``, ``rotate`` (shows the new secret), ``test``, ``delete``."""
    endpoint = _endpoint(request)
    name = request.matchdict["action"]
    back = HTTPSeeOther(request.route_url("webhook", id=endpoint.id))
    if name in ("enable", "disable"):
        endpoint.is_active = name == "enable"
        _flash(request, _("Endpoint enabled.") if endpoint.is_active
               else _("Endpoint disabled: it receives nothing until it is enabled again."))
        return back
    if name == "rotate":
        secret = new_secret()
        endpoint.secret, endpoint.secret_rotated_at = secret, datetime.now(UTC)
        return _secret_page(request, endpoint, secret)
    if name == "test":
        if not endpoint.is_active:
            _flash(request, _("Enable the endpoint to send it a test event."))
            return back
        delivery = emit_test(request, endpoint)
        _flash(request, _("Test event ${id} queued; its delivery shows below in a moment.",
                          mapping={"id": delivery}))
        return back
    if name == "delete":
        request.dbsession.delete(endpoint)
        _flash(request, _("Endpoint deleted."))
        return HTTPSeeOther(request.route_url("webhooks"))
    raise HTTPNotFound()
