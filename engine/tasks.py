"""Task operations around the workflow: claim, release, transfer (转办), delegate (委派) and resolve, urge (催办),
copy (抄送), comment and drafts. They change who holds a task, never the workflow itself; each is one
transaction with an audit event, and the people it concerns get an in-app notification."""
from __future__ import annotations

import json
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Text, and_, cast, distinct, func, or_, select, update
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from .bundles import bundle_file
from .cases import send_message, waiting_messages
from .db import begin_write
from .errors import ConflictError, DataValidationError, FieldError, InvalidState, NotAllowed, NotFound
from .models import (
    AuditEvent, BundleFile, Case, CaseCopy, HumanTask, Notification, Organization, ProcessDefinition, User,
)
from .people import candidates, is_candidate

MAX_NOTE = 2000
VIEWS = ("mine", "group", "done", "copies")


# ---------------------------------------------------------------- visibility

def can_see(user: User, case: Case) -> bool:
    """Whether the case lies in the user's organisation subtree."""
    return case.org is not None and case.org.path.startswith(user.org.path)


def visible_task(session: Session, task_id: int, user: User, *, lock: bool = False) -> HumanTask:
    """A task of a case the user may see; NotFound otherwise (never tells whether it exists elsewhere)."""
    query = (select(HumanTask, Organization.path).join(Case, HumanTask.case_id == Case.id)
             .join(Organization, Case.org_id == Organization.id).where(HumanTask.id == task_id)
             .execution_options(populate_existing=True))
    if lock:
        query = query.with_for_update(of=HumanTask)
    found = session.execute(query).first()
    if found is None or not found[1].startswith(user.org.path):
        raise NotFound("任务不存在", task=task_id)
    return found[0]


def _open_task(session: Session, task_id: int, user: User) -> HumanTask:
    begin_write(session)
    task = visible_task(session, task_id, user, lock=True)
    if task.status != "ready":
        raise InvalidState("任务已办结或已取消", task=task_id, status=task.status)
    return task


def _colleague(session: Session, username: str, case: Case, field: str) -> User:
    """A user who may receive a case's task or copy: active, and able to see the case."""
    target = session.scalar(select(User).where(User.username == username, User.active))
    if target is None or not can_see(target, case):
        raise DataValidationError("接收人无效", [FieldError(field, f"用户 {username} 不存在或无权查看本案件", "user")])
    return target


# ---------------------------------------------------------------- operations

def claim(engine, session: Session, task_id: int, user: User) -> HumanTask:
    """Take an unassigned task the user is a candidate for."""
    task = _open_task(session, task_id, user)
    if task.assignee_id is not None:
        holder = session.get(User, task.assignee_id)
        raise ConflictError(f"任务已由 {holder.display_name} 签收", task=task_id)
    if not is_candidate(session, user, task):
        raise NotAllowed("您不是该任务的候选办理人", task=task_id)
    task.assignee_id = user.id
    return _done(engine, session, task, user, "task_claimed")


def release(engine, session: Session, task_id: int, user: User) -> HumanTask:
    """Give a claimed task back to its candidates."""
    task = _open_task(session, task_id, user)
    if task.assignee_id != user.id:
        raise NotAllowed("只有签收人可以退回任务", task=task_id)
    if task.delegation == "pending":
        raise InvalidState("委派中的任务不能退回，请办理后交回委派人", task=task_id)
    task.assignee_id = None
    return _done(engine, session, task, user, "task_released")


def transfer(engine, session: Session, task_id: int, user: User, to: str, reason: str = "") -> HumanTask:
    """转办: hand the task to another person for good; it becomes theirs to complete."""
    task = _open_task(session, task_id, user)
    _require_holder(session, task, user)
    _require_note(reason, "reason", "请填写转办理由")
    target = _colleague(session, to, task.case, "to")
    if target.id == user.id:
        raise DataValidationError("接收人无效", [FieldError("to", "不能转办给自己", "user")])
    task.assignee_id, task.owner_id, task.delegation = target.id, None, None
    _notify(engine, session, task, target, f"转办：{task.name}", f"{user.display_name} 将任务转办给您。{reason}")
    return _done(engine, session, task, user, "task_transferred", to=target.username, reason=reason)


