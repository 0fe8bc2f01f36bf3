"""Recipients: who a `notify`, a `copy` or a task's lane names, written the same way everywhere and read here only.

    角色                      the role's holders in the case's organisation (`lane:角色` and `role:角色` say the same)
    角色@机构代码              the role's holders in the organisation with that code (e.g. `受理人员@org-x`)
    角色@field:数据名          ... in the organisation whose code the case's data holds under that name
    角色@parent               ... in the parent of the case's organisation
    user:用户名               one person
    task:任务编号              a task's holders: its assignee, else its candidates; once done, who completed it

A role is named by its name or its code. `parse` reads an address without the database (validation uses it);
`resolve` finds the people, and `lane_place` the role and organisation of a task's lane."""
from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .messages import Msg
from .models import HumanTask, Organization, Role, User, UserRole
from .people import candidates

ROLE, USER, TASK = "role", "user", "task"
PARENT, FIELD = "parent", "field:"
_ROLE_PREFIXES = ("lane:", "role:")
_MAX = 200


class Address(NamedTuple):
    """One parsed recipient: its kind (role, user, task), the name, and for a role where (None: the case's
    organisation; `parent`; `field:<name>`; else an organisation's code)."""

    kind: str
    name: str
    where: str | None = None

    @property
    def org_code(self) -> str | None:
        """The organisation code the address names outright, if it does."""
        return self.where if self.where and self.where != PARENT and not self.where.startswith(FIELD) else None

    @property
    def field(self) -> str | None:
        """The data name whose value is the organisation's code, if the address names one."""
        return self.where[len(FIELD):] if self.where and self.where.startswith(FIELD) else None


class RecipientError(ValueError):
    """An address that cannot be read, or names an organisation that does not exist; carries its message."""

    def __init__(self, msg: Msg):
        super().__init__(msg)
        self.msg = msg


def parse(text) -> Address:
    """The address a recipient text spells; RecipientError for one that cannot be read."""
    raw = str(text).strip() if isinstance(text, str) else ""
    if not raw or len(raw) > _MAX:
        raise RecipientError(Msg("recipient.bad", to=str(text)[:_MAX]))
    for prefix in (*_ROLE_PREFIXES, "user:", "task:"):
        if raw.startswith(prefix):
            kind, rest = (ROLE if prefix in _ROLE_PREFIXES else prefix[:-1]), raw[len(prefix):].strip()
            break
    else:
        kind, rest = ROLE, raw
    name, at, where = rest.partition("@") if kind == ROLE else (rest, "", "")    # a username may hold an @
    name, where = name.strip(), where.strip()
    if not name or (kind == ROLE and ":" in name) or (at and not where) or where == FIELD or (
            where.startswith(FIELD) and not where[len(FIELD):].strip()):
        raise RecipientError(Msg("recipient.bad", to=raw))
    if where.startswith(FIELD):
        where = FIELD + where[len(FIELD):].strip()
    return Address(kind, name, where or None)


def role_of(lane: str | None) -> str | None:
    """The role a lane's tasks go to (the lane as written when it does not name a role, or cannot be read)."""
    if not lane:
        return lane
    try:
        found = parse(lane)
    except RecipientError:
        return lane
    return found.name if found.kind == ROLE else lane


def organization_of(session: Session, case, address: Address, data: dict) -> int | None:
    """The id of the organisation a role address names for this case; RecipientError for an unknown code."""
    if address.where is None:
        return case.org_id
    if address.where == PARENT:
        org = session.get(Organization, case.org_id) if case.org_id is not None else None
        return org.parent_id if org is not None else None
    code = address.org_code
    if code is None:
        code = (data or {}).get(address.field)
        if not code:
            raise RecipientError(Msg("recipient.field_empty", to=_text(address), field=address.field))
    found = session.scalar(select(Organization.id).where(Organization.code == str(code)))
    if found is None:
        raise RecipientError(Msg("recipient.unknown_org", to=_text(address), code=str(code)))
    return found


