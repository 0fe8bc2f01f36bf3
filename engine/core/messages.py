"""Engine messages: a code and its parameters, never a sentence in one language.

The engine says what happened as `Msg(code, **params)`; `str()` of a message is the English developer text from
`CODES` (for logs, the CLI and tracebacks). The web holds a table of the same codes in the interface's languages
and renders a message for each reader. A parameter may itself be a message (a word the reader's language names,
such as a field kind) or a list of messages; text written by people — names, expressions, file paths — stays a
plain parameter as it is.
"""
from __future__ import annotations

import json
from typing import Any

from .message_codes import CODES

__all__ = ["CODES", "Msg", "as_msg", "english"]


class Msg:
    """One engine message: a code from `CODES` and the values its template names."""

    __slots__ = ("code", "params")

    def __init__(self, code: str, /, **params: Any):
        if code not in CODES:
            raise KeyError(f"unknown engine message code {code!r}")
        self.code = code
        self.params = params

    def __str__(self) -> str:
        return CODES[self.code].format(**{k: english(v) for k, v in self.params.items()})

    def __repr__(self) -> str:
        return f"Msg({self.code!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and (self.code, self.params) == (other.code, other.params)

    def __hash__(self) -> int:
        return hash(self.code)

    def to_dict(self) -> dict:
        """A JSON-ready form: code and parameters, nested messages as dicts."""
        return {"code": self.code, "params": {k: _plain(v) for k, v in self.params.items()}}

    def dumps(self) -> str:
        """The message as stored text (a case's or document's error), so each reader sees it in their language."""
        return json.dumps(self.to_dict(), ensure_ascii=False, default=str)

    @classmethod
    def from_dict(cls, data: dict) -> Msg:
        """The message `to_dict` described."""
        return cls(data["code"], **{k: _revive(v) for k, v in data.get("params", {}).items()})

    @classmethod
    def loads(cls, text: str | None) -> Msg | None:
        """The message stored by `dumps`, or None when the text is not one (older rows keep plain text)."""
        if not text or not text.startswith('{"code"'):
            return None
        try:
            return cls.from_dict(json.loads(text))
        except (ValueError, KeyError, TypeError):
            return None


def as_msg(value: Any) -> Msg:
    """A message for any value: itself, a stored message, or foreign text (a library's, an author's) as is."""
    if isinstance(value, Msg):
        return value
    text = "" if value is None else str(value)
    return Msg.loads(text) or Msg("text", text=text)


def english(value: Any) -> str:
    """A parameter in English: messages rendered, lists joined."""
    if isinstance(value, Msg):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "; ".join(english(v) for v in value)
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Msg):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def _revive(value: Any) -> Any:
    if isinstance(value, dict) and "code" in value and value.get("code") in CODES:
        return Msg.from_dict(value)
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value
