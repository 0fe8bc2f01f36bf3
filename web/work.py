"""Pages for daily work: the inbox, a task's form and operations, notifications and the leader's overview."""
from __future__ import annotations

import io

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, send_file, url_for

from engine.core import people, scope, DataValidationError, EngineError, NotFound, Notification
from engine.definitions import forms
from engine.records import attachments, directory, documents, history, notifications
from engine.runtime import cases, submissions
from engine.work import batch, casework, plain, review, tasks, worklists

from flask_babel import gettext as _, lazy_gettext as _l

from . import formfields, standards, uploads
from .auth import login_required
from .pages import day_start
from .redirects import local_target
from .refusal import refuse
from .database import session
from .workflow import engine
from .engine_text import engine_text

bp = Blueprint("work", __name__)
VIEW_LABELS = {"mine": _l("我的待办"), "group": _l("待签收"), "delegated": _l("我委派的"), "done": _l("已办"),
               "copies": _l("抄送我的")}
SORT_LABELS = {"due": _l("按期限"), "newest": _l("最新到达"), "oldest": _l("最早到达")}
DUE_LABELS = {"overdue": _l("已超期"), "soon": _l("临期（2 个工作日内）")}
SOON_WORKING_DAYS = 2
OPERATIONS = ("claim", "release", "transfer", "delegate", "resolve", "urge")
BATCH_OPERATIONS = {"mine": ("claim", "transfer", "export"), "group": ("claim", "transfer", "urge", "export"),
                    "delegated": ("urge", "export"), "done": ("export",)}


def init_app(app: Flask) -> None:
    """Register the work pages and the unread-notification count every page shows."""
    app.register_blueprint(bp)
    app.context_processor(_counts)
    app.jinja_env.globals["case_fields"] = shown_fields


def shown_fields(case, tasks=None) -> list:
    """A case's fields as the reader may see them: keys by name, ID numbers in full only for those who hold or did
    one of its tasks (`tasks`: all of them, when the page read them already)."""
    db = session()
    return plain.readable(db, case, casework.case_fields(db, case), full=plain.sees_in_full(db, g.user, case, tasks))


def _counts() -> dict:
    user = g.get("user")
    if user is None:
        return {}
    return {"unread_count": len(notifications.unread(session(), user.id))}


def _soon():
    eng = engine()
    return eng.now(), eng.calendar.add_working_days(eng.now(), SOON_WORKING_DAYS)



@bp.get("/inbox")
@login_required
def inbox():
    """待办: my tasks (with my role's unclaimed ones below), my role's unclaimed ones, what I did, and what was
    copied to me; sorted by due time."""
    view = request.args.get("view", "mine")
    if view not in VIEW_LABELS:
        abort(404)
    now, soon = _soon()
    db = session()
    filters = {k: request.args.get(k) or None for k in ("process", "q", "due", "since", "until", "sort")}
    if filters["sort"] not in SORT_LABELS:
        filters["sort"] = "due"
    narrowed = dict(process_key=filters["process"], q=filters["q"], due=filters["due"], since=day_start(filters["since"]),
                    until=day_start(filters["until"], 1), now=now, soon=soon, sort=filters["sort"],
                    limit=current_app.config["LIST_PAGE_SIZE"])
    claimable, cursor, next_cursor = [], request.args.get("cursor"), None
    if view == "copies":
        found = worklists.copies(db, g.user)
    elif view == "mine" and not cursor:   # what I may claim shows below my own tasks: work waiting is never out of sight
        found, claimable = worklists.my_work(db, g.user, **narrowed)
    else:                       # a later page of mine goes on with my own tasks only
        found = worklists.inbox(db, g.user, view, **narrowed, cursor=cursor)
    if view != "copies":
        next_cursor = worklists.inbox_cursor(found, narrowed["limit"], view, filters["sort"])
    signed = review.signed(engine(), db, found) if view == "done" else {}
    return render_template("inbox.html", view=view, found=found, claimable=claimable, filters=filters,
                           next_cursor=next_cursor, filters_present={k: v for k, v in filters.items() if v},
                           page_size=narrowed["limit"],
                           views=VIEW_LABELS, signed=signed, due_labels=DUE_LABELS, sort_labels=SORT_LABELS,
                           counts=worklists.inbox_counts(db, g.user, now, soon), processes=_processes(),
                           **_batch_bar(view, found))


def _batch_bar(view: str, found) -> dict:
    """The selection toolbar of a task view: its operations and, for a transfer, who may receive the tasks."""
    ops = BATCH_OPERATIONS.get(view, ())
    receivers = batch.receivers_of(engine(), session(), g.user, found) if "transfer" in ops else []
    return {"batch_action": url_for("batch.batch_tasks"), "batch_ops": ops, "batch_receivers": receivers,
            "batch_item": "task"}


def _processes() -> list[tuple[str, str]]:
    from engine.definitions import bundles

    return [(d.process_key, d.name) for d in bundles.latest_definitions(session())]


