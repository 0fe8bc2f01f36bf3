"""The people model: an organisation tree, users in it, roles they hold, and task candidates."""
from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, literal, or_, select, union_all
from sqlalchemy.orm import Session, lazyload

from .errors import InvalidState, NotFound
from .messages import Msg
from .models import HumanTask, Organization, Role, User, UserRole


def add_organization(session: Session, code: str, name: str, parent_code: str | None = None,
                     kind: str = "") -> Organization:
    """Create an organisation under an optional parent; its path makes subtree queries cheap."""
    parent = organization(session, parent_code) if parent_code else None
    org = Organization(code=code, name=name, kind=kind, parent=parent)
    session.add(org)
    session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    return org


def organization(session: Session, code: str) -> Organization:
    """An organisation by code."""
    org = session.scalar(select(Organization).where(Organization.code == code))
    if org is None:
        raise NotFound(Msg("org.not_found", code=code), organization=code)
    return org


def receiving_organization(session: Session, code: str) -> Organization:
    """An organisation that may receive a new case: it exists and is active (a deactivated one keeps its cases)."""
    org = organization(session, code)
    if not org.active:
        raise InvalidState(Msg("org.inactive", code=code), organization=code)
    return org


def add_role(session: Session, code: str, name: str) -> Role:
    """Create a role; a lane may name it by code or by name."""
    role = Role(code=code, name=name)
    session.add(role)
    session.flush()
    return role


def add_user(session: Session, username: str, display_name: str, org_code: str,
             roles: list[str] = (), password_hash: str | None = None, email: str | None = None) -> User:
    """Create a user in an organisation holding the given roles (by code)."""
    user = User(username=username, display_name=display_name, org=organization(session, org_code),
                password_hash=password_hash, email=email)
    session.add(user)
    session.flush()
    for code in roles:
        role = session.scalar(select(Role).where(Role.code == code))
        if role is None:
            raise NotFound(Msg("role.not_found", code=code), role=code)
        session.add(UserRole(user_id=user.id, role_id=role.id))
    session.flush()
    return user


def user_by_name(session: Session, username: str) -> User:
    """A user by username."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(Msg("user.not_found", username=username), user=username)
    return user


def may_do(lane: str | None, org_id: int | None, candidate_users) -> ColumnElement[bool]:
    """The one candidate rule as a clause on users: active, and named by the task, else holding its lane's role
    (by name or code) in its organisation."""
    if candidate_users:
        return and_(User.active, User.username.in_(list(candidate_users)))
    if lane is None or org_id is None:
        return false()
    return and_(User.active, User.org_id == org_id, User.roles.any(or_(Role.name == lane, Role.code == lane)))


def candidates(session: Session, task: HumanTask) -> list[User]:
    """Who may work on a task: the users the case names, else holders of the lane's role in its organisation."""
    return list(session.scalars(
        select(User).where(may_do(task.lane, task.org_id, task.candidate_users)).order_by(User.username)))


def holders(session: Session, tasks: list[HumanTask]) -> dict[int, list[User]]:
    """Who holds each task, by task id: its assignee once someone has it, else its candidates (as `candidates`
    finds them, by username) — for every task in one query, not two per task (a case page lists them all)."""
    parts = [select(literal(t.id).label("task_id"), User.id.label("user_id")).where(
        User.id == t.assignee_id if t.assignee_id is not None else may_do(t.lane, t.org_id, t.candidate_users))
        for t in tasks]
    found: dict[int, list[User]] = {t.id: [] for t in tasks}
    if not parts:
        return found
    pairs = union_all(*parts).subquery()
    # The names are what a page shows: a user's roles are read only if asked for (not one more query here).
    for task_id, user in session.execute(select(pairs.c.task_id, User).join(User, User.id == pairs.c.user_id)
                                         .options(lazyload(User.roles)).order_by(User.username)):
        found[task_id].append(user)
    return found


def is_candidate(session: Session, user: User, task: HumanTask) -> bool:
    """Whether the user may complete the task: its assignee, or a candidate while unassigned."""
    if task.assignee_id is not None:
        return task.assignee_id == user.id
    if task.candidate_users:
        return user.username in task.candidate_users
    return user.org_id == task.org_id and any(r.name == task.lane or r.code == task.lane for r in user.roles)
