"""What each user keeps per list: the columns they chose and their saved filters.

``user_id`` has no foreign key: users belong to ``jimucrm.security``, and core's
tables are created before it. A user's rows are only ever read for that user.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jimucrm.core.models import TenantBase

# Preferences, not business records: the audit log leaves them out.
NOT_AUDITED = {"audited": False}


class ListColumns(TenantBase):
    """The columns a user chose for one list (by the model's key)."""

    __tablename__ = "list_columns"
    __table_args__ = ({"info": NOT_AUDITED},)

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    view: Mapped[str] = mapped_column(String(100), primary_key=True)
    columns: Mapped[list] = mapped_column(JSONB)


class SavedFilter(TenantBase):
    """A search and filters a user named, to apply again in one click."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("user_id", "view", "name"), {"info": NOT_AUDITED})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    view: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    params: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
