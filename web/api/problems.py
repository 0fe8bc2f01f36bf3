"""RFC 9457 problem details: one shape for every API error, with per-field messages."""
from __future__ import annotations

import re

from flask import jsonify
from werkzeug.exceptions import HTTPException

from engine.core import BundleInvalid, DataValidationError, EngineError, ImportRefused

from ..database import rollback
from ..engine_text import engine_text
from ..refusal import status_of

TITLES = {400: "请求无效", 401: "未认证", 403: "无权操作", 404: "不存在", 405: "不支持的方法", 409: "冲突",
          413: "上传内容过大", 422: "数据校验未通过", 429: "请求过于频繁"}

# marshmallow's messages, in the interface's language.
MESSAGES = {
    "Missing data for required field.": "必填项",
    "Unknown field.": "未知字段",
    "Field may not be null.": "不能为空",
    "Not a valid string.": "应为文本",
    "Not a valid integer.": "应为整数",
    "Not a valid boolean.": "应为是或否",
    "Not a valid mapping type.": "应为对象",
    "Not a valid list.": "应为列表",
    "Not a valid datetime.": "应为日期时间（ISO 8601）",
    "Not a valid date.": "应为日期（YYYY-MM-DD）",
    "Invalid input type.": "类型不正确",
    "Shorter than minimum length 1.": "不能为空",
}


def problem(status: int, detail: str, errors: list[dict] | None = None, **extra):
    """A problem+json response."""
    body = {"type": "about:blank", "title": TITLES.get(status, "错误"), "status": status, "detail": detail, **extra}
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def engine_problem(error: EngineError):
    """The problem an engine error stands for."""
    status = status_of(error)
    errors = None
    if isinstance(error, DataValidationError):
        errors = [{"field": e.field, "message": engine_text(e), "rule": e.rule} for e in error.errors]
    if isinstance(error, ImportRefused):       # rows of a file: each error names its row and column
        errors = [{"row": e.row, "column": e.column, "message": engine_text(e), "message_code": e.msg.code}
                  for e in error.errors]
        return problem(status, engine_text(error), errors, code=error.code, total=error.total)
    if isinstance(error, BundleInvalid):         # a draft's problems: each names its file, element and line
        errors = [{"file": p.file, "element": p.element, "line": p.line, "severity": p.severity,
                   "message": engine_text(p)} for p in error.problems]
    return problem(status, engine_text(error), errors, code=error.code)


def json_refusal(error: EngineError):
    """A refused change answered as problem+json after undoing its transaction: the API's shape, for pages that
    save by script (the policy editors)."""
    rollback()
    return engine_problem(error)


# Werkzeug's own descriptions are English; a description a view gave (abort(404, "…")) is kept.
DETAILS = {400: "请求格式有误（例如请求体不是有效的 JSON）", 401: "需要认证", 403: "无权访问", 404: "请求的地址或对象不存在", 405: "该地址不支持此请求方法",
           413: "上传内容超过大小限制", 415: "不支持的内容类型", 429: "请求过于频繁，请稍后再试", 500: "服务器内部错误"}


def _detail(error: HTTPException) -> str:
    status = error.code or 500
    description = error.description or ""
    if description.startswith("Failed to decode JSON object"):
        return "请求体不是有效的 JSON：" + description.split(":", 1)[1].strip()
    if description == type(error).description or not description:
        return DETAILS.get(status, TITLES.get(status, "错误"))
    return description


def http_problem(error: HTTPException):
    """The problem of an HTTP error; webargs' 422 carries marshmallow's messages per location and field."""
    status = error.code or 500
    messages = (getattr(error, "data", None) or {}).get("messages")
    if status == 422 and messages:
        errors = [{"field": field, "message": text, "rule": "schema"}
                  for location in messages.values() for field, text in _flatten(location)]
        return problem(422, f"请求有 {len(errors)} 处需要修改", errors, code="invalid_request")
    return problem(status, _detail(error), code="http_error")


def _flatten(messages, prefix: str = ""):
    """(dotted field, message) pairs from marshmallow's nested message dict."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            yield prefix, "；".join(MESSAGES.get(m, _translate(m)) for m in messages)
        else:
            for m in messages:
                yield from _flatten(m, prefix)
    else:
        yield prefix, MESSAGES.get(str(messages), str(messages))


PATTERNS = [
    (re.compile(r"Must be one of: (.*)\.$"), "取值应为：{0}"),
    (re.compile(r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"), "应在 {0} 到 {1} 之间"),
    (re.compile(r"Must be greater than or equal to (\S+)\.$"), "不能小于 {0}"),
    (re.compile(r"Must be less than or equal to (\S+)\.$"), "不能大于 {0}"),
    (re.compile(r"Length must be between (\d+) and (\d+)\.$"), "长度应在 {0} 到 {1} 之间"),
    (re.compile(r"Shorter than minimum length (\d+)\.$"), "长度不能少于 {0}"),
    (re.compile(r"Longer than maximum length (\d+)\.$"), "长度不能超过 {0}"),
]


def _translate(message: str) -> str:
    for pattern, chinese in PATTERNS:
        found = pattern.match(message)
        if found:
            return chinese.format(*found.groups())
    return message
