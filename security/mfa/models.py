"""Each user's TOTP secret and recovery codes (in each tenant's schema)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, LargeBinary, func
from sqlalchemy.orm import Mapped, mapped_column

from jimucrm.core.models import TenantBase

from ..audit.models import NOT_AUDITED
from ..keys import EncryptedText

# Not captured row by row: enabling, disabling, regenerating and using a code are
# recorded as events of their own (see .service), without the noise of each row.


class UserTotp(TenantBase):
    """A user's authenticator secret; second factor on once ``confirmed_at`` is set."""

    __tablename__ = "user_totp"
    __table_args__ = ({"info": NOT_AUDITED},)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         unique=True)
    # Base32, encrypted with the tenant's data key (the audit log records changes only).
    secret: Mapped[str] = mapped_column(EncryptedText())
    # The newest 30-second time-step a code was accepted for: it and older ones are refused.
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UserRecoveryCode(TenantBase):
    """One single-use recovery code, kept as a digest only."""

    __tablename__ = "user_recovery_codes"
    __table_args__ = (Index("ix_user_recovery_codes_user_id", "user_id"), {"info": NOT_AUDITED})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[bytes] = mapped_column(LargeBinary, info={"sensitive": True})
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
