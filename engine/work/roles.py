"""The role catalogue seen by an administrator (系统管理 · 角色): every role the published diagrams use (their lanes,
the recipients of their notify and copy messages, and the roles their properties name), who holds each in the
administrator's subtree, and where each is used. Roles are rows of a catalogue (`role`), held through `user_role`:
adding a role adds a row; deleting one removes the row and every holding of it, and is refused while a case waits
for the role (a ready task of a case not ended whose lane names it), while the published diagrams still name it,
or while people outside the administrator's subtree hold it. Each change is audited like the other administration
changes."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from ..core.errors import DataValidationError, FieldError, InvalidState, NotFound
from ..core.messages import Msg
from ..core.models import Case, HumanTask, Organization, Role, User, UserRole
from ..core.scope import path_within
from ..core.vocabulary import STARTER_ROLES_PROPERTY
from ..definitions.bundles import latest_definitions
from ..definitions.recipient_checks import listed_roles, named_roles
from .administration import CODE, audit

ENDED = ("completed", "terminated")
HOLDERS_SHOWN = 50


@dataclass
class Use:
    """One place a diagram names a role: the process, the element (None: the process itself) and how."""

    process: str
    process_name: str
    element: str | None
    element_name: str
    how: str                    # lane, notify, copy, transferRoles, senderRoles, starterRoles
    written: str                # the role as the diagram spells it (a name or a code)


@dataclass
class RoleView:
    """A role as the roles page shows it: in the catalogue or only named by diagrams (`role` None)."""

    code: str
    name: str
    role: Role | None
    holders: list[User] = field(default_factory=list)
    holder_count: int = 0
    uses: list[Use] = field(default_factory=list)
    waiting: int = 0            # ready tasks of cases not ended waiting for the role


def role_uses(engine, session: Session) -> list[Use]:
    """Every place the active version's diagrams name a role, each once, by process and element."""
    found: dict[tuple, Use] = {}
    for definition in latest_definitions(session):
        spec, subs = engine.specs(definition.id, lambda d=definition: d)
        process = (definition.process_key, definition.name)
        for written in listed_roles((definition.properties or {}).get(STARTER_ROLES_PROPERTY)):
            found.setdefault((*process, None, STARTER_ROLES_PROPERTY, written),
                             Use(*process, None, "", STARTER_ROLES_PROPERTY, written))
        for sub in (spec, *subs.values()):
            for task_spec in (sub.task_specs.values() if sub is not None else ()):
                for how, written, _plain in named_roles(task_spec):
                    element = getattr(task_spec, "bpmn_id", None) or task_spec.name
                    label = getattr(task_spec, "bpmn_name", None) or element
                    found.setdefault((*process, element, how, written), Use(*process, element, label, how, written))
    return sorted(found.values(), key=lambda u: (u.process, u.element or "", u.how, u.written))


def overview(engine, session: Session, admin: User) -> list[RoleView]:
    """Every catalogue role and every role the diagrams name but the catalogue lacks, with its holders in the
    administrator's subtree (the first HOLDERS_SHOWN, and how many), its uses and how many tasks wait for it."""
    views = {role.code: RoleView(role.code, role.name, role)
             for role in session.scalars(select(Role).order_by(Role.code))}
    by_name = {view.name: view for view in views.values()}
    for use in role_uses(engine, session):
        view = views.get(use.written) or by_name.get(use.written)
        if view is None:
            view = views[use.written] = RoleView(use.written, use.written, None)
        view.uses.append(use)
    holders = session.execute(
        select(UserRole.role_id, User).join(User, User.id == UserRole.user_id)
        .join(Organization, User.org_id == Organization.id)
        .where(path_within(Organization.path, admin.org.path)).order_by(User.username)).all()
    by_id = {view.role.id: view for view in views.values() if view.role is not None}
    for role_id, user in holders:
        view = by_id[role_id]
        view.holder_count += 1
        if len(view.holders) < HOLDERS_SHOWN:
            view.holders.append(user)
    waiting = dict(session.execute(
        select(HumanTask.lane, func.count()).join(Case, Case.id == HumanTask.case_id)
        .where(HumanTask.status == "ready", Case.status.not_in(ENDED)).group_by(HumanTask.lane)).all())
    for view in views.values():
        view.waiting = waiting.get(view.code, 0) + (waiting.get(view.name, 0) if view.name != view.code else 0)
    return sorted(views.values(), key=lambda v: (v.role is not None, v.code))


