"""The public portal: file a complaint without an account, then check its stage with the number and code."""
from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from flask import Blueprint, Flask, abort, current_app, render_template, request

from engine.core import DataValidationError, NotFound
from engine.records import directory
from engine.work import portal

from . import formfields
from .database import session
from .workflow import engine
from .engine_text import engine_text

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
    """Register the portal with its rate limits (submissions per hour, status checks per 10 minutes)."""
    app.extensions["lawflow.portal_limits"] = {
        "submit": RateLimiter(int(app.config["PORTAL_SUBMISSIONS_PER_HOUR"]), 3600),
        "status": RateLimiter(int(app.config["PORTAL_CHECKS_PER_10_MINUTES"]), 600),
    }
    app.register_blueprint(bp)


def _limit(bucket: str) -> None:
    if not current_app.extensions["lawflow.portal_limits"][bucket].allow(request.remote_addr or "?"):
        abort(429, description="操作过于频繁，请稍后再试")


@bp.get("/")
def index():
    """What the public may do here."""
    return render_template("portal/index.html", processes=portal.public_processes(session()))


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
