"""Bundle files that hold JSON definitions (standards, ledgers, reports): each is decoded, parsed, bounded in depth
and checked against its schema the same way, with problems named by file, JSON pointer and line."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator

from ..core.errors import Problem
from ..core.messages import Msg
from .form_checks import MAX_SCHEMA_DEPTH, json_depth

Locate = Callable[[str, Msg, "str | None"], Problem]


def parse_definition(path: str, content: bytes, kind: str) -> tuple[Any, str | None, list[Problem]]:
    """A definition file decoded (UTF-8, a byte-order mark allowed) and parsed within MAX_SCHEMA_DEPTH levels:
    (data, text, []) or (None, text or None, [its problem]) with the messages `<kind>.not_utf8`, `.not_json` and
    `.too_deep`."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, None, [Problem(path, Msg(f"{kind}.not_utf8", byte=exc.start + 1))]
    try:
        data = json.loads(text)
        too_deep = json_depth(data) > MAX_SCHEMA_DEPTH
    except json.JSONDecodeError as exc:
        return None, text, [Problem(path, Msg(f"{kind}.not_json", detail=exc.msg), line=exc.lineno)]
    except RecursionError:
        too_deep = True
    if too_deep:
        return None, text, [Problem(path, Msg(f"{kind}.too_deep", limit=MAX_SCHEMA_DEPTH))]
    return data, text, []


def schema_problems(validator: Draft202012Validator, data: Any, locate: Locate, kind: str) -> list[Problem]:
    """Every way the data breaks its schema, in pointer order, each located (`<kind>.invalid`)."""
    return [locate(where, Msg(f"{kind}.invalid", where=where, detail=error.message), None)
            for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
            for where in ["/" + "/".join(str(p) for p in error.absolute_path)]]


class Locator:
    """Located problems: the line of the name concerned, searched from the top-level key the pointer starts at."""

    def __init__(self, path: str, text: str):
        self.path, self.text = path, text

    def __call__(self, where: str, message: Msg, name: str | None) -> Problem:
        return Problem(self.path, message, element=where or "/", line=self.line(where, name))

    def line(self, where: str, name: str | None) -> int | None:
        """The line of the name (the n-th place for the n-th array entry), else of the last key of the pointer."""
        parts = [p for p in where.split("/") if p]
        start = self.text.find(json.dumps(parts[0])) if parts else 0
        start = max(start, 0)
        if name is None:
            keys = [p for p in parts if not p.isdigit()]
            needle, found = (json.dumps(keys[-1]) if keys else None), start
            found = self.text.find(needle, start) if needle else -1
        else:
            found = self._nth(json.dumps(name, ensure_ascii=False), start, parts)
        return self.text.count("\n", 0, found) + 1 if found >= 0 else None

    def _nth(self, needle: str, start: int, parts: list[str]) -> int:
        """Past an array entry's earlier siblings: the needle's first place after the entry begins."""
        index = int(parts[1]) + 1 if len(parts) > 1 and parts[1].isdigit() else 0
        at = start
        for _ in range(index):       # each entry of these arrays is a flat object: one opening brace each
            nxt = self.text.find("{", at + 1)
            at = nxt if nxt >= 0 else at
        found = self.text.find(needle, at)
        return found if found >= 0 else self.text.find(needle, start)


def keyed_definitions(files: dict[str, bytes], problems: list[Problem], is_path: Callable[[str], bool],
                      read: Callable[[str, bytes], tuple[Any, list[Problem]]], kind: str) -> dict[str, dict]:
    """The bundle's definitions of one kind by path, each read and checked (one with a problem is left out); two
    files declaring the same `key` are a problem (`<kind>.duplicate_key`)."""
    found, keys = {}, {}
    for path in sorted(p for p in files if is_path(p)):
        definition, own = read(path, files[path])
        problems.extend(own)
        if definition is None:
            continue
        key = definition["key"]
        if key in keys:
            line = Locator(path, files[path].decode("utf-8-sig")).line("/key", None)
            problems.append(Problem(path, Msg(f"{kind}.duplicate_key", key=key, other=keys[key]), element="/key",
                                    line=line))
            continue
        keys[key] = path
        found[path] = definition
    return found
