"""The public portal: file a complaint with its evidence without an account, then check its stage and download its
answer with the number and code; read the public lists processes declare and send a listed case the message its
list accepts (an objection)."""
from __future__ import annotations

import io

from flask import Blueprint, Flask, current_app, render_template, request, send_file, url_for
from flask_babel import gettext as _

from engine.core import DataValidationError, EngineError, NotFound
from engine.records import directory, draws
from engine.time import CHINA_TZ
from engine.work import portal, public_lists, reports

from . import formfields, stats_view, uploads
from .database import session
from .draw_view import draw_view
from .workflow import engine
from .engine_text import engine_text
from .rate_limits import limit, per
from .refusal import refuse

bp = Blueprint("portal", __name__, url_prefix="/portal")
STATUS_CHECKS = "portal-status"     # a status check and a document download count together


def init_app(app: Flask) -> None:
    """Register the portal (its rate limits are declared on its views: web/rate_limits.py)."""
    app.register_blueprint(bp)


@bp.get("/")
def index():
    """What the public may do here."""
    db = session()
    return render_template("portal/index.html", processes=portal.public_processes(db),
                           lists=public_lists.public_lists(db), draws=bool(draws.published(db, per_page=1)),
                           figures=bool(reports.public_reports(db)))


@bp.get("/figures")
def public_figures():
    """公开数据 (有诉必复, 信息公开): the year's figures of every report marked public, per organisation, with the
    public lists the processes declare (e.g. the published sanctions); aggregate figures only, no link to a case."""
    db = session()
    this_year = engine().now().astimezone(CHINA_TZ).year
    year = request.args.get("year", this_year, type=int)
    year = year if 2000 <= year <= this_year else this_year
    shown = [stats_view.public(db, result) for result in reports.public_figures(db, year, now=engine().now())]
    return render_template("portal/figures.html", shown=shown, year=year,
                           years=list(range(this_year, max(this_year - 5, 1999), -1)),
                           lists=public_lists.public_lists(db))


@bp.route("/<process_key>", methods=("GET", "POST"))
@limit(per("PORTAL_SUBMISSIONS_PER_HOUR", "hour"), methods=["POST"],
       deduct_when=lambda r: r.status_code == 200)
def submit(process_key: str):
    """Fill in and submit the intake form with evidence files; the answer is the case number and a verification
    code."""
    db = session()
    definition, schema = portal.public_form(engine(), db, process_key)
    data, errors, org, status = {}, {}, request.form.get("org", ""), 200
    if request.method == "POST":
        data = formfields.parse(schema, request.form)
        try:
            case, code = portal.submit(engine(), db, process_key, data, org, _evidence(schema),
                                       current_app.config["PORTAL_FILE_MAX_BYTES"])
        except DataValidationError as exc:
            errors, status = formfields.error_map(exc.errors), refuse(exc, beside_fields=True)
        else:
            return render_template("portal/received.html", case=case, code=code, definition=definition,
                                   receipt_text=_receipt(definition, case, code))
    fields = formfields.build(schema, data, errors, directory.choices(db, schema))
    return render_template("portal/form.html", definition=definition, schema=schema, fields=fields,
                           orgs=portal.receiving_organizations(db, definition), org=org, org_error=errors.get("org"),
                           with_files=bool(portal.file_fields(schema)), refused=bool(errors)), status


def _evidence(schema: dict) -> dict[str, list[portal.Upload]]:
    """The files sent for the form's file fields, read once (a field left empty sends a nameless part)."""
    return {name: [portal.Upload(f.filename, f.mimetype or "", uploads.read(f))
                   for f in request.files.getlist(name) if f and f.filename]
            for name in portal.file_fields(schema)}


