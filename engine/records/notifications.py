"""Notifications: diagrams throw a `notify` message; the engine stores one row per recipient, in the step's
transaction, and e-mails them later when SMTP is configured."""
from __future__ import annotations

import smtplib
from dataclasses import dataclass
from typing import Callable
from email.message import EmailMessage

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..core.case_records import Notification
from ..core.messages import Msg, as_msg
from ..core.models import HumanTask, Role, User, UserRole
from ..core.people import candidates


def recipients(session: Session, case, to: str) -> list[User]:
    """Users a `to` address names: `user:<name>`, `lane:<role>` in the case's organisation, or
    `task:<element id>` (the open task's assignee, else its candidates)."""
    kind, _, name = str(to).partition(":")
    if kind == "user":
        return list(session.scalars(select(User).where(User.username == name, User.active)))
    if kind == "lane":
        return list(session.scalars(
            select(User).join(UserRole).join(Role)
            .where(User.org_id == case.org_id, User.active, or_(Role.name == name, Role.code == name))))
    if kind == "task":
        users: dict[int, User] = {}
        for task in session.scalars(select(HumanTask).where(
                HumanTask.case_id == case.id, HumanTask.element_id == name, HumanTask.status == "ready")
                .execution_options(populate_existing=True)):
            found = [session.get(User, task.assignee_id)] if task.assignee_id else candidates(session, task)
            users.update({u.id: u for u in found if u is not None})
        return list(users.values())
    raise ValueError(Msg("notify.bad_address", to=to))


def handle_notify(instance, payload) -> None:
    """The `notify` message handler: one notification per recipient of the payload's `to`."""
    if not isinstance(payload, dict) or "to" not in payload or "title" not in payload:
        raise ValueError(Msg("notify.payload"))
    targets = payload["to"] if isinstance(payload["to"], list) else [payload["to"]]
    users = {u.id: u for to in targets for u in recipients(instance.session, instance.case, to)}
    now = instance.engine.now()
    for user in users.values():
        instance.session.add(Notification(
            user_id=user.id, case_id=instance.case.id, kind=str(payload.get("kind", "notice")),
            title=str(payload["title"])[:300], body=str(payload.get("body", "")),
            link=f"/cases/{instance.case.id}", created_at=now))
    instance.audit("notified", title=str(payload["title"]), users=sorted(u.username for u in users.values()))


def unread(session: Session, user_id: int) -> list[Notification]:
    """A user's unread notifications, newest first."""
    return list(session.scalars(select(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)).order_by(Notification.id.desc())))


def mark_read(session: Session, user_id: int, notification_ids: list[int], now) -> int:
    """Mark some of a user's notifications read; return how many changed."""
    result = session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.id.in_(notification_ids), Notification.read_at.is_(None),
    ).values(read_at=now))
    session.commit()
    return result.rowcount


@dataclass
class SmtpSettings:
    """Where and as whom to send e-mail."""

    host: str
    port: int = 25
    sender: str = "lawflow@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False


def send_pending_email(session: Session, settings: SmtpSettings, now, base_url: str = "", limit: int = 200, *,
                       text: Callable[[Msg], str] = str) -> int:
    """E-mail notifications not yet sent to users who have an address; return how many were sent.

    Titles and bodies the engine wrote are stored messages: `text` puts each into the reader's language (the web
    passes its renderer; the default is the English developer text)."""
    pending = session.execute(
        select(Notification, User).join(User, Notification.user_id == User.id)
        .where(Notification.emailed_at.is_(None), User.email.is_not(None)).order_by(Notification.id).limit(limit)
    ).all()
    if not pending:
        return 0
    with smtplib.SMTP(settings.host, settings.port, timeout=30) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        for note, user in pending:
            message = EmailMessage()
            message["From"], message["To"] = settings.sender, user.email
            message["Subject"] = text(as_msg(note.title))
            message.set_content(text(Msg("notify.email", name=user.display_name, body=as_msg(note.body),
                                         link=f"{base_url}{note.link or ''}")))
            smtp.send_message(message)
            note.emailed_at = now
            session.commit()     # one by one: a failure later never re-sends what went out
    return len(pending)
