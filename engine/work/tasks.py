"""Task operations around the workflow: claim, release, transfer (转办), delegate (委派) and resolve, urge (催办),
copy (抄送), comment and drafts. They change who holds a task, never the workflow itself; each is one
transaction with an audit event, and the people it concerns get an in-app notification. Whoever claims or is
handed a task may see its case from then on, wherever their organisation is (scope.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, lazyload

from ..core.case_records import CaseCopy, Notification
from ..core.db import begin_write
from ..core.errors import ConflictError, DataValidationError, FieldError, InvalidState, NotAllowed, NotFound
from ..core.messages import Msg
from ..core.models import AuditEvent, Case, HumanTask, Organization, Role, User, UserRole
from ..core.people import candidates, is_candidate
from ..core.scope import grant, reads_only, scoped_case, scoped_task, sees_case
from ..core.vocabulary import TRANSFER_ROLES_PROPERTY

MAX_NOTE = 2000
_NAME_IN_TITLE = 200       # a name within a notice's title, which is stored as a message in 300 characters


def _open_task(session: Session, task_id: int, user: User) -> HumanTask:
    begin_write(session)
    task = scoped_task(session, user, task_id, lock=True)
    if task.status != "ready":
        raise InvalidState(Msg("task.closed"), task=task_id, status=task.status)
    return task


def _colleague(session: Session, username: str, case: Case, field: str) -> User:
    """A user who may receive a case's task or copy: active, and able to see the case."""
    target = session.scalar(select(User).where(User.username == username, User.active))
    if target is None or not sees_case(session, target, case.id):
        raise DataValidationError(Msg("task.receiver_invalid"), [
            FieldError(field, Msg("task.receiver_cannot_see", username=username), "user")])
    return target


def receiving_roles(engine, task: HumanTask) -> list[str]:
    """The roles whose holders may receive the task (转办, 委派): its lane's role and the diagram's
    `transferRoles` for it, by code or name."""
    case = task.case
    spec, subs = engine.specs(case.definition_id, lambda: case.definition)
    props = next(((getattr(s, "extensions", None) or {}).get("properties") or {}
                  for p in (spec, *subs.values()) for s in p.task_specs.values()
                  if getattr(s, "bpmn_id", None) == task.element_id), {})
    roles = [task.lane] if task.lane else []
    return roles + [r.strip() for r in (props.get(TRANSFER_ROLES_PROPERTY) or "").split(",")
                    if r.strip() and r.strip() not in roles]


def _holders_of(roles: list[str]):
    return select(UserRole.user_id).join(Role).where(or_(Role.code.in_(roles), Role.name.in_(roles)))


def receivers(engine, session: Session, task: HumanTask) -> list[User]:
    """Who may be handed a task (转办, 委派): the active staff of the organisation that handles it who hold its
    lane's role or one of its `transferRoles`."""
    roles = receiving_roles(engine, task)
    if not roles or task.org_id is None:
        return []
    return list(session.scalars(select(User).where(User.active, User.org_id == task.org_id,
                                                   User.id.in_(_holders_of(roles))).order_by(User.username)))


def _receiver(engine, session: Session, username: str, task: HumanTask, field: str) -> User:
    """The named user if they may receive the task; refused naming them (and the roles) otherwise."""
    target = session.scalar(select(User).where(User.username == username, User.active))
    org = session.get(Organization, task.org_id) if task.org_id else None
    if target is None or target.org_id != task.org_id:
        raise DataValidationError(Msg("task.receiver_invalid"), [FieldError(
            field, Msg("task.receiver_not_staff", username=username, org=org.name if org else Msg("task.this_org")),
            "user")])
    roles = receiving_roles(engine, task)
    if not roles or session.scalar(_holders_of(roles).where(UserRole.user_id == target.id).limit(1)) is None:
        names = session.scalars(select(Role.name).where(or_(Role.code.in_(roles), Role.name.in_(roles)))
                                .order_by(Role.name)).all() or roles
        raise DataValidationError(Msg("task.receiver_invalid"), [FieldError(
            field, Msg("task.receiver_lacks_role", person=target.display_name, org=org.name,
                       roles=", ".join(dict.fromkeys(names))), "role")])
    return target


# ---------------------------------------------------------------- operations

def claim(engine, session: Session, task_id: int, user: User) -> HumanTask:
    """Take an unassigned task the user is a candidate for."""
    task = _open_task(session, task_id, user)
    if task.assignee_id is not None:
        holder = session.get(User, task.assignee_id)
        raise ConflictError(Msg("task.claimed_by_other", holder=holder.display_name), task=task_id)
    if not is_candidate(session, user, task):
        raise NotAllowed(Msg("task.not_candidate"), task=task_id)
    task.assignee_id = user.id
    grant(session, task.case_id, [user.username], engine.now(), "claimed")
    return _done(engine, session, task, user, "task_claimed")


