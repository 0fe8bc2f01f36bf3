"""A bundle's form files checked at deploy: UTF-8 JSON of sensible depth, a valid JSON Schema whose patterns RE2
compiles, whose references stay inside the form, and whose lawflow keywords (`x-notAfter`, `x-prefill`, …) are
well formed. Each problem names the file, the field and, where it can, the line.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from ..core.bounded import BoundedMap
from ..core.errors import Problem
from ..core.messages import Msg
from ..core.vocabulary import FROM_CASE_KEYWORD, PREFILL, SHOWN_WHEN_KEYWORD, TODAY, WORKING_DAYS_AFTER_KEYWORD
from .forms import DATE_BOUNDS, SCHEMA_FORMATS, compile_pattern
from .limit_rows import NAME_PATTERN

ROOT = Msg("formcheck.root")        # where a problem is when it is the form as a whole (its element is None)
MAX_SCHEMA_DEPTH = 64       # nesting of a form's JSON: real forms stay under 15, and checking one recurses per level
_ONE_SCHEMA = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
               "unevaluatedItems", "unevaluatedProperties", "additionalItems")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems", "items")
_SCHEMA_MAPS = ("properties", "$defs", "definitions", "dependentSchemas", "patternProperties")
_IN_PLACE_ONE, _IN_PLACE_LISTS = ("not", "if", "then", "else"), ("allOf", "anyOf", "oneOf")   # same value, no descent


def json_depth(value) -> int:
    """How deeply a parsed JSON value nests, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def subschemas(schema) -> Iterator[tuple[str, dict]]:
    """Every schema object inside a form schema with where it sits (e.g. properties/phone), in document order."""
    stack = [("", schema)]
    while stack:
        where, node = stack.pop()
        if not isinstance(node, dict):
            continue
        yield where, node
        children = [(f"{where}/{key}".lstrip("/"), node[key]) for key in _ONE_SCHEMA if isinstance(node.get(key), dict)]
        children += [(f"{where}/{key}/{i}".lstrip("/"), sub) for key in _SCHEMA_LISTS
                     if isinstance(node.get(key), list) for i, sub in enumerate(node[key])]
        children += [(f"{where}/{key}/{name}".lstrip("/"), sub) for key in _SCHEMA_MAPS
                     if isinstance(node.get(key), dict) for name, sub in node[key].items()]
        stack.extend(reversed(children))


def schema_problems(schema) -> Iterator[tuple[str, str, Any]]:
    """What a form schema may not hold, as (where, message, offending value): a pattern RE2 cannot run, bounds
    that cross (a minimum above its maximum), patternProperties (jsonschema matches its keys with Python's
    backtracking `re`), a reference that leaves the form or points nowhere, and references that loop without
    reading any data (validation would never end)."""
    for where, node in subschemas(schema):
        if isinstance(node.get("pattern"), str):
            try:
                compile_pattern(node["pattern"])
            except ValueError as exc:
                yield where, Msg("formcheck.pattern", detail=exc.args[0]), node["pattern"]
        if "patternProperties" in node:
            yield where, Msg("formcheck.pattern_properties"), None
        for low, high, strict in _BOUNDS:
            if _number(node.get(low)) and _number(node.get(high)) and (
                    node[low] >= node[high] if strict else node[low] > node[high]):
                yield where, Msg("formcheck.crossed_bounds", low=low, low_value=node[low], high=high,
                                 high_value=node[high]), None
        for keyword in ("$ref", "$dynamicRef"):
            if isinstance(node.get(keyword), str) and _resolve(schema, node[keyword]) is None:
                yield where, Msg("formcheck.reference", keyword=keyword, target=repr(node[keyword])), node[keyword]
    loop = _reference_loop(schema)
    if loop is not None:
        yield loop, Msg("formcheck.reference_loop"), None


# Pairs of bounds no value can meet when the first passes the second (or reaches it, where either is exclusive):
# a field a handler could never fill, found when the form is checked, not when the first case reaches it.
_BOUNDS = (("minimum", "maximum", False), ("exclusiveMinimum", "exclusiveMaximum", True),
           ("minimum", "exclusiveMaximum", True), ("exclusiveMinimum", "maximum", True),
           ("minLength", "maxLength", False), ("minItems", "maxItems", False),
           ("minProperties", "maxProperties", False))


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _resolve(root, ref: str):
    """The schema a same-form reference points to (a JSON pointer or an anchor), or None."""
    if not ref.startswith("#"):
        return None
    if not ref.startswith("#/") and ref != "#":
        return next((node for _, node in subschemas(root) if node.get("$anchor") == ref[1:]), None)
    node = root
    for part in filter(None, ref[2:].split("/")):
        part = unquote(part).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node if isinstance(node, (dict, bool)) else None


