from datetime import datetime

from sqlalchemy import DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from jimucrm.core.models import TenantBase


class Greeting(TenantBase):
    __tablename__ = "hello_greetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int]
    text: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