def delegate(engine, session: Session, task_id: int, user: User, to: str, note: str = "") -> HumanTask:
    """委派: ask another person to work on the task; when they resolve it, it comes back to the user."""
    task = _open_task(session, task_id, user)
    _require_holder(session, task, user)
    if task.delegation == "pending":
        raise InvalidState("任务正在委派中，不能再次委派", task=task_id)
    target = _colleague(session, to, task.case, "to")
    if target.id == user.id:
        raise DataValidationError("接收人无效", [FieldError("to", "不能委派给自己", "user")])
    task.owner_id, task.assignee_id, task.delegation = user.id, target.id, "pending"
    _notify(engine, session, task, target, f"委派：{task.name}", f"{user.display_name} 委派您办理，办理后请交回。{note}")
    return _done(engine, session, task, user, "task_delegated", to=target.username, note=note)


def resolve(engine, session: Session, task_id: int, user: User, note: str = "") -> HumanTask:
    """The delegate hands the task back to its owner (with any draft they saved)."""
    task = _open_task(session, task_id, user)
    if task.delegation != "pending" or task.assignee_id != user.id:
        raise NotAllowed("只有被委派人可以交回任务", task=task_id)
    owner = session.get(User, task.owner_id)
    task.assignee_id, task.delegation = owner.id, "resolved"
    _notify(engine, session, task, owner, f"委派已交回：{task.name}", f"{user.display_name} 已办理并交回。{note}")
    return _done(engine, session, task, user, "task_resolved", to=owner.username, note=note)


def urge(engine, session: Session, task_id: int, user: User, note: str = "") -> HumanTask:
    """催办: remind whoever holds the task (its assignee, else its candidates)."""
    task = _open_task(session, task_id, user)
    held_by = [session.get(User, task.assignee_id)] if task.assignee_id else candidates(session, task)
    if not held_by:
        raise InvalidState("该任务当前没有办理人可以催办", task=task_id)
    task.urge_count = (task.urge_count or 0) + 1
    task.last_urged_at = engine.now()
    for person in held_by:
        _notify(engine, session, task, person, f"催办：{task.name}", f"{user.display_name} 催办此任务。{note}",
                kind="urge")
    return _done(engine, session, task, user, "task_urged", to=sorted(p.username for p in held_by), note=note)


def copy(engine, session: Session, case_id: int, user: User, to: list[str], note: str = "",
         task_id: int | None = None) -> list[CaseCopy]:
    """抄送: send a case (optionally one of its tasks) to people for their information."""
    begin_write(session)
    case = _visible_case(session, case_id, user)
    if not to:
        raise DataValidationError("请选择抄送人", [FieldError("to", "至少选择一位抄送人", "required")])
    if task_id is not None and session.scalar(select(HumanTask.id).where(
            HumanTask.id == task_id, HumanTask.case_id == case_id)) is None:
        raise NotFound("任务不存在", task=task_id)
    targets = [_colleague(session, name, case, "to") for name in dict.fromkeys(to)]
    now = engine.now()
    copies = [CaseCopy(case_id=case.id, task_id=task_id, user_id=t.id, sent_by=user.username, note=note,
                       created_at=now) for t in targets]
    session.add_all(copies)
    for target in targets:
        session.add(Notification(user_id=target.id, case_id=case.id, kind="copy", title=f"抄送：{_case_label(case)}",
                                 body=f"{user.display_name} 抄送给您。{note}", link=f"/cases/{case.id}", created_at=now))
    _audit(session, engine, case.id, None, user, "case_copied", to=[t.username for t in targets], note=note)
    session.commit()
    return copies


def comment(engine, session: Session, case_id: int, user: User, text: str, task_id: int | None = None) -> None:
    """A remark on the case's timeline."""
    begin_write(session)
    case = _visible_case(session, case_id, user)
    _require_note(text, "text", "意见内容不能为空")
    uuid = session.scalar(select(HumanTask.task_uuid).where(HumanTask.id == task_id)) if task_id else None
    _audit(session, engine, case.id, uuid, user, "commented", text=text.strip())
    session.commit()


