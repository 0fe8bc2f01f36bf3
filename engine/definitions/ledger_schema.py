"""Ledgers of imported records as data: a bundle file `forms/**/*.ledger.json` names the ledger's columns (what a
row holds and how a file's header names it), its key, organisation and period columns, checks between dates and
measures computed at import. Deploy checks each one against the JSON Schema below and then for what a schema
cannot say (a column named twice, a key, organisation, period, measure or check naming no column or a column of the
wrong type); each problem names the file, the JSON pointer and the line."""
from __future__ import annotations


from jsonschema import Draft202012Validator

from ..core.errors import Problem
from ..core.messages import Msg
from ..core.vocabulary import LEDGER_FILE
from .json_files import Locator, keyed_definitions, parse_definition, schema_problems

COLUMN_TYPES = ("string", "date", "integer", "enum", "boolean")
UNITS = ("days", "working_days", "hours")
_TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
_NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"}
_COLUMN = {
    "type": "object", "required": ["name", "header", "type"], "additionalProperties": False,
    "properties": {"name": _NAME, "header": _TEXT, "type": {"enum": list(COLUMN_TYPES)},
                   "required": {"type": "boolean"}, "description": {"type": "string"},
                   "values": {"type": "array", "minItems": 1, "uniqueItems": True, "items": _TEXT}},
    "allOf": [{"if": {"properties": {"type": {"const": "enum"}}}, "then": {"required": ["values"]}},
              # a yes/no column names its two words, yes first (true, false, 1 and 0 are read too)
              {"if": {"properties": {"type": {"const": "boolean"}}},
               "then": {"required": ["values"], "properties": {"values": {"minItems": 2, "maxItems": 2}}}}],
}
_INTERVAL = {"required": ["from", "to", "limit", "unit"], "not": {"required": ["present"]}}
_PRESENT = {"required": ["present"], "not": {"anyOf": [{"required": [k]} for k in ("from", "to", "limit", "unit")]}}
_MEASURE = {
    "type": "object", "required": ["name", "label"], "additionalProperties": False,
    "properties": {"name": _NAME, "label": _TEXT, "from": _NAME, "to": _NAME, "present": _NAME,
                   "limit": {"type": "integer", "minimum": 0}, "unit": {"enum": list(UNITS)},
                   "basis": {"type": "string"}},
    "oneOf": [_INTERVAL, _PRESENT],
}
LEDGER_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object", "additionalProperties": False,
    "required": ["key", "title", "keyColumn", "orgColumn", "periodColumn", "columns"],
    "properties": {
        "key": _NAME, "title": _TEXT, "description": {"type": "string"},
        "keyColumn": _NAME, "orgColumn": _NAME, "periodColumn": _NAME,
        "importRoles": {"type": "array", "items": _TEXT},
        "columns": {"type": "array", "minItems": 1, "maxItems": 200, "items": _COLUMN},
        "checks": {"type": "array", "items": {
            "type": "object", "required": ["earlier", "later"], "additionalProperties": False,
            "properties": {"earlier": _NAME, "later": _NAME}}},
        "measures": {"type": "array", "items": _MEASURE},
    },
}
_VALIDATOR = Draft202012Validator(LEDGER_SCHEMA)


def is_ledger_path(path: str) -> bool:
    """Whether a bundle file is a ledger definition."""
    return path.startswith("forms/") and path.rsplit("/", 1)[-1].endswith("." + LEDGER_FILE)


def read_ledger(path: str, content: bytes) -> tuple[dict | None, list[Problem]]:
    """A ledger file parsed and checked: (the ledger, []) or (None, its problems)."""
    ledger, text, problems = parse_definition(path, content, "ledgerdef")
    if problems:
        return None, problems
    locate = Locator(path, text)
    problems = schema_problems(_VALIDATOR, ledger, locate, "ledgerdef")
    if not problems:
        problems = [locate(where, message, value) for where, message, value in semantic_problems(ledger)]
    return (None if problems else ledger), problems


def semantic_problems(ledger: dict) -> list[tuple[str, Msg, str | None]]:
    """What a schema-valid ledger may still get wrong, as (JSON pointer, message, the name it concerns)."""
    found, types, headers = [], {}, set()
    for n, column in enumerate(ledger["columns"]):
        if column["name"] in types or column["header"] in headers:
            found.append((f"/columns/{n}", Msg("ledgerdef.duplicate_column", name=column["name"],
                                               header=column["header"]), column["name"]))
        types.setdefault(column["name"], column["type"])
        headers.add(column["header"])
    required = {c["name"] for c in ledger["columns"] if c.get("required")}
    for key, wanted in (("keyColumn", "string"), ("orgColumn", "string"), ("periodColumn", "date")):
        wrong = _names_column(f"/{key}", ledger[key], types, wanted)
        found += wrong
        if not wrong and ledger[key] not in required:
            found.append((f"/{key}", Msg("ledgerdef.not_required", name=ledger[key]), ledger[key]))
    for n, check in enumerate(ledger.get("checks", [])):
        for side in ("earlier", "later"):
            found += _names_column(f"/checks/{n}/{side}", check[side], types, "date")
    stored = set(types)
    for n, measure in enumerate(ledger.get("measures", [])):
        for side in ("from", "to", "present"):
            if side in measure:
                found += _names_column(f"/measures/{n}/{side}", measure[side], types, "date")
        names = [measure["name"]] + ([measure["name"] + "_days"] if "from" in measure else [])
        for name in names:
            if name in stored:
                found.append((f"/measures/{n}/name", Msg("ledgerdef.measure_name", name=name), measure["name"]))
            stored.add(name)
    return found


def _names_column(where: str, name: str, types: dict[str, str], wanted: str) -> list:
    if name not in types:
        return [(where, Msg("ledgerdef.no_column", name=name), name)]
    if types[name] != wanted:
        return [(where, Msg("ledgerdef.column_type", name=name, type=types[name], wanted=wanted), name)]
    return []




def check_ledgers(files: dict[str, bytes], problems: list[Problem]) -> dict[str, dict]:
    """The bundle's ledgers by path, each checked (a ledger with a problem is left out); two files declaring the
    same key are a problem."""
    return keyed_definitions(files, problems, is_ledger_path, read_ledger, "ledgerdef")
