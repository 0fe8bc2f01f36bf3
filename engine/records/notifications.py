"""Notifications: diagrams throw a `notify` message; the engine stores one row per recipient, in the step's
transaction, and e-mails them later when SMTP is configured."""
from __future__ import annotations

import smtplib
from dataclasses import dataclass
from typing import Callable
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..core.case_records import Notification
from ..core.messages import Msg, as_msg
from ..core.models import User
from ..core.recipients import RecipientError, resolve_all


def recipients(session: Session, case, to, data: dict | None = None) -> list[User]:
    """Users a `to` address (or a list of them) names, by the one recipient syntax (core/recipients.py)."""
    try:
        return resolve_all(session, case, to, data)
    except RecipientError as exc:
        raise ValueError(exc.msg) from None


def handle_notify(instance, payload) -> None:
    """The `notify` message handler: one notification per recipient of the payload's `to`."""
    if not isinstance(payload, dict) or "to" not in payload or "title" not in payload:
        raise ValueError(Msg("notify.payload"))
    users = recipients(instance.session, instance.case, payload["to"], instance.current_data())
    now = instance.engine.now()
    for user in users:
        instance.session.add(Notification(
            user_id=user.id, case_id=instance.case.id, kind=str(payload.get("kind", "notice")),
            title=str(payload["title"])[:300], body=str(payload.get("body", "")),
            link=f"/cases/{instance.case.id}", created_at=now))
    instance.audit("notified", title=str(payload["title"]), users=sorted(u.username for u in users))


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
