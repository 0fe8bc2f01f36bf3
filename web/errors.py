"""Turns errors into responses, once: problem+json under /api/v1, an HTML page elsewhere."""
from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from engine.errors import DataValidationError, EngineError, FieldError

from .api import is_api_request
from .api.problems import STATUS, engine_problem, http_problem


def init_app(app: Flask) -> None:
    """Register the engine and HTTP error handlers, and the refusal of NUL characters in any input."""
    app.register_error_handler(EngineError, _engine_error)
    app.register_error_handler(HTTPException, _http_error)
    app.before_request(_refuse_nul_characters)


# How a NUL can arrive: raw, percent-encoded in a URL or form, or escaped in JSON. A request whose raw bytes hold
# none of these has none to find, and most requests are checked by this look at the bytes alone.
_NUL_SPELLINGS = (b"\x00", b"%00", b"\\u0000")


def _may_hold_nul() -> bool:
    if any(s in request.query_string for s in _NUL_SPELLINGS):
        return True
    if request.mimetype == "multipart/form-data":
        return True         # files: the fields are looked at one by one, not the whole upload
    body = request.get_data(cache=True)
    return any(s in body for s in _NUL_SPELLINGS)


def _refuse_nul_characters():
    """No database stores U+0000 in text; say which field holds one instead of failing deep inside."""
    if not _may_hold_nul():
        return None
    found = [f"query.{k}" for k, v in request.args.items(multi=True) if "\x00" in k or "\x00" in v]
    found += [f"form.{k}" for k, v in request.form.items(multi=True) if "\x00" in k or "\x00" in v]
    if request.is_json:
        found += [f"json.{path}" if path else "json" for path in _nul_paths(request.get_json(silent=True), "")]
    if not found:
        return None
    error = DataValidationError("输入中含有不允许的空字符（U+0000）",
                                [FieldError(name, "含有不允许的空字符（U+0000）", "characters") for name in found])
    return _engine_error(error)


def _nul_paths(value, path: str):
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                yield child
            yield from _nul_paths(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, f"{path}.{index}" if path else str(index))


def _engine_error(exc: EngineError):
    if is_api_request():
        return engine_problem(exc)
    status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
    return render_template("error.html", error=exc, status=status), status


def _http_error(exc: HTTPException):
    if is_api_request():
        return http_problem(exc)
    return exc
