"""Registries under 流程定义 (policy staff): the registries of the active version, a registry's entries searched
and paged by key, an entry's page with its fields to edit, deactivation, its change history, a new entry, and the
workbook: the template (or the entries) to download and an upload imported all or nothing."""
from __future__ import annotations

import io

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.core import DataValidationError, ImportRefused, NotAllowed, Organization
from engine.records import registries, registry_import

from .auth import policy_required
from .database import session
from .engine_text import engine_text
from .refusal import refuse, status_of
from .workflow import engine

bp = Blueprint("registries", __name__, url_prefix="/policy/registries")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def init_app(app: Flask) -> None:
    """Register the registry pages (policy staff only)."""
    app.register_blueprint(bp)
    app.jinja_env.filters["registry_value"] = shown_value
    app.jinja_env.globals["registry_action"] = action_label
    app.jinja_env.globals["registry_changes"] = changes


def action_label(action: str) -> str:
    """What an audited change of an entry did, in the reader's language."""
    labels = {"registry_entry_created": _("新增"), "registry_entry_updated": _("修改"),
              "registry_entry_deactivated": _("停用"), "registry_entry_reactivated": _("重新启用")}
    return labels.get(action, action)


def changes(registry: dict, detail: dict) -> list[tuple[str, str, str]]:
    """(label, before, after) of each value an audited change changed (every value of a new entry)."""
    before, after = detail.get("before") or {}, detail.get("after") or {}
    found = []
    for name, label in (("name", registry["nameHeader"]), ("org", registry["orgHeader"])):
        if before.get(name) != after.get(name):
            found.append((label, before.get(name) or "—", after.get(name) or "—"))
    if "active" in before and before.get("active") != after.get("active"):
        found.append((_("状态"), _("有效") if before["active"] else _("已停用"),
                      _("有效") if after.get("active") else _("已停用")))
    old, new = before.get("data") or {}, after.get("data") or {}
    for field in registry["fields"]:
        if old.get(field["name"]) != new.get(field["name"]):
            found.append((field["header"], shown_value(old.get(field["name"]), field) or "—",
                          shown_value(new.get(field["name"]), field) or "—"))
    return found


def shown_value(value, field: dict) -> str:
    """A field's stored value as people read it: an enumeration's label, a list joined, yes/no words."""
    if value is None or value == "" or value == []:
        return ""
    if field["type"] == "list":
        return "，".join(str(v) for v in value)
    if field["type"] == "enum" and field.get("labels") and value in field["values"]:
        return field["labels"][field["values"].index(value)]
    if field["type"] == "boolean":
        return field["values"][0] if value else field["values"][1]
    return str(value)


@bp.get("/")
@policy_required
def registry_list():
    """The registries of the active version with their active and total entries."""
    db = session()
    return render_template("policy/registries.html", registries=registries.definitions(db),
                           counts=registries.counts(db))


def _page(kind: str, registry: dict, refused: ImportRefused | None = None, status: int = 200):
    q = request.args.get("q", "").strip()[:100]
    shown = request.args.get("status", "")
    after = request.args.get("after", "")[:100] or None
    found = registries.entries(session(), kind, q=q or None, status=shown or None, after=after,
                               limit=registries.PAGE_SIZE + 1)
    more = len(found) > registries.PAGE_SIZE
    found = found[:registries.PAGE_SIZE]
    present = {k: v for k, v in (("q", q), ("status", shown)) if v}
    return render_template("policy/registry.html", kind=kind, registry=registry, entries=found, q=q,
                           status=shown, present=present, next_after=found[-1]["key"] if more else None,
                           refused=refused), status


@bp.get("/<registry>")
@policy_required
def registry_page(registry: str):
    """A registry's entries, searched by key, name or field and by status, a page at a time."""
    return _page(registry, registries.definition(session(), registry))


def _form_values(definition: dict) -> dict:
    """An entry's values as the page's form sends them."""
    form = request.form
    return {"key": form.get("key", ""), "name": form.get("name", ""), "org": form.get("org", ""),
            "data": {f["name"]: form.get(f"data.{f['name']}", "") for f in definition["fields"]}}


def _entry_page(kind: str, definition: dict, found: dict, errors: dict | None = None, status: int = 200):
    db = session()
    offered = {f["name"]: registries.entries(db, f["directory"], status="active", limit=1000)
               for f in definition["fields"] if f.get("directory")}       # suggestions for a field naming an entry
    return render_template("policy/registry_entry.html", kind=kind, registry=definition, entry=found, offered=offered,
                           errors=errors or {}, orgs=list(db.scalars(select(Organization).order_by(Organization.path))),
                           history=registries.history(db, kind, found["key"]) if found.get("id") else [],
                           new=not found.get("id")), status


