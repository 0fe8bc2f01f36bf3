"""Tables of what a case keeps and sends beyond its workflow state: documents, attachments, copies, notifications,
messages to other cases and recorded random draws."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import Base, Case, Moment


class Notification(Base):
    """An in-app message to one user (e-mailed too when SMTP is configured and the user has an address)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="notice")
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(Moment())
    read_at: Mapped[datetime | None] = mapped_column(Moment())
    emailed_at: Mapped[datetime | None] = mapped_column(Moment())


class CaseDocument(Base):
    """A document for a case, filled from a bundle template after the step that asked for it commits."""

    __tablename__ = "case_document"
    __table_args__ = (Index("ix_case_document_status", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), index=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("bundle.id"))
    name: Mapped[str] = mapped_column(String(200))
    template: Mapped[str] = mapped_column(String(500))
    filename: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="pending")     # pending, ready, failed
    context: Mapped[dict] = mapped_column(JSON, deferred=True)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Moment())
    created_by: Mapped[str] = mapped_column(String(64))
    # Who is filling a pending document, until when (see engine/records/document_claims.py).
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(Moment())


class CaseCopy(Base):
    """抄送: a case (or one of its tasks) sent to a user for information."""

    __tablename__ = "case_copy"
    __table_args__ = (Index("ix_case_copy_user", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    sent_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(Moment())
    read_at: Mapped[datetime | None] = mapped_column(Moment())

    case: Mapped[Case] = relationship()


class Attachment(Base):
    """A file uploaded for a form field; a task's data refers to it by id."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Moment())


class CaseMessage(Base):
    """A message one case sent to another (correlated by a key, or to its parent or participants), kept until
    it is delivered: each target runs in its own transaction, after the sender's step has committed."""

    __tablename__ = "case_message"
    __table_args__ = (Index("ix_case_message_status", "status", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sender_case_id: Mapped[int | None] = mapped_column(ForeignKey("case_instance.id", ondelete="SET NULL"))
    target_case_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")   # pending, delivered, not_waiting, failed
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Moment())
    created_by: Mapped[str] = mapped_column(String(64))
    delivered_at: Mapped[datetime | None] = mapped_column(Moment())


class RandomDraw(Base):
    """A recorded random draw (双随机): its pool, criteria and seed, so anyone can run it again and get the same
    result, and who ran it when."""

    __tablename__ = "random_draw"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(32))          # sample | assign
    algorithm: Mapped[str] = mapped_column(String(32))
    seed: Mapped[str] = mapped_column(String(128))
    pool: Mapped[dict] = mapped_column(JSON)
    criteria: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict] = mapped_column(JSON)
    drawn_by: Mapped[str] = mapped_column(String(64))
    drawn_at: Mapped[datetime] = mapped_column(Moment())
    published_at: Mapped[datetime | None] = mapped_column(Moment())
