"""Models under record rules and field permissions, and the permissions they bring."""

from __future__ import annotations

from dataclasses import dataclass

from pyramid.config import Configurator
from pyramid.i18n import TranslationString
from pyramid.registry import Registry

from jimucrm.core.i18n import _
from jimucrm.core.interfaces import IAddonCatalogue

# The roles every tenant gets at provisioning. Administrators (``User.is_admin``)
# hold every permission and need no role.
MANAGER = "manager"
STAFF = "staff"

# What ``add_model_permissions`` declares for a model, and who gets each by default.
MODEL_ACTIONS = {
    "view": (_("View"), (MANAGER, STAFF)),
    "create": (_("Create"), (MANAGER, STAFF)),
    "edit": (_("Edit"), (MANAGER, STAFF)),
    "delete": (_("Delete"), (MANAGER,)),
    "export": (_("Export"), (MANAGER,)),
}


@dataclass(frozen=True)
class ProtectedModel:
    """A model under record rules and field permissions."""

    key: str
    model: type
    title: TranslationString
    owner: str | None
    permission_prefix: str
    addon: str | None

    def fields(self) -> list[tuple[str, TranslationString | str]]:
        """(attribute, label) of the columns a role may restrict: those with a ``label``."""
        return [(column.key, column.info["label"]) for column in self.model.__table__.columns
                if "label" in column.info]


def add_model_permissions(config: Configurator, model: type, prefix: str,
                          title: TranslationString, *, owner: str | None = "owner_id") -> None:
    """Config directive: put ``model`` under permissions, record rules and field rules.

    Declares ``<prefix>.view|create|edit|delete|export`` and registers the model
    so that :class:`~jimucrm.core.interfaces.IRecordRules` narrows its queries
    by the ``owner`` column (``None``: no owner, permissions alone decide) and
    :class:`~jimucrm.core.interfaces.IFieldAccess` answers for its columns that
    carry a ``label`` in their ``info``.
    """
    for action, (action_title, roles) in MODEL_ACTIONS.items():
        config.declare_permission(f"{prefix}.{action}",
                              _("${action}: ${model}",
                                mapping={"action": action_title, "model": title}),
                              group=title, roles=roles)
    # Table names are unique in a tenant schema, and stay put when code moves.
    key = model.__tablename__
    addon = config.registry.getUtility(IAddonCatalogue).addon_of(config.package_name)
    spec = ProtectedModel(key, model, title, owner, prefix, addon)

    def register() -> None:
        config.registry.jimu_protected_models[model] = spec

    config.action(("jimu.protected_model", key), register)


def protected_model(registry: Registry, model: type) -> ProtectedModel | None:
    """The record-rule registration of ``model``, or None."""
    return registry.jimu_protected_models.get(model)


def includeme(config: Configurator) -> None:
    config.registry.jimu_protected_models = {}
    config.add_directive("add_model_permissions", add_model_permissions)
