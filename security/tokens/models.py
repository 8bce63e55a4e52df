"""API tokens (in each tenant's schema): only a digest of the secret is kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jimucrm.core.models import TenantBase

from ..audit.models import NOT_AUDITED

NAME_LENGTH = 100


class ApiToken(TenantBase):
    __tablename__ = "api_tokens"
    # Creation and revocation are audited as events of their own (with the owner,
    # scopes and who revoked); row diffs would only repeat them, plus a last-use
    # update a minute.
    __table_args__ = {"info": NOT_AUDITED}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    # The public part of the token string: how a presented token is found.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary, info={"sensitive": True})
    # Permission names; the token holds those of them its owner still holds.
    scopes: Mapped[list[str]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_from: Mapped[str | None] = mapped_column(String(64))

    def status(self, now: datetime) -> str:
        """``active``, ``revoked`` or ``expired`` at ``now``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"