def _receipt(definition, case, code: str) -> str:
    """The receipt as a text file the submitter keeps: what was received, by whom, when, and how to follow it."""
    received = case.created_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    lines = [_("%(name)s 收件回执", name=definition.name), _("接收机关：%(org)s", org=case.org.name), _("提交时间：%(at)s", at=received),
             _("案件编号：%(number)s", number=case.business_number), _("查询码：%(code)s", code=code),
             _("凭案件编号和查询码可在“办理进度查询”查看办理进展和答复：%(url)s",
               url=url_for("portal.status", _external=True)),
             _("本回执只证明材料已经收到，不表示已经受理或立案；是否受理，受理机关审查后另行告知。")]
    return "\r\n".join(lines) + "\r\n"


@bp.route("/status", methods=("GET", "POST"))
@limit(per("PORTAL_CHECKS_PER_10_MINUTES", "10 minutes"), methods=["POST"], shared=STATUS_CHECKS,
       deduct_when=lambda r: r.status_code == 404)
def status():
    """The stage, the public fields and the public documents of a case, given its number and verification code."""
    found, error, status_code = None, None, 200
    if request.method == "POST":
        try:
            found = portal.status(engine(), session(), request.form.get("number", ""), request.form.get("code", ""))
        except NotFound as exc:
            error, status_code = engine_text(exc), 404
    return render_template("portal/status.html", found=found, error=error), status_code


@bp.post("/status/documents/<int:document_id>")
@limit(per("PORTAL_CHECKS_PER_10_MINUTES", "10 minutes"), shared=STATUS_CHECKS,
       deduct_when=lambda r: r.status_code == 404)
def status_document(document_id: int):
    """Download a public document of a case (the 答复书), given its number and verification code; a wrong number
    or code counts as a wrong status check."""
    try:
        doc = portal.public_document(session(), request.form.get("number", ""), request.form.get("code", ""),
                                     document_id)
    except NotFound as exc:
        return render_template("portal/status.html", found=None, error=engine_text(exc)), 404
    return send_file(io.BytesIO(doc.content), download_name=doc.filename, as_attachment=True,
                     mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document")


@bp.route("/lists/<process_key>/<name>", methods=("GET", "POST"))
@limit(per("PORTAL_MESSAGES_PER_HOUR", "hour"), methods=["POST"],
       deduct_when=lambda r: r.status_code in (200, 404))
def public_list(process_key: str, name: str):
    """A public list, paged; a row of a list that accepts messages has a form to send one (an objection)."""
    db, sent, errors, status = session(), {}, {}, 200
    if request.method == "POST":
        sent = {key: request.form.get(key, "") for key in ("number", "message", "name", "contact", "text")}
        try:
            receipt = public_lists.send_public_message(engine(), db, process_key, name, sent["number"],
                                                       sent["message"], sent)
        except DataValidationError as exc:      # shown beside the fields of the row it was sent from
            errors, status = formfields.error_map(exc.errors), refuse(exc, beside_fields=True)
        except EngineError as exc:
            status = refuse(exc)
        else:
            heading = public_lists.list_heading(db, process_key, name)
            message = next(m for m in heading["messages"] if m["message"] == sent["message"])
            return render_template("portal/message_received.html", listing=heading, receipt=receipt, message=message)
    page = public_lists.public_list(db, process_key, name, request.args.get("page", 1, type=int))
    return render_template("portal/list.html", listing=page, sent=sent, errors=errors), status


@bp.get("/draws")
def published_draws():
    """双随机一公开: the random draws their organisations published, newest first."""
    page = max(request.args.get("page", 1, type=int), 1)
    found = [{**draw_view(d), "org": org} for d, org in draws.published(session(), page, PER_PAGE + 1)]
    return render_template("portal/draws.html", draws=found[:PER_PAGE], page=page, more=len(found) > PER_PAGE)


@bp.route("/draws/<int:draw_id>", methods=("GET", "POST"))
@limit(per("PORTAL_CHECKS_PER_10_MINUTES", "10 minutes"), methods=["POST"])
def published_draw(draw_id: int):
    """One published draw with everything needed to run it again; 复核 runs it again here."""
    db, same = session(), None
    draw, org = draws.published_draw(db, draw_id)
    if request.method == "POST":
        same = draws.verify(db, draw_id)
    return render_template("portal/draw.html", draw={**draw_view(draw), "org": org}, same=same)


PER_PAGE = 50
