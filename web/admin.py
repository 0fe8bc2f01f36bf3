"""系统管理: organisations and users for holders of the administrator role (ADMIN_ROLE, separate from the policy
role), each within his own organisation's subtree (engine/work/administration.py); and every user's own password
page, which a user whose password an administrator set must visit before any other page."""
from __future__ import annotations

import csv
import io
import json
from functools import wraps

from flask import (
    Blueprint, Flask, Response, abort, current_app, flash, g, redirect, render_template, request,
    stream_with_context, url_for,
)
from flask import session as session_cookie
from flask_babel import gettext as _

from werkzeug.security import check_password_hash

from engine.core import DataValidationError, NotFound, scope
from engine.time import CHINA_TZ
from engine.work import administration

from . import passwords
from .auth import login_required
from .database import session
from .engine_text import engine_text
from .pages import ACTION_LABELS, cell, day_start
from .readable import local_moment
from .refusal import refuse
from .workflow import engine

bp = Blueprint("admin", __name__, url_prefix="/admin")
account = Blueprint("account", __name__)
# Where a user who must change his password may still go: the page itself, signing out, and static files.
OPEN_WHILE_CHANGING = {"account.password", "auth.logout", "static", "assets.asset", "assets.favicon", "i18n.choose"}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(account)
    app.before_request(_password_first)
    app.jinja_env.globals["is_admin"] = is_admin


def is_admin(user) -> bool:
    """Whether the user holds the administrator role."""
    role = current_app.config["ADMIN_ROLE"]
    return user is not None and any(r.code == role for r in user.roles)


def admin_required(view):
    """Administrators only; everyone else gets 403."""
    @login_required
    @wraps(view)
    def wrapped(**kwargs):
        if not is_admin(g.user):
            abort(403, description=_("仅系统管理员可以管理机构和用户"))
        return view(**kwargs)
    return wrapped


def _password_first():
    """A user whose password an administrator set goes to the password page before anything else (not one the
    identity provider signed in: he did not use that password, and changes it at his next local sign-in)."""
    user = g.get("user")
    if user is not None and user.must_change_password and request.endpoint not in OPEN_WHILE_CHANGING \
            and session_cookie.get("sign_in_method") != "oidc":
        return redirect(url_for("account.password"))
    return None


# ---------------------------------------------------------------- organisations

@bp.get("/")
@admin_required
def index():
    return redirect(url_for("admin.orgs"))


@bp.get("/orgs")
@admin_required
def orgs():
    """The organisation tree of my subtree, and a form to add one."""
    return _orgs_page()


@bp.post("/orgs")
@admin_required
def create_org():
    db = session()
    try:
        org = administration.create_org(db, g.user, request.form, engine().now())
    except DataValidationError as refused:
        status = refuse(refused, beside_fields=True)
        return _orgs_page(errors=_errors(refused), values=request.form), status
    db.commit()
    flash(_("已新增机构「%(name)s」", name=org.name), "ok")
    return redirect(url_for("admin.org_page", code=org.code))


def _orgs_page(errors=None, values=None):
    tree = administration.managed_orgs(session(), g.user)
    depth = len(g.user.org.path.strip("/").split("/"))
    rows = [(org, len(org.path.strip("/").split("/")) - depth) for org in tree]
    kinds = sorted({org.kind for org in tree if org.kind})
    options = [(org.code, org.name) for org in tree if org.active]
    return render_template("admin_orgs.html", rows=rows, kinds=kinds, parent_options=options, errors=errors or {},
                           values=values or {})


@bp.get("/orgs/<code>")
@admin_required
def org_page(code: str):
    return _org_page(_org(code))


@bp.post("/orgs/<code>")
@admin_required
def change_org(code: str):
    db, org = session(), _org(code)
    try:
        administration.change_org(db, g.user, org, request.form, engine().now())
    except DataValidationError as refused:
        status = refuse(refused, beside_fields=True)
        return _org_page(_org(code), errors=_errors(refused), values=request.form), status
    db.commit()
    flash(_("已保存机构「%(name)s」", name=org.name), "ok")
    return redirect(url_for("admin.org_page", code=code))


