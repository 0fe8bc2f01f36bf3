"""Print views: a case (its data, tasks, history, documents and files) and a task (its form's values), each a page
without the navigation, laid out for paper."""
from __future__ import annotations

from flask import Blueprint, Flask, g, render_template

from engine.core import scope
from engine.records import attachments, directory, documents, history
from engine.runtime import cases
from engine.work import casework

from . import formfields, standards
from .auth import login_required
from .database import session
from .work import task_values
from .workflow import engine

bp = Blueprint("printing", __name__)


def init_app(app: Flask) -> None:
    """Register the print views and the case's files for the case page."""
    app.register_blueprint(bp)
    app.jinja_env.globals["case_attachments"] = lambda case_id: attachments.listed(session(), case_id)


@bp.get("/cases/<int:case_id>/print")
@login_required
def case_print(case_id: int):
    """A case for paper: its data, tasks and deadlines, history, documents and files."""
    db = session()
    case = scope.scoped_case(db, g.user, case_id)
    return render_template("case_print.html", case=case, tasks=cases.case_tasks(db, case_id),
                           history=history.case_history(db, case_id), documents=documents.case_documents(db, case_id),
                           files=attachments.listed(db, case_id), printed_at=engine().now())


@bp.get("/tasks/<int:task_id>/print")
@login_required
def task_print(task_id: int):
    """A task for paper: its form with the values it holds (an open task: its draft or what it starts with)."""
    db = session()
    task = scope.scoped_task(db, g.user, task_id)
    schema = casework.form_schema(engine(), db, task) or {"type": "object", "properties": {}}
    shown = task_values(task, schema)
    fields = formfields.build(schema, shown, {}, directory.choices(db, schema),
                              sheets=standards.sheet_contexts(engine(), db, task, schema, shown))
    return render_template("task_print.html", task=task, case=task.case, schema=schema, fields=fields,
                           legal_basis=casework.element_documentation(engine(), task.case).get(task.element_id),
                           printed_at=engine().now())
