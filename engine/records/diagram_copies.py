"""抄送 from a diagram: a step throws `copy`; each recipient gets a copy of the case (listed under 抄送我的), a notice,
and leave to read the case from then on wherever their organisation is (a `case_access` row, scope.py), all in the
step's transaction and audited. Reading is all a copy grants: completing a task still asks the candidate rule."""
from __future__ import annotations

from sqlalchemy import select

from ..core.case_records import CaseCopy, Notification
from ..core.messages import Msg
from ..core.scope import COPIED, grant
from .notifications import recipients

_NAME_IN_TITLE = 200


def handle_copy(instance, payload) -> None:
    """The `copy` message handler: a copy of the case for each recipient of the payload's `to` who holds no unread
    copy of it with the same note already (so a step run again copies no one twice)."""
    if not isinstance(payload, dict) or "to" not in payload:
        raise ValueError(Msg("copy.payload"))
    session, case = instance.session, instance.case
    users = recipients(session, case, payload["to"], instance.current_data())
    note = str(payload.get("note") or "")
    held = set(session.scalars(select(CaseCopy.user_id).where(
        CaseCopy.case_id == case.id, CaseCopy.read_at.is_(None), CaseCopy.note == note,
        CaseCopy.user_id.in_([u.id for u in users]))))
    fresh = [u for u in users if u.id not in held]
    now = instance.engine.now()
    label = case.business_number or (case.title or "")[:_NAME_IN_TITLE] or Msg("case.label", id=case.id)
    for user in fresh:
        session.add(CaseCopy(case_id=case.id, task_id=None, user_id=user.id, sent_by=instance.actor, note=note,
                             created_at=now))
        session.add(Notification(
            user_id=user.id, case_id=case.id, kind="copy", title=Msg("notice.copied", case=label).dumps(),
            body=Msg("notice.copied_by_diagram", note=note).dumps(), link=f"/cases/{case.id}", created_at=now))
    grant(session, case.id, [u.username for u in fresh], now, COPIED)
    instance.audit("case_copied", to=sorted(u.username for u in fresh), note=note, by_diagram=True)