def _org_page(org, errors=None, values=None):
    db = session()
    parents = [o for o in administration.managed_orgs(db, g.user, include_inactive=False)
               if not scope.path_within(o.path, org.path)]
    users, _after = administration.find_users(db, g.user, org=org.code)
    return render_template("admin_org.html", org=org, parent_options=[(o.code, o.name) for o in parents],
                           users=users, errors=errors or {}, values=values or {})


def _org(code: str):
    try:
        return administration.managed_org(session(), g.user, code)
    except NotFound:
        abort(404)


# ---------------------------------------------------------------- users

@bp.get("/users")
@admin_required
def users():
    """My subtree's users, searched and filtered, a page at a time, and a form to add one."""
    return _users_page()


@bp.post("/users")
@admin_required
def create_user():
    db, form = session(), _user_form()
    password, hashed = passwords.generated(db, passwords.Person(str(form.get("username") or ""),
                                                                str(form.get("display_name") or ""),
                                                                str(form.get("org") or "")))
    try:
        user = administration.create_user(db, g.user, form, hashed, engine().now())
    except DataValidationError as refused:
        status = refuse(refused, beside_fields=True)
        return _users_page(errors=_errors(refused), values=form), status
    db.commit()
    return _user_page(user, password=password), 201     # shown once, on this page, never stored or redirected


def _users_page(errors=None, values=None):
    db, args = session(), request.args
    active = {"1": True, "0": False}.get(args.get("active", ""))
    try:
        found, after = administration.find_users(db, g.user, q=args.get("q", ""), org=args.get("org", ""),
                                                 role=args.get("role", ""), active=active,
                                                 after=args.get("after") or None)
    except NotFound:
        abort(404)
    return render_template("admin_users.html", users=found, after=after, chosen=args,
                           orgs=administration.managed_orgs(db, g.user, include_inactive=False),
                           org_options=_org_options(db), roles=administration.roles(db), errors=errors or {},
                           values=values or {}, user=None)


@bp.get("/users/<int:user_id>")
@admin_required
def user_page(user_id: int):
    return _user_page(_user(user_id))


@bp.post("/users/<int:user_id>")
@admin_required
def change_user(user_id: int):
    db, user = session(), _user(user_id)
    try:
        administration.change_user(db, g.user, user, _user_form(), engine().now())
    except DataValidationError as refused:
        status = refuse(refused, beside_fields=True)
        return _user_page(_user(user_id), errors=_errors(refused), values=_user_form()), status
    db.commit()
    flash(_("已保存用户 %(username)s", username=user.username), "ok")
    return redirect(url_for("admin.user_page", user_id=user_id))


@bp.post("/users/<int:user_id>/password")
@admin_required
def reset_password(user_id: int):
    db, user = session(), _user(user_id)
    password, hashed = passwords.generated(db, passwords.person(user), user_id=user.id)
    administration.reset_password(db, g.user, user, hashed, engine().now())
    db.commit()
    return _user_page(user, password=password)


@bp.post("/users/<int:user_id>/unlock")
@admin_required
def unlock(user_id: int):
    db, user = session(), _user(user_id)
    administration.unlock(db, g.user, user, engine().now())
    db.commit()
    flash(_("已解除 %(username)s 的登录锁定", username=user.username), "ok")
    return redirect(url_for("admin.user_page", user_id=user_id))


def _user_page(user, errors=None, values=None, password=None):
    db = session()
    return render_template("admin_user.html", user=user, org_options=_org_options(db),
                           roles=administration.roles(db), errors=errors or {}, values=values or {},
                           password=password)


def _org_options(db) -> list[tuple[str, str]]:
    return [(o.code, o.name) for o in administration.managed_orgs(db, g.user, include_inactive=False)]


def _user(user_id: int):
    try:
        return administration.managed_user(session(), g.user, user_id)
    except NotFound:
        abort(404)