def _refused(exc: DataValidationError) -> dict:
    """A refused edit's messages by field, in the reader's language."""
    refuse(exc)
    return {e.field: engine_text(e) for e in exc.errors}


@bp.get("/<registry>/new")
@policy_required
def new_entry(registry: str):
    """An empty entry to fill."""
    definition = registries.definition(session(), registry)
    return _entry_page(registry, definition, {"key": "", "name": "", "org": "", "active": True, "data": {}})


@bp.post("/<registry>/entries")
@policy_required
def create_entry(registry: str):
    """Add the entry the form describes, or show the form again with each wrong field named."""
    db = session()
    definition = registries.definition(db, registry)
    values = _form_values(definition)
    try:
        created = registries.create(db, engine(), g.user, registry, values)
    except DataValidationError as exc:
        return _entry_page(registry, definition, {**values, "active": True}, _refused(exc), status_of(exc))
    except NotAllowed as exc:
        refuse(exc)
        return redirect(url_for("registries.registry_page", registry=registry))
    db.commit()
    flash(_("已新增：%(name)s", name=created["name"]), "ok")
    return redirect(url_for("registries.entry_page", registry=registry, entry=created["key"]))


@bp.get("/<registry>/entries/<entry>")
@policy_required
def entry_page(registry: str, entry: str):
    """An entry's fields to edit, its status and the history of its changes."""
    db = session()
    return _entry_page(registry, registries.definition(db, registry), registries.entry(db, registry, entry))


@bp.post("/<registry>/entries/<entry>")
@policy_required
def update_entry(registry: str, entry: str):
    """Save the entry's fields, or show the form again with each wrong field named."""
    db = session()
    definition = registries.definition(db, registry)
    found = registries.entry(db, registry, entry)
    values = _form_values(definition)
    try:
        registries.update(db, engine(), g.user, registry, entry, values)
    except DataValidationError as exc:
        return _entry_page(registry, definition, {**found, **values, "key": entry}, _refused(exc), status_of(exc))
    except NotAllowed as exc:
        refuse(exc)
        return redirect(url_for("registries.entry_page", registry=registry, entry=entry))
    db.commit()
    flash(_("已保存"), "ok")
    return redirect(url_for("registries.entry_page", registry=registry, entry=entry))


@bp.post("/<registry>/entries/<entry>/active")
@policy_required
def set_active(registry: str, entry: str):
    """Deactivate the entry (kept for old cases, offered in no new choice) or make it active again."""
    db = session()
    active = request.form.get("active") == "1"
    try:
        registries.set_active(db, engine(), g.user, registry, entry, active)
    except NotAllowed as exc:
        refuse(exc)
        return redirect(url_for("registries.entry_page", registry=registry, entry=entry))
    db.commit()
    flash(_("已启用") if active else _("已停用：旧案件仍显示该条目，新案件不再可选"), "ok")
    return redirect(url_for("registries.entry_page", registry=registry, entry=entry))


@bp.get("/<registry>/template.xlsx")
@policy_required
def template(registry: str):
    """The import template with the registry's Chinese headers (`?entries=1`: filled with every entry)."""
    db = session()
    definition = registries.definition(db, registry)
    rows = registries.entries(db, registry, limit=registry_import.MAX_ROWS) if request.args.get("entries") else None
    content = registry_import.template_workbook(definition, lambda msg: engine_text(msg), rows)
    return send_file(io.BytesIO(content), mimetype=XLSX, as_attachment=True, download_name=f"{registry}.xlsx")


@bp.post("/<registry>/imports")
@policy_required
def upload(registry: str):
    """Import an uploaded workbook: every row, or none and each wrong row and column named."""
    db = session()
    definition = registries.definition(db, registry)
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        flash(_("请选择要导入的文件"), "error")
        return redirect(url_for("registries.registry_page", registry=registry))
    try:
        done = registry_import.import_file(db, engine(), g.user, registry, upload_file.filename, upload_file.stream)
    except ImportRefused as exc:
        return _page(registry, definition, exc, refuse(exc, engine_text(exc)))
    except NotAllowed as exc:
        refuse(exc)
        return redirect(url_for("registries.registry_page", registry=registry))
    finally:
        upload_file.close()
    db.commit()
    flash(_("已导入：新增 %(added)s 条，更新 %(updated)s 条，未变 %(same)s 条", added=done["added"],
            updated=done["updated"], same=done["unchanged"]), "ok")
    return redirect(url_for("registries.registry_page", registry=registry))