def release(engine, session: Session, task_id: int, user: User) -> HumanTask:
    """Give a claimed task back to its candidates."""
    task = _open_task(session, task_id, user)
    if task.assignee_id != user.id:
        raise NotAllowed(Msg("task.release_not_holder"), task=task_id)
    if task.delegation == "pending":
        raise InvalidState(Msg("task.release_delegated"), task=task_id)
    task.assignee_id = None
    return _done(engine, session, task, user, "task_released")


def transfer(engine, session: Session, task_id: int, user: User, to: str, reason: str = "") -> HumanTask:
    """转办: hand the task to another person for good; it becomes theirs to complete."""
    task = _open_task(session, task_id, user)
    _require_holder(session, task, user)
    _require_note(reason, "reason", Msg("task.transfer_reason"))
    target = _receiver(engine, session, to, task, "to")
    if target.id == user.id:
        raise DataValidationError(Msg("task.receiver_invalid"), [FieldError("to", Msg("task.transfer_self"), "user")])
    task.assignee_id, task.owner_id, task.delegation = target.id, None, None
    grant(session, task.case_id, [target.username], engine.now(), "transferred")
    _notify(engine, session, task, target, "notice.transferred",
            Msg("notice.transferred_body", who=user.display_name, note=reason))
    return _done(engine, session, task, user, "task_transferred", to=target.username, reason=reason)


def delegate(engine, session: Session, task_id: int, user: User, to: str, note: str = "") -> HumanTask:
    """委派: ask another person to work on the task; when they resolve it, it comes back to the user."""
    task = _open_task(session, task_id, user)
    _require_holder(session, task, user)
    if task.delegation == "pending":
        raise InvalidState(Msg("task.already_delegated"), task=task_id)
    target = _receiver(engine, session, to, task, "to")
    if target.id == user.id:
        raise DataValidationError(Msg("task.receiver_invalid"), [FieldError("to", Msg("task.delegate_self"), "user")])
    task.owner_id, task.assignee_id, task.delegation = user.id, target.id, "pending"
    grant(session, task.case_id, [target.username], engine.now(), "delegated")
    _notify(engine, session, task, target, "notice.delegated",
            Msg("notice.delegated_body", who=user.display_name, note=note))
    return _done(engine, session, task, user, "task_delegated", to=target.username, note=note)


def resolve(engine, session: Session, task_id: int, user: User, note: str = "") -> HumanTask:
    """The delegate hands the task back to its owner (with any draft they saved)."""
    task = _open_task(session, task_id, user)
    if task.delegation != "pending" or task.assignee_id != user.id:
        raise NotAllowed(Msg("task.resolve_not_delegate"), task=task_id)
    owner = session.get(User, task.owner_id)
    task.assignee_id, task.delegation = owner.id, "resolved"
    _notify(engine, session, task, owner, "notice.resolved",
            Msg("notice.resolved_body", who=user.display_name, note=note))
    return _done(engine, session, task, user, "task_resolved", to=owner.username, note=note)


def urge(engine, session: Session, task_id: int, user: User, note: str = "") -> HumanTask:
    """催办: remind whoever holds the task (its assignee, else its candidates)."""
    task = _open_task(session, task_id, user)
    held_by = [session.get(User, task.assignee_id)] if task.assignee_id else candidates(session, task)
    if not held_by:
        raise InvalidState(Msg("task.nobody_to_urge"), task=task_id)
    if [p.id for p in held_by] == [user.id]:
        raise InvalidState(Msg("task.urge_self"), task=task_id)
    held_by = [p for p in held_by if p.id != user.id]     # a candidate who urges the others is not reminded
    task.urge_count = (task.urge_count or 0) + 1
    task.last_urged_at = engine.now()
    for person in held_by:
        _notify(engine, session, task, person, "notice.urged",
                Msg("notice.urged_body", who=user.display_name, note=note), kind="urge")
    return _done(engine, session, task, user, "task_urged", to=sorted(p.username for p in held_by), note=note)


def copy(engine, session: Session, case_id: int, user: User, to: list[str], note: str = "",
         task_id: int | None = None) -> list[CaseCopy]:
    """抄送: send a case (optionally one of its tasks) to people for their information."""
    begin_write(session)
    case = _acting_on(session, user, case_id)
    if not to:
        raise DataValidationError(Msg("task.copy_choose"), [
            FieldError("to", Msg("task.copy_at_least_one"), "required")])
    if task_id is not None and session.scalar(select(HumanTask.id).where(
            HumanTask.id == task_id, HumanTask.case_id == case_id)) is None:
        raise NotFound(Msg("task.not_found"), task=task_id)
    targets = [_colleague(session, name, case, "to") for name in dict.fromkeys(to)]
    now = engine.now()
    copies = [CaseCopy(case_id=case.id, task_id=task_id, user_id=t.id, sent_by=user.username, note=note,
                       created_at=now) for t in targets]
    session.add_all(copies)
    for target in targets:
        session.add(Notification(
            user_id=target.id, case_id=case.id, kind="copy",
            title=Msg("notice.copied", case=_case_label(case)).dumps(),
            body=Msg("notice.copied_body", who=user.display_name, note=note).dumps(), link=f"/cases/{case.id}",
            created_at=now))
    _audit(session, engine, case.id, None, user, "case_copied", to=[t.username for t in targets], note=note)
    session.commit()
    return copies