def _user_form() -> dict:
    form = request.form
    values = {k: form.get(k) for k in ("username", "display_name", "email", "org", "active") if k in form}
    if "roles" in form or "roles-shown" in form:
        values["roles"] = form.getlist("roles")
    return values


def _errors(refused: DataValidationError) -> dict[str, str]:
    """Each refused field's message by field name (a role's error under `roles`)."""
    found: dict[str, str] = {}
    for error in refused.errors:
        found.setdefault(error.field.split(".")[0], engine_text(error))
    return found


# ---------------------------------------------------------------- the audit trail

@bp.get("/audit")
@admin_required
def audit_trail():
    """Every audited event of my subtree (its cases' and its people's administration), filtered, newest first."""
    db, (root, filters) = session(), _audit_filters()
    rows = administration.audit_trail(db, root, **filters, before=request.args.get("before", type=int))
    return render_template("admin_audit.html", rows=rows, chosen=request.args,
                           actions=administration.audit_actions(db),
                           orgs=administration.managed_orgs(db, g.user),
                           before=rows[-1].id if len(rows) == administration.PAGE else None)


@bp.get("/audit.csv")
@admin_required
def audit_csv():
    """The filtered trail as CSV for Excel, written row by row as it is read (a year of a city never sits in memory)."""
    root, filters = _audit_filters()
    stamp = f"{engine().now().astimezone(CHINA_TZ):%Y%m%d}"

    def lines():
        yield "\ufeff" + _csv_line([_("时间"), _("操作人"), _("机构"), _("操作"), _("案件"), _("详情")])
        for event in administration.whole_audit_trail(session(), root, **filters):
            yield _csv_line([local_moment(event.at), event.actor, event.org_name or "", action_label(event.action),
                             event.number or (event.case_id or ""), json.dumps(event.detail, ensure_ascii=False)])

    return Response(stream_with_context(lines()), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=audit-{stamp}.csv"})


def action_label(code: str) -> str:
    return _(ACTION_LABELS.get(code, code))


def _audit_filters() -> tuple[str, dict]:
    """The subtree the trail covers and its filters, from the query."""
    args = request.args
    try:
        root = administration.audit_root(session(), g.user, args.get("org", ""))
    except NotFound:
        abort(404)
    return root, {"actor": args.get("actor", "").strip(), "action": args.get("action", ""),
                  "since": day_start(args.get("since")), "until": day_start(args.get("until"), 1)}


def _csv_line(values) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([cell(v) for v in values])
    return out.getvalue()


# ---------------------------------------------------------------- a user's own password

@account.route("/account/password", methods=("GET", "POST"))
@login_required
def password():
    """Choose a new password: the current one, then the new one twice; it must meet the policy."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors, hashed = _password_errors(request.form)
        if not errors:
            db = session()
            administration.password_changed(db, g.user, hashed, engine().now())
            db.commit()
            flash(_("密码已修改"), "ok")
            return redirect(url_for("work.inbox"))
    return render_template("account_password.html", errors=errors,
                           min_length=current_app.config["PASSWORD_MIN_LENGTH"],
                           history=current_app.config["PASSWORD_HISTORY"]), (422 if errors else 200)


def _password_errors(form) -> tuple[dict[str, str], str | None]:
    """What is wrong with the form, by field, and the new password's hash when nothing is (the policy: one check in
    web/passwords.py, the same for every way a password is set)."""
    user, new = g.user, form.get("new", "")
    errors, hashed = {}, None
    if not user.password_hash or not check_password_hash(user.password_hash, form.get("current", "")):
        errors["current"] = _("当前密码不正确")
    try:
        hashed = passwords.checked_hash(session(), new, passwords.person(user), user_id=user.id, field="new")
    except DataValidationError as refused:
        errors.update(_errors(refused))
    if "new" not in errors and user.password_hash and check_password_hash(user.password_hash, new):
        errors["new"] = _("新密码不能与当前密码相同")
    if form.get("again", "") != new:
        errors["again"] = _("两次输入的新密码不一致")
    return errors, (hashed if not errors else None)