def managed_role(session: Session, code: str) -> Role:
    """A catalogue role by code; NotFound otherwise."""
    role = session.scalar(select(Role).where(Role.code == code))
    if role is None:
        raise NotFound(Msg("role.not_found", code=code), role=code)
    return role


def create_role(session: Session, admin: User, values: Mapping, now: datetime) -> Role:
    """A new catalogue role (`code`, `name`, both unique); a lane may then name it by either."""
    code, name = (str(values.get(k) or "").strip() for k in ("code", "name"))
    errors = []
    if not CODE.fullmatch(code):
        errors.append(FieldError("code", Msg("admin.code_invalid"), "pattern"))
    elif session.scalar(select(Role.id).where(or_(Role.code == code, Role.name == code))) is not None:
        errors.append(FieldError("code", Msg("admin.role_taken", role=code), "unique"))
    if not name:
        errors.append(FieldError("name", Msg("admin.required"), "required"))
    elif len(name) > 100:
        errors.append(FieldError("name", Msg("admin.too_long", limit=100), "maxLength"))
    elif session.scalar(select(Role.id).where(or_(Role.name == name, Role.code == name))) is not None:
        errors.append(FieldError("name", Msg("admin.role_taken", role=name), "unique"))
    if errors:
        raise DataValidationError("the role was refused; nothing was saved", errors)
    role = Role(code=code, name=name)
    session.add(role)
    session.flush()
    audit(session, admin, now, "role_created", role=code, after={"code": code, "name": name})
    return role


def delete_role(engine, session: Session, admin: User, role: Role, now: datetime) -> None:
    """Remove a role from the catalogue and from everyone holding it. Refused, nothing changed, while a case not
    ended has a ready task waiting for it, while the published diagrams name it, or while someone outside the
    administrator's subtree holds it (he could not see whom the deletion takes it from)."""
    written = {role.code, role.name}
    waiting = session.scalar(select(func.count()).select_from(HumanTask).join(Case, Case.id == HumanTask.case_id)
                             .where(HumanTask.status == "ready", Case.status.not_in(ENDED),
                                    HumanTask.lane.in_(written)))
    if waiting:
        _refuse(Msg("admin.role_waiting", role=role.name, count=waiting))
    uses = [u for u in role_uses(engine, session) if u.written in written]
    if uses:
        first = uses[0]
        _refuse(Msg("admin.role_in_diagrams", role=role.name, count=len(uses), process=first.process_name,
                    element=first.element_name or first.process))
    holders = session.execute(select(User.username, Organization.path)
                              .join(UserRole, UserRole.user_id == User.id)
                              .join(Organization, User.org_id == Organization.id)
                              .where(UserRole.role_id == role.id).order_by(User.username)).all()
    outside = [name for name, path in holders if not path_within(path, admin.org.path)]
    if outside:
        _refuse(Msg("admin.role_held_elsewhere", role=role.name, count=len(outside)))
    before = {"code": role.code, "name": role.name, "holders": [name for name, _ in holders]}
    session.execute(delete(UserRole).where(UserRole.role_id == role.id))
    session.delete(role)
    session.flush()
    audit(session, admin, now, "role_deleted", role=before["code"], before=before)


def _refuse(msg: Msg) -> None:
    raise InvalidState(msg, role=msg.params.get("role"))
