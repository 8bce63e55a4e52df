"""Webhook endpoints and their delivery log, in each tenant's schema.

The delivery log keeps one row per (endpoint, event), updated on every try, and at
most :data:`LOG_PER_ENDPOINT` rows per endpoint: the oldest go as new ones come
(:func:`jimucrm.addons.webhooks.delivery.record`). A bound by count rather than by
age keeps a busy endpoint's table small and a quiet one's history long.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jimucrm.core.models import TenantBase
from jimucrm.security.audit.models import NOT_AUDITED
from jimucrm.security.keys import EncryptedText

URL_LENGTH = 2000
DESCRIPTION_LENGTH = 200
ERROR_LENGTH = 300
#: Delivery log rows kept per endpoint.
LOG_PER_ENDPOINT = 1000
#: ``events`` holding this subscribes the endpoint to every event.
ALL_EVENTS = "*"


class WebhookEndpoint(TenantBase):
    """A URL that receives the tenant's events it subscribes to, signed with ``secret``."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(URL_LENGTH))
    description: Mapped[str] = mapped_column(String(DESCRIPTION_LENGTH), server_default="")
    # Event names, or ["*"] for every event (including ones declared later).
    events: Mapped[list[str]] = mapped_column(JSONB)
    # Recovered to sign each delivery, so encrypted (not hashed) with the tenant's data
    # key; the audit log records that it changed, never its value.
    secret: Mapped[str] = mapped_column(EncryptedText())
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    secret_rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def subscribes(self, event: str) -> bool:
        return ALL_EVENTS in self.events or event in self.events


class WebhookDelivery(TenantBase):
    """What happened to one event at one endpoint: tries, last answer, next retry."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_deliveries_endpoint_id_id", "endpoint_id", "id"),
        # The outbox's bookkeeping is not audited either; this is its mirror.
        {"info": NOT_AUDITED},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey(WebhookEndpoint.id, ondelete="CASCADE"))
    # The delivery id receivers see (X-Jimu-Delivery): the event's id in the outbox.
    event_id: Mapped[int] = mapped_column(BigInteger)
    event_name: Mapped[str] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    status_code: Mapped[int | None] = mapped_column(Integer)
    # Short and free of secrets: a status line or an exception's class and message.
    error: Mapped[str | None] = mapped_column(String(ERROR_LENGTH))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    next_retry_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                      server_default=func.now())
