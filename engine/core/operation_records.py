"""What the operators' checks read: each scheduler process's heartbeat, written by the process itself."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, Moment


class SchedulerHeartbeat(Base):
    """One scheduler process (`host:pid`): when it started and when it last said it was alive. Readiness asks for
    the newest beat of any of them; a process that ended leaves its row, which ages out."""

    __tablename__ = "scheduler_heartbeat"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(Moment())
    beat_at: Mapped[datetime] = mapped_column(Moment(), index=True)
