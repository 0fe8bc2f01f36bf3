"""Engine messages in the reader's language: each engine message code has a Chinese template here (the source
text, translated through web/translations like every other interface text)."""
from __future__ import annotations

from typing import Any, Callable

from flask import has_request_context
from flask_babel import gettext

from engine.core import Msg, as_msg

from .engine_texts import SPIFF_MESSAGES, TEXTS

__all__ = ["TEXTS", "engine_text", "field_name", "problem_line", "render"]

WHOLE_FORM = Msg("form.root")


def engine_text(obj: Any) -> str:
    """An engine error, field error, problem, message or stored message text, in the request's language (Chinese,
    the source text, outside a request: the CLI)."""
    return render(obj, gettext if has_request_context() else str)


def field_name(field: str) -> str:
    """A field error's key as the reader sees it: the engine keys an error of the whole form "" (as a JSON
    pointer names the whole document), which is named in the reader's language."""
    return field or engine_text(WHOLE_FORM)


def problem_line(problem) -> str:
    """A bundle problem with where it is (file:line [element]), in the request's language."""
    where = problem.file + (f":{problem.line}" if problem.line else "")
    where += f" [{problem.element}]" if problem.element else ""
    return f"{where}: {engine_text(problem)}"


def render(obj: Any, translate: Callable[[str], str]) -> str:
    """`obj` rendered with `translate` (gettext for the request's language; `str` gives the Chinese source)."""
    msg = _msg_of(obj)
    template = TEXTS.get(msg.code)
    if template is None:
        return str(msg)
    params = {k: _param(v, translate) for k, v in msg.params.items()}
    if msg.code == "validation.spiff":
        params["message"] = _spiff_message(params["message"], translate)
    return translate(template) % params if params else translate(template)


def _msg_of(obj: Any) -> Msg:
    if isinstance(obj, Msg):
        return obj
    found = getattr(obj, "msg", None)        # an engine error, field error or problem
    if isinstance(found, Msg):
        return found
    if isinstance(obj, Exception) and len(obj.args) == 1 and isinstance(obj.args[0], Msg):
        return obj.args[0]                   # a helper's refusal: ValueError(Msg(...))
    return as_msg(obj)


def _param(value: Any, translate: Callable[[str], str]) -> Any:
    if isinstance(value, Msg):
        return render(value, translate)
    if isinstance(value, (list, tuple)):
        return translate("；").join(str(_param(v, translate)) for v in value)
    return value


def _spiff_message(message: str, translate: Callable[[str], str]) -> str:
    """A SpiffWorkflow parser message with the beginning the web knows in the reader's language."""
    for english, chinese in SPIFF_MESSAGES.items():
        if message.startswith(english):
            return translate(chinese) + message[len(english):]
    return message