def _in_place(root, node: dict) -> list[dict]:
    """The schemas applied to the very value `node` is applied to: its references and in-place applicators."""
    found = [_resolve(root, node[k]) for k in ("$ref", "$dynamicRef") if isinstance(node.get(k), str)]
    found += [node.get(key) for key in _IN_PLACE_ONE]
    found += [sub for key in _IN_PLACE_LISTS if isinstance(node.get(key), list) for sub in node[key]]
    if isinstance(node.get("dependentSchemas"), dict):
        found += list(node["dependentSchemas"].values())
    return [sub for sub in found if isinstance(sub, dict)]


def _reference_loop(root) -> str | None:
    """Where a chain of in-place schemas comes back to one already on it (a depth-first search), or None."""
    state: dict[int, str] = {}          # id of a schema -> "open" while on the current chain, then "done"
    for where, start in subschemas(root):
        if id(start) in state:
            continue
        state[id(start)] = "open"
        chain = [iter(_in_place(root, start))]
        nodes = [start]
        while chain:
            child = next(chain[-1], None)
            if child is None:
                state[id(nodes.pop())] = "done"
                chain.pop()
            elif state.get(id(child)) == "open":
                return where
            elif id(child) not in state:
                state[id(child)] = "open"
                nodes.append(child)
                chain.append(iter(_in_place(root, child)))
    return None


def check_forms(files: dict[str, bytes], problems: list[Problem]) -> dict[str, dict]:
    """The bundle's forms (`forms/**/*.schema.json`) by path, each checked; a form with a problem is left out."""
    forms = {}
    for path in sorted(files):
        if not path.startswith("forms/") or not path.endswith(".schema.json"):
            continue
        readable, schema = _read_form(path, files[path], problems)
        if not readable:
            continue
        try:
            _check_schema(files[path], schema)
        except SchemaError as exc:
            where = "/".join(str(p) for p in exc.path)
            problems.append(Problem(path, Msg("formcheck.invalid_schema", where=where or ROOT, detail=exc.message),
                                    element=where or None, line=_line_of(files[path], exc.instance)))
            continue
        found = [(where, Msg("formcheck.today_only", keyword=keyword, today=TODAY, where=where or ROOT,
                               value=repr(value)), value)
                 for where, keyword, value in _date_bounds(schema, "") if value != TODAY]
        found += list(_working_days_problems(schema))
        found += list(_shown_when_problems(schema))
        for where, message, value in found + list(schema_problems(schema)):
            line = _line_of(files[path], value) if value is not None else None
            problems.append(Problem(path, message, element=where or None, line=line))
        problems.extend(_prefill_problems(schema, path, files[path]))
        forms[path] = schema
    return forms


_VALID_SCHEMAS: BoundedMap[bytes, bool] = BoundedMap(1024)     # form texts that passed `check_schema`


def _check_schema(content: bytes, schema: dict) -> None:
    """Raise SchemaError unless the form is valid JSON Schema 2020-12. The answer depends on the text alone, and
    checking against the metaschema is most of a bundle's validation: a draft saved again, or a bundle deployed
    after its draft was checked, has the same texts, which are not checked twice."""
    if content in _VALID_SCHEMAS:
        return
    Draft202012Validator.check_schema(schema, format_checker=SCHEMA_FORMATS)
    _VALID_SCHEMAS.put(content, True)


def _working_days_problems(schema) -> Iterator[tuple[str, Msg, Any]]:
    """`x-workingDaysAfter` is a list of `{field, after, limit}` naming two fields of the same object's
    properties and a row of the form's limits table (whether the row exists is `limit_references`' check), or
    `{field, after, workingDays}` with a whole number of working days (0 or more)."""
    for where, node in subschemas(schema):
        if WORKING_DAYS_AFTER_KEYWORD not in node:
            continue
        rules, names = node[WORKING_DAYS_AFTER_KEYWORD], set(node.get("properties") or {})
        good = isinstance(rules, list) and all(
            isinstance(r, dict) and r.get("field") in names and r.get("after") in names and (
                (set(r) == {"field", "after", "limit"} and isinstance(r["limit"], str)
                 and re.fullmatch(NAME_PATTERN, r["limit"]) is not None)
                or (set(r) == {"field", "after", "workingDays"} and isinstance(r["workingDays"], int)
                    and not isinstance(r["workingDays"], bool) and r["workingDays"] >= 0)) for r in rules)
        if not good:
            yield where, Msg("formcheck.working_days_after", keyword=WORKING_DAYS_AFTER_KEYWORD,
                             where=where or ROOT), None