@bp.route("/tasks/<int:task_id>", methods=("GET", "POST"))
@login_required
def task_page(task_id: int):
    """A task: its form beside the case summary, documents, deadline and the operations the user may use."""
    db = session()
    task = scope.scoped_task(db, g.user, task_id)
    schema = casework.form_schema(engine(), db, task) or {"type": "object", "properties": {}}
    if request.method == "GET":
        return render_template("task.html", **_task_context(task, schema, _prefill(task, schema), {}))
    drafting, data = request.form.get("action") == "draft", None
    try:
        submissions.check_workable(db, task, g.user, completing=not drafting,    # before any upload is stored
                             case_status=task.case.status)
        data = _posted(schema, task)
        if drafting:
            tasks.save_draft(engine(), db, task_id, g.user, data)
            flash(_("草稿已暂存"), "ok")
            return redirect(url_for("work.task_page", task_id=task_id))
        cases.complete_task(engine(), db, task_id, data, user=g.user)
    except EngineError as exc:
        # Bad data, someone was first, the case is not running, or the diagram failed on this data (the case is
        # then in error at its last good state): say so on the form, with what was entered still in it.
        invalid = isinstance(exc, DataValidationError)
        status = refuse(exc, _("%(problem)s，请按提示修改", problem=engine_text(exc)) if invalid else engine_text(exc))
        errors = formfields.error_map(exc.errors) if invalid else {}
    else:
        flash(_("已办理「%(name)s」", name=task.name), "ok")
        return redirect(url_for("work.inbox"))
    task = scope.scoped_task(db, g.user, task_id)       # read afresh: the refusal rolled the session back
    shown = data if data is not None else formfields.parse(schema, request.form)
    return render_template("task.html", **_task_context(task, schema, shown, errors)), status


def _prefill(task, schema: dict) -> dict:
    """A draft of this task if one was saved, else what the case knows for the fields the form declares a source
    for (`x-prefill`) and a score sheet's starting entries; every other field starts empty, whatever earlier tasks
    answered under the same name."""
    if task.draft or task.status != "ready":
        return task.draft or {}
    data = forms.prefilled(schema, casework.task_data(engine(), session(), task)) if forms.prefill_sources(schema) \
        else {}
    for key in standards.sheet_props(schema):
        start = standards.starting_sheet(engine(), session(), task, key)
        if start:
            data[key] = start
    return data


def _posted(schema: dict, task) -> dict:
    """The posted form as data; uploaded files are stored first so a form refused for its data keeps them (the
    caller has checked that the user may work on the task: a refused user stores nothing)."""
    db = session()
    uploaded: dict[str, list[dict]] = {}
    for name in formfields.file_fields(schema, form_keys=request.form.keys(), file_keys=request.files.keys()):
        kept = [int(v) for v in request.form.getlist(f"{name}.keep") if v.isdigit()]
        uploaded[f"{name}.previous"] = [attachments.describe(a) for a in attachments.of_case(db, task.case_id, kept)]
        for upload in request.files.getlist(name):
            if upload and upload.filename:
                stored = attachments.store(db, task.case_id, name, upload.filename, upload.mimetype or "",
                                           uploads.read(upload), actor=g.user.username, now=engine().now())
                uploaded.setdefault(name, []).append(attachments.describe(stored))
    db.commit()
    return formfields.parse(schema, request.form, uploaded)


def _task_context(task, schema, data, errors) -> dict:
    db = session()
    case = task.case
    holder = db.get(type(g.user), task.assignee_id) if task.assignee_id else None
    may_complete = (task.status == "ready" and case.status == "running" and people.is_candidate(db, g.user, task)
                    and task.delegation != "pending")
    shown = data if task.status == "ready" else _completed_data(task)
    fields = formfields.build(schema, shown, errors, directory.choices(db, schema),
                              sheets=standards.sheet_contexts(engine(), db, task, schema, shown))
    return {
        "task": task, "case": case, "schema": schema, "fields": fields, "holder": holder,
        "form_error": errors.get(""),          # an error of the whole form, not of one field
        "candidates": people.candidates(db, task), "may_complete": may_complete,
        "may_work": task.status == "ready" and people.is_candidate(db, g.user, task),
        "legal_basis": casework.element_documentation(engine(), case).get(task.element_id),
        "documents": documents.case_documents(db, case.id), "colleagues": tasks.colleagues(db, case),
        "receivers": tasks.receivers(engine(), db, task),
        "owner": db.get(type(g.user), task.owner_id) if task.owner_id else None,
        "review": review.review(engine(), db, task),
    }


def _completed_data(task) -> dict:
    """What a completed task signed, as its completion recorded it (a later task's answer under the same name is
    not his); files and score sheets, which a completion does not record, as the case's data holds them now. ID
    numbers are masked for a reader who neither holds nor did a task of the case."""
    db = session()
    known = casework.case_data(engine(), db, task.case)
    signed = history.signed_answers(db, {task.case_id}, {task.task_uuid}).get(task.task_uuid)
    if signed is not None:      # completions before answers were recorded show the case's data
        known = {**{k: v for k, v in known.items() if not history.is_signed_value(v)}, **signed}
    return plain.masked_data(db, task.case, known, full=plain.sees_in_full(db, g.user, task.case))


