"""Typed SQLAlchemy 2 declarations: the engine's tables and nothing more."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    JSON, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, TypeDecorator, UniqueConstraint,
    false, true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Moment(TypeDecorator):
    """A timezone-aware moment, stored in UTC and read back aware on every database (SQLite included)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the engine stores aware moments only")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    """Declarative base of every engine table."""


class Organization(Base):
    """A node of the organisation tree (e.g. a bureau, an association and the units under them)."""

    __tablename__ = "organization"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    path: Mapped[str] = mapped_column(String(1000), index=True, default="/")
    # A deactivated organisation keeps its cases readable and receives no new ones (system administration).
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    parent: Mapped[Organization | None] = relationship(remote_side=[id])


class Role(Base):
    """A role a user may hold; a diagram lane names one."""

    __tablename__ = "role"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class UserRole(Base):
    """A role held by a user within the user's organisation."""

    __tablename__ = "user_role"
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id", ondelete="CASCADE"), primary_key=True)


class User(Base):
    """A person who signs in; belongs to one organisation."""

    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # Set when an administrator gives the password: the user chooses their own at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    org: Mapped[Organization] = relationship()
    roles: Mapped[list[Role]] = relationship(secondary="user_role", lazy="selectin")


class Bundle(Base):
    """An immutable, content-hashed version of every diagram, form and template."""

    __tablename__ = "bundle"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(Moment())
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    note: Mapped[str] = mapped_column(Text, default="")

    files: Mapped[list[BundleFile]] = relationship(back_populates="bundle", order_by="BundleFile.path")


