"""The printable view of a completed score sheet (linked from the case page)."""
from __future__ import annotations

from flask import Blueprint, Flask, abort, g, render_template

from engine.core import scope

from . import score_sheet, standards
from .auth import login_required
from .database import session
from .workflow import engine

bp = Blueprint("sheets", __name__)


def init_app(app: Flask) -> None:
    """Register the printable score sheets."""
    app.register_blueprint(bp)


@bp.get("/cases/<int:case_id>/sheets/<field>")
@login_required
def sheet_print(case_id: int, field: str):
    """A completed score sheet to print: the case, every item with its entries, totals, band, scorer and date."""
    db, eng = session(), engine()
    case = scope.scoped_case(db, g.user, case_id)
    filled = next((s for s in standards.completed_sheets(eng, db, case) if s["field"] == field), None)
    value = standards.case_data(eng, db, case).get(field) if filled else None
    if not isinstance(value, dict):
        abort(404)
    sheet = score_sheet.view(standards.standard(db, case, filled["standard"]), value, {}, field,
                             files=standards.evidence_files(db, case.id, value), case_id=case.id)
    return render_template("score_print.html", case=case, sheet=sheet, filled=filled,
                           field=score_sheet.PrintField(field, filled["title"], sheet))