def save_draft(engine, session: Session, task_id: int, user: User, data: dict) -> HumanTask:
    """Keep unfinished form data on the task, unchecked, for whoever completes it."""
    task = _open_task(session, task_id, user)
    if not is_candidate(session, user, task):
        raise NotAllowed("您不是该任务的办理人", task=task_id)
    if not isinstance(data, dict):
        raise DataValidationError("草稿必须是对象", [FieldError("", "草稿必须是 JSON 对象", "type")])
    task.draft = data
    return _done(engine, session, task, user, "draft_saved", keys=sorted(data))


def read_copy(session: Session, user: User, copy_id: int, now: datetime) -> None:
    """Mark a copy sent to the user as read."""
    found = session.get(CaseCopy, copy_id)
    if found is None or found.user_id != user.id:
        raise NotFound("抄送不存在", copy=copy_id)
    if found.read_at is None:
        found.read_at = now
    session.commit()


def _visible_case(session: Session, case_id: int, user: User) -> Case:
    case = session.get(Case, case_id)
    if case is None or not can_see(user, case):
        raise NotFound("案件不存在", case=case_id)
    return case


def _require_holder(session: Session, task: HumanTask, user: User) -> None:
    """The user holds the task: its assignee, or a candidate of an unassigned task."""
    if task.assignee_id is not None and task.assignee_id != user.id:
        raise NotAllowed("该任务不在您名下", task=task.id)
    if task.assignee_id is None and not is_candidate(session, user, task):
        raise NotAllowed("您不是该任务的办理人", task=task.id)


def _require_note(text: str, field: str, message: str) -> None:
    if not text or not text.strip():
        raise DataValidationError(message, [FieldError(field, message, "required")])
    if len(text) > MAX_NOTE:
        raise DataValidationError("内容过长", [FieldError(field, f"不能超过 {MAX_NOTE} 个字", "maxLength")])


def _notify(engine, session, task: HumanTask, user: User, title: str, body: str, kind: str = "task") -> None:
    session.add(Notification(user_id=user.id, case_id=task.case_id, kind=kind, title=title[:300], body=body,
                             link=f"/tasks/{task.id}", created_at=engine.now()))


def _audit(session, engine, case_id, task_uuid, user: User, action: str, **detail) -> None:
    session.add(AuditEvent(case_id=case_id, task_uuid=task_uuid, actor=user.username, at=engine.now(),
                           action=action, detail=detail))


def _done(engine, session, task: HumanTask, user: User, action: str, **detail) -> HumanTask:
    _audit(session, engine, task.case_id, task.task_uuid, user, action, task=task.id, name=task.name, **detail)
    session.commit()
    return task


def _case_label(case: Case) -> str:
    return case.business_number or case.title or f"案件 {case.id}"


# ---------------------------------------------------------------- inbox

def _role_names(user: User) -> list[str]:
    return [r.name for r in user.roles] + [r.code for r in user.roles]


def _candidate_clause(user: User):
    """Unassigned ready tasks the user is a candidate for (named users, else the lane's role in the task's org)."""
    named = cast(HumanTask.candidate_users, Text).like(f'%"{_like_escape(user.username)}"%', escape="\\")
    by_role = and_(HumanTask.candidate_users.is_(None), HumanTask.org_id == user.org_id,
                   HumanTask.lane.in_(_role_names(user)))
    return and_(HumanTask.status == "ready", HumanTask.assignee_id.is_(None), or_(by_role, named))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def inbox(session: Session, user: User, view: str = "mine", *, process_key: str | None = None,
          q: str | None = None, due: str | None = None, since: datetime | None = None,
          until: datetime | None = None, now: datetime | None = None, soon: datetime | None = None,
          limit: int = 200) -> list[HumanTask]:
    """The user's tasks of one view: mine (assigned to me), group (my role's unclaimed tasks), done (completed
    by me), sorted by due time; `due` = overdue | soon narrows to tasks past `now` or due before `soon`."""
    if view not in VIEWS[:3]:
        raise DataValidationError("无效的视图", [FieldError("view", f"应为 {'、'.join(VIEWS[:3])} 之一", "enum")])
    query = (select(HumanTask).join(Case, HumanTask.case_id == Case.id)
             .join(Organization, Case.org_id == Organization.id).where(Organization.path.startswith(user.org.path)))
    if view == "mine":
        query = query.where(HumanTask.status == "ready", HumanTask.assignee_id == user.id)
    elif view == "group":
        query = query.where(_candidate_clause(user))
    else:
        query = query.where(HumanTask.status == "completed", HumanTask.completed_by == user.username)
    query = _case_filters(query, process_key, q, since, until)
    if due == "overdue" and now is not None:
        query = query.where(HumanTask.due_at < now)
    elif due == "soon" and now is not None and soon is not None:
        query = query.where(HumanTask.due_at >= now, HumanTask.due_at < soon)
    if view == "done":
        query = query.order_by(HumanTask.completed_at.desc())
    else:
        query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
    found = list(session.scalars(query.limit(limit).execution_options(populate_existing=True)))
    if view == "group":     # the LIKE above narrows; this makes the named-user match exact
        found = [t for t in found if t.candidate_users is None or user.username in t.candidate_users]
    return found