class BundleFile(Base):
    """One file of a bundle, by its path under the project root (processes/…, forms/…)."""

    __tablename__ = "bundle_file"
    __table_args__ = (UniqueConstraint("bundle_id", "path"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("bundle.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)

    bundle: Mapped[Bundle] = relationship(back_populates="files")


class Publication(Base):
    """A bundle version made the active one; the newest publication decides what new cases run on."""

    __tablename__ = "publication"
    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("bundle.id", ondelete="CASCADE"), index=True)
    published_at: Mapped[datetime] = mapped_column(Moment())
    published_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")

    bundle: Mapped[Bundle] = relationship()


class BundleDraft(Base):
    """Unpublished edits of the definitions: a full file set started from a bundle version."""

    __tablename__ = "bundle_draft"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    base_bundle_id: Mapped[int | None] = mapped_column(ForeignKey("bundle.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Moment())
    updated_at: Mapped[datetime] = mapped_column(Moment())
    published_bundle_id: Mapped[int | None] = mapped_column(ForeignKey("bundle.id"))

    base: Mapped[Bundle | None] = relationship(foreign_keys=[base_bundle_id])
    published: Mapped[Bundle | None] = relationship(foreign_keys=[published_bundle_id])


class DraftFile(Base):
    """One file of a draft."""

    __tablename__ = "draft_file"
    __table_args__ = (UniqueConstraint("draft_id", "path"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("bundle_draft.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(500))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ProcessDefinition(Base):
    """A process of a bundle version, with its spec serialized once."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("bundle_id", "process_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("bundle.id", ondelete="CASCADE"), index=True)
    process_key: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(200))
    file_path: Mapped[str] = mapped_column(String(500))
    properties: Mapped[dict] = mapped_column(JSON, default=dict)
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)

    bundle: Mapped[Bundle] = relationship()


class Case(Base):
    """A running or finished instance of a process: what queries need, not the workflow state."""

    __tablename__ = "case_instance"
    # Date ranges at scale: ix_case_instance_created_org below (created_at, org_id, id; 0019 dropped the index of
    # created_at alone, its leading column).
    __table_args__ = (Index("ix_case_status_org", "status", "org_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(200), index=True)
    business_number: Mapped[str | None] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="running")
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[datetime] = mapped_column(Moment())
    updated_at: Mapped[datetime] = mapped_column(Moment())
    ended_at: Mapped[datetime | None] = mapped_column(Moment())
    next_timer_at: Mapped[datetime | None] = mapped_column(Moment())     # indexed with the status: see the end
    # Hash of the code a member of the public checks the case's progress with (never the code itself).
    access_code_hash: Mapped[str | None] = mapped_column(String(300))
    # The case that started this one as a participant (a campaign's case), if any. No foreign key: see 0007.
    parent_id: Mapped[int | None] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # The live (compacted) workflow state; deferred so listings never load it, written in the same UPDATE.
    state: Mapped[str] = mapped_column(Text, deferred=True, default="")
    # The text of the data the process declares searchable (`searchFields`), written at each step; the case search
    # reads it rather than the workflow state. Deferred: lists never load it.
    search_text: Mapped[str | None] = mapped_column(Text, deferred=True)

    definition: Mapped[ProcessDefinition] = relationship()
    org: Mapped[Organization | None] = relationship()

    # The runner bumps `version` on every mutation; the UPDATE is guarded by the old value.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class HumanTask(Base):
    """A user or manual task of a case, as the inbox sees it."""

    __tablename__ = "human_task"
    __table_args__ = (
        # Also serves lookups by case (with or without status): a second index would be one more to write per step.
        UniqueConstraint("case_id", "task_uuid"),
        Index("ix_human_task_inbox", "status", "org_id", "lane"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"))
    task_uuid: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(100))
    form: Mapped[str | None] = mapped_column(String(500))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    candidate_users: Mapped[list | None] = mapped_column(JSON(none_as_null=True))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(16), default="ready")
    created_at: Mapped[datetime] = mapped_column(Moment())
    due_at: Mapped[datetime | None] = mapped_column(Moment())
    due_provisional: Mapped[bool] = mapped_column(default=False)
    completed_at: Mapped[datetime | None] = mapped_column(Moment())
    completed_by: Mapped[str | None] = mapped_column(String(64))
    # 委派: while `delegation` is "pending" the task sits with a delegate and goes back to its owner after.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    delegation: Mapped[str | None] = mapped_column(String(16))
    draft: Mapped[dict | None] = mapped_column(JSON, deferred=True)
    urge_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_urged_at: Mapped[datetime | None] = mapped_column(Moment())

    case: Mapped[Case] = relationship()


# 0014: my tasks, in order; 0014: what I did, newest first; 0017: what I did, by when the task arrived (newest or
# oldest first). 0023: each only over the rows it is read for (an assignee, someone who completed the task), so a
# new task and its completion write no entry that no query reads.
_ASSIGNED, _DONE = HumanTask.assignee_id.isnot(None), HumanTask.completed_by.isnot(None)
Index("ix_human_task_assignee", HumanTask.assignee_id, HumanTask.status, HumanTask.due_at, HumanTask.id,
      postgresql_where=_ASSIGNED, sqlite_where=_ASSIGNED)
Index("ix_human_task_done", HumanTask.completed_by, HumanTask.completed_at, postgresql_where=_DONE, sqlite_where=_DONE)
Index("ix_human_task_done_created", HumanTask.completed_by, HumanTask.created_at, HumanTask.id,
      postgresql_where=_DONE, sqlite_where=_DONE)
# 0017: the ids of a date range's cases from the index alone (the case search takes a page's ids first).
Index("ix_case_instance_created_org", Case.created_at, Case.org_id, Case.id)
# 0017: the tasks I delegated (only a delegated task has an owner).
Index("ix_human_task_owner", HumanTask.owner_id, HumanTask.status,
      postgresql_where=HumanTask.owner_id.isnot(None), sqlite_where=HumanTask.owner_id.isnot(None))
# 0022: the timer sweep's claim (running cases due by now, earliest first) reads a batch in this order, not every
# due case of a backlog for each batch.
Index("ix_case_instance_timer_due", Case.status, Case.next_timer_at, Case.id)


class AuditEvent(Base):
    """Who did what, when, to which case and task; and which elements of the case's path that finished."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), index=True)
    task_uuid: Mapped[str | None] = mapped_column(String(36))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(Moment())
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    # The elements of the case's path this change finished, in order ({element_id, name, kind} each): the
    # path lives in the audit row the step writes anyway, not in rows of its own.
    steps: Mapped[list | None] = mapped_column(JSON(none_as_null=True), deferred=True)


class BusinessSequence(Base):
    """Counter behind business numbers, one per pattern and year."""

    __tablename__ = "business_sequence"
    pattern: Mapped[str] = mapped_column(String(200), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class CalendarYear(Base):
    """A year whose official holiday schedule an administrator has entered."""

    __tablename__ = "calendar_year"
    year: Mapped[int] = mapped_column(primary_key=True)
    entered_at: Mapped[datetime] = mapped_column(Moment())
    entered_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")


class CalendarDay(Base):
    """One day of an entered schedule: a holiday, or a make-up working day (调休)."""

    __tablename__ = "calendar_day"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("calendar_year.year", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))


class DirectoryEntry(Base):
    """An entry of a reference list diagrams and forms look things up in (e.g. registered practitioners)."""

    __tablename__ = "directory_entry"
    __table_args__ = (UniqueConstraint("kind", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(default=True)


class ApiToken(Base):
    """A bearer token for integrations, acting as one user; only its hash is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(Moment())
    last_used_at: Mapped[datetime | None] = mapped_column(Moment())
    revoked_at: Mapped[datetime | None] = mapped_column(Moment())
    # After this moment the token opens nothing (none: until revoked).
    expires_at: Mapped[datetime | None] = mapped_column(Moment())

    user: Mapped[User] = relationship()


class SignInSession(Base):
    """A signed-in page session, by the SHA-256 of the random id its cookie carries: deleting the row ends the
    session on every worker, even for a copy of the cookie."""

    __tablename__ = "sign_in_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(Moment())


class SignInFailure(Base):
    """One failed sign-in, counted against the account name typed and against the client's address."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (Index("ix_sign_in_failure_subject", "scope", "subject", "failed_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))          # account | address
    subject: Mapped[str] = mapped_column(String(200))
    failed_at: Mapped[datetime] = mapped_column(Moment(), index=True)


class RateLimitCounter(Base):
    """A rate limit's counter for one key (client address, account name…) and its window, shared by every worker
    and server through the database (web/rate_limits.py: Flask-Limiter's storage)."""

    __tablename__ = "rate_limit_counter"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, index=True)     # seconds since the epoch, as limits counts


class CaseAccess(Base):
    """A user named on one of a case's tasks (a candidate the case names, its assignee, a delegate or
    transferee), who may see that case wherever their own organisation is; kept after the task is done, for the
    record they worked on (scope.py)."""

    __tablename__ = "case_access"
    # Keyed by user first: the scope clause asks "which cases name this user".
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    granted_at: Mapped[datetime] = mapped_column(Moment())
    reason: Mapped[str] = mapped_column(String(16))          # named | claimed | transferred | delegated | assigned
