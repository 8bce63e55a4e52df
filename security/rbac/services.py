"""Record rules and field permissions, as the services core's views ask for."""

from __future__ import annotations

from pyramid.request import Request
from sqlalchemy import Select, false
from zope.interface import implementer

from jimucrm.core.interfaces import IFieldAccess, IRecordRules

from .permissions import ProtectedModel, protected_model


def _rule_target(request: Request, model: type) -> tuple[object, ProtectedModel | None]:
    """The identity, and the model's registration when its rows have owners."""
    identity = request.identity
    spec = protected_model(request.registry, model)
    if spec is not None and spec.owner is None:
        spec = None
    return identity, spec


@implementer(IRecordRules)
class RecordRules:
    """Own / team / all per role and model; the widest of a user's roles applies."""

    def scope(self, request: Request, model: type, action: str = "read") -> str:
        identity, spec = _rule_target(request, model)
        if identity is None:
            return "none"
        if identity.is_admin or spec is None:
            return "all"
        return identity.grants.scope(spec.key, action)

    def apply(self, request: Request, statement: Select, model: type,
              action: str = "read") -> Select:
        scope = self.scope(request, model, action)
        if scope == "all":
            return statement
        if scope == "none":
            return statement.where(false())
        identity, spec = _rule_target(request, model)
        owner = getattr(model, spec.owner)
        if scope == "own":
            return statement.where(owner == identity.user_id)
        return statement.where(owner.in_(sorted(identity.grants.team_user_ids)))

    def allows(self, request: Request, record: object, action: str = "read") -> bool:
        scope = self.scope(request, type(record), action)
        if scope in ("all", "none"):
            return scope == "all"
        identity, spec = _rule_target(request, type(record))
        owner_id = getattr(record, spec.owner)
        if scope == "own":
            return owner_id == identity.user_id
        return owner_id in identity.grants.team_user_ids


@implementer(IFieldAccess)
class FieldAccess:
    """Fields restricted by every one of a user's roles are read-only or hidden."""

    def _access(self, request: Request, model: type, name: str) -> str:
        identity = request.identity
        if identity is None:
            return "none"
        spec = protected_model(request.registry, model)
        if identity.is_admin or spec is None:
            return "write"
        return identity.grants.field_access(spec.key, name)

    def readable(self, request: Request, model: type, field: str) -> bool:
        return self._access(request, model, field) != "none"

    def writable(self, request: Request, model: type, field: str) -> bool:
        return self._access(request, model, field) == "write"