def _read_form(path: str, content: bytes, problems: list[Problem]) -> tuple[bool, object]:
    """(True, the form's JSON), or (False, None) with a problem: not UTF-8, not JSON, or nested deeper than any
    form needs (checking it recurses once per level)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = Msg("formcheck.utf16_hint") if content[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        problems.append(Problem(path, Msg("formcheck.not_utf8", hint=hint, byte=exc.start + 1)))
        return False, None
    try:
        schema = json.loads(text)
        too_deep = json_depth(schema) > MAX_SCHEMA_DEPTH
    except json.JSONDecodeError as exc:
        problems.append(Problem(path, Msg("formcheck.not_json", detail=str(exc)), line=exc.lineno))
        return False, None
    except RecursionError:          # Python's JSON parser recurses too, and gives up near a thousand levels
        schema, too_deep = None, True
    if too_deep:
        problems.append(Problem(path, Msg("formcheck.too_deep", limit=MAX_SCHEMA_DEPTH)))
        return False, None
    return True, schema


def _date_bounds(schema, where: str):
    """Every date-bound keyword in a form schema: (where, keyword, value)."""
    if isinstance(schema, dict):
        for keyword in DATE_BOUNDS:
            if keyword in schema:
                yield where, keyword, schema[keyword]
        for key, sub in schema.items():
            if isinstance(sub, (dict, list)):
                yield from _date_bounds(sub, f"{where}/{key}" if where else key)
    elif isinstance(schema, list):
        for index, sub in enumerate(schema):
            yield from _date_bounds(sub, f"{where}/{index}")


_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples", "enumNames", "required"})   # values, not schemas


def _prefill_problems(schema: dict, path: str, content: bytes) -> list[Problem]:
    """`x-prefill` and `x-fromCase` on a top-level field only, naming a case data key (a non-empty text) or `true`
    (the same name)."""
    problems: list[Problem] = []
    text = content.decode("utf-8", errors="replace")
    found = {PREFILL: -1, FROM_CASE_KEYWORD: -1}

    def line(keyword: str) -> int | None:    # keywords are met in the file's order: the n-th met is the n-th written
        found[keyword] = text.find(json.dumps(keyword), found[keyword] + 1)
        return text.count("\n", 0, found[keyword]) + 1 if found[keyword] >= 0 else None

    def walk(node, where: str, top_field: bool) -> None:
        if isinstance(node, list):
            for index, sub in enumerate(node):
                walk(sub, f"{where}/{index}", False)
            return
        if not isinstance(node, dict):
            return
        for key, sub in node.items():
            inner = f"{where}/{key}" if where else key
            if key in (PREFILL, FROM_CASE_KEYWORD):
                at = line(key)
                if not top_field:
                    message = Msg("formcheck.prefill_top", keyword=key, where=where or ROOT)
                elif sub is not True and not (isinstance(sub, str) and sub.strip()):
                    message = Msg("formcheck.prefill_value", keyword=key, where=where or ROOT, value=repr(sub))
                else:
                    continue
                problems.append(Problem(path, message, element=where or None, line=at))
            elif key == "properties" and isinstance(sub, dict):
                for name, field_schema in sub.items():
                    walk(field_schema, f"{inner}/{name}", not where)
            elif key not in _DATA_KEYWORDS:
                walk(sub, inner, False)

    walk(schema, "", False)
    return problems


def _line_of(content: bytes, value) -> int | None:
    """The line where a JSON value first appears in a file (for scalars; None when it cannot be told)."""
    if isinstance(value, (dict, list)):
        return None
    text = content.decode("utf-8", errors="replace")
    found = text.find(json.dumps(value, ensure_ascii=False))
    return text.count("\n", 0, found) + 1 if found >= 0 else None


def _shown_when_problems(schema) -> Iterator[tuple[str, Msg, Any]]:
    """`x-shownWhen` on a top-level field only: `{field: value or [values], …}` naming other top-level fields of
    the form, each with a value (text, number or yes/no) or a non-empty list of them."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    names = set(properties) if isinstance(properties, dict) else set()
    top = {id(properties[name]) for name in names if isinstance(properties[name], dict)}
    scalar = (str, int, float, bool)
    for where, node in subschemas(schema):
        if SHOWN_WHEN_KEYWORD not in node:
            continue
        rule = node[SHOWN_WHEN_KEYWORD]
        own = where.removeprefix("properties/")
        if id(node) not in top or own not in names or where != f"properties/{own}":
            yield where, Msg("formcheck.shown_when_top", keyword=SHOWN_WHEN_KEYWORD, where=where or ROOT), None
            continue
        good = isinstance(rule, dict) and rule and all(
            other in names and other != own and (isinstance(wanted, scalar) or (
                isinstance(wanted, list) and wanted and all(isinstance(w, scalar) for w in wanted)))
            for other, wanted in rule.items())
        if not good:
            yield where, Msg("formcheck.shown_when", keyword=SHOWN_WHEN_KEYWORD, where=where,
                             value=json.dumps(rule, ensure_ascii=False)), None
