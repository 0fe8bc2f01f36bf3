"""Engine errors as HTTP answers, written once: the status each error class stands for, the JSON a refusal is
given in (problem+json, web/api/problems.py, for the API and the policy editor's saves alike), and how a page
refuses.

Who rolls back: whoever answers a refusal. A refused engine call may have begun a write (on SQLite, taken the
write lock) or left a failed transaction behind; `refuse`, `problems.json_refusal` and the error handler undo the
request's transaction before anything else reads, and teardown closes the session whatever happened."""
from __future__ import annotations

from flask import flash

from engine.core import (
    BundleInvalid, CaseFailed, ConflictError, DataValidationError, EngineError, ImportRefused, InvalidState,
    NotAllowed, NotFound,
)

from .database import rollback
from .engine_text import engine_text

# Matched along the error's class hierarchy; an engine error no entry names is a bad request.
STATUS = {NotFound: 404, NotAllowed: 403, ConflictError: 409, InvalidState: 409, DataValidationError: 422,
          CaseFailed: 422, BundleInvalid: 422, ImportRefused: 422}


def status_of(error: EngineError) -> int:
    """The HTTP status an engine error stands for."""
    return next((STATUS[cls] for cls in type(error).__mro__ if cls in STATUS), 400)


def describe(error: EngineError) -> str:
    """What a person is told: each field's message for refused data, else the error's message."""
    if isinstance(error, DataValidationError) and error.errors:
        return "；".join(engine_text(e) for e in error.errors)
    if isinstance(error, ImportRefused):
        return engine_text(error) + "：" + "；".join(f"{e.row} {e.column} {engine_text(e)}" for e in error.errors)
    return engine_text(error)


def refuse(error: EngineError, message: str | None = None, *, beside_fields: bool = False) -> int:
    """A page's answer to a refused change: the transaction undone, the reason flashed (`message` if given; nothing
    with `beside_fields`, for a form shown again with each field's message beside it), and the status to answer
    with when the page is shown again rather than redirected."""
    rollback()
    if not beside_fields:
        flash(message or describe(error), "error")
    return status_of(error)
