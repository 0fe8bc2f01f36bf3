"""月度台账: every report a reader may open, for an organisation and a period, as one workbook and a Word summary
filled from the bundle's `forms/monthly_summary.docx` (in a child process with limits, as case documents are).

The scheduler builds the previous month's ledger on the first working day of each month (the working-day calendar,
China days) for each organisation whose staff hold a role some report names: one ledger per organisation, month
and set of reports its holders may open (holders who may open different reports get different ledgers, so nobody
receives a figure their role does not open). A row is claimed before it is built (unique per organisation, month
and set), so several schedulers build it once; a claim left `building` for an hour by a scheduler that died is taken
over. The stored ledgers are listed for whoever may open all their reports and has the organisation in their
subtree (the one rule's subtree clause)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from ..core.case_records import Notification
from ..core.errors import NotFound
from ..core.messages import Msg
from ..core.models import Organization, User
from ..core.report_records import MonthlyLedger
from ..core.scope import path_within, within
from ..core.vocabulary import MONTHLY_SUMMARY_FILE
from ..definitions.bundles import active_bundle, bundle_file
from ..records.document_worker import fill_in_child
from ..records.documents import limits
from . import reports

SUMMARY_TEMPLATE = f"forms/{MONTHLY_SUMMARY_FILE}"
STALE_CLAIM = timedelta(hours=1)


def month_span(first: date) -> tuple[date, date]:
    """The first and the last day of the month `first` lies in."""
    start = first.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)


def previous_month(day: date) -> tuple[date, date]:
    """The first and the last day of the month before the one `day` lies in."""
    return month_span(day.replace(day=1) - timedelta(days=1))


def first_working_day(calendar, day: date) -> date:
    """The first working day of the month `day` lies in."""
    found = day.replace(day=1)
    while not calendar.is_working_day(found):
        found += timedelta(days=1)
    return found


def is_first_working_day(calendar, day: date) -> bool:
    """Whether `day` is the first working day of its month (after New Year's or National Day holidays, later)."""
    return first_working_day(calendar, day) == day


def audience_of(keys) -> str:
    """The digest of a set of report keys (a ledger's uniqueness within its organisation and month)."""
    return hashlib.sha256(",".join(sorted(keys)).encode()).hexdigest()


@dataclass
class Audience:
    """The holders in one organisation who may open the same reports (`keys`, in the reports' order)."""

    org: Organization
    keys: list[str]
    holders: list[User] = field(default_factory=list)


def audiences(session: Session) -> list[Audience]:
    """Every organisation's active staff who may open at least one report, grouped by the reports they may open,
    in tree order."""
    found: dict[tuple, Audience] = {}
    users = session.scalars(select(User).join(Organization, User.org_id == Organization.id).where(User.active)
                            .order_by(Organization.path, User.username))
    for user in users:
        keys = [r["key"] for r in reports.readable(session, user)]
        if keys:
            found.setdefault((user.org_id, tuple(keys)), Audience(user.org, keys)).holders.append(user)
    return list(found.values())


def claim(session: Session, org_id: int, month: date, keys: list[str], now: datetime) -> MonthlyLedger | None:
    """The ledger row of the organisation, month and reports, claimed for building (committed), or None when
    another run has built it or is building it."""
    audience = audience_of(keys)
    session.add(MonthlyLedger(org_id=org_id, month=month, audience=audience, report_keys=list(keys),
                              status="building", created_at=now))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        taken = session.execute(update(MonthlyLedger).where(
            MonthlyLedger.org_id == org_id, MonthlyLedger.month == month, MonthlyLedger.audience == audience,
            MonthlyLedger.status == "building", MonthlyLedger.created_at < now - STALE_CLAIM).values(created_at=now))
        session.commit()
        if taken.rowcount != 1:
            return None
    return session.scalar(select(MonthlyLedger).where(MonthlyLedger.org_id == org_id, MonthlyLedger.month == month,
                                                      MonthlyLedger.audience == audience))


def finish(session: Session, ledger: MonthlyLedger, workbook: bytes, summary: bytes | None, error: Msg | None,
           now: datetime) -> None:
    """Store what was built (a summary whose template failed leaves `error`, the workbook stands) and commit."""
    ledger.workbook, ledger.summary, ledger.status, ledger.built_at = workbook, summary, "ready", now
    ledger.error = error.dumps() if error is not None else None
    session.commit()


def notify(session: Session, ledger: MonthlyLedger, users: list[User], now: datetime, link: str) -> None:
    """Tell the holders their ledger is ready (a notification bound to no case; e-mailed like the others)."""
    month = f"{ledger.month:%Y-%m}"
    for user in users:
        session.add(Notification(
            user_id=user.id, case_id=None, kind="monthly_ledger",
            title=Msg("notice.monthly_ledger", org=ledger.org.name, month=month).dumps(),
            body=Msg("notice.monthly_ledger_body", org=ledger.org.name, month=month).dumps(),
            link=link, created_at=now))
    session.commit()


def summary_document(session: Session, context: dict) -> bytes:
    """The Word summary: the active version's `forms/monthly_summary.docx` filled with the context, in a child
    process within the document limits; TemplateFailed (or NotFound, without a template) says why not."""
    bundle = active_bundle(session)
    if bundle is None:
        raise NotFound(Msg("monthly.no_template", path=SUMMARY_TEMPLATE), path=SUMMARY_TEMPLATE)
    try:
        template = bundle_file(session, bundle.id, SUMMARY_TEMPLATE)
    except NotFound:
        raise NotFound(Msg("monthly.no_template", path=SUMMARY_TEMPLATE), path=SUMMARY_TEMPLATE) from None
    return fill_in_child(template, context, limits())


def _mine(session: Session, user: User):
    """SQL: the stored ledgers of the user's subtree, newest month first, without their files."""
    return (select(MonthlyLedger).join(Organization, MonthlyLedger.org_id == Organization.id)
            .where(within(user), MonthlyLedger.status == "ready")
            .options(defer(MonthlyLedger.workbook), defer(MonthlyLedger.summary))
            .order_by(MonthlyLedger.month.desc(), Organization.path, MonthlyLedger.id))


def stored(session: Session, user: User, limit: int = 200, org_code: str | None = None) -> list[MonthlyLedger]:
    """The built ledgers the user may download: of the user's subtree (or of the subtree of `org_code`, one of it:
    NotFound for another, as the other statistics), holding only reports the user may open."""
    query = _mine(session, user)
    if org_code:
        query = query.where(path_within(Organization.path, reports.root_of(session, user, org_code).path))
    mine = {r["key"] for r in reports.readable(session, user)}
    return [found for found in session.scalars(query) if set(found.report_keys) <= mine][:limit]


def stored_one(session: Session, user: User, ledger_id: int) -> MonthlyLedger:
    """One built ledger the user may download; NotFound otherwise, as for one that does not exist."""
    found = session.scalar(_mine(session, user).where(MonthlyLedger.id == ledger_id))
    if found is None or not set(found.report_keys) <= {r["key"] for r in reports.readable(session, user)}:
        raise NotFound(Msg("monthly.not_found"), ledger=ledger_id)
    return found
