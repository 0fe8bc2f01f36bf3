"""Scoring standards for policy staff: the table editor of a draft's standard, and the standard as an Excel
workbook, exported from a draft or a published version and imported into a draft (a broken workbook is refused with
its sheet, row and column, and nothing is saved)."""
from __future__ import annotations

import io
import json

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.core import Bundle, BundleInvalid, DataValidationError, EngineError, FieldError
from engine.definitions import bundles, drafts, standard_workbook, standards

from . import uploads
from .auth import policy_required
from .database import session
from .engine_text import engine_text, problem_line
from .refusal import refuse
from .workflow import engine

bp = Blueprint("standards", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def editor(draft, path: str, text: str, import_problems: list[str] | None = None, status: int = 200):
    """The table editor of one standard of a draft (the raw text when it is not JSON the table can show)."""
    try:
        standard = json.loads(text) if text.strip() else None
    except ValueError:
        standard = None
    shown = standard if isinstance(standard, dict) else None
    return render_template("policy/standard_editor.html", draft=draft, path=path, text=text, standard=shown,
                           import_problems=import_problems or []), status


def _standard_of(files: dict[str, bytes], path: str) -> dict:
    """The standard at `path` as the workbook needs it (valid against its schema); 404 when there is none."""
    if path not in files or not standards.is_standard_path(path):
        abort(404)
    standard, problems = standards.read_standard(path, files[path])
    if standard is None:
        raise BundleInvalid(problems)
    return standard


def _workbook_answer(standard: dict, path: str, version: str):
    """The standard as an .xlsx download, its sheets in the reader's language."""
    name = path.removeprefix("forms/").removesuffix(".json").replace("/", "-")
    return send_file(io.BytesIO(standard_workbook.standard_to_workbook(standard, text=engine_text)),
                     download_name=f"{name}-{version}.xlsx", as_attachment=True, mimetype=XLSX)


@bp.get("/drafts/<int:draft_id>/workbook/<path:path>")
@policy_required
def export_draft(draft_id: int, path: str):
    """A draft's standard as an Excel workbook (a standard the table cannot be made of is refused, located)."""
    db = session()
    found = drafts.get(db, draft_id)
    try:
        return _workbook_answer(_standard_of(drafts.files(db, draft_id), path), path, f"draft{found.id}")
    except BundleInvalid as exc:
        refuse(exc, _("无法导出：") + "；".join(problem_line(p) for p in exc.problems))
        return redirect(url_for("policy.edit_file", draft_id=draft_id, path=path))


@bp.get("/versions/<int:version>/standards")
@policy_required
def version_standards(version: int):
    """The standards of a published version, each to download as a workbook."""
    bundle = _bundle(version)
    paths = sorted(p for p in bundles.bundle_files(session(), bundle.id) if standards.is_standard_path(p))
    return render_template("policy/version_standards.html", version=version, paths=paths)


@bp.get("/versions/<int:version>/workbook/<path:path>")
@policy_required
def export_version(version: int, path: str):
    """A published version's standard as an Excel workbook."""
    bundle = _bundle(version)
    return _workbook_answer(_standard_of(bundles.bundle_files(session(), bundle.id), path), path, f"v{version}")


def _bundle(version: int) -> Bundle:
    found = session().scalar(select(Bundle).where(Bundle.version == version))
    if found is None:
        abort(404)
    return found


@bp.post("/drafts/<int:draft_id>/workbook/<path:path>")
@policy_required
def import_workbook(draft_id: int, path: str):
    """Replace a draft's standard with the one an uploaded workbook holds; a broken workbook changes nothing and
    is answered with each problem's sheet, row and column."""
    db = session()
    found = drafts.get(db, draft_id)
    if not standards.is_standard_path(path):
        abort(404)
    upload = request.files.get("workbook")
    try:
        if not upload or not upload.filename:
            raise DataValidationError(_("请选择工作簿"),
                                      [FieldError("workbook", _("请选择要导入的 Excel 工作簿"), "required")])
        standard = standard_workbook.standard_from_workbook(uploads.read(upload), text=engine_text,
                                                            name=upload.filename)
        content = json.dumps(standard, ensure_ascii=False, indent=2).encode() + b"\n"
        drafts.put(db, engine(), draft_id, path, content, actor=g.user.username)
    except BundleInvalid as exc:
        status = refuse(exc, _("工作簿有误，未导入，草稿未改变"))
        lines = [engine_text(p) for p in exc.problems]
        return editor(found, path, drafts.files(db, draft_id).get(path, b"").decode("utf-8", "replace"), lines, status)
    except EngineError as exc:
        refuse(exc)
        return redirect(url_for("policy.edit_file", draft_id=draft_id, path=path))
    flash(_("已从工作簿导入 %(path)s", path=path), "ok")
    return redirect(url_for("policy.edit_file", draft_id=draft_id, path=path))