def copies(session: Session, user: User, *, unread_only: bool = False, limit: int = 200) -> list[CaseCopy]:
    """Copies sent to the user, newest first."""
    query = select(CaseCopy).where(CaseCopy.user_id == user.id).order_by(CaseCopy.id.desc()).limit(limit)
    if unread_only:
        query = query.where(CaseCopy.read_at.is_(None))
    return list(session.scalars(query))


def inbox_counts(session: Session, user: User, now: datetime, soon: datetime) -> dict[str, int]:
    """How many tasks each inbox view holds, plus overdue and due-soon among mine and my group's."""
    def count(*where) -> int:
        return session.scalar(select(func.count()).select_from(HumanTask).join(Case, HumanTask.case_id == Case.id)
                              .join(Organization, Case.org_id == Organization.id)
                              .where(Organization.path.startswith(user.org.path), *where))
    open_to_me = or_(and_(HumanTask.status == "ready", HumanTask.assignee_id == user.id), _candidate_clause(user))
    return {
        "mine": count(HumanTask.status == "ready", HumanTask.assignee_id == user.id),
        "group": count(_candidate_clause(user)),
        "copies": session.scalar(select(func.count()).select_from(CaseCopy).where(
            CaseCopy.user_id == user.id, CaseCopy.read_at.is_(None))),
        "overdue": count(open_to_me, HumanTask.due_at < now),
        "soon": count(open_to_me, HumanTask.due_at >= now, HumanTask.due_at < soon),
    }


def _case_filters(query, process_key, q, since, until):
    if process_key:
        query = query.where(Case.process_key == process_key)
    if q:
        pattern = f"%{_like_escape(q.strip())}%"
        query = query.where(or_(Case.business_number.like(pattern, escape="\\"), Case.title.like(pattern, escape="\\"),
                                cast(Case.meta, Text).like(pattern, escape="\\")))
    if since:
        query = query.where(Case.created_at >= since)
    if until:
        query = query.where(Case.created_at < until)
    return query


def search_cases(session: Session, user: User, *, process_key: str | None = None, status: str | None = None,
                 q: str | None = None, org_code: str | None = None, since: datetime | None = None,
                 until: datetime | None = None, limit: int = 200, offset: int = 0) -> list[Case]:
    """Cases in the user's organisation subtree matching the filters, newest first."""
    query = (select(Case).join(Organization, Case.org_id == Organization.id)
             .where(Organization.path.startswith(user.org.path)))
    if status:
        query = query.where(Case.status == status)
    if org_code:
        query = query.where(Organization.code == org_code)
    query = _case_filters(query, process_key, q, since, until)
    return list(session.scalars(query.order_by(Case.id.desc()).limit(limit).offset(offset)))


def colleagues(session: Session, case: Case) -> list[User]:
    """Everyone who may receive one of the case's tasks or a copy: active users whose subtree holds the case."""
    ancestors = [p for p in case.org.path.strip("/").split("/") if p]
    return list(session.scalars(select(User).where(User.active, User.org_id.in_([int(i) for i in ancestors]))
                                .order_by(User.org_id, User.username)))



# ---------------------------------------------------------------- what a task page shows

def form_schema(engine, session: Session, task: HumanTask) -> dict | None:
    """The JSON Schema of a task's form, from the bundle version its case runs on."""
    if not task.form:
        return None
    case = task.case
    bundle_id = engine.properties(case.definition_id, lambda: case.definition)["bundle_id"]
    path = f"forms/{task.form}"
    return engine.forms.validator(bundle_id, path, lambda: bundle_file(session, bundle_id, path)).schema