def comment(engine, session: Session, case_id: int, user: User, text: str, task_id: int | None = None) -> None:
    """A remark on the case's timeline, optionally on one of the case's own tasks (another case's is not found)."""
    begin_write(session)
    case = _acting_on(session, user, case_id)
    _require_note(text, "text", Msg("task.comment_empty"))
    uuid = None
    if task_id is not None:
        uuid = session.scalar(select(HumanTask.task_uuid).where(HumanTask.id == task_id, HumanTask.case_id == case.id))
        if uuid is None:
            raise NotFound(Msg("task.not_found"), task=task_id)
    _audit(session, engine, case.id, uuid, user, "commented", text=text.strip())
    session.commit()


def save_draft(engine, session: Session, task_id: int, user: User, data: dict) -> HumanTask:
    """Keep unfinished form data on the task, unchecked, for whoever completes it."""
    task = _open_task(session, task_id, user)
    if not is_candidate(session, user, task):
        raise NotAllowed(Msg("task.not_assignee"), task=task_id)
    if not isinstance(data, dict):
        raise DataValidationError(Msg("task.draft_object"), [FieldError("", Msg("task.draft_json_object"), "type")])
    task.draft = data
    return _done(engine, session, task, user, "draft_saved", keys=sorted(data))


def read_copy(session: Session, user: User, copy_id: int, now: datetime) -> None:
    """Mark a copy sent to the user as read."""
    found = session.get(CaseCopy, copy_id)
    if found is None or found.user_id != user.id:
        raise NotFound(Msg("copy.not_found"), copy=copy_id)
    if found.read_at is None:
        found.read_at = now
    session.commit()


def _acting_on(session: Session, user: User, case_id: int) -> Case:
    """A case the user may see and act on: one they read only by a copy sent to them is refused."""
    case = scoped_case(session, user, case_id)
    if reads_only(session, user, case):
        session.rollback()
        raise NotAllowed(Msg("case.read_only"), case=case_id)
    return case


def _require_holder(session: Session, task: HumanTask, user: User) -> None:
    """The user holds the task: its assignee, or a candidate of an unassigned task."""
    if task.assignee_id is not None and task.assignee_id != user.id:
        raise NotAllowed(Msg("task.not_yours"), task=task.id)
    if task.assignee_id is None and not is_candidate(session, user, task):
        raise NotAllowed(Msg("task.not_assignee"), task=task.id)


def _require_note(text: str, field: str, message: Msg) -> None:
    if not text or not text.strip():
        raise DataValidationError(message, [FieldError(field, message, "required")])
    if len(text) > MAX_NOTE:
        raise DataValidationError(Msg("note.too_long"), [FieldError(field, Msg("note.max_chars", limit=MAX_NOTE),
                                                                             "maxLength")])


def _notify(engine, session, task: HumanTask, user: User, title: str, body: Msg, kind: str = "task") -> None:
    """A notice about the task, titled by the code `title` with the task's name; stored as messages, so each
    reader sees it in their language."""
    session.add(Notification(
        user_id=user.id, case_id=task.case_id, kind=kind, title=Msg(title, task=task.name[:_NAME_IN_TITLE]).dumps(),
        body=body.dumps(), link=f"/tasks/{task.id}", created_at=engine.now()))


def _audit(session, engine, case_id, task_uuid, user: User, action: str, **detail) -> None:
    session.add(AuditEvent(case_id=case_id, task_uuid=task_uuid, actor=user.username, at=engine.now(),
                           action=action, detail=detail))


def _done(engine, session, task: HumanTask, user: User, action: str, **detail) -> HumanTask:
    _audit(session, engine, task.case_id, task.task_uuid, user, action, task=task.id, name=task.name, **detail)
    session.commit()
    return task


def _case_label(case: Case) -> Msg | str:
    return case.business_number or (case.title or "")[:_NAME_IN_TITLE] or Msg("case.label", id=case.id)


def colleagues(session: Session, case: Case) -> list[User]:
    """Everyone who may receive a copy of the case: active users whose subtree holds it, its own organisation's
    first, then those of the organisations above it, nearest first."""
    ancestors = [int(p) for p in case.org.path.strip("/").split("/") if p]
    found = session.scalars(select(User).where(User.active, User.org_id.in_(ancestors)).order_by(User.username)
                            .options(lazyload(User.roles)))        # names for a list: roles only if asked for
    return sorted(found, key=lambda u: -ancestors.index(u.org_id))