def task_values(task, schema: dict) -> dict:
    """What the task's form shows: an open task's draft or prefill, a completed task's values."""
    return _prefill(task, schema) if task.status == "ready" else _completed_data(task)


@bp.post("/tasks/<int:task_id>/<operation>")
@login_required
def task_operation(task_id: int, operation: str):
    """签收、退回、转办、委派、交回、催办, then back to where the user came from."""
    if operation not in OPERATIONS:
        abort(404)
    db, eng, form = session(), engine(), request.form
    calls = {
        "claim": lambda: tasks.claim(eng, db, task_id, g.user),
        "release": lambda: tasks.release(eng, db, task_id, g.user),
        "transfer": lambda: tasks.transfer(eng, db, task_id, g.user, form.get("to", ""), form.get("reason", "")),
        "delegate": lambda: tasks.delegate(eng, db, task_id, g.user, form.get("to", ""), form.get("note", "")),
        "resolve": lambda: tasks.resolve(eng, db, task_id, g.user, form.get("note", "")),
        "urge": lambda: tasks.urge(eng, db, task_id, g.user, form.get("note", "")),
    }
    try:
        calls[operation]()
    except NotFound:
        raise           # an outsider learns nothing: the one 404 page
    except EngineError as exc:
        refuse(exc)
    else:
        flash(OPERATION_DONE[operation], "ok")
    return redirect(_back(url_for("work.task_page", task_id=task_id)))


OPERATION_DONE = {"claim": _l("已签收"), "release": _l("已退回待签收"), "transfer": _l("已转办"),
                  "delegate": _l("已委派"), "resolve": _l("已交回委派人"), "urge": _l("已催办")}


def _back(default: str) -> str:
    """Where the form asked to go back to, if that is a page of this site."""
    return local_target(request.form.get("next"), default)


@bp.post("/cases/<int:case_id>/comment")
@login_required
def case_comment(case_id: int):
    """A remark on the case's timeline."""
    try:
        tasks.comment(engine(), session(), case_id, g.user, request.form.get("text", ""))
        flash(_("意见已记录"), "ok")
    except DataValidationError as exc:
        refuse(exc, engine_text(exc.errors[0]))
    return redirect(_back(url_for("pages.case_detail", case_id=case_id)))


@bp.post("/cases/<int:case_id>/copy")
@login_required
def case_copy(case_id: int):
    """抄送 the case to colleagues."""
    try:
        tasks.copy(engine(), session(), case_id, g.user, request.form.getlist("to"), request.form.get("note", ""))
        flash(_("已抄送"), "ok")
    except DataValidationError as exc:
        refuse(exc)
    return redirect(_back(url_for("pages.case_detail", case_id=case_id)))


@bp.get("/cases/<int:case_id>/attachments/<int:attachment_id>")
@login_required
def case_attachment(case_id: int, attachment_id: int):
    """Download a file uploaded into one of the case's forms."""
    db = session()
    scope.scoped_case(db, g.user, case_id)
    found = attachments.attachment(db, case_id, attachment_id)
    return send_file(io.BytesIO(found.content), download_name=found.filename, as_attachment=True,
                     mimetype=found.content_type)


@bp.get("/notifications")
@login_required
def notification_list():
    """My unread notifications."""
    return render_template("notifications.html", items=notifications.unread(session(), g.user.id))


@bp.get("/notifications/<int:notification_id>/open")
@login_required
def notification_open(notification_id: int):
    """Follow a notification to what it is about; following it reads it (someone else's answers 404)."""
    db = session()
    found = db.get(Notification, notification_id)
    if found is None or found.user_id != g.user.id:
        abort(404)
    if found.read_at is None:
        notifications.mark_read(db, g.user.id, [found.id], engine().now())
    return redirect(local_target(found.link, url_for("work.notification_list")))


@bp.post("/notifications/read")
@login_required
def notification_read():
    """Mark notifications read (all, or the ones posted)."""
    ids = [int(v) for v in request.form.getlist("id") if v.isdigit()]
    if not ids:
        ids = [n.id for n in notifications.unread(session(), g.user.id)]
    notifications.mark_read(session(), g.user.id, ids, engine().now())
    return redirect(_back(url_for("work.notification_list")))


@bp.get("/overview")
@login_required
def overview():
    """The leader's view: open, due-soon and overdue tasks per organisation of my subtree; cases I lead."""
    now, soon = _soon()
    db = session()
    return render_template("overview.html", rows=worklists.workload(db, g.user, now, soon),
                           led=worklists.led_cases(db, g.user), overdue=worklists.overdue_tasks(db, g.user, now))