def element_documentation(engine, case: Case) -> dict[str, str]:
    """Each element's documentation in the case's diagram (for a deadline: its legal basis), by element id."""
    spec, subs = engine.specs(case.definition_id, lambda: case.definition)
    found = {}
    for process in (spec, *subs.values()):
        for task_spec in process.task_specs.values():
            text = getattr(task_spec, "documentation", None)
            if text and getattr(task_spec, "bpmn_id", None):
                found[task_spec.bpmn_id] = text
    return found


def organization_in_scope(session: Session, user: User, code: str) -> Organization | None:
    """An organisation of the user's subtree, by code."""
    org = session.scalar(select(Organization).where(Organization.code == code))
    return org if org is not None and org.path.startswith(user.org.path) else None


def process_exists(session: Session, process_key: str) -> bool:
    """Whether some published bundle defines the process."""
    return session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.process_key == process_key)
                          .limit(1)) is not None


# ---------------------------------------------------------------- the leader's overview

def workload(session: Session, user: User, now: datetime, soon: datetime) -> list[dict]:
    """Per organisation of the user's subtree: running cases, open tasks, and the cases with a task due soon or
    overdue."""
    org_rows = list(session.scalars(select(Organization).where(Organization.path.startswith(user.org.path))
                                    .order_by(Organization.path)))
    open_tasks = (select(HumanTask.org_id, func.count(), func.count(distinct(_when_case(HumanTask.due_at < now))),
                         func.count(distinct(_when_case(and_(HumanTask.due_at >= now, HumanTask.due_at < soon)))))
                  .where(HumanTask.status == "ready", HumanTask.org_id.in_([o.id for o in org_rows]))
                  .group_by(HumanTask.org_id))
    counts = {org_id: (total, int(late or 0), int(close or 0)) for org_id, total, late, close in session.execute(open_tasks)}
    running = dict(session.execute(select(Case.org_id, func.count()).where(
        Case.status == "running", Case.org_id.in_([o.id for o in org_rows])).group_by(Case.org_id)).all())
    return [{"org": o, "running": running.get(o.id, 0), "open": counts.get(o.id, (0, 0, 0))[0],
             "overdue": counts.get(o.id, (0, 0, 0))[1], "soon": counts.get(o.id, (0, 0, 0))[2]} for o in org_rows]


def _when_case(condition):
    """The task's case id when the condition holds, else NULL (so a distinct count counts cases)."""
    return when((condition, HumanTask.case_id), else_=None)


def overdue_tasks(session: Session, user: User, now: datetime, limit: int = 100) -> list[HumanTask]:
    """Open tasks of the user's subtree past their due time, most overdue first."""
    return list(session.scalars(
        select(HumanTask).join(Organization, HumanTask.org_id == Organization.id)
        .where(HumanTask.status == "ready", HumanTask.due_at < now, Organization.path.startswith(user.org.path))
        .order_by(HumanTask.due_at).limit(limit)))


LEADER_PROPERTY = "leaderField"     # a process property naming the case field that holds its lead leader


def led_cases(session: Session, user: User) -> list[Case]:
    """Open cases whose diagram-declared leader field names the user (领导包案)."""
    pattern = f'%"{_like_escape(user.username)}"%'
    found = session.scalars(select(Case).where(Case.status.in_(("running", "suspended")),
                                               cast(Case.meta, Text).like(pattern, escape="\\"))
                            .order_by(Case.id.desc()).limit(500))
    return [c for c in found
            if (field := (c.definition.properties or {}).get(LEADER_PROPERTY)) and (c.meta or {}).get(field) == user.username]


def case_data(engine, session: Session, case: Case) -> dict:
    """What the case knows now: the data of its most recently changed open task (or its final data)."""
    workflow = engine.load_workflow(session, case)
    if workflow.is_completed():
        return dict(workflow.data or (workflow.last_task.data if workflow.last_task else {}))
    open_tasks = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)
    if not open_tasks:
        return dict(workflow.last_task.data) if workflow.last_task else {}
    return dict(max(open_tasks, key=lambda t: t.last_state_change).data)


_TITLES: dict[int, dict[str, str]] = {}


