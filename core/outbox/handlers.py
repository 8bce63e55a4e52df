"""Which events exist and who handles them: the ``add_domain_event`` and
``add_event_handler`` directives."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pyramid.config import Configurator
from pyramid.registry import Registry

from jimucrm.core.addons import AddonGraphError, dotted_name
from jimucrm.core.interfaces import IAddonCatalogue

from .interfaces import IEventHandler

EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
HANDLER_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
MAX_EVENT_NAME, MAX_HANDLER_NAME = 100, 200
#: ``add_event_handler(EVERY_EVENT, …)``: the handler gets every event declared with
#: ``wildcard=True`` (the default), including events declared after it, by any addon.
EVERY_EVENT = "*"


@dataclass(frozen=True)
class Handler:
    name: str
    event: str
    call: Callable
    addon: str | None  # None: core, tenants or security (every tenant)
    # Works outside the database (an HTTP call): never run again because another
    # handler of its relay batch failed (see relay._run_batch).
    external: bool = False


class EventHandlers:
    """The declared events and the handlers of each, kept on the registry."""

    def __init__(self) -> None:
        self.events: dict[str, str] = {}  # name -> docstring
        self.unbroadcast: set[str] = set()  # declared with wildcard=False
        self.by_name: dict[str, Handler] = {}
        self._by_event: dict[str, list[Handler]] = {}

    def add(self, handler: Handler) -> None:
        self.by_name[handler.name] = handler
        self._by_event.setdefault(handler.event, []).append(handler)

    def names_for(self, event: str, addons: Iterable[str]) -> list[str]:
        """The handlers of ``event`` that a tenant with ``addons`` enabled gets."""
        enabled = addons if isinstance(addons, (set, frozenset)) else set(addons)
        handlers = list(self._by_event.get(event, ()))
        if event not in self.unbroadcast:
            handlers += self._by_event.get(EVERY_EVENT, ())
        return [handler.name for handler in handlers
                if handler.addon is None or handler.addon in enabled]

    def broadcast_events(self) -> list[str]:
        """The declared events a ``"*"`` handler gets, sorted by name."""
        return sorted(set(self.events) - self.unbroadcast)

    def external(self, name: str) -> bool:
        """Whether the handler ``name`` works outside the database (False if unknown)."""
        handler = self.by_name.get(name)
        return handler is not None and handler.external


def event_handlers(registry: Registry) -> EventHandlers:
    return registry.jimu_event_handlers


def _owner(config: Configurator) -> str:
    catalogue = config.registry.getUtility(IAddonCatalogue)
    parts = config.package_name.split(".")
    return catalogue.addon_of(config.package_name) or (parts[1] if len(parts) > 1 else parts[0])


def add_domain_event(config: Configurator, name: str, doc: str, *,
                     wildcard: bool = True) -> None:
    """Config directive: declare the outbox event ``name`` (e.g. ``order.paid``).

    ``doc`` says when it is emitted and what its payload holds; ``jimu
    extension-points`` lists it as an event others may handle. Emitting or
    handling an undeclared name is an error, so a misspelt one is caught.
    ``wildcard=False`` keeps the event from handlers of every event (``"*"``):
    for an addon's own plumbing, such as the webhooks addon's one delivery per
    endpoint, which must not be fed back to the handler that emits it.
    """
    if not EVENT_NAME.fullmatch(name) or len(name) > MAX_EVENT_NAME:
        raise ValueError(f"event name {name!r}: expected dotted lower-case words such as "
                         f"'order.paid' (at most {MAX_EVENT_NAME} characters)")
    if not doc.strip():
        raise ValueError(f"event {name}: say in doc when it is emitted and what it carries")
    owner = _owner(config)
    config.registry.getUtility(IAddonCatalogue).declare_point(name, "event", doc, owner)

    def register() -> None:
        config.registry.jimu_event_handlers.events[name] = doc
        if not wildcard:
            config.registry.jimu_event_handlers.unbroadcast.add(name)

    config.action(("jimu.domain_event", name), register)


def add_event_handler(config: Configurator, event: str, handler: Callable, *,
                      name: str, external: bool = False) -> None:
    """Config directive: call ``handler(session, event)`` in a worker for each ``event``.

    ``name`` (e.g. ``dashboard.revenue``) identifies the handler in the outbox
    for good: keep it when the code moves, or deliveries pending under the old
    name will fail. See :class:`~.interfaces.IEventHandler` for the contract.

    ``event="*"`` (:data:`EVERY_EVENT`) subscribes to every declared event,
    whoever declares it and whenever, except those declared ``wildcard=False``;
    the handler reads the name from ``event.name``. ``external=True`` says the
    handler does work outside the database (an HTTP call): the relay then runs
    each handler of its batch in its own savepoint from the start, so that another
    handler's failure never makes it run again.
    """
    if not HANDLER_NAME.fullmatch(name) or len(name) > MAX_HANDLER_NAME:
        raise ValueError(f"handler name {name!r}: expected dotted lower-case words such as "
                         f"'dashboard.revenue' (at most {MAX_HANDLER_NAME} characters)")
    handler = config.maybe_dotted(handler)
    if not callable(handler):
        raise TypeError(f"handler {name}: {handler!r} is not callable")
    catalogue = config.registry.getUtility(IAddonCatalogue)
    entry = Handler(name, event, handler, catalogue.addon_of(config.package_name), external)
    owner = _owner(config)
    handler_point = catalogue.points.get(dotted_name(IEventHandler))
    if handler_point is not None:
        handler_point.subscribed_by.add(owner)

    def register() -> None:
        handlers = config.registry.jimu_event_handlers
        if event == EVERY_EVENT:
            handlers.add(entry)
            # Every declaration has run (order=1): the catalogue shows the subscriber.
            for declared in handlers.broadcast_events():
                catalogue.points[declared].subscribed_by.add(owner)
            return
        if event not in handlers.events:
            raise AddonGraphError(f"handler {name} of {owner} handles event {event!r}, which "
                                  f"nobody declares (config.add_domain_event)")
        handlers.add(entry)
        catalogue.points[event].subscribed_by.add(owner)

    # Runs after every declaration (order=1), whichever package was included first;
    # one name, one handler: a second registration of the name is a conflict.
    config.action(("jimu.event_handler", name), register, order=1)


def includeme(config: Configurator) -> None:
    config.registry.jimu_event_handlers = EventHandlers()
    config.add_directive("add_domain_event", add_domain_event)
    config.add_directive("add_event_handler", add_event_handler)
