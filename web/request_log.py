"""Log lines operators can search: every request gets an id (the caller's `X-Request-Id`, or a new one), echoed in
the response, and each log line says which request, user and case it belongs to.

`LOG_FORMAT` `json` writes one JSON object a line (for a log collector); `plain` writes the same fields as text.
One line per request (logger `lawflow.request`) says what was asked, the answer's status and how long it took; any
other line logged while a request runs (the app's, the engine's) carries the same request id, user and case.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-Id"
_GIVEN_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")      # a caller's id is kept only if it is this plain
_FIELDS = ("request_id", "user", "case")
request_log = logging.getLogger("lawflow.request")


def init_app(app: Flask) -> None:
    """Give each request its id (first of the request hooks) and log it when answered; set up the log format."""
    configure(app.config["LOG_FORMAT"])
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_answered)


def configure(kind: str) -> None:
    """Write log lines to stderr in `kind` (json or plain): one handler on the root logger, once per process, so
    every library's lines (gunicorn's, werkzeug's, the app's) come out the same way; lawflow's own log from INFO."""
    if kind not in ("json", "plain"):
        raise ValueError(f"LOG_FORMAT must be json or plain, not {kind!r}")
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        handler.addFilter(RequestContext())
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if kind == "json" else PlainFormatter())
    own = logging.getLogger("lawflow")
    if own.level == logging.NOTSET:
        own.setLevel(logging.INFO)


def _begin() -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _GIVEN_ID.fullmatch(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def request_id() -> str:
    """This request's id (made now if the request was answered before its hooks ran)."""
    if "request_id" not in g:
        _begin()
    return g.request_id


def _answered(response):
    response.headers[REQUEST_ID_HEADER] = request_id()
    seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
    request_log.info("%s %s %s", request.method, request.path, response.status_code,
                     extra={"method": request.method, "path": request.path, "endpoint": request.endpoint,
                            "status": response.status_code, "duration_ms": round(seconds * 1000, 2)})
    return response


class RequestContext(logging.Filter):
    """Puts the request id, the signed-in user and the case the request is about on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            user = g.get("user")
            record.request_id = request_id()
            record.user = getattr(user, "username", None)
            record.case = (request.view_args or {}).get("case_id") or g.get("log_case")
        return True


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is written (a test's capture, or the server's stderr)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the request's fields and whatever `extra` added."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """Text: time, level, logger and message, then the request's fields that are known."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        known = " ".join(f"{k}={getattr(record, k)}" for k in _FIELDS if getattr(record, k, None) is not None)
        text = super().format(record)
        return f"{text} [{known}]" if known else text
