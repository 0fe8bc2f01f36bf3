"""The stored summary of the reports' figures (issue 20, engine/work/report_summary.py): per report definition,
organisation, China month and group value, the two sums a case measure or an on-time rate is made of; which
months of an organisation's cases of a process are summarised, and for which definitions; and the cases changed
since (marked by database triggers in the same transaction as the change, migration 0019), whose months the
reports count live until the summary is refreshed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, HumanTask, Moment


class SummaryRow(Base):
    """One measure's two sums ([hits, base], [sum, cases with a number], [on time, completed]) of one report
    definition (by the digest of what it counts) over an organisation's own cases received in a month, by raw
    group value."""

    __tablename__ = "report_summary"
    definition_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    measure: Mapped[str] = mapped_column(String(200), primary_key=True)
    group_key: Mapped[str] = mapped_column(Text, primary_key=True)
    hits: Mapped[float] = mapped_column(Float)
    base: Mapped[float] = mapped_column(Float)


class SummaryUnit(Base):
    """An organisation's own cases of a process received in a month, summarised at `summarised_at` for the
    report definitions `definitions` (their digests); the row is the lock a refresh takes."""

    __tablename__ = "report_summary_unit"
    process_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    org_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    definitions: Mapped[list] = mapped_column(JSON, default=list)
    summarised_at: Mapped[datetime | None] = mapped_column(Moment())


class SummaryStale(Base):
    """A case changed (or one of its steps) since its month was summarised: written by the triggers, with the
    organisation and month it counted in before the change too when those moved."""

    __tablename__ = "report_summary_stale"
    __table_args__ = (Index("ix_report_summary_stale_unit", "process_key", "org_id", "month"),)
    case_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200))


# The open steps the reports count live over summarised months (few rows: only the open cases').
Index("ix_human_task_ready_step", HumanTask.element_id, HumanTask.due_at, HumanTask.case_id,
      postgresql_where=HumanTask.status == "ready", sqlite_where=HumanTask.status == "ready")
Index("ix_human_task_open_step", HumanTask.element_id, HumanTask.case_id,
      postgresql_where=HumanTask.completed_at.is_(None), sqlite_where=HumanTask.completed_at.is_(None))
