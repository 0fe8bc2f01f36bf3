"""System administration of people and organisations (系统管理): an administrator manages the organisations and
users of his own organisation's subtree and nothing above or beside it. Every change is checked whole before
anything is written (a refusal names its fields and changes nothing) and is audited with who, when, and the
values before and after, as an audit event without a case."""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import String, delete, func, literal, select, update
from sqlalchemy.orm import Session, aliased

from ..core.errors import DataValidationError, FieldError, NotFound
from ..core.messages import Msg
from ..core.models import AuditEvent, Case, Organization, Role, SignInFailure, SignInSession, User, UserRole
from ..core.scope import path_within
from . import passwords

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}")
PAGE = 50


# ---------------------------------------------------------------- what an administrator may see

def managed_orgs(session: Session, admin: User, *, include_inactive: bool = True) -> list[Organization]:
    """The organisations of the administrator's subtree, in tree order."""
    query = select(Organization).where(path_within(Organization.path, admin.org.path)).order_by(Organization.path)
    if not include_inactive:
        query = query.where(Organization.active)
    return list(session.scalars(query))


def managed_org(session: Session, admin: User, code: str) -> Organization:
    """An organisation of the administrator's subtree by code; NotFound for any other, as for one that does not
    exist."""
    org = session.scalar(select(Organization).where(Organization.code == code,
                                                    path_within(Organization.path, admin.org.path)))
    if org is None:
        raise NotFound(Msg("org.not_found", code=code), organization=code)
    return org


def managed_user(session: Session, admin: User, user_id: int) -> User:
    """A user of the administrator's subtree; NotFound otherwise."""
    user = session.scalar(select(User).join(Organization, User.org_id == Organization.id)
                          .where(User.id == user_id, path_within(Organization.path, admin.org.path)))
    if user is None:
        raise NotFound(Msg("admin.user_not_found", user=user_id), user=user_id)
    return user


def find_users(session: Session, admin: User, *, q: str = "", org: str = "", role: str = "",
               active: bool | None = None, after: str | None = None) -> tuple[list[User], str | None]:
    """A page of the administrator's users by username (keyset), filtered by a word of the name or username, an
    organisation (with its subtree), a role and whether active; and the username to continue after, if any."""
    root = managed_org(session, admin, org).path if org else admin.org.path
    query = (select(User).join(Organization, User.org_id == Organization.id)
             .where(path_within(Organization.path, root)).order_by(User.username).limit(PAGE + 1))
    if q:
        word = f"%{q.strip()}%"
        query = query.where(User.username.ilike(word) | User.display_name.ilike(word))
    if role:
        query = query.where(User.id.in_(select(UserRole.user_id).join(Role, Role.id == UserRole.role_id)
                                        .where(Role.code == role)))
    if active is not None:
        query = query.where(User.active.is_(active))
    if after:
        query = query.where(User.username > after)
    found = list(session.scalars(query))
    return found[:PAGE], (found[PAGE - 1].username if len(found) > PAGE else None)


def roles(session: Session) -> list[Role]:
    """Every role, by code."""
    return list(session.scalars(select(Role).order_by(Role.code)))


# ---------------------------------------------------------------- organisations

def org_values(org: Organization) -> dict:
    """What the audit records of an organisation."""
    return {"code": org.code, "name": org.name, "kind": org.kind, "active": org.active,
            "parent": org.parent.code if org.parent else None}


def create_org(session: Session, admin: User, values: Mapping, now: datetime) -> Organization:
    """A new organisation under one of the administrator's (`parent`: a code)."""
    code, name, kind = (str(values.get(k) or "").strip() for k in ("code", "name", "kind"))
    errors = _org_errors(name, kind)
    if not CODE.fullmatch(code):
        errors.append(FieldError("code", Msg("admin.code_invalid"), "pattern"))
    elif session.scalar(select(Organization.id).where(Organization.code == code)) is not None:
        errors.append(FieldError("code", Msg("admin.code_taken", code=code), "unique"))
    parent = _parent(session, admin, str(values.get("parent") or ""), errors)
    _refuse(errors)
    org = Organization(code=code, name=name, kind=kind, parent=parent, active=True)
    session.add(org)
    session.flush()
    org.path = f"{parent.path}{org.id}/"
    audit(session, admin, now, "org_created", org=code, after=org_values(org))
    return org


