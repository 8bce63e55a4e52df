"""Field metadata read from SQLAlchemy columns, and validation built from it.

Views (:mod:`jimucrm.core.modelviews`), the REST API and exports all describe
a model through :func:`fields_of`, so a field declared once appears everywhere.
"""

from __future__ import annotations

from .fields import (
    EXACT,
    KINDS,
    PREFIX,
    WIDGETS,
    Field,
    MetadataError,
    Relation,
    field_of,
    fields_of,
)
from .validation import Validated, validate, validation_model

__all__ = ["EXACT", "KINDS", "PREFIX", "WIDGETS", "Field", "MetadataError", "Relation",
           "Validated",
           "field_of", "fields_of", "validate", "validation_model"]
