"""Ledgers of imported records (台账): the ledgers of the active version with the rows the user may see, a ledger's
rows with filters and keyset pages, the upload of a file (all or nothing, errors by row and column), the template
workbook, one row with its measures and their legal bases, and the import history."""
from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from engine.core import ImportRefused, NotAllowed, scope
from engine.records import ledger_import, ledgers

from .auth import login_required
from .database import session
from .engine_text import engine_text
from .refusal import refuse
from .workflow import engine

bp = Blueprint("ledgers", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILTERS = ("org", "period_from", "period_to", "measure")


UNITS = {"days": "日", "working_days": "个工作日", "hours": "小时"}


def init_app(app: Flask) -> None:
    """Register the ledger pages."""
    app.register_blueprint(bp)
    app.jinja_env.globals["unit_label"] = lambda unit: _(UNITS[unit]) if unit in UNITS else ""


@bp.get("/ledgers")
@login_required
def ledger_list():
    """The ledgers of the active version, each with the rows the user may see."""
    db = session()
    return render_template("ledgers.html", ledgers=ledgers.definitions(db), counts=ledgers.counts(db, g.user))


def filters() -> dict:
    """The filters the query string asks for, dates read (a wrong one is left out)."""
    found = {name: request.args.get(name, "").strip() for name in FILTERS}
    for name in ("period_from", "period_to"):
        try:
            found[name + "_day"] = date.fromisoformat(found[name]) if found[name] else None
        except ValueError:
            found[name], found[name + "_day"] = "", None
    return found


def _page(key: str, ledger: dict, refused: ImportRefused | None = None, status: int = 200):
    db = session()
    chosen = filters()
    measure = chosen["measure"] if chosen["measure"] in {m["name"] for m in ledger.get("measures", [])} else ""
    after = request.args.get("after", "")
    rows = ledgers.rows(db, g.user, key, org=chosen["org"] or None, measure=measure or None,
                        period=(chosen["period_from_day"], chosen["period_to_day"]),
                        after=int(after) if after.isdigit() and len(after) <= 10 else None,
                        limit=ledgers.PAGE_SIZE + 1)
    more = len(rows) > ledgers.PAGE_SIZE
    rows = rows[:ledgers.PAGE_SIZE]
    present = {name: chosen[name] for name in FILTERS if chosen[name]}
    return render_template("ledger.html", key=key, ledger=ledger, rows=rows, chosen=chosen, present=present,
                           next_after=rows[-1]["id"] if more else None, orgs=scope.organizations(db, g.user),
                           may_import=ledgers.may_import(g.user, ledger), imports=ledgers.imports(db, key),
                           refused=refused, columns=_shown_columns(ledger)), status


def _shown_columns(ledger: dict) -> list[dict]:
    """The columns the rows table shows: the key, the organisation, the period and the other required ones."""
    named = {ledger["keyColumn"], ledger["orgColumn"], ledger["periodColumn"]}
    return [c for c in ledger["columns"] if c["name"] in named or c.get("required")]


@bp.get("/ledgers/<key>")
@login_required
def ledger_page(key: str):
    """A ledger's rows the user may see, filtered by organisation, period and measure, a page at a time."""
    return _page(key, ledgers.definition(session(), key)[1])


@bp.post("/ledgers/<key>/imports")
@login_required
def upload(key: str):
    """Import an uploaded xlsx or csv file: all its rows, or none and every wrong row named."""
    db = session()
    _bundle, ledger = ledgers.definition(db, key)
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        flash(_("请选择要导入的文件"), "error")
        return redirect(url_for("ledgers.ledger_page", key=key))
    try:
        done = ledger_import.import_file(db, engine(), g.user, key, upload_file.filename, upload_file.stream)
    except ImportRefused as refused:
        return _page(key, ledger, refused, refuse(refused, engine_text(refused)))
    except NotAllowed as refused:
        refuse(refused)
        return redirect(url_for("ledgers.ledger_page", key=key))
    finally:
        upload_file.close()
    db.commit()
    flash(_("已导入：新增 %(added)s 条，未变 %(same)s 条", added=done.rows_added, same=done.rows_unchanged),
          "ok")
    return redirect(url_for("ledgers.ledger_page", key=key))


@bp.get("/ledgers/<key>/template.xlsx")
@login_required
def template(key: str):
    """An empty workbook with the ledger's headers, and a sheet describing each column."""
    _bundle, ledger = ledgers.definition(session(), key)
    content = ledgers.template_workbook(ledger, lambda msg: engine_text(msg))
    return send_file(io.BytesIO(content), mimetype=XLSX, as_attachment=True, download_name=f"{key}.xlsx")


@bp.get("/ledgers/<key>/rows/<int:row_id>")
@login_required
def row_page(key: str, row_id: int):
    """One row: every column, and each measure with its interval, limit and legal basis."""
    db = session()
    _bundle, ledger = ledgers.definition(db, key)
    found = ledgers.row(db, g.user, key, row_id)
    return render_template("ledger_row.html", key=key, ledger=ledger, row=found,
                           measures=ledgers.measures(ledger, found["data"]))