def field_titles(session: Session, bundle_id: int) -> dict[str, str]:
    """Every form field's title in a bundle version, by property name (bundles never change, so kept)."""
    titles = _TITLES.get(bundle_id)
    if titles is None:
        titles = {}
        for content in session.scalars(select(BundleFile.content).where(
                BundleFile.bundle_id == bundle_id, BundleFile.kind == "form")):
            _collect_titles(json.loads(content), titles)
        _TITLES[bundle_id] = titles
    return titles


def _collect_titles(schema: dict, titles: dict[str, str]) -> None:
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict):
            titles.setdefault(name, prop.get("title", name))
            _collect_titles(prop, titles)
            if isinstance(prop.get("items"), dict):
                _collect_titles(prop["items"], titles)


# ---------------------------------------------------------------- what a case page offers

RELATED_PROPERTY = "relatedFields"      # process property: case fields whose equal values make cases related
SENDER_ROLES_PROPERTY = "senderRoles"    # on a message catch event: roles that may send it from the web
SENDER_FIELD_PROPERTY = "senderField"    # on a message catch event: payload field that gets the sender's username


def related(session: Session, case: Case, user: User) -> list[Case]:
    """Other cases of the process, visible to the user, sharing every field the diagram declares as relating."""
    fields = [f.strip() for f in (case.definition.properties or {}).get(RELATED_PROPERTY, "").split(",") if f.strip()]
    values = {f: (case.meta or {}).get(f) for f in fields}
    if not fields or any(v in (None, "") for v in values.values()):
        return []
    query = (select(Case).join(Organization, Case.org_id == Organization.id)
             .where(Case.process_key == case.process_key, Case.id != case.id,
                    Organization.path.startswith(user.org.path)))
    for name, value in values.items():
        query = query.where(Case.meta[name].as_string() == str(value))
    return list(session.scalars(query.order_by(Case.id)))


def message_actions(engine, session: Session, case: Case, user: User, waiting: list[str]) -> list[dict]:
    """The messages the case waits for that staff may send from its page: label, who may, what is filled in."""
    spec, subs = engine.specs(case.definition_id, lambda: case.definition)
    roles = {r.code for r in user.roles} | {r.name for r in user.roles}
    actions: dict[str, dict] = {}
    for process in (spec, *subs.values()):
        for task_spec in process.task_specs.values():
            event = getattr(task_spec, "event_definition", None)
            if type(event).__name__ != "MessageEventDefinition" or event.name not in waiting or \
                    not getattr(task_spec, "bpmn_name", None) or "Throw" in type(task_spec).__name__:
                continue
            props = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
            allowed = [r.strip() for r in props.get(SENDER_ROLES_PROPERTY, "").split(",") if r.strip()]
            if allowed and not roles & set(allowed):
                continue
            actions.setdefault(event.name, {"name": event.name, "label": task_spec.bpmn_name,
                                            "documentation": getattr(task_spec, "documentation", None) or "",
                                            "sender_field": props.get(SENDER_FIELD_PROPERTY)})
    return sorted(actions.values(), key=lambda a: a["label"])


def send_action(engine, session: Session, case: Case, user: User, name: str, note: str = ""):
    """Send one of the case's message actions as the user (the diagram's sender field gets their username)."""
    offered = {a["name"]: a for a in message_actions(engine, session, case, user,
                                                     waiting_messages(engine, session, case.id))}
    if name not in offered:
        raise NotAllowed("您不能对本案执行此操作，或案件当前不需要此操作", case=case.id, message_name=name)
    payload = {"note": note, "by": user.username}
    if offered[name]["sender_field"]:
        payload[offered[name]["sender_field"]] = user.username
    return send_message(engine, session, case.id, name, payload, actor=user.username)


def read_copies_of(session: Session, user: User, case_id: int, now: datetime) -> None:
    """Opening a case marks the copies of it sent to the user read."""
    result = session.execute(update(CaseCopy).where(CaseCopy.user_id == user.id, CaseCopy.case_id == case_id,
                                                    CaseCopy.read_at.is_(None)).values(read_at=now))
    if result.rowcount:
        session.commit()


def task_data(engine, session: Session, task: HumanTask) -> dict:
    """The data an open task carries now (what the case knew when it became ready, plus later changes)."""
    workflow = engine.load_workflow(session, task.case)
    found = workflow.get_task_from_id(UUID(task.task_uuid))
    return dict(found.data) if found is not None else {}
