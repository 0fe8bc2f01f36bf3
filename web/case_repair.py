"""案件修复: policy staff move a running case to another step of its diagram, or correct one of its fields, each
with a reason and a preview (engine/runtime/repair.py). The case is loaded by the one scope rule first: a case
the officer may not see is not found."""
from __future__ import annotations

import json

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.core import DataValidationError, EngineError, FieldError, scope
from engine.runtime import repair

from .auth import is_policy
from .database import session
from .engine_text import engine_text
from .refusal import refuse
from .workflow import engine

bp = Blueprint("repair", __name__)


def init_app(app: Flask) -> None:
    """Register the case repair pages."""
    app.register_blueprint(bp)


def _case(case_id: int):
    case = scope.scoped_case(session(), g.user, case_id)
    if not is_policy(g.user):
        abort(403)
    return case


@bp.get("/cases/<int:case_id>/repair")
@login_required
def repair_page(case_id: int):
    """The two repairs, each with its form; nothing is changed before a preview is confirmed."""
    return _page(_case(case_id))


@bp.post("/cases/<int:case_id>/repair/move")
@login_required
def move(case_id: int):
    """预览 shows the tasks a move cancels and creates; 确认移动 makes it, audited with its reason."""
    case = _case(case_id)
    element, reason = request.form.get("element", ""), request.form.get("reason", "")
    db, eng = session(), engine()
    if request.form.get("confirm") != "1":
        outcome = repair.preview_move(eng, db, case_id, element)
        return _page(case, move_preview=outcome, posted=request.form)
    try:
        repair.move_case(eng, db, case_id, element, actor=g.user.username, reason=reason)
    except EngineError as exc:
        status = refuse(exc)
        return _page(_case(case_id), posted=request.form, errors=_errors(exc)), status
    flash(_("案件已移至所选步骤"), "ok")
    return redirect(url_for("pages.case_detail", case_id=case_id))


@bp.post("/cases/<int:case_id>/repair/field")
@login_required
def correct(case_id: int):
    """预览 shows what a correction changes; 确认更正 makes it, audited with the value before and after."""
    case = _case(case_id)
    db, eng = session(), engine()
    name, reason = request.form.get("field", ""), request.form.get("reason", "")
    current = repair.correctable_fields(eng, db, case)
    try:
        value = _value(request.form.get("value", ""), current.get(name))
    except DataValidationError as exc:
        status = refuse(exc)
        return _page(_case(case_id), posted=request.form, errors=_errors(exc)), status
    if request.form.get("confirm") != "1":
        outcome = repair.preview_correction(eng, db, case_id, name, value)
        return _page(case, field_preview=outcome, posted=request.form)
    try:
        repair.correct_field(eng, db, case_id, name, value, actor=g.user.username, reason=reason)
    except EngineError as exc:
        status = refuse(exc)
        return _page(_case(case_id), posted=request.form, errors=_errors(exc)), status
    flash(_("字段已更正"), "ok")
    return redirect(url_for("pages.case_detail", case_id=case_id))


def _value(text: str, current):
    """The new value as the form sends it: text for a text field, JSON for anything else (a number, yes/no, a
    list)."""
    if isinstance(current, str) or current is None:
        return text
    try:
        return json.loads(text)
    except ValueError:
        msg = _("请按 JSON 填写新值（数字、true/false、列表或对象）")
        raise DataValidationError(msg, [FieldError("value", msg, "json")]) from None


def _errors(exc: EngineError) -> dict[str, str]:
    return {e.field: engine_text(e.msg) for e in getattr(exc, "errors", [])}


def _page(case, *, move_preview=None, field_preview=None, posted=None, errors=None):
    eng, db = engine(), session()
    return render_template("case_repair.html", case=case, targets=repair.move_targets(eng, case),
                           fields=repair.correctable_fields(eng, db, case), move_preview=move_preview,
                           field_preview=field_preview, posted=posted or {}, errors=errors or {})