def change_org(session: Session, admin: User, org: Organization, values: Mapping, now: datetime) -> None:
    """Rename an organisation, change its kind, move it under another parent (never below itself: a cycle) or
    (de)activate it. The administrator's own organisation cannot be moved or deactivated by him."""
    before = org_values(org)
    name, kind = (str(values.get(k, before[k]) or "").strip() for k in ("name", "kind"))
    errors = _org_errors(name, kind)
    active = _flag(values.get("active", org.active))
    parent_code = str(values.get("parent", before["parent"]) or "")
    parent = org.parent
    if parent_code != (before["parent"] or ""):
        if org.id == admin.org_id:
            errors.append(FieldError("parent", Msg("admin.own_org"), "own"))
        else:
            parent = _parent(session, admin, parent_code, errors)
            if parent is not None and path_within(parent.path, org.path):
                errors.append(FieldError("parent", Msg("admin.org_cycle", parent=parent.name, org=org.name), "cycle"))
    if not active and org.id == admin.org_id:
        errors.append(FieldError("active", Msg("admin.own_org"), "own"))
    _refuse(errors)
    org.name, org.kind, org.active = name, kind, active
    if parent is not org.parent:
        _move(session, org, parent)
    session.flush()
    after = org_values(org)
    if after != before:
        audit(session, admin, now, "org_changed", org=org.code, before=before, after=after)


def _move(session: Session, org: Organization, parent: Organization) -> None:
    """Re-root the organisation's subtree under `parent`: every path below it changes prefix in one statement."""
    old, new = org.path, f"{parent.path}{org.id}/"
    org.parent = parent
    session.flush()
    session.execute(update(Organization).where(path_within(Organization.path, old))
                    .values(path=literal(new, String) + func.substr(Organization.path, len(old) + 1))
                    .execution_options(synchronize_session=False))
    session.expire_all()


def _org_errors(name: str, kind: str) -> list[FieldError]:
    errors = []
    if not name:
        errors.append(FieldError("name", Msg("admin.required"), "required"))
    elif len(name) > 200:
        errors.append(FieldError("name", Msg("admin.too_long", limit=200), "maxLength"))
    if len(kind) > 64:
        errors.append(FieldError("kind", Msg("admin.too_long", limit=64), "maxLength"))
    return errors


def _parent(session: Session, admin: User, code: str, errors: list) -> Organization | None:
    if not code:
        errors.append(FieldError("parent", Msg("admin.required"), "required"))
        return None
    try:
        return managed_org(session, admin, code)
    except NotFound as refused:
        errors.append(FieldError("parent", refused.msg, "organization"))
        return None


# ---------------------------------------------------------------- users

def user_values(user: User) -> dict:
    """What the audit records of a user (never a password or its hash)."""
    return {"username": user.username, "display_name": user.display_name, "email": user.email,
            "org": user.org.code, "roles": sorted(r.code for r in user.roles), "active": user.active}


def create_user(session: Session, admin: User, values: Mapping, password_hash: str, now: datetime) -> User:
    """A new user in one of the administrator's organisations, with roles, who must change the password the
    administrator gave at the first sign-in (an import gives it once every row is good: `password_hash` "" until
    then, kept in no history)."""
    username = str(values.get("username") or "").strip()
    errors = []
    if not USERNAME.fullmatch(username):
        errors.append(FieldError("username", Msg("admin.username_invalid"), "pattern"))
    elif session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None:
        errors.append(FieldError("username", Msg("admin.username_taken", username=username), "unique"))
    name, email, org, chosen = _user_fields(session, admin, values, errors)
    _refuse(errors)
    user = User(username=username, display_name=name, email=email or None, org=org, password_hash=password_hash,
                active=True, must_change_password=True)
    session.add(user)
    session.flush()
    _set_roles(session, user, chosen)
    if password_hash:
        passwords.remember(session, user.id, password_hash, now)
    audit(session, admin, now, "user_created", user=username, after=user_values(user))
    return user


def change_user(session: Session, admin: User, user: User, values: Mapping, now: datetime) -> None:
    """Change a user's name, e-mail, organisation and roles; deactivating ends every session at once (the next
    page or API request is refused: sessions and tokens are checked against `active` on every request)."""
    before = user_values(user)
    errors: list[FieldError] = []
    merged = {**before, **{k: v for k, v in values.items() if v is not None}}
    name, email, org, chosen = _user_fields(session, admin, merged, errors)
    active = _flag(merged.get("active"))
    if user.id == admin.id and (not active or org.id != user.org_id):
        errors.append(FieldError("active" if not active else "org", Msg("admin.own_account"), "own"))
    _refuse(errors)
    user.display_name, user.email, user.org, user.active = name, email or None, org, active
    _set_roles(session, user, chosen)
    if not active:
        session.execute(delete(SignInSession).where(SignInSession.user_id == user.id))
    after = user_values(user)
    if after != before:
        audit(session, admin, now, "user_changed", user=user.username, before=before, after=after)


def reset_password(session: Session, admin: User, user: User, password_hash: str, now: datetime) -> None:
    """Give the user a new password that must be changed at the next sign-in; his sessions end."""
    user.password_hash, user.must_change_password = password_hash, True
    passwords.remember(session, user.id, password_hash, now)
    session.execute(delete(SignInSession).where(SignInSession.user_id == user.id))
    audit(session, admin, now, "password_reset", user=user.username)


