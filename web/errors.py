"""Turns engine errors into responses, once."""
from __future__ import annotations

from flask import Flask, render_template

from engine.errors import ConflictError, DataValidationError, EngineError, InvalidState, NotAllowed, NotFound

STATUS = {NotFound: 404, ConflictError: 409, NotAllowed: 403, InvalidState: 409, DataValidationError: 422}


def init_app(app: Flask) -> None:
    """Register the engine error handler."""
    app.register_error_handler(EngineError, _engine_error)


def _engine_error(exc: EngineError):
    status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
    return render_template("error.html", error=exc, status=status), status
