"""The public portal: file a complaint without an account, then check its stage with the number and code; read the
public lists processes declare and send a listed case the message its list accepts (an objection)."""
from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from flask import Blueprint, Flask, abort, current_app, render_template, request

from engine.core import DataValidationError, EngineError, NotFound
from engine.records import directory, draws
from engine.work import portal, public_lists

from . import formfields
from .database import rollback, session
from .draw_view import draw_view
from .workflow import engine
from .engine_text import engine_text
from .refusal import refuse

bp = Blueprint("portal", __name__, url_prefix="/portal")


class RateLimiter:
    """At most `limit` hits per key in a sliding window (per process; enough to slow a script down)."""

    def __init__(self, limit: int, seconds: float):
        self.limit, self.seconds = limit, seconds
        self._hits: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            hits = self._hits[key]
            while hits and now - hits[0] > self.seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True


def init_app(app: Flask) -> None:
    """Register the portal with its rate limits (submissions and list messages per hour, status checks per
    10 minutes)."""
    app.extensions["lawflow.portal_limits"] = {
        "submit": RateLimiter(int(app.config["PORTAL_SUBMISSIONS_PER_HOUR"]), 3600),
        "status": RateLimiter(int(app.config["PORTAL_CHECKS_PER_10_MINUTES"]), 600),
        "message": RateLimiter(int(app.config["PORTAL_MESSAGES_PER_HOUR"]), 3600),
    }
    app.register_blueprint(bp)


def _limit(bucket: str) -> None:
    if not current_app.extensions["lawflow.portal_limits"][bucket].allow(request.remote_addr or "?"):
        abort(429, description="操作过于频繁，请稍后再试")


@bp.get("/")
def index():
    """What the public may do here."""
    db = session()
    return render_template("portal/index.html", processes=portal.public_processes(db),
                           lists=public_lists.public_lists(db), draws=bool(draws.published(db, per_page=1)))


@bp.route("/<process_key>", methods=("GET", "POST"))
def submit(process_key: str):
    """Fill in and submit the intake form; the answer is the case number and a verification code."""
    db = session()
    definition, schema = portal.public_form(engine(), db, process_key)
    data, errors, org, status = {}, {}, request.form.get("org", ""), 200
    if request.method == "POST":
        _limit("submit")
        data = formfields.parse(schema, request.form)
        try:
            case, code = portal.submit(engine(), db, process_key, data, org)
        except DataValidationError as exc:
            errors, status = formfields.error_map(exc.errors), 422
        else:
            return render_template("portal/received.html", case=case, code=code, definition=definition)
    fields = formfields.build(schema, data, errors, directory.choices(db, schema))
    return render_template("portal/form.html", definition=definition, schema=schema, fields=fields,
                           orgs=portal.receiving_organizations(db, definition), org=org, org_error=errors.get("org")), status


@bp.route("/status", methods=("GET", "POST"))
def status():
    """The stage and the public fields of a case, given its number and verification code."""
    found, error, status_code = None, None, 200
    if request.method == "POST":
        _limit("status")
        try:
            found = portal.status(engine(), session(), request.form.get("number", ""), request.form.get("code", ""))
        except NotFound as exc:
            error, status_code = engine_text(exc), 404
    return render_template("portal/status.html", found=found, error=error), status_code


@bp.route("/lists/<process_key>/<name>", methods=("GET", "POST"))
def public_list(process_key: str, name: str):
    """A public list, paged; a row of a list that accepts messages has a form to send one (an objection)."""
    db, sent, errors, status = session(), {}, {}, 200
    if request.method == "POST":
        _limit("message")
        sent = {key: request.form.get(key, "") for key in ("number", "message", "name", "contact", "text")}
        try:
            receipt = public_lists.send_public_message(engine(), db, process_key, name, sent["number"],
                                                       sent["message"], sent)
        except DataValidationError as exc:      # shown beside the fields of the row it was sent from
            rollback()
            errors, status = formfields.error_map(exc.errors), 422
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
def published_draw(draw_id: int):
    """One published draw with everything needed to run it again; 复核 runs it again here."""
    db, same = session(), None
    draw, org = draws.published_draw(db, draw_id)
    if request.method == "POST":
        _limit("status")
        same = draws.verify(db, draw_id)
    return render_template("portal/draw.html", draw={**draw_view(draw), "org": org}, same=same)


PER_PAGE = 50