def unlock(session: Session, admin: User, user: User, now: datetime) -> None:
    """Forget the account's failed sign-ins, so a locked-out user may try again at once."""
    session.execute(delete(SignInFailure).where(SignInFailure.scope == "account",
                                                SignInFailure.subject == user.username[:200]))
    audit(session, admin, now, "user_unlocked", user=user.username)


def password_changed(session: Session, user: User, password_hash: str, now: datetime) -> None:
    """The user chose his own password (after a reset or at will)."""
    user.password_hash, user.must_change_password = password_hash, False
    passwords.remember(session, user.id, password_hash, now)
    audit(session, user, now, "password_changed", user=user.username)


def _user_fields(session: Session, admin: User, values: Mapping, errors: list):
    name = str(values.get("display_name") or "").strip()
    if not name:
        errors.append(FieldError("display_name", Msg("admin.required"), "required"))
    elif len(name) > 100:
        errors.append(FieldError("display_name", Msg("admin.too_long", limit=100), "maxLength"))
    email = str(values.get("email") or "").strip()
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        errors.append(FieldError("email", Msg("admin.email_invalid"), "format"))
    org = None
    try:
        org = managed_org(session, admin, str(values.get("org") or ""))
        if not org.active:
            errors.append(FieldError("org", Msg("admin.org_inactive", org=org.name), "active"))
    except NotFound as refused:
        errors.append(FieldError("org", refused.msg, "organization"))
    wanted = [str(c) for c in (values.get("roles") or [])]
    known = {r.code: r for r in session.scalars(select(Role).where(Role.code.in_(wanted)))}
    for i, code in enumerate(wanted):
        if code not in known:
            errors.append(FieldError(f"roles.{i}", Msg("role.not_found", code=code), "role"))
    return name, email, org, [known[c] for c in wanted if c in known]


def _set_roles(session: Session, user: User, chosen: list[Role]) -> None:
    session.execute(delete(UserRole).where(UserRole.user_id == user.id))
    session.add_all(UserRole(user_id=user.id, role_id=role.id) for role in {r.id: r for r in chosen}.values())
    session.flush()
    session.expire(user, ["roles"])


# ---------------------------------------------------------------- shared

def _flag(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes")
    return bool(value)


def _refuse(errors: list[FieldError]) -> None:
    if errors:
        raise DataValidationError("the change was refused; nothing was saved", errors)


def audit(session: Session, admin: User, now: datetime, action: str, **detail) -> None:
    """Record an administration event (`admin.<action>`) done by `admin`, without a case."""
    session.add(AuditEvent(case_id=None, actor=admin.username, at=now, action=f"admin.{action}", detail=detail))


# ---------------------------------------------------------------- the audit trail

def audit_root(session: Session, admin: User, org: str = "") -> str:
    """The subtree an audit trail covers: the administrator's, or one organisation's of it (with its subtree)."""
    return managed_org(session, admin, org).path if org else admin.org.path


def audit_trail(session: Session, root: str, *, actor: str = "", action: str = "",
                since: datetime | None = None, until: datetime | None = None, before: int | None = None,
                limit: int = PAGE):
    """Audit events of the subtree at path `root` (see audit_root), newest first (keyset: ids below `before`): those of its cases,
    and those without a case done by its users; filtered by who did it, the
    kind (an action, or the start of one such as `admin.`) and a period [since, until). Plain rows (no objects
    kept in the session): id, at, actor, action, case_id, detail, number (the case's), org_name."""
    case_org, actor_org = aliased(Organization), aliased(Organization)
    query = (select(AuditEvent.id, AuditEvent.at, AuditEvent.actor, AuditEvent.action, AuditEvent.case_id,
                    AuditEvent.detail, Case.business_number.label("number"),
                    func.coalesce(case_org.name, actor_org.name).label("org_name"))
             .outerjoin(Case, AuditEvent.case_id == Case.id)
             .outerjoin(case_org, Case.org_id == case_org.id)
             .outerjoin(User, (AuditEvent.case_id.is_(None)) & (User.username == AuditEvent.actor))
             .outerjoin(actor_org, User.org_id == actor_org.id)
             .where(path_within(case_org.path, root) | path_within(actor_org.path, root))
             .order_by(AuditEvent.id.desc()))
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action.startswith(action) if action.endswith(".") else
                            AuditEvent.action == action)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    return session.execute(query.limit(limit)).all()


def whole_audit_trail(session: Session, root: str, chunk: int = 1000, **filters):
    """Every row `audit_trail` finds, read a chunk at a time by keyset (for an export that never holds them all)."""
    before = None
    while True:
        rows = audit_trail(session, root, **filters, before=before, limit=chunk)
        yield from rows
        if len(rows) < chunk:
            return
        before = rows[-1].id


def audit_actions(session: Session) -> list[str]:
    """The kinds of event recorded so far, for a filter's choices."""
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
