"""Turns errors into responses, once: problem+json under /api/v1, an HTML page elsewhere."""
from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from engine.core import DataValidationError, EngineError, FieldError

from .api import is_api_request
from .api.problems import engine_problem, http_problem
from .database import rollback
from .refusal import status_of


def init_app(app: Flask) -> None:
    """Register the engine and HTTP error handlers, and the refusal of NUL characters in any input."""
    app.register_error_handler(EngineError, _engine_error)
    app.register_error_handler(HTTPException, _http_error)
    app.before_request(_refuse_nul_characters)


_BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refuse_nul_characters():
    """No database stores U+0000 in text; say which field holds one instead of failing deep inside.

    Runs after sign-in and the CSRF check (which parsed the form already), so it reads no body the sign-in
    has not allowed. The query string and page forms are looked at here, with the names of uploaded files; JSON
    bodies when they are read (web/jsonio.py).
    """
    found = []
    if b"%00" in request.query_string or b"\x00" in request.query_string:
        found += [f"query.{k}" for k, v in request.args.items(multi=True) if "\x00" in k or "\x00" in v]
    if request.method in _BODY_METHODS and request.mimetype in _FORM_TYPES and not is_api_request():
        found += [f"form.{k}" for k, v in request.form.items(multi=True) if "\x00" in k or "\x00" in v]
        found += [f"form.{k}" for k, f in request.files.items(multi=True) if "\x00" in k or "\x00" in (f.filename or "")]
    if not found:
        return None
    error = DataValidationError("输入中含有不允许的空字符（U+0000）",
                                [FieldError(name, "含有不允许的空字符（U+0000）", "characters") for name in found])
    return _engine_error(error)


def _engine_error(exc: EngineError):
    """An engine error no view answered: its transaction undone, then problem+json or the error page."""
    rollback()
    if is_api_request():
        return engine_problem(exc)
    status = status_of(exc)
    return render_template("error.html", error=exc, status=status), status


def _http_error(exc: HTTPException):
    if is_api_request():
        return http_problem(exc)
    return exc
