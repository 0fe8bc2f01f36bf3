"""Tables of ledgers of imported records: one row per record of a ledger (its key, organisation, period day and
data with the measures computed at import), and one row per import of a file."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, Moment


class LedgerImport(Base):
    """One file imported into a ledger: who, when, under which bundle's definition, and what it added."""

    __tablename__ = "ledger_import"
    __table_args__ = (Index("ix_ledger_import_ledger", "ledger_key", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ledger_key: Mapped[str] = mapped_column(String(64))
    bundle_id: Mapped[int] = mapped_column(ForeignKey("bundle.id"))
    filename: Mapped[str] = mapped_column(String(300))
    actor: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(Moment())
    rows_added: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)


class LedgerRow(Base):
    """One record of a ledger, unique by its key; `data` holds its columns and measures."""

    __tablename__ = "ledger_row"
    __table_args__ = (UniqueConstraint("ledger_key", "key", name="uq_ledger_row_key"),
                      Index("ix_ledger_row_org_period", "ledger_key", "org_id", "period_on"))
    id: Mapped[int] = mapped_column(primary_key=True)
    ledger_key: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    period_on: Mapped[date] = mapped_column(Date)
    # JSONB on PostgreSQL: rules and filters read fields of thousands of rows, and JSONB is not parsed per read.
    data: Mapped[dict] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    digest: Mapped[str] = mapped_column(String(64))
    import_id: Mapped[int] = mapped_column(ForeignKey("ledger_import.id"))
    imported_at: Mapped[datetime] = mapped_column(Moment())
