"""Model views: list, form, detail, delete and export pages generated from field metadata.

An addon describes a model once (labels and the rest in its columns' ``info``,
see :mod:`jimucrm.core.metadata`) and calls::

    config.add_model_views(Contact, name="contact", route_prefix="/contacts",
                           permission="contacts", title=_("Contacts"),
                           item_title=_("Contact"), default_sort=("name",))

to get a list with search, filters, sortable headers, pages, a choice of columns
and saved filters (both kept per user in core's ``core_views`` migration
branch), CSV and XLSX export, new/edit forms validated on the server, a detail
page with UI slots for panels (``<table>.detail``, then the generic
``record_detail`` of :mod:`jimucrm.core.panels`), and delete. Record rules
and field permissions (:class:`~jimucrm.core.interfaces.IRecordRules`,
:class:`~jimucrm.core.interfaces.IFieldAccess`) apply to every one of them.
"""

from __future__ import annotations

from pyramid.config import Configurator

from . import models  # noqa: F401 - the tables join the tenant metadata
from .spec import ModelViews, add_model_views, model_views

__all__ = ["ModelViews", "add_model_views", "includeme", "model_views"]


def includeme(config: Configurator) -> None:
    config.registry.jimu_model_views = {}
    config.add_migration_branch("core_views", "jimucrm.core.modelviews:migrations/versions")
    config.add_directive("add_model_views", add_model_views)
