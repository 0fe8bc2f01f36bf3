"""Cases: start, list, detail, history, path, messages, copies, comments and documents."""
from __future__ import annotations

import io

from flask import g, send_file
from flask.views import MethodView

from engine.core import scope, NotFound
from engine.records import documents, history
from engine.runtime import cases
from engine.work import casework, plain, tasks, worklists

from ..database import session
from ..engine_text import engine_text
from ..present import case_dict, case_documents, task_dict
from ..workflow import engine
from . import Blueprint, authenticate
from .schemas import (
    CaseDetail, CaseOut, CaseQuery, CaseStart, CommentIn, CopyIn, DocumentOut, EventOut, MessageIn, StepOut,
)

blp = Blueprint("api_cases", __name__, description="案件")
blp.before_request(authenticate)
DOCUMENT = "api_cases.document"


def visible(case_id: int):
    """A case in the caller's organisation subtree, else 404."""
    return scope.scoped_case(session(), g.user, case_id)


def next_page(cursor: str | None) -> dict:
    """The header that carries the next page's cursor (none on the last page)."""
    return {"X-Next-Cursor": cursor} if cursor else {}


def detail(case) -> dict:
    db, eng = session(), engine()
    docs = casework.element_documentation(eng, case)
    full = plain.sees_in_full(db, g.user, case)
    return {**case_dict(case, full), "tasks": [task_dict(t, docs) for t in cases.case_tasks(db, case.id, "ready")],
            "documents": case_documents(case.id, DOCUMENT),
            "waiting_messages": cases.waiting_messages(eng, db, case.id)}


@blp.route("/cases")
class Cases(MethodView):
    @blp.arguments(CaseQuery, location="query")
    @blp.response(200, CaseOut(many=True))
    def get(self, query):
        """Cases in the caller's organisation subtree, newest first; a full page's X-Next-Cursor header, sent back as
        `cursor`, gives the next page."""
        found = worklists.search_cases(session(), g.user, process_key=query.get("process"), status=query.get("status"),
                                   q=query.get("q"), org_code=query.get("org"), since=query.get("since"),
                                   until=query.get("until"), limit=query["limit"], cursor=query.get("cursor"))
        return [case_dict(c) for c in found], next_page(worklists.case_cursor(found, query["limit"]))

    @blp.arguments(CaseStart)
    @blp.response(201, CaseDetail)
    def post(self, body):
        """Start a case of a process's newest version in an organisation of the caller's subtree (403 if the
        process names starter roles the caller lacks)."""
        return detail(casework.start_as(engine(), session(), g.user, body["process"], body["org"], body["data"]))


@blp.route("/cases/<int:case_id>")
class CaseView(MethodView):
    @blp.response(200, CaseDetail)
    def get(self, case_id: int):
        """A case with its open tasks (deadlines and their legal basis), documents and awaited messages; copies of
        it sent to the caller count as read."""
        case = visible(case_id)
        worklists.read_copies_of(session(), g.user, case_id, engine().now())
        return detail(case)


@blp.route("/cases/<int:case_id>/history")
class History(MethodView):
    @blp.response(200, EventOut(many=True))
    def get(self, case_id: int):
        """Every audit event of the case, oldest first (the ID numbers a completion signed are masked unless the
        caller holds or did one of the case's tasks)."""
        db = session()
        case = visible(case_id)
        events = history.case_history(db, case_id)
        if plain.sees_in_full(db, g.user, case):
            return events
        return [_masked_event(db, case, event) for event in events]


def _masked_event(db, case, event) -> dict:
    """An audit event as the API shows it, with the answer its detail records masked."""
    detail = dict(event.detail or {})
    if isinstance(detail.get("answer"), dict):
        detail["answer"] = plain.masked_data(db, case, detail["answer"], full=False)
    return {"at": event.at, "actor": event.actor, "action": event.action, "task_uuid": event.task_uuid,
            "detail": detail}


@blp.route("/cases/<int:case_id>/path")
class Path(MethodView):
    @blp.response(200, StepOut(many=True))
    def get(self, case_id: int):
        """The finished elements of the case, in order."""
        visible(case_id)
        return history.case_path(session(), case_id)


@blp.route("/cases/<int:case_id>/messages")
class Messages(MethodView):
    @blp.arguments(MessageIn)
    @blp.response(200, CaseDetail)
    def post(self, body, case_id: int):
        """Deliver a message the case waits for (409 if it does not; 403 if the diagram names sender roles the
        caller lacks). A sender field the diagram names is filled with the caller's username."""
        payload = casework.sender_payload(engine(), session(), visible(case_id), g.user, body["name"], body["payload"])
        case = cases.send_message(engine(), session(), case_id, body["name"], payload, actor=g.user.username)
        return detail(case)


@blp.route("/cases/<int:case_id>/copies")
class Copies(MethodView):
    @blp.arguments(CopyIn)
    @blp.response(201, CaseOut)
    def post(self, body, case_id: int):
        """抄送: send the case to colleagues who may see it."""
        tasks.copy(engine(), session(), case_id, g.user, body["to"], body["note"], task_id=body["task_id"])
        return case_dict(visible(case_id))


@blp.route("/cases/<int:case_id>/comments")
class Comments(MethodView):
    @blp.arguments(CommentIn)
    @blp.response(201, EventOut)
    def post(self, body, case_id: int):
        """A remark on the case's timeline."""
        tasks.comment(engine(), session(), case_id, g.user, body["text"], task_id=body["task_id"])
        return history.case_history(session(), case_id)[-1]


@blp.route("/cases/<int:case_id>/documents")
class Documents(MethodView):
    @blp.response(200, DocumentOut(many=True))
    def get(self, case_id: int):
        """The case's generated documents."""
        visible(case_id)
        return case_documents(case_id, DOCUMENT)


@blp.route("/cases/<int:case_id>/documents/<int:document_id>")
@blp.response(200, description="Word 文书（.docx）")
def document(case_id: int, document_id: int):
    """Download a generated document."""
    visible(case_id)
    doc = documents.document(session(), case_id, document_id)
    if doc.status != "ready":
        raise NotFound(f"文书未能生成：{engine_text(doc.error)}", document=document_id)
    return send_file(io.BytesIO(doc.content), download_name=doc.filename, as_attachment=True,
                     mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
