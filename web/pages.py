"""HTML pages for staff: processes, cases, a case's tasks and history."""
from __future__ import annotations

import io

from flask import Blueprint, Flask, g, render_template, request, send_file
from sqlalchemy import func, select

from engine import bundles, cases, documents, people
from engine.models import Bundle, Case

from engine.workdays import CHINA_TZ, day_of

from .auth import login_required
from .database import session
from .workflow import engine

bp = Blueprint("pages", __name__)


WEEKDAYS = "一二三四五六日"


def init_app(app: Flask) -> None:
    """Register the staff pages, the health check and the date filters they use."""
    app.register_blueprint(bp)
    app.jinja_env.globals["status_labels"] = cases.STATUS_LABELS
    app.jinja_env.filters["local"] = lambda moment: moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    app.jinja_env.filters["deadline"] = _deadline_label
    app.jinja_env.globals["working_days_left"] = lambda due: engine().calendar.working_days_left(due, engine().now())


def _deadline_label(due) -> str:
    day = day_of(due)
    return f"{day:%Y-%m-%d}（周{WEEKDAYS[day.weekday()]}）止"


@bp.get("/healthz")
def healthz():
    """Liveness and database check."""
    session().execute(select(1))
    return {"status": "ok"}


@bp.get("/")
@login_required
def index():
    """Processes with their published version and running cases."""
    db = session()
    definitions = bundles.latest_definitions(db)
    counts = dict(db.execute(select(Case.process_key, func.count()).where(Case.status == "running")
                             .group_by(Case.process_key)).all())
    versions = list(db.scalars(select(Bundle).order_by(Bundle.version.desc()).limit(10)))
    return render_template("index.html", definitions=definitions, counts=counts, versions=versions)


@bp.get("/cases")
@login_required
def case_list():
    """Cases visible to the user, with filters."""
    found = cases.list_cases(session(), org_path=g.user.org.path, process_key=request.args.get("process") or None,
                             status=request.args.get("status") or None)
    return render_template("cases.html", cases=found)


@bp.get("/cases/<int:case_id>")
@login_required
def case_detail(case_id: int):
    """A case: summary, tasks with candidates, path and audit trail."""
    db = session()
    case = cases.visible_case(db, case_id, g.user.org.path)
    tasks = [(t, people.candidates(db, t)) for t in cases.case_tasks(db, case_id)]
    return render_template("case.html", case=case, tasks=tasks, path=cases.case_path(db, case_id),
                           history=cases.case_history(db, case_id), documents=documents.case_documents(db, case_id))


@bp.get("/cases/<int:case_id>/documents/<int:document_id>")
@login_required
def case_document(case_id: int, document_id: int):
    """Download a generated document of a visible case."""
    db = session()
    cases.visible_case(db, case_id, g.user.org.path)
    doc = documents.document(db, case_id, document_id)
    return send_file(io.BytesIO(doc.content), download_name=doc.filename, as_attachment=True,
                     mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
