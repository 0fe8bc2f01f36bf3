"""系统管理 · 角色 and the Excel import of organisations and users, for administrators (see web/admin.py): the role
catalogue with its holders in my subtree and where the published diagrams use each role (engine/work/roles.py),
and the templates and uploads of engine/work/people_import.py."""
from __future__ import annotations

import io

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from engine.core import DataValidationError, ImportRefused, InvalidState, NotFound
from engine.work import people_import, roles

from .admin import admin_required
from .database import session
from .engine_text import engine_text, render
from .passwords import one_time
from .refusal import refuse
from .workflow import engine

bp = Blueprint("admin_people", __name__, url_prefix="/admin")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# How a diagram uses a role, as the roles page names it.
USES = {"lane": "泳道", "notify": "通知", "copy": "抄送", "transferRoles": "可转办角色", "senderRoles": "可发送消息",
        "starterRoles": "可发起案件"}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


# ---------------------------------------------------------------- roles

@bp.get("/roles")
@admin_required
def roles_page():
    """Every role: its holders in my subtree, where the published diagrams use it, and tasks waiting for it (`?name=`
    fills the new role's name, as the link of a role the diagrams name but the catalogue lacks does)."""
    return _roles_page(values={"name": request.args.get("name", "")})


@bp.post("/roles")
@admin_required
def create_role():
    db = session()
    try:
        role = roles.create_role(db, g.user, request.form, engine().now())
    except DataValidationError as refused:
        return _roles_page(errors=_field_errors(refused), values=request.form,
                           status=refuse(refused, beside_fields=True))
    db.commit()
    flash(_("已新增角色「%(name)s」", name=role.name), "ok")
    return redirect(url_for("admin_people.roles_page", _anchor=f"role-{role.code}"))


@bp.post("/roles/<code>/delete")
@admin_required
def delete_role(code: str):
    """Delete a role from the catalogue and from its holders; refused while anything still needs it."""
    db = session()
    try:
        role = roles.managed_role(db, code)
    except NotFound:
        abort(404)
    name = role.name
    try:
        roles.delete_role(engine(), db, g.user, role, engine().now())
    except InvalidState as refused:
        return _roles_page(status=refuse(refused))
    db.commit()
    flash(_("已删除角色「%(name)s」", name=name), "ok")
    return redirect(url_for("admin_people.roles_page"))


def _roles_page(errors=None, values=None, status: int = 200):
    views = roles.overview(engine(), session(), g.user)
    return render_template("admin_roles.html", views=views, uses=USES, errors=errors or {}, values=values or {},
                           shown=roles.HOLDERS_SHOWN), status


# ---------------------------------------------------------------- import from Excel

@bp.get("/import-orgs/template.xlsx")
@admin_required
def orgs_template():
    """The organisations' import template (`?rows=1`: filled with my subtree's organisations, to edit)."""
    return _template("orgs")


@bp.get("/import-users/template.xlsx")
@admin_required
def users_template():
    """The users' import template (`?rows=1`: filled with my subtree's users, to edit)."""
    return _template("users")


def _template(kind: str):
    rows = people_import.current_rows(session(), g.user, kind) if request.args.get("rows") else ()
    content = people_import.template_workbook(kind, engine_text, rows)
    return send_file(io.BytesIO(content), mimetype=XLSX, as_attachment=True, download_name=f"{kind}.xlsx")


@bp.post("/import-orgs")
@admin_required
def import_orgs():
    """Import organisations: every row of the file, or none and each wrong row and column named."""
    return _import("orgs", lambda db, upload: people_import.import_orgs(
        db, g.user, upload.filename, upload.stream, engine().now(), texts=_texts()))


@bp.post("/import-users")
@admin_required
def import_users():
    """Import users: every row, or none; each new user's one-time password is shown on this answer only."""
    return _import("users", lambda db, upload: people_import.import_users(
        db, g.user, upload.filename, upload.stream, engine().now(), one_time(db), texts=_texts()))


def _import(kind: str, run):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("请选择要导入的文件"), "error")
        return redirect(url_for("admin.orgs" if kind == "orgs" else "admin.users"))
    db = session()
    try:
        done = run(db, upload)
    except ImportRefused as refused:
        status = refuse(refused, engine_text(refused))
        return render_template("admin_import.html", kind=kind, refused=refused, done=None), status
    finally:
        upload.close()
    db.commit()
    return render_template("admin_import.html", kind=kind, refused=None, done=done, filename=upload.filename)


def _texts():
    """The header texts a file may have: in the reader's language and in Chinese, whichever the template was."""
    return (engine_text, lambda msg: render(msg, str))


def _field_errors(refused: DataValidationError) -> dict[str, str]:
    """Each refused field's first message by field name."""
    found: dict[str, str] = {}
    for error in refused.errors:
        found.setdefault(error.field, engine_text(error))
    return found
