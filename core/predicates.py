"""View and route predicates shared by every package."""

from __future__ import annotations

from pyramid.config import Configurator


class TenantPredicate:
    """``tenant=True`` matches only requests routed to a tenant; ``False`` only others."""

    def __init__(self, value: bool, config: Configurator) -> None:
        self.value = bool(value)

    def text(self) -> str:
        return f"tenant = {self.value}"

    phash = text

    def __call__(self, context, request) -> bool:
        return (request.tenant is not None) is self.value


def includeme(config: Configurator) -> None:
    config.add_view_predicate("tenant", TenantPredicate)
    config.add_route_predicate("tenant", TenantPredicate)
