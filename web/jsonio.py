"""JSON for responses, request bodies and templates: orjson, writing what Flask's provider writes, with Chinese as it is.

Flask's provider escapes every non-ASCII character (`\\u6295\\u8bc9`), so an integration reading the API with curl
sees escapes instead of Chinese; it is also the json module, a good part of a small API request's cost. This one
writes the same values with the same rules (keys sorted, dates as HTTP dates, UUIDs and decimals as text,
dataclasses as dicts, objects with `__html__` as their markup) in UTF-8. What orjson refuses (integers past 64
bits, lone surrogates) and other formatting (indented, unsorted) go to Flask's own provider, which escapes
non-ASCII characters as it always has.

A request's JSON body is read more strictly than that (`read_body`, the app's `Request`): values the provider
would read but the database would store as something else or fail on (NaN, integers past 64 bits, lone surrogates,
U+0000, nesting thousands deep) are refused with their paths (web/request.py answers 422 naming them).
"""
from __future__ import annotations

import json
import math
import re
import typing as t

import orjson
from flask.json.provider import DefaultJSONProvider, _default

from engine.core import db

_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_DATACLASS)
_COMPACT = (",", ":")


class JSONProvider(DefaultJSONProvider):
    """Flask's provider, with orjson for compact, sorted output and for reading."""

    def _encode(self, obj: t.Any) -> bytes | None:
        """The UTF-8 JSON of `obj`, or None where orjson refuses it."""
        try:
            return orjson.dumps(obj, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return None

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        # Compact, sorted output is orjson's; any other formatting (indent, unsorted keys) is the json module's.
        if kwargs.get("separators", _COMPACT) == _COMPACT and kwargs.get("sort_keys", True) \
                and not set(kwargs) - {"separators", "sort_keys"}:
            encoded = self._encode(obj)
            if encoded is not None:
                return encoded.decode()
            kwargs = {"separators": _COMPACT, **kwargs}     # compact as orjson would have written it
        return super().dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        if not kwargs:
            return db.json_value(s)    # orjson, but the json module for NaN, lone surrogates and integers past 64 bits
        return super().loads(s, **kwargs)

    def response(self, *args: t.Any, **kwargs: t.Any):
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)
        encoded = self._encode(self._prepare_response_obj(args, kwargs))
        if encoded is None:
            return super().response(*args, **kwargs)
        return self._app.response_class(encoded + b"\n", mimetype=self.mimetype)


# ---------------------------------------------------------------- request bodies

MAX_DEPTH = 64          # objects and lists within each other: far beyond any form, far below the recursion limit
_INT_RANGE = (-2 ** 63, 2 ** 64 - 1)     # what orjson and the JSON columns hold
_OPENERS = (b"[", b"{")
_NUL = b"\\u0000"
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]')


class RefusedJSON(ValueError):
    """Well-formed JSON holding values no field may take: (path, message) pairs, paths dotted from the body."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("；".join(f"{path}：{message}" for path, message in problems))
        self.problems = problems


def read_body(raw: bytes | str) -> t.Any:
    """A request body's JSON, refusing what would be stored as something else or fail deeper inside: NaN and
    ±Infinity, integers past 64 bits (orjson would read them as floats), lone surrogates, U+0000 and nesting past
    MAX_DEPTH (RefusedJSON, each value with its path). Malformed JSON raises a ValueError (json.JSONDecodeError,
    UnicodeDecodeError). A valid body costs one orjson read and a few byte searches; only a body that may hold
    something to refuse is read again, closely."""
    data = raw.encode() if isinstance(raw, str) else raw
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return _diagnose(data)
    if db.long_digit_run(data):         # an integer literal this long may be past 64 bits
        return _diagnose(data)
    problems = _too_deep(data.decode()) if sum(data.count(o) for o in _OPENERS) > MAX_DEPTH else []
    if _NUL in data:
        problems += _paths(value, "", _has_nul)
    if problems:
        raise RefusedJSON(problems)
    return value


class _Refused:
    """A number that parsed but may not be kept, in place until its path is known."""

    def __init__(self, message: str):
        self.message = message


def _diagnose(data: bytes) -> t.Any:
    """What orjson refused: too deep, a value to refuse (RefusedJSON), or malformed (json.JSONDecodeError)."""
    text = data.decode("utf-8")         # invalid UTF-8: a UnicodeDecodeError, which is a ValueError too
    problems = _too_deep(text)
    if problems:
        raise RefusedJSON(problems)
    value = json.loads(text, parse_constant=lambda _: _Refused("不是有效的数字（不允许 NaN、Infinity）"),
                       parse_int=_integer, parse_float=_float)
    problems = [(path, problem) for path, problem in _paths(value, "", _problem)]
    if problems:
        raise RefusedJSON(problems)
    return value


def _integer(text: str):
    if len(text.lstrip("-")) > 20 or not _INT_RANGE[0] <= int(text) <= _INT_RANGE[1]:
        return _Refused("整数超出允许范围（64 位）")
    return int(text)


def _float(text: str):
    number = float(text)
    return number if math.isfinite(number) else _Refused("数值超出允许范围")


def _problem(value) -> str | None:
    if isinstance(value, _Refused):
        return value.message
    if isinstance(value, str) and any("\ud800" <= c <= "\udfff" for c in value):
        return "含有无效的字符（单独的 UTF-16 代理项）"
    return _has_nul(value)


def _has_nul(value) -> str | None:
    return "含有不允许的空字符（U+0000）" if isinstance(value, str) and "\x00" in value else None


def _paths(value, path: str, check):
    """(path, what check says) for each value, and each object key, that check finds something in."""
    found = check(value)
    if found:
        yield path, found
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if check(key):
                yield child, check(key)
            yield from _paths(item, child, check)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, f"{path}.{index}" if path else str(index), check)


def _too_deep(text: str) -> list[tuple[str, str]]:
    """Where nesting first goes past MAX_DEPTH, by the keys and indexes that lead there (strings skipped whole)."""
    stack: list[list] = []      # per open container: [key or index, last string seen]
    for token in _TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            stack.append([0 if mark == "[" else None, None])
            if len(stack) > MAX_DEPTH:
                return [(_deep_path(stack), f"嵌套超过 {MAX_DEPTH} 层")]
        elif mark in "]}":
            if stack:
                stack.pop()
        elif mark == ",":
            if stack and isinstance(stack[-1][0], int):
                stack[-1][0] += 1
        elif mark == ":":
            if stack:
                stack[-1][0] = stack[-1][1]
        elif stack:
            stack[-1][1] = mark
    return []


def _deep_path(stack: list[list]) -> str:
    """The first steps to a too-deep value: enough to name its field, short enough to read."""
    steps = []
    for key, _ in stack[:-1]:
        steps.append(str(key) if isinstance(key, int) else _key_text(key))
    shown = steps[:4]
    return ".".join(shown) + ("…" if len(steps) > len(shown) else "")


def _key_text(token: str | None) -> str:
    try:
        return json.loads(token) if token else ""
    except ValueError:
        return token or ""

