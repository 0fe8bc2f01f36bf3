"""Messages between cases: a step throws `case_message`; its targets are found when the step saves and one
`case_message` row per target is written in the step's transaction (the outbox). `deliver_case_messages`
delivers them later, each target in its own transaction, so no target can fail or hold up the sender.
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..core.case_records import CaseMessage
from ..core.db import begin_write
from ..core.errors import CaseFailed, ConflictError, InvalidState, NotFound
from ..core.messages import Msg
from ..core.models import AuditEvent, Case
from ..core.values import plain
from .case_context import where_fields
from .cases import send_message

CHILDREN, PARENT = "children", "parent"
INSERT_CASE_MESSAGE = CaseMessage.__table__.insert()


def handle_case_message(instance, payload) -> None:
    """The `case_message` message handler: check the payload now, write a row per target once the step's case
    row is written (so cases the same step started are among the targets)."""
    if not _well_formed(payload):
        raise ValueError(Msg("case_message.payload"))
    instance.after_write(lambda sender: queue(sender, payload))


def _well_formed(payload) -> bool:
    if not isinstance(payload, dict) or not isinstance(payload.get("name"), str) or not payload["name"]:
        return False
    to = payload.get("to")
    if to not in (CHILDREN, PARENT) and not (
            isinstance(to, dict) and isinstance(to.get("process"), str) and isinstance(to.get("where", {}), dict)):
        return False
    return isinstance(payload.get("payload", {}), dict) and isinstance(payload.get("each", {}), dict) \
        and isinstance(payload.get("key", ""), str)


def queue(sender, message: dict) -> int:
    """Write one pending row per running target of the message; how many."""
    now, case = sender.engine.now(), sender.case
    base, key, each = message.get("payload") or {}, message.get("key"), message.get("each") or {}
    count = 0
    for target_id, meta in targets(sender.session, case, message["to"]):
        extra = each.get(str((meta or {}).get(key))) if key else None
        sender.insert(INSERT_CASE_MESSAGE, {
            "sender_case_id": case.id, "target_case_id": target_id, "name": message["name"],
            "payload": plain({**base, **extra} if isinstance(extra, dict) else base), "status": "pending",
            "error": None, "created_at": now, "created_by": sender.actor, "delivered_at": None})
        count += 1
    sender.audit("case_message_sent", message=message["name"], targets=count)
    return count


def targets(session: Session, case: Case, to) -> list[tuple[int, dict]]:
    """The running cases `to` names, with their reportable fields, by id."""
    query = select(Case.id, Case.meta).where(Case.status == "running", Case.id != case.id)
    if to == CHILDREN:
        query = query.where(Case.parent_id == case.id)
    elif to == PARENT:
        if case.parent_id is None:
            return []
        query = query.where(Case.id == case.parent_id)
    else:
        query = where_fields(query.where(Case.process_key == to["process"]), to.get("where") or {})
    return [(row.id, row.meta) for row in session.execute(query.order_by(Case.id))]


def deliver_case_messages(engine, session: Session, limit: int = 500) -> int:
    """Deliver pending messages, oldest first, each target in its own transaction; how many were handled.

    A row is claimed (FOR UPDATE SKIP LOCKED on PostgreSQL) and marked in the target's own transaction, so
    several deliverers at once deliver each message once. A target not waiting for the message is marked
    `not_waiting` (with an event on the target); a target whose diagram fails goes to error and is marked
    `failed`; a target that changed meanwhile is tried again next time.
    """
    pending = list(session.scalars(select(CaseMessage.id).where(CaseMessage.status == "pending")
                                   .order_by(CaseMessage.id).limit(limit)))
    session.rollback()
    handled = 0
    for message_id in pending:
        handled += _deliver(engine, session, message_id)
    session.rollback()
    return handled


def _claim(session: Session, message_id: int) -> CaseMessage | None:
    begin_write(session)
    message = session.scalar(
        select(CaseMessage).where(CaseMessage.id == message_id, CaseMessage.status == "pending")
        .with_for_update(skip_locked=True).execution_options(populate_existing=True))
    if message is None:         # another deliverer has it, or has delivered it
        session.rollback()
    return message


def _deliver(engine, session: Session, message_id: int) -> int:
    message = _claim(session, message_id)
    if message is None:
        return 0
    target, name, payload, sender = message.target_case_id, message.name, message.payload, message.created_by

    def mark_delivered(instance) -> None:
        _mark(instance.session, message_id, "delivered", None, engine.now())

    try:
        send_message(engine, session, target, name, payload, actor=sender, after_save=mark_delivered)
    except ConflictError:
        session.rollback()
        return 0
    except (InvalidState, NotFound) as exc:
        _settle(engine, session, message_id, "not_waiting", exc.msg.dumps(), target, name)
    except CaseFailed as exc:
        _settle(engine, session, message_id, "failed", exc.msg.dumps(), None, name)
    return 1


def _settle(engine, session: Session, message_id: int, status: str, error: str, target: int | None,
            name: str) -> None:
    """Mark an undelivered message (and note on a target that was not waiting that it came)."""
    if _claim(session, message_id) is None:
        return
    _mark(session, message_id, status, error, None)
    if target is not None and session.get(Case, target) is not None:
        session.add(AuditEvent(case_id=target, actor="system", at=engine.now(), action="case_message_not_waiting",
                               detail={"message": name, "message_id": message_id}))
    session.commit()


def _mark(session: Session, message_id: int, status: str, error: str | None, at) -> None:
    done = session.execute(update(CaseMessage).where(CaseMessage.id == message_id, CaseMessage.status == "pending")
                           .values(status=status, error=error, delivered_at=at))
    if done.rowcount != 1:
        raise ConflictError(Msg("case.changed"), message=message_id)
