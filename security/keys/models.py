"""A tenant's data keys (in each tenant's schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, LargeBinary, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jimucrm.core.models import TenantBase

ACTIVE = "active"
RETIRING = "retiring"
RETIRED = "retired"
STATUSES = (ACTIVE, RETIRING, RETIRED)


class DataKey(TenantBase):
    """One version of the tenant's data key, wrapped by a master key.

    Exactly one version is ``active`` (encrypts new values); during a rotation the
    one before is ``retiring`` (still read, and searched); afterwards ``retired``
    (kept, so a value written late or restored from a backup can still be read).
    ``progress`` holds the rotation's position per table while it runs.
    """

    __tablename__ = "data_keys"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'retiring', 'retired')", name="status"),
        Index("uq_data_keys_active", "status", unique=True,
              postgresql_where=text("status = 'active'")),
        # Wrapped keys are no business of the audit log.
        {"info": {"audited": False}},
    )

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16))
    algorithm: Mapped[str] = mapped_column(String(32))
    master_key_id: Mapped[str] = mapped_column(String(64))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    check_value: Mapped[bytes] = mapped_column(LargeBinary)
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