def resolve(session: Session, case, text, data: dict | None = None) -> list[User]:
    """The active users an address names for a case (`data`: what the case knows, for `field:`)."""
    address = parse(text)
    if address.kind == USER:
        return list(session.scalars(select(User).where(User.username == address.name, User.active)))
    if address.kind == TASK:
        return task_holders(session, case.id, address.name)
    org_id = organization_of(session, case, address, data or {})
    if org_id is None:
        return []
    return list(session.scalars(
        select(User).join(UserRole).join(Role).where(User.org_id == org_id, User.active,
                                                     or_(Role.name == address.name, Role.code == address.name))
        .order_by(User.username)))


def resolve_all(session: Session, case, to, data: dict | None = None) -> list[User]:
    """The users of one address or a list of them, each once, in the order named."""
    found: dict[int, User] = {}
    for text in (to if isinstance(to, list) else [to]):
        found.update({u.id: u for u in resolve(session, case, text, data) if u.id not in found})
    return list(found.values())


def task_holders(session: Session, case_id: int, element_id: str) -> list[User]:
    """Who holds a task of the case: the open task's assignee, else its candidates; with none open, whoever
    completed it most recently."""
    users: dict[int, User] = {}
    for task in session.scalars(select(HumanTask).where(
            HumanTask.case_id == case_id, HumanTask.element_id == element_id, HumanTask.status == "ready")
            .execution_options(populate_existing=True)):
        found = [session.get(User, task.assignee_id)] if task.assignee_id else candidates(session, task)
        users.update({u.id: u for u in found if u is not None and u.active})
    if users:
        return list(users.values())
    done = session.scalar(select(HumanTask.completed_by).where(
        HumanTask.case_id == case_id, HumanTask.element_id == element_id, HumanTask.status == "completed")
        .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc()).limit(1))
    return list(session.scalars(select(User).where(User.username == done, User.active))) if done else []


class LanePlace(NamedTuple):
    """Where a task of a lane goes: the role (None for a lane naming people), the organisation, and the people
    the lane names (a user or a task's holders), if it does."""

    role: str | None
    org_id: int | None
    users: list[str] | None


def lane_place(session: Session, case, lane: str, data: dict) -> LanePlace:
    """The role, organisation and named people of a task in this lane, for this case; RecipientError for a lane
    that names an organisation that does not exist (or cannot be read)."""
    address = parse(lane)
    if address.kind == ROLE:
        return LanePlace(address.name, organization_of(session, case, address, data), None)
    return LanePlace(lane, case.org_id, [u.username for u in resolve(session, case, lane, data)])


def _text(address: Address) -> str:
    prefix = "" if address.kind == ROLE else f"{address.kind}:"
    return f"{prefix}{address.name}" + (f"@{address.where}" if address.where else "")


class KnownPeople:
    """The roles, organisations and people the database holds, asked lazily and once each, for validation."""

    def __init__(self, session: Session):
        self._session = session
        self._seen: dict[tuple[str, str], bool] = {}

    def _has(self, kind: str, name: str, query) -> bool:
        if (kind, name) not in self._seen:
            self._seen[(kind, name)] = self._session.scalar(query.limit(1)) is not None
        return self._seen[(kind, name)]

    def role(self, name: str) -> bool:
        """Whether a role has this name or code."""
        return self._has("role", name, select(Role.id).where(or_(Role.name == name, Role.code == name)))

    def organization(self, code: str) -> bool:
        """Whether an organisation has this code."""
        return self._has("org", code, select(Organization.id).where(Organization.code == code))

    def user(self, username: str) -> bool:
        """Whether a user has this username."""
        return self._has("user", username, select(User.id).where(User.username == username))

    def any_role(self) -> bool:
        """Whether the catalogue holds any role at all (none: a fresh installation whose people come later)."""
        return self._has("any-role", "", select(Role.id))
