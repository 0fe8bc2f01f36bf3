"""Tasks (the inbox, claim, complete, transfer, delegate, resolve, urge, drafts) and notifications."""
from __future__ import annotations


from flask import g
from flask.views import MethodView

from engine.core import scope
from engine.records import notifications
from engine.runtime import cases
from engine.work import batch, casework, tasks, worklists

from ..database import session
from ..engine_text import engine_text
from ..refusal import status_of
from ..present import task_dict
from ..workflow import engine
from .cases import next_page
from . import Blueprint, authenticate
from .schemas import (
    BatchIn, BatchOut, Completed, CompleteIn, CopyOut, CopyQuery, DelegateIn, DraftIn, InboxQuery, NoteIn,
    NotificationOut, ReadIn, TaskDetail, TaskOut, TransferIn,
)

blp = Blueprint("api_tasks", __name__, description="待办任务与通知")
blp.before_request(authenticate)
SOON_WORKING_DAYS = 2


def soon_moment():
    """The end of the due-soon window: two working days from now."""
    eng = engine()
    return eng.calendar.add_working_days(eng.now(), SOON_WORKING_DAYS)


def task_detail(task) -> dict:
    db = session()
    return {**task_dict(task), "form_schema": casework.form_schema(engine(), db, task),
            "draft": task.draft, "case_version": task.case.version}


def visible(task_id: int):
    return scope.scoped_task(session(), g.user, task_id)


@blp.route("/tasks")
class Inbox(MethodView):
    @blp.arguments(InboxQuery, location="query")
    @blp.response(200, TaskOut(many=True))
    def get(self, query):
        """The caller's inbox: mine, my role's unclaimed (group), or done; sorted by due time; a full page's
        X-Next-Cursor header, sent back as `cursor`, gives the next page."""
        found = worklists.inbox(session(), g.user, query["view"], process_key=query.get("process"), q=query.get("q"),
                            due=query.get("due"), since=query.get("since"), until=query.get("until"),
                            now=engine().now(), soon=soon_moment(), limit=query["limit"], sort=query["sort"],
                            cursor=query.get("cursor"))
        return [task_dict(t) for t in found], next_page(
            worklists.inbox_cursor(found, query["limit"], query["view"], query["sort"]))


@blp.route("/tasks/<int:task_id>")
class TaskView(MethodView):
    @blp.response(200, TaskDetail)
    def get(self, task_id: int):
        """A task with its form (JSON Schema), draft and the case version to send back on completion."""
        return task_detail(visible(task_id))


def _operation(name: str, doc: str, schema, call):
    """Register POST /tasks/<id>/<name> running `call(task_id, body)` and answering the task."""
    def view(body, task_id: int):
        visible(task_id)
        call(task_id, body)
        session().expire_all()
        return task_detail(visible(task_id))
    view.__name__ = f"task_{name}"
    view.__doc__ = doc
    blp.route(f"/tasks/<int:task_id>/{name}", methods=["POST"])(
        blp.arguments(schema)(blp.response(200, TaskDetail)(view)))


_operation("claim", "签收：take an unassigned task you are a candidate for.", NoteIn,
           lambda tid, body: tasks.claim(engine(), session(), tid, g.user))
_operation("release", "退回：give a claimed task back to its candidates.", NoteIn,
           lambda tid, body: tasks.release(engine(), session(), tid, g.user))
_operation("transfer", "转办：hand the task to another person.", TransferIn,
           lambda tid, body: tasks.transfer(engine(), session(), tid, g.user, body["to"], body["reason"]))
_operation("delegate", "委派：ask another person to work on it and hand it back.", DelegateIn,
           lambda tid, body: tasks.delegate(engine(), session(), tid, g.user, body["to"], body["note"]))
_operation("resolve", "交回：the delegate hands the task back to its owner.", NoteIn,
           lambda tid, body: tasks.resolve(engine(), session(), tid, g.user, body["note"]))
_operation("urge", "催办：remind whoever holds the task.", NoteIn,
           lambda tid, body: tasks.urge(engine(), session(), tid, g.user, body["note"]))
_operation("draft", "暂存：keep unfinished form data on the task.", DraftIn,
           lambda tid, body: tasks.save_draft(engine(), session(), tid, g.user, body["data"]))


@blp.route("/tasks/batch", methods=["POST"])
@blp.arguments(BatchIn)
@blp.response(200, BatchOut)
def batch_operation(body):
    """批量签收、转办、催办：each task on its own; the answer says, task by task, which were done and why the others
    were not (a refused task changes nothing). A bad request as a whole (operation, no tasks, too many) is 422."""
    found = batch.run(engine(), session(), g.user, body["operation"], body["tasks"], to=body["to"],
                      reason=body["reason"], note=body["note"])
    items = [_batch_item(o) for o in found]
    return {"done": sum(i["ok"] for i in items), "failed": sum(not i["ok"] for i in items), "items": items}


def _batch_item(outcome) -> dict:
    error = outcome.error
    fields = [{"field": e.field, "message": engine_text(e), "rule": e.rule}
              for e in getattr(error, "errors", None) or []] if error is not None else None
    return {"task": outcome.task_id, "case_id": outcome.case_id, "business_number": outcome.number,
            "name": outcome.name, "ok": error is None, "status": 200 if error is None else status_of(error),
            "detail": engine_text(error) if error is not None else None, "errors": fields or None}


@blp.route("/tasks/<int:task_id>/complete", methods=["POST"])
@blp.arguments(CompleteIn)
@blp.response(200, Completed)
def complete(body, task_id: int):
    """办理：validate the data against the task's form and complete it (422 field errors; 409 if someone was first).
    The answer names the case's tasks that are open now."""
    case, ready = cases.complete_task(engine(), session(), task_id, body["data"], user=g.user,
                                      expected_version=body["expected_version"])
    return {"id": task_id, "status": "completed", "case_id": case.id, "case_status": case.status,
            "case_version": case.version, "next_tasks": ready}


@blp.route("/copies")
class Copies(MethodView):
    @blp.arguments(CopyQuery, location="query")
    @blp.response(200, CopyOut(many=True))
    def get(self, query):
        """抄送我的: cases and tasks copied to the caller, newest first (opening the case reads them)."""
        return worklists.copies(session(), g.user, unread_only=query["unread"], limit=query["limit"])


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.response(200, NotificationOut(many=True))
    def get(self):
        """The caller's unread notifications, newest first."""
        return notifications.unread(session(), g.user.id)


@blp.route("/notifications/read", methods=["POST"])
@blp.arguments(ReadIn)
@blp.response(200, NotificationOut(many=True))
def read(body):
    """Mark notifications read; answers what is still unread."""
    notifications.mark_read(session(), g.user.id, body["ids"], engine().now())
    return notifications.unread(session(), g.user.id)


