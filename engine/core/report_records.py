"""Stored monthly ledgers (月度台账): the workbook and Word summary the scheduler builds for an organisation and a
month, one row per organisation, month and set of reports (the reports its holders may open), unique, so several
schedulers never build one twice."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import Base, Moment, Organization


class MonthlyLedger(Base):
    """One organisation's ledger of one month for the holders of one set of reports (`report_keys`; `audience` is
    their digest): `building` while a scheduler makes it, then `ready` (the summary may have failed: `error`)."""

    __tablename__ = "monthly_ledger"
    __table_args__ = (UniqueConstraint("org_id", "month", "audience", name="uq_monthly_ledger"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    month: Mapped[date] = mapped_column(Date)                 # the month's first day
    audience: Mapped[str] = mapped_column(String(64))
    report_keys: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="building")
    workbook: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    summary: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Moment())
    built_at: Mapped[datetime | None] = mapped_column(Moment())

    org: Mapped[Organization] = relationship()
