"""Batch operations on a selection, from the inbox (tasks) and the case list (cases): 签收, 转办, 催办 and export.
Each item is done on its own; the page then says how many were done and which were not, and why."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Flask, flash, g, redirect, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from engine.core import DataValidationError, FieldError, Msg, User
from engine.work import batch

from .auth import login_required
from .database import session
from .deadlines import deadline_date
from .csv_files import cell, csv_download
from .pages import case_csv
from .redirects import local_target
from .refusal import describe, refuse
from .workflow import engine

bp = Blueprint("batch", __name__)
DONE = {"claim": _l("已签收 %(n)d 项"), "transfer": _l("已转办 %(n)d 项"), "urge": _l("已催办 %(n)d 项")}
TASK_STATUS = {"ready": _l("待办"), "completed": _l("已办"), "cancelled": _l("已取消")}
LISTED_FAILURES = 20        # the failures a page names one by one (a flash message travels in the session cookie)


def init_app(app: Flask) -> None:
    """Register the batch routes."""
    app.register_blueprint(bp)


@bp.post("/batch/tasks")
@login_required
def batch_tasks():
    """Claim, transfer, urge or export the tasks chosen in the inbox, each on its own; then back to the list."""
    return _batch("task", "work.inbox", batch.run,
                  lambda ids: _task_csv(batch.visible_tasks(session(), g.user, ids)))


@bp.post("/batch/cases")
@login_required
def batch_cases():
    """Claim, transfer or urge the open tasks of the cases chosen in the case list, or export those cases."""
    return _batch("case", "pages.case_list", batch.run_on_cases,
                  lambda ids: case_csv(batch.visible_cases(session(), g.user, ids), with_fields=False))


def _batch(field: str, listing: str, run, export):
    """The chosen operation on the chosen rows, or their export; what was done and refused is flashed on the list."""
    back = local_target(request.form.get("next"), url_for(listing))
    operation = request.form.get("operation", "")
    try:
        ids = _ids(field)
        if operation == "export":
            return export(ids)
        outcomes = run(engine(), session(), g.user, operation, ids, **_params())
    except DataValidationError as exc:
        refuse(exc)
        return redirect(back)
    _report(operation, outcomes)
    return redirect(back)


def _ids(field: str) -> list[int]:
    """The chosen row ids; a value that is not one is refused naming the field."""
    values = request.form.getlist(field)
    bad = [v for v in values if not (v.isascii() and v.isdigit() and 0 < int(v) < 2**31)]
    if bad:
        raise DataValidationError(Msg("batch.nothing_chosen"), [
            FieldError(field, Msg("batch.choose_some"), "type")])
    return [int(v) for v in values]


def _params() -> dict:
    form = request.form
    return {"to": form.get("to", ""), "reason": form.get("reason", ""), "note": form.get("note", "")}


def _report(operation: str, outcomes: list[batch.Outcome]) -> None:
    """Flash how many items were done and, one by one, which were not and why."""
    done = [o for o in outcomes if o.ok]
    failed = [o for o in outcomes if not o.ok]
    if done:
        flash(DONE[operation] % {"n": len(done)}, "ok")
    if failed:
        lines = [f"{_label(o)}：{describe(o.error)}" for o in failed[:LISTED_FAILURES]]
        more = _("（另有 %(n)d 项未列出）", n=len(failed) - LISTED_FAILURES) if len(failed) > LISTED_FAILURES else ""
        flash(_("%(n)d 项未办理：", n=len(failed)) + "；".join(lines) + more, "error")


def _label(outcome: batch.Outcome) -> str:
    """An item as people know it: the case number and the task's name, where the user may see them."""
    if outcome.number or outcome.name:
        return " ".join(p for p in (outcome.number, outcome.name) if p)
    if outcome.task_id is not None:
        return _("任务 %(id)s", id=outcome.task_id)
    return _("案件 %(id)s", id=outcome.case_id)


def _task_csv(found):
    """The chosen tasks as a CSV download: task, case, process, organisation, deadline and who holds it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("任务"), _("编号"), _("标题"), _("流程"), _("办理机构"), _("期限"), _("办理人"), _("状态")])
    for task in found:
        case = task.case
        holder = session().get(User, task.assignee_id) if task.assignee_id else None
        writer.writerow([cell(v) for v in (
            task.name, case.business_number or case.id, case.title or "", case.definition.name,
            case.org.name if case.org else "", deadline_date(task.due_at) or _("无期限"),
            holder.display_name if holder else "",
            TASK_STATUS.get(task.status, task.status))])
    return csv_download(out.getvalue(), "tasks")
