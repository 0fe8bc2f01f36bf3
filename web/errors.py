"""Turns errors into responses, once: problem+json under /api/v1, an HTML page elsewhere."""
from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from engine.errors import EngineError

from .api import is_api_request
from .api.problems import STATUS, engine_problem, http_problem


def init_app(app: Flask) -> None:
    """Register the engine and HTTP error handlers."""
    app.register_error_handler(EngineError, _engine_error)
    app.register_error_handler(HTTPException, _http_error)


def _engine_error(exc: EngineError):
    if is_api_request():
        return engine_problem(exc)
    status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
    return render_template("error.html", error=exc, status=status), status


def _http_error(exc: HTTPException):
    if is_api_request():
        return http_problem(exc)
    return exc
