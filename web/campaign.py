"""A parent case's participants on its case page (参与单位): the table with filters, sort and pages, the figures the
process declares, and the same rows as an Excel workbook. Only participants the user may see are listed."""
from __future__ import annotations

import io

from flask import Blueprint, Flask, g, request, send_file
from flask_babel import gettext as _
from openpyxl import Workbook

from engine.core import scope, Case
from engine.time import CHINA_TZ
from engine.work import participants

from .auth import login_required
from .database import session
from .workflow import engine

bp = Blueprint("campaign", __name__)
PREFIX = "p_"                       # the table's query arguments, apart from the case page's own
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def init_app(app: Flask) -> None:
    """Register the participants export."""
    app.register_blueprint(bp)


def arguments() -> tuple[dict[str, str], str, int]:
    """The filters, sort and page the query string asks for (`p_org`, `p_overdue`, `p_<field>`, `p_sort`,
    `p_page`)."""
    filters = {k[len(PREFIX):]: v for k, v in request.args.items()
               if k.startswith(PREFIX) and k not in (f"{PREFIX}sort", f"{PREFIX}page") and v}
    page = request.args.get(f"{PREFIX}page", "1")
    return filters, request.args.get(f"{PREFIX}sort", ""), int(page) if page.isdigit() else 1


def table_of(case: Case) -> participants.Table | None:
    """The page of participants the case page shows; None for a case without participants the user may see."""
    db = session()
    if not participants.has_participants(db, g.user, case):
        return None
    filters, sort, page = arguments()
    return participants.table(db, g.user, case, engine().now(), filters=filters, sort=sort, page=page)


@bp.get("/cases/<int:case_id>/participants.xlsx")
@login_required
def export(case_id: int):
    """The participants the table's filters keep, in its order, as an Excel workbook."""
    db = session()
    case = scope.scoped_case(db, g.user, case_id)
    filters, sort, _page = arguments()
    found = participants.table(db, g.user, case, engine().now(), filters=filters, sort=sort, per_page=None)
    book = Workbook()
    sheet = book.active
    sheet.title = _("参与单位")
    sheet.append([_("编号"), _("名称"), _("单位"), *(label for _name, label in found.columns), _("超期")])
    for row in found.rows:
        sheet.append([row["number"], row["title"], row["org_name"],
                      *(row["meta"].get(name) for name, _label in found.columns), _("是") if row["overdue"] else ""])
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"        # text stays text: a value starting with = is no formula
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    name = f"participants-{case.id}-{engine().now().astimezone(CHINA_TZ):%Y%m%d}.xlsx"
    return send_file(out, mimetype=XLSX, as_attachment=True, download_name=name)
